package store

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// snapState is the snapshot an index wrote last (snapshot.go); owned by
// the goroutine that writes them.
type snapState struct {
	mu      sync.Mutex   // one snapshot at a time; guards head and version
	head    snapshotHead // ID "" before the first
	version int64        // the index's version it holds
	now     chan struct{}
}

func newSnapState() *snapState { return &snapState{now: make(chan struct{}, 1)} }

// nudge asks for a snapshot now (the facts of a whole load are in: the
// next process should not read them all again).
func (s *snapState) nudge() {
	select {
	case s.now <- struct{}{}:
	default:
	}
}

// snapshotCheck is how often an index looks whether a snapshot is due.
const snapshotCheck = 30 * time.Second

// snapshotEvery writes snapshots when due until ctx ends.
func (x *Index) snapshotEvery(ctx context.Context) {
	tick := time.NewTicker(snapshotCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-x.snap.now:
		}
		if err := x.snapshot(ctx, time.Now()); err != nil && ctx.Err() == nil {
			x.logger.Warn("read index could not write its snapshot", "err", err)
		}
	}
}

// snapshot writes what the index holds as a snapshot at now, when it holds
// every case and their facts and no snapshot younger than snapshotEvery
// exists: only a new head when it holds what its last snapshot holds,
// else the whole. Then it removes its own snapshot before and every
// snapshot no index can use.
func (x *Index) snapshot(ctx context.Context, now time.Time) error {
	x.snap.mu.Lock()
	defer x.snap.mu.Unlock()
	heads, err := x.snapshotHeads(ctx)
	if err != nil {
		return err
	}
	own := false
	for _, h := range heads {
		if h.Shape == snapshotShape && now.Sub(h.At) < snapshotEvery {
			return nil // young enough, whoever wrote it
		}
		own = own || h.ID == x.snap.head.ID
	}
	x.mu.RLock()
	loaded, version, asOf := x.loaded, x.version, x.asOf
	next := maps.Clone(x.next)
	x.mu.RUnlock()
	x.facts.mu.Lock()
	held := x.facts.byID != nil
	x.facts.mu.Unlock()
	if !loaded || !held {
		return nil
	}
	positions := make([]feedPosition, 0, len(next))
	for w, n := range next {
		positions = append(positions, feedPosition{Writer: w, Next: n})
	}
	if own && version == x.snap.version {
		h := x.snap.head
		h.At, h.Next = asOf, positions
		if err := x.writeHead(ctx, h); err != nil {
			return err
		}
		x.snap.head = h
		return x.sweepSnapshots(ctx, now, h.ID)
	}

	// The summaries and the feed's positions together, then the facts
	// brought up to date after: every page before those positions has
	// marked its cases by then, so the facts are at least as new.
	x.mu.RLock()
	version, asOf, next = x.version, x.asOf, maps.Clone(x.next)
	sums := make([]Summary, 0, len(x.held.byID))
	for _, s := range x.held.byID {
		sums = append(sums, *s)
	}
	loaded = x.loaded
	x.mu.RUnlock()
	if !loaded {
		return nil
	}
	positions = positions[:0]
	for w, n := range next {
		positions = append(positions, feedPosition{Writer: w, Next: n})
	}
	f := &x.facts
	f.reading.Lock()
	err = x.bringFactsUpToDate(ctx)
	var facts []household.Facts
	if err == nil {
		f.mu.Lock()
		facts = make([]household.Facts, 0, len(f.byID))
		for _, fc := range f.byID {
			facts = append(facts, fc)
		}
		f.mu.Unlock()
	}
	f.reading.Unlock()
	if err != nil {
		return err
	}
	before := x.snap.head
	h, err := x.writeSnapshot(ctx, snapshotHead{ID: "x-" + randomID(), At: asOf, Next: positions}, sums, facts)
	if err != nil {
		return err // its chunks are swept later
	}
	x.snap.head, x.snap.version = h, version
	x.logger.Info("read index wrote a snapshot", "snapshot", h.ID, "cases", h.Cases, "chunks", h.Chunks, "took", time.Since(now).Round(time.Millisecond))
	if before.ID != "" {
		if err := x.removeSnapshot(ctx, before); err != nil {
			return err
		}
	}
	return x.sweepSnapshots(ctx, now, h.ID)
}
