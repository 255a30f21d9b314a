package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/household"
)

// CaseFacts holds a document per case with what reports count
// (household.Facts): the household's people without names, the
// interventions' programs, and the timeline's marks. A report as at a past
// date reads it alone, never the snapshots or the whole timeline.
const CaseFacts = "case_facts"

// factsDoc is a case's facts as stored: the case's part is set by the
// snapshot's write, each mark by the event's, so neither reads the
// document first and a retried write sets the same fields again.
type factsDoc struct {
	ID      string                    `bson:"_id"`
	Regions []string                  `bson:"regions"`
	Case    household.Facts           `bson:"case"`
	Marks   map[string]household.Mark `bson:"marks"`
}

// markKey is the field of the mark of seq: a name, not a number, so that
// a dotted $set path names a field of a document on every server.
func markKey(seq int64) string { return fmt.Sprintf("s%08d", seq) }

// setFactsOfCase writes the case's part of its facts, and the marks of
// events of the same case in the same write (a projection's own events:
// one update of the document, not one for the marks and one for the case).
func (s *Store) setFactsOfCase(ctx context.Context, c household.Case, regions []string, events []household.Event) error {
	set := bson.D{{Key: "regions", Value: regions}, {Key: "case", Value: household.FactsOf(c)}}
	for _, e := range events {
		set = append(set, bson.E{Key: "marks." + markKey(e.Seq), Value: household.MarkOf(e)})
	}
	_, err := s.db.Collection(CaseFacts).UpdateOne(ctx, bson.D{{Key: "_id", Value: c.ID}},
		bson.D{{Key: "$set", Value: set}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store: facts of case %s: %w", c.ID, err)
	}
	return nil
}

// setMarks writes the marks of events, one update per case.
func (s *Store) setMarks(ctx context.Context, events []household.Event) error {
	byCase := map[string]bson.D{}
	var order []string
	for _, e := range events {
		if _, ok := byCase[e.CaseID]; !ok {
			order = append(order, e.CaseID)
		}
		byCase[e.CaseID] = append(byCase[e.CaseID], bson.E{Key: "marks." + markKey(e.Seq), Value: household.MarkOf(e)})
	}
	for _, id := range order {
		_, err := s.db.Collection(CaseFacts).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$set", Value: byCase[id]}}, options.UpdateOne().SetUpsert(true))
		if err != nil {
			return fmt.Errorf("store: marks of case %s: %w", id, err)
		}
	}
	return nil
}

// factsBatch is how many facts documents one reply of Facts holds.
const factsBatch = 300

// Facts returns the facts of every case within scope (a region code at
// any level; "" for every case), ordered by case ID. A document whose case part was never
// written (its events landed, its snapshot not yet) is left out, as the
// case is from lists.
func (s *Store) Facts(ctx context.Context, scope string) ([]household.Facts, error) {
	filter := bson.D{{Key: "regions", Value: scope}}
	if scope == "" {
		filter = bson.D{} // every case (the index's first read)
	}
	// Batches of factsBatch: each getMore is an operation of its own under
	// opTimeout, and FerretDB decodes a facts document in 0.5–1 ms of CPU,
	// many times that on a machine whose cores are shared (the driver's
	// default batch, up to 16 MB, and one of 1,000 outlasted opTimeout at a
	// load average of 20).
	cur, err := s.db.Collection(CaseFacts).Find(ctx, filter, options.Find().SetBatchSize(factsBatch))
	if err != nil {
		return nil, fmt.Errorf("store: facts: %w", err)
	}
	defer cur.Close(ctx)
	var out []household.Facts
	for cur.Next(ctx) {
		var d factsDoc
		if err := cur.Decode(&d); err != nil {
			return nil, fmt.Errorf("store: facts: %w", err)
		}
		if d.Case.ID == "" {
			continue
		}
		out = append(out, d.facts())
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("store: facts: %w", err)
	}
	slices.SortFunc(out, func(a, b household.Facts) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// RebuildFacts writes the facts of every case from the snapshots and the
// timeline: for a read model written before facts were kept, or to repair
// one. It reads every case and every event once; safe to run again.
func (s *Store) RebuildFacts(ctx context.Context) (int, error) {
	cur, err := s.db.Collection(Cases).Find(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("store: rebuild facts: %w", err)
	}
	n := 0
	for cur.Next(ctx) {
		var d caseDoc
		if err := cur.Decode(&d); err != nil {
			_ = cur.Close(ctx)
			return n, fmt.Errorf("store: rebuild facts: %w", err)
		}
		if err := s.setFactsOfCase(ctx, d.Case, newSummary(d.Case).Regions, nil); err != nil {
			_ = cur.Close(ctx)
			return n, err
		}
		n++
	}
	err = cur.Err()
	_ = cur.Close(ctx)
	if err != nil {
		return n, fmt.Errorf("store: rebuild facts: %w", err)
	}
	ev, err := s.db.Collection(CaseEvents).Find(ctx, bson.D{})
	if err != nil {
		return n, fmt.Errorf("store: rebuild facts: %w", err)
	}
	defer ev.Close(ctx)
	var batch []household.Event
	for ev.Next(ctx) {
		var d eventDoc
		if err := ev.Decode(&d); err != nil {
			return n, fmt.Errorf("store: rebuild facts: %w", err)
		}
		batch = append(batch, d.Event)
		if len(batch) == 500 {
			if err := s.setMarks(ctx, batch); err != nil {
				return n, err
			}
			batch = batch[:0]
		}
	}
	if err := ev.Err(); err != nil {
		return n, fmt.Errorf("store: rebuild facts: %w", err)
	}
	return n, s.setMarks(ctx, batch)
}

// EnsureFacts rebuilds the facts when the read model holds fewer of them
// than cases (one written before facts were kept), and reports how many
// cases it rebuilt; 0 when nothing was missing. The counts are the
// collections' statistics (countOf), which read no document.
func (s *Store) EnsureFacts(ctx context.Context) (int, error) {
	cases, err := s.countOf(ctx, Cases)
	if err != nil {
		return 0, err
	}
	facts, err := s.countOf(ctx, CaseFacts)
	if err != nil {
		return 0, err
	}
	if facts >= cases {
		return 0, nil
	}
	return s.RebuildFacts(ctx)
}

// countOf is how many documents collection holds by its statistics
// (collStats): FerretDB v1.24 answers it from SQLite's page counts, where
// the count command, the driver's EstimatedDocumentCount, decodes every
// document (20 s of CPU for 50,000 summaries on a loaded machine). A
// server that does not answer collStats is asked the count.
func (s *Store) countOf(ctx context.Context, collection string) (int64, error) {
	var stats struct {
		Count int64 `bson:"count"`
	}
	err := s.db.RunCommand(ctx, bson.D{{Key: "collStats", Value: collection}}).Decode(&stats)
	if err == nil {
		return stats.Count, nil
	}
	n, err := s.db.Collection(collection).EstimatedDocumentCount(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", collection, err)
	}
	return n, nil
}
