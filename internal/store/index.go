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
// milliseconds. It loads every summary once, then follows the change feed
// (feed.go): each list or dashboard request first waits for a read of the
// feed that began after the request arrived, so it answers with every
// summary written before it (AsOf is when that read began). When the feed
// cannot be read within catchUpWait, an answer from memory at most
// maxStaleness old is given, and older than that the Store's own queries
// answer (exact, slow). The other reads pass through to the Store.
type Index struct {
	*Store
	logger *slog.Logger

	mu     sync.RWMutex
	loaded bool
	held   *held
	next   map[string]int64 // the next page to read of each writer
	asOf   time.Time        // start of the last complete read of the feed

	fallbacks atomic.Int64 // answers the Store's queries gave
	facts     factsHeld    // the reports' facts (index_facts.go)

	want    chan struct{} // a request wants a read of the feed
	reads   chan struct{} // closed and replaced after each read
	stop    context.CancelFunc
	stopped chan struct{}
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
)

// errBehind is an index that missed pages a writer no longer keeps.
var errBehind = errors.New("store: read index missed pages of the feed")

// NewIndex starts an index over s: it loads in the background and follows
// the feed until Close. Until it has loaded, the Store's queries answer.
func NewIndex(s *Store, logger *slog.Logger) *Index {
	x := newIndex(s, logger)
	ctx, cancel := context.WithCancel(context.Background())
	x.stop = cancel
	x.stopped = make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { x.run(ctx) })
	wg.Go(func() { x.sweepEvery(ctx) })
	go func() {
		wg.Wait()
		close(x.stopped)
	}()
	return x
}

// newIndex is an index that does not follow the feed yet.
func newIndex(s *Store, logger *slog.Logger) *Index {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	stopped := make(chan struct{})
	close(stopped) // nothing to stop
	return &Index{Store: s, logger: logger, held: newHeld(nil), next: map[string]int64{},
		want: make(chan struct{}, 1), reads: make(chan struct{}), stop: func() {}, stopped: stopped}
}

// Close stops following the feed.
func (x *Index) Close() {
	x.stop()
	<-x.stopped
}

// Loaded reports whether the index has loaded every summary.
func (x *Index) Loaded() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.loaded
}

// Ready waits until the index has loaded, or ctx ends.
func (x *Index) Ready(ctx context.Context) error {
	for {
		x.mu.RLock()
		loaded, reads := x.loaded, x.reads
		x.mu.RUnlock()
		if loaded {
			return nil
		}
		select {
		case <-reads:
		case <-ctx.Done():
			return fmt.Errorf("store: read index not loaded: %w", context.Cause(ctx))
		}
	}
}

// Fallbacks counts the lists and dashboards the Store's queries answered
// because the index had not loaded or was too far behind.
func (x *Index) Fallbacks() int64 { return x.fallbacks.Load() }

// run loads, then reads the feed every pollEvery or when a request asks,
// loading again when it missed pages.
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
		x.mu.RUnlock()
		var err error
		if loaded {
			err = x.read(ctx, start)
		}
		if !loaded || errors.Is(err, errBehind) {
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

// load notes where each writer's feed is, reads every summary, then
// follows the feed from there (what a writer published since, the load saw
// or the feed holds), all into a copy of its own: the answers keep coming
// from the copy held, as of its last read, until the new one has caught
// up.
func (x *Index) load(ctx context.Context, start time.Time) error {
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
	if err := x.follow(ctx, next, h.putAll); err != nil {
		return err
	}
	x.facts.forget()
	x.mu.Lock()
	x.held, x.next, x.asOf, x.loaded = h, next, start, true
	x.mu.Unlock()
	x.logger.Info("read index loaded", "cases", len(all), "took", time.Since(start).Round(time.Millisecond))
	return nil
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
	x.mu.Unlock()
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
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return Page{}, err
	}
	asOf, ok := x.fresh(ctx, time.Now())
	if !ok {
		x.fallbacks.Add(1)
		return x.Store.List(ctx, f)
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
