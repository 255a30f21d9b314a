// Package claims owns which open case holds each person: one claim per
// person, keyed by the pseudonym of their NIK (never the NIK), kept in
// MongoDB. It is write-side truth, kept by the case workflows through their
// activities and never rebuilt from the read model: the first claim of a
// person wins however many cases race for them, because the unique _id
// decides, on MongoDB and FerretDB alike.
package claims

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

// Collection holds which open case holds each person, by pseudonym.
const Collection = "person_claims"

// Claim is a person held by an open case. Person is the pseudonym of the
// NIK, never the NIK.
type Claim struct {
	Person  string    `bson:"_id"`
	CaseID  string    `bson:"caseId"`
	KK      string    `bson:"kk"`
	Village string    `bson:"village"`
	At      time.Time `bson:"at"`
}

// Store keeps the claims in one database.
type Store struct {
	coll *mongo.Collection
}

// New returns the claims of db. The caller owns db's client (one client per
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
		return fmt.Errorf("claims: list collections: %w", err)
	}
	if slices.Contains(have, Collection) {
		return nil
	}
	if err := db.CreateCollection(ctx, Collection); err != nil {
		return fmt.Errorf("claims: create %s: %w", Collection, err)
	}
	return nil
}

// ClaimPerson claims c.Person for c.CaseID unless another case holds it,
// and returns the holder: c itself, or the case that claimed first. The
// unique _id makes the first insert win, on MongoDB and FerretDB alike,
// however many cases claim at once.
func (s *Store) ClaimPerson(ctx context.Context, c Claim) (Claim, error) {
	_, err := s.coll.InsertOne(ctx, c)
	if err == nil {
		return c, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return Claim{}, fmt.Errorf("claims: claim person: %w", err)
	}
	var holder Claim
	if err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: c.Person}}).Decode(&holder); err != nil {
		return Claim{}, fmt.Errorf("claims: claim person: %w", err)
	}
	return holder, nil
}

// AssignPerson makes c the holder of c.Person whoever held it (a
// supervisor's resolution of a real split).
func (s *Store) AssignPerson(ctx context.Context, c Claim) error {
	if _, err := s.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.Person}}, c, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("claims: assign person: %w", err)
	}
	return nil
}

// ReleasePeople lets go of the people caseID holds among persons; people
// held by other cases are left to them.
//
// Every operation filters by _id alone: FerretDB v1.24 serves no other
// filter from an index, and a delete filtered by _id and caseId decoded
// every claim of the province for each person released (a fifth of the
// bench's CPU at 1,000 households, and growing with the square of the
// count). A claim that moved to another case between the read and the
// delete (a supervisor's assignment) comes back from the delete and is put
// back.
func (s *Store) ReleasePeople(ctx context.Context, caseID string, persons []string) error {
	for _, p := range persons {
		byID := bson.D{{Key: "_id", Value: p}}
		var holder Claim
		err := s.coll.FindOne(ctx, byID).Decode(&holder)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return fmt.Errorf("claims: release person: %w", err)
		}
		if holder.CaseID != caseID {
			continue
		}
		var deleted Claim
		err = s.coll.FindOneAndDelete(ctx, byID).Decode(&deleted)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return fmt.Errorf("claims: release person: %w", err)
		}
		if deleted.CaseID == caseID {
			continue
		}
		// Not ours any more: restore it, unless a newer claim took its
		// place, even when ctx ends (a retry of this release would not find
		// it to restore).
		if err := s.restoreClaim(context.WithoutCancel(ctx), deleted); err != nil {
			return err
		}
	}
	return nil
}

// restoreClaim puts back a claim a release took by mistake, trying a few
// times: only a crash between the delete and here loses it.
func (s *Store) restoreClaim(ctx context.Context, c Claim) error {
	var err error
	for range 3 {
		if _, err = s.coll.InsertOne(ctx, c); err == nil || mongo.IsDuplicateKeyError(err) {
			return nil
		}
	}
	return fmt.Errorf("claims: release person: restore %s's claim: %w", c.CaseID, err)
}

// MovePeople sets the village of the people caseID holds among persons to
// village: the case moved there (a transfer), and a case that meets one
// of them later names it by where it now lies. A claim another case holds
// is left as it is.
//
// Each person is one update by _id (see ReleasePeople): the village is
// set, and the claim as it was is returned; a claim that turns out to be
// another case's (a supervisor gave the person to it before this move)
// gets its own village back.
func (s *Store) MovePeople(ctx context.Context, caseID, village string, persons []string) error {
	for _, p := range persons {
		byID := bson.D{{Key: "_id", Value: p}}
		var before Claim
		err := s.coll.FindOneAndUpdate(ctx, byID, bson.D{{Key: "$set", Value: bson.D{{Key: "village", Value: village}}}}).Decode(&before)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return fmt.Errorf("claims: move person: %w", err)
		}
		if before.CaseID == caseID || before.Village == village {
			continue
		}
		if _, err := s.coll.UpdateOne(context.WithoutCancel(ctx), byID, bson.D{{Key: "$set", Value: bson.D{{Key: "village", Value: before.Village}}}}); err != nil {
			return fmt.Errorf("claims: move person: restore %s's village: %w", before.CaseID, err)
		}
	}
	return nil
}

// Holder is the claim on person, if an open case holds them; it claims
// nothing (a village proposal asks before any case exists).
func (s *Store) Holder(ctx context.Context, person string) (Claim, bool, error) {
	var c Claim
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: person}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Claim{}, false, nil
	}
	if err != nil {
		return Claim{}, false, fmt.Errorf("claims: holder: %w", err)
	}
	return c, true, nil
}
