// Package imports keeps the household lists being imported, in MongoDB:
// each import's valid rows in numbered chunks for its workflow to open,
// the rows it rejected and the flags opening them raised, and its
// progress. The rows are write-side truth the import's workflow works
// from, not read model; the file format, the checks of each row and the
// progress's rules are listimport's.
package imports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/listimport"
)

// Collections of imports.
const (
	Progress = "imports"
	Chunks   = "import_chunks"
	Errors   = "import_errors"
)

// ErrNotFound is returned for an import or chunk that is not stored.
var ErrNotFound = errors.New("imports: not found")

// Store keeps the imports of one database.
type Store struct {
	db *mongo.Database
}

var _ listimport.Sink = (*Store)(nil)

// New returns the imports kept in db. The caller owns db's client (one
// client per process) and disconnects it. listimport's types are stored
// by their JSON names, whatever the client's own BSON options.
func New(db *mongo.Database) *Store {
	return &Store{db: db.Client().Database(db.Name(),
		options.Database().SetBSONOptions(&options.BSONOptions{UseJSONStructTags: true}))}
}

// EnsureIndexes creates the collections, so that an embedded store can
// index them at start, and the index row errors are read by; safe to call
// on every start.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	have, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("imports: list collections: %w", err)
	}
	for _, name := range []string{Progress, Chunks, Errors} {
		if slices.Contains(have, name) {
			continue
		}
		if err := s.db.CreateCollection(ctx, name); err != nil {
			return fmt.Errorf("imports: create %s: %w", name, err)
		}
	}
	byRow := mongo.IndexModel{Keys: bson.D{{Key: "importId", Value: 1}, {Key: "row", Value: 1}}, Options: options.Index().SetName("import_row")}
	if _, err := s.db.Collection(Errors).Indexes().CreateOne(ctx, byRow); err != nil {
		return fmt.Errorf("imports: index on %s: %w", Errors, err)
	}
	return nil
}

type importDoc struct {
	ID       string              `bson:"_id"`
	Progress listimport.Progress `bson:",inline"`
}

type chunkDoc struct {
	ID       string           `bson:"_id"`
	ImportID string           `bson:"importId"`
	N        int              `bson:"n"`
	Rows     []listimport.Row `bson:"rows"`
}

func chunkID(importID string, n int) string { return importID + "/" + strconv.Itoa(n) }

// SaveImportChunk stores chunk n of an import's valid rows.
func (s *Store) SaveImportChunk(ctx context.Context, importID string, n int, rows []listimport.Row) error {
	_, err := s.db.Collection(Chunks).ReplaceOne(ctx, bson.D{{Key: "_id", Value: chunkID(importID, n)}},
		chunkDoc{ID: chunkID(importID, n), ImportID: importID, N: n, Rows: rows}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("imports: chunk: %w", err)
	}
	return nil
}

// ImportChunk returns chunk n of an import's valid rows.
func (s *Store) ImportChunk(ctx context.Context, importID string, n int) ([]listimport.Row, error) {
	var doc chunkDoc
	err := s.db.Collection(Chunks).FindOne(ctx, bson.D{{Key: "_id", Value: chunkID(importID, n)}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("imports: chunk: %w", err)
	}
	return doc.Rows, nil
}

// AddRowErrors stores rejected rows and the flags reading the file raised.
func (s *Store) AddRowErrors(ctx context.Context, errs []listimport.RowError) error {
	if len(errs) == 0 {
		return nil
	}
	docs := make([]any, len(errs))
	for i, e := range errs {
		docs[i] = e
	}
	if _, err := s.db.Collection(Errors).InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("imports: row errors: %w", err)
	}
	return nil
}

// flagDoc is a flag raised while opening a chunk, under an ID of its
// import, row and column, so that a retried chunk stores it once.
type flagDoc struct {
	ID       string              `bson:"_id"`
	RowError listimport.RowError `bson:",inline"`
}

// AddRowFlags stores flags raised while opening a chunk, within the
// import's MaxRowErrors row errors and flags. A flag stored before (the
// chunk is retried) is written again in place and does not count against
// the cap. Flags are rare, so they are written one by one.
func (s *Store) AddRowFlags(ctx context.Context, importID string, flags []listimport.RowError) error {
	if len(flags) == 0 {
		return nil
	}
	ids := make([]string, len(flags))
	for i, f := range flags {
		ids[i] = importID + "/" + strconv.Itoa(f.Row) + "/" + f.Field
	}
	coll := s.db.Collection(Errors)
	others, err := coll.CountDocuments(ctx, bson.D{{Key: "importId", Value: importID}, {Key: "_id", Value: bson.D{{Key: "$nin", Value: ids}}}})
	if err != nil {
		return fmt.Errorf("imports: flags: %w", err)
	}
	room := max(listimport.MaxRowErrors-int(others), 0)
	for i, f := range flags[:min(room, len(flags))] {
		f.ImportID = importID
		if _, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: ids[i]}}, flagDoc{ID: ids[i], RowError: f}, options.Replace().SetUpsert(true)); err != nil {
			return fmt.Errorf("imports: flags: %w", err)
		}
	}
	return nil
}

// RowErrors returns up to limit rejected rows and flags of an import, by
// row and column.
func (s *Store) RowErrors(ctx context.Context, importID string, limit int) ([]listimport.RowError, error) {
	cur, err := s.db.Collection(Errors).Find(ctx, bson.D{{Key: "importId", Value: importID}},
		options.Find().SetSort(bson.D{{Key: "row", Value: 1}, {Key: "field", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("imports: row errors: %w", err)
	}
	out := []listimport.RowError{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("imports: row errors: %w", err)
	}
	return out, nil
}

// SaveImportProgress writes an import's progress. The API writes it once
// when the file has been read; from then on only the import's workflow does.
func (s *Store) SaveImportProgress(ctx context.Context, p listimport.Progress) error {
	_, err := s.db.Collection(Progress).ReplaceOne(ctx, bson.D{{Key: "_id", Value: p.ID}}, importDoc{ID: p.ID, Progress: p}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("imports: progress: %w", err)
	}
	return nil
}

// Import returns an import's progress.
func (s *Store) Import(ctx context.Context, id string) (listimport.Progress, error) {
	var doc importDoc
	err := s.db.Collection(Progress).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return listimport.Progress{}, ErrNotFound
	}
	if err != nil {
		return listimport.Progress{}, fmt.Errorf("imports: progress: %w", err)
	}
	return doc.Progress, nil
}
