package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/report"
)

// ProgressPoints holds the monthly snapshots of each region's counts (see
// report.Point), one document per region and month: taking a month again
// replaces it, so a snapshot repeated after a restart adds nothing.
const ProgressPoints = "progress"

type pointDoc struct {
	ID           string `bson:"_id"`
	report.Point `bson:",inline"`
}

// SaveProgress writes points, each replacing the stored point of its
// region and month.
func (s *Store) SaveProgress(ctx context.Context, points []report.Point) error {
	for _, p := range points {
		_, err := s.db.Collection(ProgressPoints).ReplaceOne(ctx, bson.D{{Key: "_id", Value: p.ID()}}, pointDoc{ID: p.ID(), Point: p},
			options.Replace().SetUpsert(true))
		if err != nil {
			return fmt.Errorf("store: save progress %s: %w", p.ID(), err)
		}
	}
	return nil
}

// ProgressOf returns the points of the regions named, oldest month first,
// then by region. The collection holds a document per region and month,
// a few thousand at most: one read of it all is cheaper on FerretDB than
// a filter it would evaluate by decoding each document anyway.
func (s *Store) ProgressOf(ctx context.Context, regions []string) ([]report.Point, error) {
	cur, err := s.db.Collection(ProgressPoints).Find(ctx, bson.D{{Key: "region", Value: bson.D{{Key: "$in", Value: regions}}}})
	if err != nil {
		return nil, fmt.Errorf("store: progress: %w", err)
	}
	var docs []pointDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("store: progress: %w", err)
	}
	out := make([]report.Point, len(docs))
	for i, d := range docs {
		out[i] = d.Point
	}
	slices.SortFunc(out, func(a, b report.Point) int {
		if c := strings.Compare(a.Month, b.Month); c != 0 {
			return c
		}
		return strings.Compare(a.Region, b.Region)
	})
	return out, nil
}
