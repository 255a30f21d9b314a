package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/household"
)

// WriteSummary writes the summary of c alone, as a projection does first
// (see ReplaceCase), to stage a repair racing it.
func (s *Store) WriteSummary(ctx context.Context, c household.Case) error {
	_, err := s.db.Collection(CaseSummaries).ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.ID}}, newSummary(c), options.Replace().SetUpsert(true))
	return err
}
