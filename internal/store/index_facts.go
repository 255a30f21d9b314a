package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// factsHeld are the reports' facts of every case, in memory, so that a
// report over a province does not decode every facts document (0.5 ms
// each on FerretDB: 26 s at 50,000 cases). They are read whole by the
// first report, then kept fresh by the change feed: a case whose summary
// the feed brings is marked, and the next report reads its facts again by
// _id. The projection writes a case's facts before it publishes the
// summary on the feed, so the facts read after the summary arrives hold
// that version.
type factsHeld struct {
	// reading lets one report at a time bring the facts up to date;
	// mu guards the maps, briefly, so that following the feed never
	// waits for a report.
	reading sync.Mutex
	mu      sync.Mutex
	// byID is nil until the first report has read them all.
	byID map[string]household.Facts
	// changed are the cases the feed brought since the facts were read,
	// kept from the moment a first read begins (nil before).
	changed map[string]bool
}

// maxFactsRereads is how many changed cases a report reads again by _id;
// past it one read of them all is cheaper.
const maxFactsRereads = 5000

// factsChanged marks the cases of sums, once facts are being kept.
func (f *factsHeld) factsChanged(sums []Summary) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changed == nil {
		return
	}
	for _, s := range sums {
		f.changed[s.ID] = true
	}
}

// forget drops what is held: after the index loaded again it cannot tell
// which cases changed.
func (f *factsHeld) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byID, f.changed = nil, nil
}

// Facts answers like Store.Facts, from memory once the index has loaded
// and caught up with the feed (the Store's query answers otherwise).
func (x *Index) Facts(ctx context.Context, scope string) ([]household.Facts, error) {
	if _, ok := x.fresh(ctx, time.Now()); !ok {
		x.fallbacks.Add(1)
		return x.Store.Facts(ctx, scope)
	}
	f := &x.facts
	f.reading.Lock()
	defer f.reading.Unlock()

	f.mu.Lock()
	whole := f.byID == nil || len(f.changed) > maxFactsRereads
	if whole {
		// Cases the feed brings while they are read are read again.
		f.changed = map[string]bool{}
	}
	f.mu.Unlock()
	if whole {
		all, err := x.Store.Facts(ctx, "")
		if err != nil {
			return nil, err
		}
		byID := make(map[string]household.Facts, len(all))
		for _, fc := range all {
			byID[fc.ID] = fc
		}
		f.mu.Lock()
		if f.changed != nil { // not forgotten meanwhile by a new load
			f.byID = byID
		}
		f.mu.Unlock()
	}

	f.mu.Lock()
	ids := make([]string, 0, len(f.changed))
	for id := range f.changed {
		ids = append(ids, id)
	}
	clear(f.changed)
	f.mu.Unlock()
	fresh := make(map[string]household.Facts, len(ids))
	for _, id := range ids {
		fc, ok, err := x.Store.factsOf(ctx, id)
		if err != nil {
			f.mu.Lock()
			if f.changed != nil {
				for _, id := range ids {
					f.changed[id] = true // read them again next time
				}
			}
			f.mu.Unlock()
			return nil, err
		}
		if ok {
			fresh[id] = fc
		}
	}

	f.mu.Lock()
	if f.byID == nil || f.changed == nil {
		// The index loaded again meanwhile: the store answers.
		f.mu.Unlock()
		return x.Store.Facts(ctx, scope)
	}
	defer f.mu.Unlock()
	for id, fc := range fresh {
		f.byID[id] = fc
	}
	var out []household.Facts
	for _, fc := range f.byID {
		if region.Within(fc.VillageCode, scope) {
			out = append(out, fc)
		}
	}
	slices.SortFunc(out, func(a, b household.Facts) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// factsOf reads one case's facts by _id; false when it has none yet.
func (s *Store) factsOf(ctx context.Context, id string) (household.Facts, bool, error) {
	var d factsDoc
	err := s.db.Collection(CaseFacts).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return household.Facts{}, false, nil
	}
	if err != nil {
		return household.Facts{}, false, fmt.Errorf("store: facts of %s: %w", id, err)
	}
	if d.Case.ID == "" {
		return household.Facts{}, false, nil
	}
	return d.facts(), true, nil
}

// facts is the document's facts with its marks in order.
func (d factsDoc) facts() household.Facts {
	f := d.Case
	f.Marks = make([]household.Mark, 0, len(d.Marks))
	for _, m := range d.Marks {
		f.Marks = append(f.Marks, m)
	}
	slices.SortFunc(f.Marks, func(a, b household.Mark) int { return int(a.Seq - b.Seq) })
	return f
}
