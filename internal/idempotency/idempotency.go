// Package idempotency keeps the answers to requests by their key, in
// MongoDB, so that a request sent again (a phone retrying on a bad link,
// a second API process) is answered as the first one was, once, whichever
// process it reaches. It is write-side truth of the API, not read model:
// nothing rebuilds it. The HTTP side (the Idempotency-Key header, what is
// kept of an answer) is the API's.
package idempotency

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

// Collection is the collection of answered requests by key.
const Collection = "idempotency"

// Response is a request's answer as kept for its retries.
type Response struct {
	// RequestHash identifies the request's body, so that a key reused for
	// another request is refused rather than answered with the wrong reply.
	RequestHash string `bson:"requestHash"`
	Status      int    `bson:"status"`
	ContentType string `bson:"contentType,omitempty"`
	Body        []byte `bson:"body,omitempty"`
	// Done is false while the first request is still being answered.
	Done bool      `bson:"done"`
	At   time.Time `bson:"at"`
}

// ErrInProgress is returned by BeginRequest while another request with the
// same key is being answered.
var ErrInProgress = errors.New("idempotency: a request with this key is in progress")

// Store keeps the answers in one database.
type Store struct {
	coll *mongo.Collection
}

// New returns the answers kept in db. The caller owns db's client (one
// client per process) and disconnects it.
func New(db *mongo.Database) *Store {
	return &Store{coll: db.Collection(Collection)}
}

// EnsureCollection creates the collection if it is missing, so that an
// embedded store can index it at start; safe to call on every start.
func (s *Store) EnsureCollection(ctx context.Context) error {
	db := s.coll.Database()
	have, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("idempotency: list collections: %w", err)
	}
	if slices.Contains(have, Collection) {
		return nil
	}
	if err := db.CreateCollection(ctx, Collection); err != nil {
		return fmt.Errorf("idempotency: create %s: %w", Collection, err)
	}
	return nil
}

// BeginRequest claims key for a request (its body's hash is kept when it is
// answered, by FinishRequest). It returns the kept answer when the key was
// answered before (the caller replays it), nil when the caller now owns the
// key, or ErrInProgress. A claim older than stale is taken over: its
// request died unanswered.
func (s *Store) BeginRequest(ctx context.Context, key string, now time.Time, stale time.Duration) (*Response, error) {
	claim := Response{At: now}
	_, err := s.coll.InsertOne(ctx, struct {
		ID       string `bson:"_id"`
		Response `bson:",inline"`
	}{key, claim})
	if err == nil {
		return nil, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return nil, fmt.Errorf("idempotency: begin request: %w", err)
	}
	var kept Response
	if err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&kept); err != nil {
		return nil, fmt.Errorf("idempotency: begin request: %w", err)
	}
	switch {
	case kept.Done:
		return &kept, nil
	case now.Sub(kept.At) < stale:
		return nil, ErrInProgress
	}
	if _, err := s.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: key}}, claim); err != nil {
		return nil, fmt.Errorf("idempotency: take over request: %w", err)
	}
	return nil, nil
}

// FinishRequest keeps the answer to key for its retries.
func (s *Store) FinishRequest(ctx context.Context, key string, r Response) error {
	r.Done = true
	if _, err := s.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: key}}, r, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("idempotency: finish request: %w", err)
	}
	return nil
}

// AbandonRequest releases key unanswered (the request failed in a way a
// retry may fix), so that a retry runs afresh.
func (s *Store) AbandonRequest(ctx context.Context, key string) error {
	if _, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}}); err != nil {
		return fmt.Errorf("idempotency: abandon request: %w", err)
	}
	return nil
}
