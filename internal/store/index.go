package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tuntas-id/tuntas/internal/household"
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
	id     string
	logger *slog.Logger

	mu      sync.RWMutex
	loaded  bool
	byID    map[string]Summary
	seen    map[string]change // the feed entry each summary was last fetched for
	asOf    time.Time         // start of the last complete read of the feed
	loadErr error

	fallbacks atomic.Int64 // answers the Store's queries gave

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
	// trimEvery is how often an index trims the feed.
	trimEvery = 10 * time.Second
	// fetchers fetch changed summaries side by side.
	fetchers = 4
)

// NewIndex starts an index over s: it loads in the background and follows
// the feed until Close. Until it has loaded, the Store's queries answer.
func NewIndex(s *Store, logger *slog.Logger) *Index {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	ctx, cancel := context.WithCancel(context.Background())
	x := &Index{Store: s, id: "index-" + hex.EncodeToString(raw[:]), logger: logger,
		byID: map[string]Summary{}, seen: map[string]change{},
		want: make(chan struct{}, 1), reads: make(chan struct{}), stop: cancel, stopped: make(chan struct{})}
	go x.run(ctx)
	return x
}

// Close stops following the feed.
func (x *Index) Close() {
	x.stop()
	<-x.stopped
}

// Loaded reports whether the index has loaded every summary; the error is
// the last failure to load, if it has not.
func (x *Index) Loaded() (bool, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.loaded, x.loadErr
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
// loading again after it could not read for readerReload.
func (x *Index) run(ctx context.Context) {
	defer close(x.stopped)
	var lastTrim time.Time
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		x.step(ctx, &lastTrim)
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

// step is one read of the feed (or a load), and a trim when one is due.
func (x *Index) step(ctx context.Context, lastTrim *time.Time) {
	start := time.Now()
	x.mu.RLock()
	loaded, asOf := x.loaded, x.asOf
	x.mu.RUnlock()
	server, err := x.serverTime(ctx)
	switch {
	case err != nil:
	case !loaded || start.Sub(asOf) > readerReload:
		err = x.load(ctx, start, server)
	default:
		err = x.read(ctx, start, server, time.Time{})
	}
	if err == nil && start.Sub(*lastTrim) > trimEvery {
		*lastTrim = start
		var n int64
		if n, err = x.trimFeed(ctx, server); n > 0 {
			x.logger.Debug("feed trimmed", "entries", n)
		}
	}
	if err != nil && ctx.Err() == nil {
		x.logger.Warn("read index could not follow the feed", "err", err)
	}
}

// load reads every summary, then the feed, which holds whatever changed
// while the summaries were read.
func (x *Index) load(ctx context.Context, start, server time.Time) error {
	byID := map[string]Summary{}
	err := x.summaries(ctx, func(s Summary) { byID[s.ID] = s })
	if err != nil {
		x.mu.Lock()
		x.loadErr = err
		x.mu.Unlock()
		return err
	}
	x.mu.Lock()
	x.byID, x.seen = byID, map[string]change{}
	x.mu.Unlock()
	if err := x.read(ctx, start, server, server); err != nil {
		return err
	}
	x.mu.Lock()
	x.loaded, x.loadErr = true, nil
	x.mu.Unlock()
	x.logger.Info("read index loaded", "cases", len(byID), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// read reads the feed and fetches each summary whose entry is new; start
// is when the read began by this process's clock, server by the
// database's. Right after a load begun at loadedAt (server time), an entry
// older than the load by feedMargin whose version the loaded summary has
// needs no fetch.
func (x *Index) read(ctx context.Context, start, server, loadedAt time.Time) error {
	entries, err := x.changes(ctx)
	if err != nil {
		return err
	}
	var fetch []change
	x.mu.Lock()
	for _, e := range entries {
		if seen, ok := x.seen[e.ID]; ok && seen.Version == e.Version && seen.At.Equal(e.At) {
			continue
		}
		if s, ok := x.byID[e.ID]; ok && s.Version >= e.Version && e.At.Before(loadedAt.Add(-feedMargin)) {
			x.seen[e.ID] = e
			continue
		}
		fetch = append(fetch, e)
	}
	x.mu.Unlock()
	if err := x.fetch(ctx, fetch); err != nil {
		return err
	}
	if err := x.markRead(ctx, x.id, server); err != nil {
		return err
	}
	x.mu.Lock()
	x.asOf = start
	x.mu.Unlock()
	return nil
}

// fetch reads the summaries of entries by _id, a few side by side. A
// summary not yet at its entry's version (its write follows the entry's)
// is taken but its entry not marked seen, so the next read fetches again.
func (x *Index) fetch(ctx context.Context, entries []change) error {
	if len(entries) == 0 {
		return nil
	}
	next := make(chan change)
	errs := make(chan error, fetchers)
	var wg sync.WaitGroup
	for range min(fetchers, len(entries)) {
		wg.Go(func() {
			for e := range next {
				s, err := x.summary(ctx, e.ID)
				if errors.Is(err, mongo.ErrNoDocuments) {
					continue // the summary's write follows its entry's
				}
				if err != nil {
					errs <- err
					return
				}
				x.mu.Lock()
				if old, ok := x.byID[s.ID]; !ok || s.Version >= old.Version {
					x.byID[s.ID] = s
				}
				if s.Version >= e.Version {
					x.seen[e.ID] = e
				}
				x.mu.Unlock()
			}
		})
	}
	var err error
send:
	for _, e := range entries {
		select {
		case next <- e:
		case err = <-errs:
			break send
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
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
	var items []Summary
	for _, s := range x.byID {
		if f.matches(s) && (after == nil || after.before(s)) {
			items = append(items, s)
		}
	}
	x.mu.RUnlock()
	slices.SortFunc(items, listOrder)
	return newPage(items, f.Limit, asOf), nil
}

// Dashboard answers like Store.Dashboard, from memory.
func (x *Index) Dashboard(ctx context.Context, scope, district string) (Dashboard, error) {
	asOf, ok := x.fresh(ctx, time.Now())
	if !ok {
		x.fallbacks.Add(1)
		return x.Store.Dashboard(ctx, scope, district)
	}
	groups := map[groupKey]int64{}
	people := map[string]int64{}
	x.mu.RLock()
	for _, s := range x.byID {
		if !slices.Contains(s.Regions, scope) || district != "" && !slices.Contains(s.Regions, district) {
			continue
		}
		groups[keyOf(s)]++
		if s.Status == household.StatusOpen {
			people[s.DistrictCode] += int64(s.MemberCount)
		}
	}
	x.mu.RUnlock()
	list := make([]group, 0, len(groups))
	for k, n := range groups {
		list = append(list, group{Key: k, N: n})
	}
	d := assemble(scope, district, list, people)
	d.AsOf = asOf
	return d, nil
}
