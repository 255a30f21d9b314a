package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/household"
)

// Access is one read of personal data, kept so that a household can be
// told who read its data, when and how (UU 27/2022).
type Access struct {
	Sub  string         `bson:"sub" json:"sub"`
	Role household.Role `bson:"role" json:"role"`
	// Route is the API route or console page that read the data.
	Route string `bson:"route" json:"route"`
	// CaseID is the case read in full (a case, its timeline); CaseIDs are
	// the cases a list page showed.
	CaseID  string   `bson:"caseId,omitempty" json:"caseId,omitempty"`
	CaseIDs []string `bson:"caseIds,omitempty" json:"-"`
	// Filter is a list's or report's query; Rows how many rows it gave.
	Filter string `bson:"filter,omitempty" json:"filter,omitempty"`
	Rows   int    `bson:"rows,omitempty" json:"rows,omitempty"`
	// Photo is the photo of the house a view showed.
	Photo string `bson:"photo,omitempty" json:"photo,omitempty"`
	// Workflow is the Temporal workflow whose payloads the codec server
	// opened, when its client named it.
	Workflow string    `bson:"workflow,omitempty" json:"workflow,omitempty"`
	At       time.Time `bson:"at" json:"at"`
}

// RecordAccess keeps one access.
func (s *Store) RecordAccess(ctx context.Context, a Access) error {
	if _, err := s.db.Collection(CaseReads).InsertOne(ctx, a); err != nil {
		return fmt.Errorf("store: record access: %w", err)
	}
	return nil
}

// Reads returns how many recorded full reads a case has.
func (s *Store) Reads(ctx context.Context, caseID string) (int64, error) {
	n, err := s.db.Collection(CaseReads).CountDocuments(ctx, bson.D{{Key: "caseId", Value: caseID}})
	if err != nil {
		return 0, fmt.Errorf("store: reads: %w", err)
	}
	return n, nil
}

// CaseAccesses returns, newest first, up to limit accesses that read the
// case: full reads and timelines, and list pages that showed it.
func (s *Store) CaseAccesses(ctx context.Context, caseID string, limit int) ([]Access, error) {
	q := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "caseId", Value: caseID}},
		bson.D{{Key: "caseIds", Value: caseID}},
	}}}
	cur, err := s.db.Collection(CaseReads).Find(ctx, q, options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("store: case accesses: %w", err)
	}
	var out []Access
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("store: case accesses: %w", err)
	}
	return out, nil
}
