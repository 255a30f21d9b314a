// Package publications owns which villages' lists are posted for
// objection (sanggah): one document per village, in MongoDB beside the
// read model, naming when the list was posted, until which day objections
// are taken, and who posted it. It is write-side state (no workflow holds
// it), kept by the service when a village officer or a supervisor posts a
// list; posting again replaces the period.
package publications

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

// Collection holds the publications.
const Collection = "list_publications"

// Publication is a village's list posted for objection.
type Publication struct {
	Village string    `bson:"_id" json:"village"`
	From    time.Time `bson:"from" json:"from"`
	// Until is the last day (YYYY-MM-DD, on the village's clock) on which
	// objections are recorded.
	Until string `bson:"until" json:"until"`
	By    string `bson:"by" json:"by"`
	Role  string `bson:"role" json:"role"`
}

// Open reports whether objections are taken on day (YYYY-MM-DD, on the
// village's clock): from the day the list was posted to Until.
func (p Publication) Open(day string, zone *time.Location) bool {
	return p.Village != "" && day >= p.From.In(zone).Format(time.DateOnly) && day <= p.Until
}

// Store keeps the publications in one database.
type Store struct {
	coll *mongo.Collection
}

// New returns the publications of db. The caller owns db's client (one
// client per process) and disconnects it.
func New(db *mongo.Database) *Store { return &Store{coll: db.Collection(Collection)} }

// EnsureCollection creates the collection if it is missing, so that an
// embedded store can index it at start; safe to call on every start.
func (s *Store) EnsureCollection(ctx context.Context) error {
	db := s.coll.Database()
	have, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("publications: list collections: %w", err)
	}
	if slices.Contains(have, Collection) {
		return nil
	}
	if err := db.CreateCollection(ctx, Collection); err != nil {
		return fmt.Errorf("publications: create %s: %w", Collection, err)
	}
	return nil
}

// Publish posts p's village list, replacing any period it had.
func (s *Store) Publish(ctx context.Context, p Publication) error {
	p.From = p.From.UTC()
	if _, err := s.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: p.Village}}, p, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("publications: publish %s: %w", p.Village, err)
	}
	return nil
}

// Publication is village's publication; ok is false when its list was
// never posted.
func (s *Store) Publication(ctx context.Context, village string) (Publication, bool, error) {
	var p Publication
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: village}}).Decode(&p)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Publication{}, false, nil
	}
	if err != nil {
		return Publication{}, false, fmt.Errorf("publications: read %s: %w", village, err)
	}
	return p, true, nil
}
