package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/listimport"
)

// Import collections.
const (
	Imports      = "imports"
	ImportChunks = "import_chunks"
	ImportErrors = "import_errors"
)

var (
	_ activities.ImportStore = (*Store)(nil)
	_ listimport.Sink        = (*Store)(nil)
)

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
	_, err := s.db.Collection(ImportChunks).ReplaceOne(ctx, bson.D{{Key: "_id", Value: chunkID(importID, n)}},
		chunkDoc{ID: chunkID(importID, n), ImportID: importID, N: n, Rows: rows}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: import chunk: %w", err)
	}
	return nil
}

// ImportChunk returns chunk n of an import's valid rows.
func (s *Store) ImportChunk(ctx context.Context, importID string, n int) ([]listimport.Row, error) {
	var doc chunkDoc
	err := s.db.Collection(ImportChunks).FindOne(ctx, bson.D{{Key: "_id", Value: chunkID(importID, n)}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: import chunk: %w", err)
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
	if _, err := s.db.Collection(ImportErrors).InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("store: import errors: %w", err)
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
	coll := s.db.Collection(ImportErrors)
	others, err := coll.CountDocuments(ctx, bson.D{{Key: "importId", Value: importID}, {Key: "_id", Value: bson.D{{Key: "$nin", Value: ids}}}})
	if err != nil {
		return fmt.Errorf("store: import flags: %w", err)
	}
	room := max(listimport.MaxRowErrors-int(others), 0)
	for i, f := range flags[:min(room, len(flags))] {
		f.ImportID = importID
		if _, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: ids[i]}}, flagDoc{ID: ids[i], RowError: f}, options.Replace().SetUpsert(true)); err != nil {
			return fmt.Errorf("store: import flags: %w", err)
		}
	}
	return nil
}

// RowErrors returns up to limit rejected rows and flags of an import, by
// row and column.
func (s *Store) RowErrors(ctx context.Context, importID string, limit int) ([]listimport.RowError, error) {
	cur, err := s.db.Collection(ImportErrors).Find(ctx, bson.D{{Key: "importId", Value: importID}},
		options.Find().SetSort(bson.D{{Key: "row", Value: 1}, {Key: "field", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("store: import errors: %w", err)
	}
	out := []listimport.RowError{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("store: import errors: %w", err)
	}
	return out, nil
}

// SaveImportProgress writes an import's progress. The API writes it once
// when the file has been read; from then on only the import's workflow does.
func (s *Store) SaveImportProgress(ctx context.Context, p listimport.Progress) error {
	_, err := s.db.Collection(Imports).ReplaceOne(ctx, bson.D{{Key: "_id", Value: p.ID}}, importDoc{ID: p.ID, Progress: p}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: import progress: %w", err)
	}
	return nil
}

// Import returns an import's progress.
func (s *Store) Import(ctx context.Context, id string) (listimport.Progress, error) {
	var doc importDoc
	err := s.db.Collection(Imports).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return listimport.Progress{}, ErrNotFound
	}
	if err != nil {
		return listimport.Progress{}, fmt.Errorf("store: import: %w", err)
	}
	return doc.Progress, nil
}
