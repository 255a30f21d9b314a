package store

import (
	"context"
	"time"

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

// InsertCases writes summaries and facts as the projection would have
// (without the feed), in one batch each: for seeding a benchmark.
func InsertCases(ctx context.Context, s *Store, sums []Summary, facts []household.Facts) error {
	docs := make([]any, len(sums))
	for i, sum := range sums {
		docs[i] = sum
	}
	if _, err := s.db.Collection(CaseSummaries).InsertMany(ctx, docs); err != nil {
		return err
	}
	return InsertFacts(ctx, s, facts)
}

// WriteSnapshot has x write its snapshot now, whatever the age of the
// newest.
func WriteSnapshot(ctx context.Context, x *Index) error {
	if err := x.waitFacts(ctx); err != nil {
		return err
	}
	return x.snapshot(ctx, time.Now().Add(snapshotEvery))
}

// DropSnapshots removes every snapshot.
func DropSnapshots(ctx context.Context, s *Store) error {
	heads, err := s.snapshotHeads(ctx)
	if err != nil {
		return err
	}
	for _, h := range heads {
		if err := s.removeSnapshot(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// CountOf is Store.countOf.
func CountOf(ctx context.Context, s *Store, collection string) (int64, error) {
	return s.countOf(ctx, collection)
}
