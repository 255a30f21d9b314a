package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tuntas-id/tuntas/internal/household"
)

// Sessions is the collection of the console's sign-in sessions, so that
// every API process knows a session and signing out ends it in all of them.
// FerretDB has no TTL indexes: a session carries its expiry, a read past it
// finds nothing, and PruneSessions deletes the expired ones.
const Sessions = "sessions"

// Session is a person signed in to the console: who their token said they
// were when they signed in, and until when.
type Session struct {
	// Key is a hash of the session ID; the ID itself is only in the
	// person's cookie, so a copy of this collection opens no session.
	Key     string         `bson:"_id"`
	Sub     string         `bson:"sub"`
	Role    household.Role `bson:"role"`
	Region  string         `bson:"region"`
	Agency  string         `bson:"agency,omitempty"`
	Expires time.Time      `bson:"expires"`
	// IDToken is, for a person signed in at an OpenID provider, their ID
	// token sealed under a key derived from the session ID (which only
	// the cookie holds): the sign-out hands it back to the provider, and a
	// copy of this collection cannot read it.
	IDToken []byte `bson:"idToken,omitempty"`
}

// CreateSession stores s.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	sess.Expires = sess.Expires.UTC()
	if _, err := s.db.Collection(Sessions).InsertOne(ctx, sess); err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// Session returns the session under key; ErrNotFound when there is none or
// it expired by now.
func (s *Store) Session(ctx context.Context, key string, now time.Time) (Session, error) {
	var sess Session
	err := s.db.Collection(Sessions).FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&sess)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	if !now.Before(sess.Expires) {
		return Session{}, ErrNotFound
	}
	return sess, nil
}

// DeleteSession ends the session under key; ending one that is gone
// already is no error.
func (s *Store) DeleteSession(ctx context.Context, key string) error {
	if _, err := s.db.Collection(Sessions).DeleteOne(ctx, bson.D{{Key: "_id", Value: key}}); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// PruneSessions deletes the sessions expired by now and returns how many.
// Sessions live at most a working day, so the collection stays small and
// one pass now and then keeps it so.
func (s *Store) PruneSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.Collection(Sessions).DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}})
	if err != nil {
		return 0, fmt.Errorf("store: prune sessions: %w", err)
	}
	return res.DeletedCount, nil
}
