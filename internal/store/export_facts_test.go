package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// DropFacts deletes every case's facts, as in a read model written before
// facts were kept.
func DropFacts(ctx context.Context, s *Store) error {
	_, err := s.db.Collection(CaseFacts).DeleteMany(ctx, bson.D{})
	return err
}

// InsertFacts writes facts as the projection would have, in one batch per
// call: for seeding a benchmark without projecting every case.
func InsertFacts(ctx context.Context, s *Store, facts []household.Facts) error {
	docs := make([]any, len(facts))
	for i, f := range facts {
		marks := make(map[string]household.Mark, len(f.Marks))
		for _, m := range f.Marks {
			marks[markKey(m.Seq)] = m
		}
		regions := []string{}
		for code := f.VillageCode; code != ""; code = region.ParentCode(code) {
			regions = append([]string{code}, regions...)
		}
		c := f
		c.Marks = nil
		docs[i] = factsDoc{ID: f.ID, Regions: regions, Case: c, Marks: marks}
	}
	_, err := s.db.Collection(CaseFacts).InsertMany(ctx, docs)
	return err
}
