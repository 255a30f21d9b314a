package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/household"
)

// Collections of the living list: one document per village proposal and
// per objection, each written only by its own workflow, in order,
// idempotent by version (as a case's snapshot is). A regency receives a
// few hundred of each a year, so their lists filter by region without an
// index of their own: FerretDB reads the collection, a few hundred small
// documents, as MongoDB would with the regions index.
const (
	Proposals  = "proposals"
	Objections = "objections"
)

// proposalDoc is a proposal as stored, with what its lists filter by.
type proposalDoc struct {
	ID       string             `bson:"_id"`
	Regions  []string           `bson:"regions"`
	Status   string             `bson:"status"`
	Version  int64              `bson:"version"`
	Proposal household.Proposal `bson:"proposal"`
}

// objectionDoc is an objection as stored, with what its lists filter by.
type objectionDoc struct {
	ID        string              `bson:"_id"`
	Regions   []string            `bson:"regions"`
	Status    string              `bson:"status"`
	CaseID    string              `bson:"caseId"`
	Version   int64               `bson:"version"`
	Objection household.Objection `bson:"objection"`
}

// ListFilter selects proposals or objections: within Scope (a region code
// at any level), of one Status and, for objections, of one case; a zero
// field selects all. Limit bounds the answer (0: MaxListItems; AllItems:
// none, for a report's count).
type ListFilter struct {
	Scope  string
	Status string
	CaseID string
	Limit  int
}

// MaxListItems bounds one answer of Proposals or Objections that a
// person reads.
const MaxListItems = 500

// AllItems is the Limit of a list every item of which is counted.
const AllItems = -1

// saveVersioned replaces the document id of coll with doc unless the
// stored one has a higher version; a retried write of the same version
// writes it again (the retried workflow task decided it anew).
func (s *Store) saveVersioned(ctx context.Context, coll, id string, version int64, doc any) error {
	var stored struct {
		Version int64 `bson:"version"`
	}
	byID := bson.D{{Key: "_id", Value: id}}
	err := s.db.Collection(coll).FindOne(ctx, byID, options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&stored)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
	case err != nil:
		return fmt.Errorf("store: save %s %s: %w", coll, id, err)
	case stored.Version > version:
		return nil
	}
	if _, err := s.db.Collection(coll).ReplaceOne(ctx, byID, doc, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: save %s %s: %w", coll, id, err)
	}
	return nil
}

// SaveProposal writes p unless a later version of it is stored.
func (s *Store) SaveProposal(ctx context.Context, p household.Proposal) error {
	return s.saveVersioned(ctx, Proposals, p.ID, p.Version, proposalDoc{ID: p.ID, Regions: regionPath(p.VillageCode),
		Status: string(p.Status), Version: p.Version, Proposal: p})
}

// SaveObjection writes o unless a later version of it is stored.
func (s *Store) SaveObjection(ctx context.Context, o household.Objection) error {
	return s.saveVersioned(ctx, Objections, o.ID, o.Version, objectionDoc{ID: o.ID, Regions: regionPath(o.VillageCode),
		Status: string(o.Status), CaseID: o.CaseID, Version: o.Version, Objection: o})
}

// Proposal reads one proposal; ErrNotFound when there is none.
func (s *Store) Proposal(ctx context.Context, id string) (household.Proposal, error) {
	var d proposalDoc
	if err := s.findOne(ctx, Proposals, id, &d); err != nil {
		return household.Proposal{}, err
	}
	return d.Proposal, nil
}

// Objection reads one objection; ErrNotFound when there is none.
func (s *Store) Objection(ctx context.Context, id string) (household.Objection, error) {
	var d objectionDoc
	if err := s.findOne(ctx, Objections, id, &d); err != nil {
		return household.Objection{}, err
	}
	return d.Objection, nil
}

func (s *Store) findOne(ctx context.Context, coll, id string, out any) error {
	err := s.db.Collection(coll).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(out)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: read %s %s: %w", coll, id, err)
	}
	return nil
}

// Proposals lists the proposals f selects, newest first.
func (s *Store) Proposals(ctx context.Context, f ListFilter) ([]household.Proposal, error) {
	var docs []proposalDoc
	if err := s.findList(ctx, Proposals, f, "proposal.proposedAt", &docs); err != nil {
		return nil, err
	}
	out := make([]household.Proposal, len(docs))
	for i, d := range docs {
		out[i] = d.Proposal
	}
	return out, nil
}

// Objections lists the objections f selects, newest first.
func (s *Store) Objections(ctx context.Context, f ListFilter) ([]household.Objection, error) {
	var docs []objectionDoc
	if err := s.findList(ctx, Objections, f, "objection.recordedAt", &docs); err != nil {
		return nil, err
	}
	out := make([]household.Objection, len(docs))
	for i, d := range docs {
		out[i] = d.Objection
	}
	return out, nil
}

func (s *Store) findList(ctx context.Context, coll string, f ListFilter, newest string, out any) error {
	q := bson.D{}
	if f.Scope != "" {
		q = append(q, bson.E{Key: "regions", Value: f.Scope})
	}
	if f.Status != "" {
		q = append(q, bson.E{Key: "status", Value: f.Status})
	}
	if f.CaseID != "" {
		q = append(q, bson.E{Key: "caseId", Value: f.CaseID})
	}
	opts := options.Find().SetSort(bson.D{{Key: newest, Value: -1}, {Key: "_id", Value: 1}})
	switch {
	case f.Limit == AllItems:
	case f.Limit <= 0 || f.Limit > MaxListItems:
		opts.SetLimit(MaxListItems)
	default:
		opts.SetLimit(int64(f.Limit))
	}
	cur, err := s.db.Collection(coll).Find(ctx, q, opts)
	if err != nil {
		return fmt.Errorf("store: list %s: %w", coll, err)
	}
	if err := cur.All(ctx, out); err != nil {
		return fmt.Errorf("store: list %s: %w", coll, err)
	}
	return nil
}
