// Package photos owns the photos of houses taken with a survey or a visit:
// one document per photo and case in MongoDB, keyed by the case and the
// SHA-256 of the photo's bytes, beside the read model on the same client.
// A photo is at most 200 KB (household.MaxPhotoBytes), so it fits one
// document with room to spare; reading it is one lookup by _id, which is
// fast on MongoDB and, through the dev stack's SQLite _id index, on
// FerretDB (GridFS would read its chunks by files_id, a filter FerretDB
// answers by scanning every chunk of every photo).
package photos

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection holds the photos.
const Collection = "photos"

// ErrNotFound is returned for a photo the case does not hold.
var ErrNotFound = errors.New("photos: not found")

// Photo is one stored photo of a case's house.
type Photo struct {
	// CaseID and ID (the hex SHA-256 of Bytes) name it.
	CaseID string `bson:"caseId"`
	ID     string `bson:"sha256"`
	// Bytes is the JPEG, without metadata (household.ParsePhoto).
	Bytes  []byte `bson:"bytes"`
	Width  int    `bson:"width"`
	Height int    `bson:"height"`
	// By is the person who uploaded it first, At when.
	By string    `bson:"by"`
	At time.Time `bson:"at"`
}

// doc is a Photo as stored, under its key.
type doc struct {
	Key   string `bson:"_id"`
	Photo `bson:",inline"`
}

// key is a photo's _id: the same bytes uploaded for two cases are two
// photos, each read under its own case's rules.
func key(caseID, id string) string { return caseID + "/" + id }

// Store keeps the photos in one database.
type Store struct {
	coll *mongo.Collection
}

// New returns the photos of db. The caller owns db's client (one client per
// process) and disconnects it.
func New(db *mongo.Database) *Store {
	return &Store{coll: db.Collection(Collection)}
}

// EnsureCollection creates the collection if it is missing, so that an
// embedded store can index it at start; safe to call on every start.
func (s *Store) EnsureCollection(ctx context.Context) error {
	db := s.coll.Database()
	have, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("photos: list collections: %w", err)
	}
	if slices.Contains(have, Collection) {
		return nil
	}
	if err := db.CreateCollection(ctx, Collection); err != nil {
		return fmt.Errorf("photos: create %s: %w", Collection, err)
	}
	return nil
}

// Put stores p for its case unless the case already holds it, and reports
// whether it was new. Keyed by content, a photo sent again (a retry, the
// same form sent twice) is stored once and keeps its first uploader. The
// write is an insert: a second insert of the key is refused by the unique
// _id on MongoDB and FerretDB alike, and whatever error it surfaces as,
// the photo being there afterwards is success.
func (s *Store) Put(ctx context.Context, p Photo) (bool, error) {
	_, err := s.coll.InsertOne(ctx, doc{Key: key(p.CaseID, p.ID), Photo: p})
	if err == nil {
		return true, nil
	}
	if has, herr := s.Has(ctx, p.CaseID, p.ID); herr == nil && has {
		return false, nil
	}
	return false, fmt.Errorf("photos: put: %w", err)
}

// Has reports whether the case holds the photo, without reading its bytes.
func (s *Store) Has(ctx context.Context, caseID, id string) (bool, error) {
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key(caseID, id)}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	}
	return false, fmt.Errorf("photos: has: %w", err)
}

// Get returns the case's photo, or ErrNotFound.
func (s *Store) Get(ctx context.Context, caseID, id string) (Photo, error) {
	var d doc
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key(caseID, id)}}).Decode(&d)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return Photo{}, ErrNotFound
	case err != nil:
		return Photo{}, fmt.Errorf("photos: get: %w", err)
	}
	return d.Photo, nil
}
