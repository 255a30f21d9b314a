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
// report over a province does not decode every facts document (0.5–1 ms
// each on FerretDB: 26–55 s at 50,000 cases). They come with the index's
// load: from the snapshot it loads, or, loading every summary, read whole
// in the background right after. Then the change feed keeps them fresh: a
// case whose summary the feed brings is marked, and the next report (or
// snapshot) reads its facts again by _id. The projection writes a case's
// facts before it publishes the summary on the feed, so the facts read
// after the summary arrives hold that version.
type factsHeld struct {
	// reading lets one report or snapshot at a time bring the facts up to
	// date; mu guards the fields, briefly, so that following the feed
	// never waits for a report.
	reading sync.Mutex
	mu      sync.Mutex
	// byID is nil until the facts of a load are held.
	byID map[string]household.Facts
	// changed are the cases the feed brought since the facts were read,
	// kept from the moment a load's read begins (nil while none is).
	changed map[string]bool
	// gen names the load the facts are (being) read for; a read that
	// finishes after another load began is dropped.
	gen int64
	// ready is closed once byID is held for gen.
	ready chan struct{}
}

// factsWait bounds how long a report waits for the index to load and
// hold the facts (a whole read takes 30–60 s at 50,000 cases on a loaded
// machine, a few seconds from a snapshot). Past it the report is refused
// with ErrFactsLoading, to be asked again: the store's query would take
// as long as the read under way, and a second such read would slow both.
const factsWait = 20 * time.Second

// ErrFactsLoading is a report asked for while the index still reads the
// facts; it is worth asking again in a minute.
var ErrFactsLoading = errors.New("store: the read index is still reading the reports' facts")

// begin starts a load whose facts are read whole: the cases the feed
// brings from now on are marked, to be read again. It returns the load's
// generation, for finish.
func (f *factsHeld) begin() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.byID, f.changed, f.ready = nil, map[string]bool{}, make(chan struct{})
	return f.gen
}

// finish holds the facts read for load gen, unless another load began
// meanwhile.
func (f *factsHeld) finish(gen int64, all []household.Facts) bool {
	byID := make(map[string]household.Facts, len(all))
	for _, fc := range all {
		byID[fc.ID] = fc
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gen != gen {
		return false
	}
	f.byID = byID
	close(f.ready)
	return true
}

// install holds the facts of a snapshot and marks the cases the feed
// brought after it.
func (f *factsHeld) install(all []household.Facts, changed map[string]bool) {
	f.begin()
	f.mu.Lock()
	gen := f.gen
	for id := range changed {
		f.changed[id] = true
	}
	f.mu.Unlock()
	f.finish(gen, all)
}

// factsChanged marks the cases of sums, while a load's facts are kept.
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

// forget drops what is held (the index holds no case).
func (f *factsHeld) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.byID, f.changed, f.ready = nil, nil, nil
}

// loadFacts reads every case's facts for load gen, trying again until it
// has them, another load began, or ctx ends.
func (x *Index) loadFacts(ctx context.Context, gen int64) {
	start := time.Now()
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		all, err := x.Store.Facts(ctx, "")
		if err == nil {
			if x.facts.finish(gen, all) {
				x.logger.Info("read index holds every case's facts", "cases", len(all), "took", time.Since(start).Round(time.Millisecond))
				x.snap.nudge()
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		x.logger.Warn("read index could not read the facts; it tries again", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		x.facts.mu.Lock()
		current := x.facts.gen == gen
		x.facts.mu.Unlock()
		if !current {
			return
		}
	}
}

// waitFacts waits, at most factsWait, until the index has loaded and holds
// the facts. It answers errStoreAnswers at once when the index is off or
// over its bound, and ErrFactsLoading when the wait ran out.
func (x *Index) waitFacts(ctx context.Context) error {
	timeout := time.NewTimer(x.factsWait)
	defer timeout.Stop()
	for {
		x.mu.RLock()
		loaded, over, reads := x.loaded, x.over, x.reads
		x.mu.RUnlock()
		if x.off() || over {
			return errStoreAnswers
		}
		x.facts.mu.Lock()
		held, ready := x.facts.byID != nil, x.facts.ready
		x.facts.mu.Unlock()
		if loaded && held {
			return nil
		}
		select {
		case <-ready:
		case <-reads:
		case <-timeout.C:
			return ErrFactsLoading
		case <-ctx.Done():
			return fmt.Errorf("store: facts: %w", context.Cause(ctx))
		}
	}
}

// errStoreAnswers is an index that holds nothing: the store answers.
var errStoreAnswers = errors.New("store: the read index holds no case")

// Facts answers like Store.Facts, from memory once the index has loaded
// and caught up with the feed. A report that comes while the index loads
// waits for it, at most factsWait (then ErrFactsLoading); with the index
// off or over its bound, and when it cannot follow the feed, the store's
// query answers.
func (x *Index) Facts(ctx context.Context, scope string) ([]household.Facts, error) {
	switch err := x.waitFacts(ctx); {
	case errors.Is(err, errStoreAnswers):
		x.fallbacks.Add(1)
		return x.Store.Facts(ctx, scope)
	case err != nil:
		return nil, err
	}
	if _, ok := x.fresh(ctx, time.Now()); !ok {
		x.fallbacks.Add(1)
		return x.Store.Facts(ctx, scope)
	}
	f := &x.facts
	f.reading.Lock()
	defer f.reading.Unlock()
	err := x.bringFactsUpToDate(ctx)
	if errors.Is(err, errFactsDropped) {
		return nil, ErrFactsLoading // loading again
	}
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []household.Facts
	for _, fc := range f.byID {
		if region.Within(fc.VillageCode, scope) {
			out = append(out, fc)
		}
	}
	slices.SortFunc(out, func(a, b household.Facts) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// errFactsDropped is facts dropped while they were brought up to date:
// the index loaded again or went over its bound.
var errFactsDropped = errors.New("store: the read index dropped its facts")

// bringFactsUpToDate reads again, by _id, the facts of every case the feed
// brought since they were read. The caller holds x.facts.reading.
func (x *Index) bringFactsUpToDate(ctx context.Context) error {
	f := &x.facts
	f.mu.Lock()
	if f.byID == nil {
		f.mu.Unlock()
		return errFactsDropped
	}
	gen := f.gen
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
			if f.gen == gen {
				for _, id := range ids {
					f.changed[id] = true // read them again next time
				}
			}
			f.mu.Unlock()
			return err
		}
		if ok {
			fresh[id] = fc
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gen != gen || f.byID == nil {
		return errFactsDropped
	}
	for id, fc := range fresh {
		f.byID[id] = fc
	}
	return nil
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
