package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Idempotency is the collection of answered requests by Idempotency-Key.
const Idempotency = "idempotency"

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
var ErrInProgress = errors.New("store: a request with this key is in progress")

// BeginRequest claims key for a request (its body's hash is kept when it is
// answered, by FinishRequest). It returns the kept answer when the key was answered before (the caller
// replays it), nil when the caller now owns the key, or ErrInProgress. A
// claim older than stale is taken over: its request died unanswered.
func (s *Store) BeginRequest(ctx context.Context, key string, now time.Time, stale time.Duration) (*Response, error) {
	coll := s.db.Collection(Idempotency)
	claim := Response{At: now}
	_, err := coll.InsertOne(ctx, struct {
		ID       string `bson:"_id"`
		Response `bson:",inline"`
	}{key, claim})
	if err == nil {
		return nil, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return nil, fmt.Errorf("store: begin request: %w", err)
	}
	var kept Response
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&kept); err != nil {
		return nil, fmt.Errorf("store: begin request: %w", err)
	}
	switch {
	case kept.Done:
		return &kept, nil
	case now.Sub(kept.At) < stale:
		return nil, ErrInProgress
	}
	if _, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: key}}, claim); err != nil {
		return nil, fmt.Errorf("store: take over request: %w", err)
	}
	return nil, nil
}

// FinishRequest keeps the answer to key for its retries.
func (s *Store) FinishRequest(ctx context.Context, key string, r Response) error {
	r.Done = true
	if _, err := s.db.Collection(Idempotency).ReplaceOne(ctx, bson.D{{Key: "_id", Value: key}}, r, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: finish request: %w", err)
	}
	return nil
}

// AbandonRequest releases key unanswered (the request failed in a way a
// retry may fix), so that a retry runs afresh.
func (s *Store) AbandonRequest(ctx context.Context, key string) error {
	if _, err := s.db.Collection(Idempotency).DeleteOne(ctx, bson.D{{Key: "_id", Value: key}}); err != nil {
		return fmt.Errorf("store: abandon request: %w", err)
	}
	return nil
}
