package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/tuntas-id/tuntas/activities"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// PersonClaims holds which open case holds each person, by pseudonym.
const PersonClaims = "person_claims"

// Claim is a person held by an open case (the pseudonym of the NIK, never
// the NIK, as its _id).
type Claim = activities.Claim

var _ activities.ClaimStore = (*Store)(nil)

// ClaimPerson claims c.Person for c.CaseID unless another case holds it,
// and returns the holder: c itself, or the case that claimed first. The
// unique _id makes the first insert win, on MongoDB and FerretDB alike,
// however many cases claim at once.
func (s *Store) ClaimPerson(ctx context.Context, c Claim) (Claim, error) {
	coll := s.db.Collection(PersonClaims)
	_, err := coll.InsertOne(ctx, c)
	if err == nil {
		return c, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return Claim{}, fmt.Errorf("store: claim person: %w", err)
	}
	var holder Claim
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: c.Person}}).Decode(&holder); err != nil {
		return Claim{}, fmt.Errorf("store: claim person: %w", err)
	}
	return holder, nil
}

// AssignPerson makes c the holder of c.Person whoever held it (a
// supervisor's resolution of a real split).
func (s *Store) AssignPerson(ctx context.Context, c Claim) error {
	if _, err := s.db.Collection(PersonClaims).ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.Person}}, c, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: assign person: %w", err)
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
	coll := s.db.Collection(PersonClaims)
	for _, p := range persons {
		byID := bson.D{{Key: "_id", Value: p}}
		var holder Claim
		err := coll.FindOne(ctx, byID).Decode(&holder)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store: release person: %w", err)
		}
		if holder.CaseID != caseID {
			continue
		}
		var deleted Claim
		err = coll.FindOneAndDelete(ctx, byID).Decode(&deleted)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store: release person: %w", err)
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
		if _, err = s.db.Collection(PersonClaims).InsertOne(ctx, c); err == nil || mongo.IsDuplicateKeyError(err) {
			return nil
		}
	}
	return fmt.Errorf("store: release person: restore %s's claim: %w", c.CaseID, err)
}
