package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// DropFacts deletes every case's facts, as in a read model written before
// facts were kept.
func DropFacts(ctx context.Context, s *Store) error {
	_, err := s.db.Collection(CaseFacts).DeleteMany(ctx, bson.D{})
	return err
}
