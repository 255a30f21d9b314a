package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Index answers lists and dashboards from the case summaries held in
// memory, so that no read people wait for scans case_summaries: at 50,000
// cases FerretDB took 10–25 s for what a walk over memory does in a few
// milliseconds. It loads every summary once (from the newest snapshot an
// index wrote, when one is usable: index_snapshot.go), then follows the
// change feed (feed.go): each list or dashboard request first waits for a
// read of the feed that began after the request arrived, so it answers
// with every summary written before it (AsOf is when that read began).
// When the feed cannot be read within catchUpWait, an answer from memory
// at most maxStaleness old is given, and older than that the Store's own
// queries answer (exact, slow). It holds at most MaxCases cases; when the
// store holds more, the Store's queries answer every read. The other reads
// pass through to the Store.
type Index struct {
	*Store
	logger *slog.Logger
	// max is the most cases the index holds (MaxCases); ≤ 0: none.
	max int

	mu     sync.RWMutex
	loaded bool
	held   *held
	next   map[string]int64 // the next page to read of each writer
	asOf   time.Time        // start of the last complete read of the feed
	// version moves with every load and every page of the feed applied: a
	// snapshot taken at the same version holds the same cases.
	version int64
	// over is set while the store holds more than max cases; overAt is
	// when they were last counted.
	over   bool
	overAt time.Time

	fallbacks atomic.Int64 // answers the Store's queries gave
	facts     factsHeld    // the reports' facts (index_facts.go)
	factsWait time.Duration
	snap      *snapState // this index's own snapshot (index_snapshot.go)

	want  chan struct{} // a request wants a read of the feed
	reads chan struct{} // closed and replaced after each read
	ctx   context.Context
	stop  context.CancelFunc
	bg    sync.WaitGroup // every goroutine the index started
}

const (
	// catchUpWait bounds how long a request waits for the feed.
	catchUpWait = time.Second
	// maxStaleness is the oldest an answer from memory may be.
	maxStaleness = 5 * time.Second
	// pollEvery is how often the feed is read without requests.
	pollEvery = time.Second
	// sweepPeriod is how often an index looks for stopped writers.
	sweepPeriod = time.Minute
	// overRecheck is how often an index over its bound counts the cases
	// again.
	overRecheck = time.Minute
)

// DefaultMaxCases is how many cases an index holds at most unless told
// otherwise (docs/performance.md, "Memory of the read index").
const DefaultMaxCases = 400_000

// IndexOption configures NewIndex.
type IndexOption func(*Index)

// MaxCases bounds the cases an index holds in memory (DefaultMaxCases
// without it). When the store holds more, the index holds none and the
// Store's queries answer every read, exact and as fast as the database
// serves them; it counts the cases again every overRecheck. n ≤ 0 turns
// the index off.
func MaxCases(n int) IndexOption { return func(x *Index) { x.max = n } }

// errBehind is an index that missed pages a writer no longer keeps.
var errBehind = errors.New("store: read index missed pages of the feed")

// NewIndex starts an index over s: it loads in the background and follows
// the feed until Close. Until it has loaded, the Store's queries answer.
func NewIndex(s *Store, logger *slog.Logger, opts ...IndexOption) *Index {
	x := newIndex(s, logger, opts...)
	if x.off() {
		x.logger.Info("read index off: the store answers every list, dashboard and report")
		return x
	}
	x.bg.Go(func() { x.run(x.ctx) })
	x.bg.Go(func() { x.sweepEvery(x.ctx) })
	x.bg.Go(func() { x.snapshotEvery(x.ctx) })
	return x
}

// newIndex is an index that does not follow the feed yet.
func newIndex(s *Store, logger *slog.Logger, opts ...IndexOption) *Index {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	x := &Index{Store: s, logger: logger, max: DefaultMaxCases, factsWait: factsWait, held: newHeld(nil), next: map[string]int64{},
		want: make(chan struct{}, 1), reads: make(chan struct{}), ctx: ctx, stop: cancel, snap: newSnapState()}
	for _, o := range opts {
		o(x)
	}
	return x
}

// off reports whether the index is off (MaxCases ≤ 0).
func (x *Index) off() bool { return x.max <= 0 }

// Close stops following the feed and waits for the index's goroutines.
func (x *Index) Close() {
	x.stop()
	x.bg.Wait()
}

// Loaded reports whether the index has loaded every summary.
func (x *Index) Loaded() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.loaded
}

// The states of an index (State).
const (
	IndexLoading = "loading"
	IndexLoaded  = "loaded"
	IndexOff     = "off"
	IndexOver    = "over_capacity" // the store holds more than MaxCases
)

// State says whether the index answers from memory (loaded), is loading,
// or leaves every read to the store (off, over_capacity).
func (x *Index) State() string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	switch {
	case x.off():
		return IndexOff
	case x.over:
		return IndexOver
	case x.loaded:
		return IndexLoaded
	}
	return IndexLoading
}

// Ready waits until the index has loaded or knows the store answers its
// reads (off, or over its bound), or ctx ends.
func (x *Index) Ready(ctx context.Context) error {
	for {
		x.mu.RLock()
		done, reads := x.loaded || x.over || x.off(), x.reads
		x.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-reads:
		case <-ctx.Done():
			return fmt.Errorf("store: read index not loaded: %w", context.Cause(ctx))
		}
	}
}

// Fallbacks counts the lists, dashboards and reports the Store's queries
// answered because the index had not loaded, was too far behind, was over
// its bound or off.
func (x *Index) Fallbacks() int64 { return x.fallbacks.Load() }

// run loads, then reads the feed every pollEvery or when a request asks,
// loading again when it missed pages; over its bound, it counts the cases
// again every overRecheck.
func (x *Index) run(ctx context.Context) {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		start := time.Now()
		x.mu.RLock()
		// An index that could not read the feed for feedKeep may have
		// missed the last pages of a writer that stopped and was swept
		// meanwhile (nothing of it is left to tell): it loads again.
		loaded := x.loaded && start.Sub(x.asOf) <= feedKeep
		recount := !x.over || start.Sub(x.overAt) >= overRecheck
		x.mu.RUnlock()
		var err error
		if loaded {
			err = x.read(ctx, start)
		}
		if !loaded && recount || errors.Is(err, errBehind) {
			err = x.load(ctx, start)
		}
		if err != nil && ctx.Err() == nil {
			x.logger.Warn("read index could not follow the feed", "err", err)
		}
		x.mu.Lock()
		close(x.reads)
		x.reads = make(chan struct{})
		x.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-x.want:
		case <-tick.C:
		}
	}
}

// load counts the cases (over its bound, the index holds none), then reads
// the newest usable snapshot and follows the feed from where it was taken;
// without one (or when it cannot be read), it reads every summary, and
// every case's facts in the background.
func (x *Index) load(ctx context.Context, start time.Time) error {
	n, err := x.countOf(ctx, CaseSummaries)
	if err != nil {
		return err
	}
	if n > int64(x.max) {
		x.overBound(start, int(n))
		return nil
	}
	head, ok, err := x.newestSnapshot(ctx, start)
	if err != nil {
		x.logger.Warn("read index could not read the snapshots; it reads every case", "err", err)
	}
	if ok && head.Cases <= x.max {
		err := x.loadSnapshot(ctx, start, head)
		if err == nil {
			return nil
		}
		x.logger.Warn("read index could not load from the snapshot; it reads every case", "snapshot", head.ID, "err", err)
	}
	return x.loadWhole(ctx, start)
}

// loadWhole notes where each writer's feed is, reads every summary, then
// follows the feed from there (what a writer published since, the load saw
// or the feed holds), all into a copy of its own: the answers keep coming
// from the copy held, as of its last read, until the new one has caught
// up. The facts are read after, in the background.
func (x *Index) loadWhole(ctx context.Context, start time.Time) error {
	writers, err := x.feedWriters(ctx)
	if err != nil {
		return err
	}
	next := map[string]int64{}
	for _, w := range writers {
		next[w.ID] = w.Last + 1
	}
	var all []Summary
	if err := x.summaries(ctx, func(s Summary) { all = append(all, s) }); err != nil {
		return err
	}
	h := newHeld(all)
	all = nil
	if err := x.follow(ctx, next, h.putAll); err != nil {
		return err
	}
	if len(h.byID) > x.max {
		x.overBound(start, len(h.byID))
		return nil
	}
	gen := x.facts.begin()
	x.install(h, next, start)
	x.bg.Go(func() { x.loadFacts(x.ctx, gen) })
	x.logger.Info("read index loaded every summary", "cases", len(h.byID), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// loadSnapshot holds the cases of the snapshot head names, then follows
// the feed from the snapshot's positions: the summaries the feed brings
// are taken as it has them, and those cases' facts read again.
func (x *Index) loadSnapshot(ctx context.Context, start time.Time, head snapshotHead) error {
	snap, err := x.readSnapshot(ctx, head)
	if err != nil {
		return err
	}
	h := newHeld(snap.summaries)
	next := map[string]int64{}
	for _, p := range head.Next {
		next[p.Writer] = p.Next
	}
	changed := map[string]bool{}
	err = x.follow(ctx, next, func(sums []Summary) {
		h.putAll(sums)
		for _, s := range sums {
			changed[s.ID] = true
		}
	})
	if err != nil {
		return err
	}
	if len(h.byID) > x.max {
		x.overBound(start, len(h.byID))
		return nil
	}
	x.facts.install(snap.facts, changed)
	x.install(h, next, start)
	x.logger.Info("read index loaded from a snapshot", "cases", len(h.byID), "snapshot", head.ID,
		"age", start.Sub(head.At).Round(time.Second), "changedSince", len(changed), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// install makes h, as of a read of the feed that began at start and left
// off at next, the summaries the index answers from.
func (x *Index) install(h *held, next map[string]int64, start time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.held, x.next, x.asOf, x.loaded, x.over = h, next, start, true, false
	x.version++
}

// overBound drops what the index holds: the store holds n cases, more
// than it may hold.
func (x *Index) overBound(at time.Time, n int) {
	x.mu.Lock()
	was := x.over
	x.held, x.next, x.loaded, x.over, x.overAt = newHeld(nil), map[string]int64{}, false, true, at
	x.version++
	x.mu.Unlock()
	x.facts.forget()
	if !was {
		x.logger.Warn("read index holds no case: the store holds more than it may hold, so the store answers every read",
			"cases", n, "maxCases", x.max)
	}
}

// read reads the pages each writer stored since the last read into the
// summaries held; start is when the read began.
func (x *Index) read(ctx context.Context, start time.Time) error {
	x.mu.RLock()
	next := maps.Clone(x.next)
	x.mu.RUnlock()
	if err := x.follow(ctx, next, x.apply); err != nil {
		return err
	}
	x.mu.Lock()
	x.next, x.asOf = next, start
	n := len(x.held.byID)
	x.mu.Unlock()
	if n > x.max {
		x.overBound(start, n)
	}
	return nil
}

// follow reads, for each writer, the pages from next[writer] on, passing
// each page's summaries to apply, and leaves in next where each writer's
// next page will be. A writer it does not know started after the load,
// and is read from its first page: when that page is no longer 1, or a
// page it should have is gone, the index missed pages (errBehind).
func (x *Index) follow(ctx context.Context, next map[string]int64, apply func([]Summary)) error {
	writers, err := x.feedWriters(ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(writers, func(a, b feedWriterDoc) int { return strings.Compare(a.ID, b.ID) })
	live := map[string]bool{}
	for _, w := range writers {
		live[w.ID] = true
		n, ok := next[w.ID]
		if !ok {
			n = 1
		}
		if n < w.First {
			return fmt.Errorf("%w: writer %s keeps pages %d–%d, the index needs %d", errBehind, w.ID, w.First, w.Last, n)
		}
		for {
			page, found, err := x.feedPageOf(ctx, w.ID, n)
			if err != nil {
				return err
			}
			if !found {
				if n <= w.Last {
					return fmt.Errorf("%w: page %d of writer %s is gone", errBehind, n, w.ID)
				}
				break
			}
			apply(page.Summaries)
			n++
		}
		next[w.ID] = n
	}
	for id := range next {
		if !live[id] {
			delete(next, id)
		}
	}
	return nil
}

// apply takes each summary at least as new as the one held.
func (x *Index) apply(sums []Summary) {
	x.facts.factsChanged(sums)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.held.putAll(sums)
	x.version++
}

// sweepEvery sweeps every sweepPeriod, apart from the reads of the feed so
// that no request waits for it.
func (x *Index) sweepEvery(ctx context.Context) {
	tick := time.NewTicker(sweepPeriod)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := x.sweep(ctx, time.Now()); err != nil && ctx.Err() == nil {
			x.logger.Warn("read index could not remove a stopped writer's feed", "err", err)
		}
	}
}

// sweep removes the pages and records of writers silent for writerGone
// (their processes stopped), by the writers' own clock compared with this
// one's: writerGone leaves minutes for clocks that differ. Every API's
// index sweeps; removing what another removed first is harmless. A writer
// that was only paused and writes again is unknown to every index, with
// pages that no longer start at 1: indexes load again (follow).
func (x *Index) sweep(ctx context.Context, now time.Time) error {
	writers, err := x.feedWriters(ctx)
	if err != nil {
		return err
	}
	for _, w := range writers {
		if now.Sub(w.At) > writerGone {
			if err := x.removeWriter(ctx, w); err != nil {
				return err
			}
		}
	}
	return nil
}

// fresh waits until a read of the feed that began after arrived has
// completed, and reports the time the index's answers are as of, or false
// when the index has not loaded or is more than maxStaleness behind.
func (x *Index) fresh(ctx context.Context, arrived time.Time) (time.Time, bool) {
	timeout := time.NewTimer(catchUpWait)
	defer timeout.Stop()
	for {
		x.mu.RLock()
		loaded, asOf, reads := x.loaded, x.asOf, x.reads
		x.mu.RUnlock()
		if !loaded {
			return time.Time{}, false
		}
		if !asOf.Before(arrived) {
			return asOf, true
		}
		select {
		case x.want <- struct{}{}:
		default:
		}
		select {
		case <-reads:
		case <-timeout.C:
			return asOf, time.Since(asOf) <= maxStaleness
		case <-ctx.Done():
			return asOf, time.Since(asOf) <= maxStaleness
		}
	}
}

// List answers like Store.List, from memory.
func (x *Index) List(ctx context.Context, f Filter) (Page, error) {
	asOf, ok := x.fresh(ctx, time.Now())
	if !ok {
		x.fallbacks.Add(1)
		return x.Store.List(ctx, f)
	}
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return Page{}, err
	}
	x.mu.RLock()
	items := x.held.list(f, after)
	x.mu.RUnlock()
	return newPage(items, f.Limit, asOf), nil
}

// Dashboard answers like Store.Dashboard, from memory.
func (x *Index) Dashboard(ctx context.Context, scope, district string) (Dashboard, error) {
	asOf, ok := x.fresh(ctx, time.Now())
	if !ok {
		x.fallbacks.Add(1)
		return x.Store.Dashboard(ctx, scope, district)
	}
	x.mu.RLock()
	groups, people := x.held.dashboard(scope, district)
	x.mu.RUnlock()
	d := assemble(scope, district, groups, people)
	d.AsOf = asOf
	return d, nil
}
