package casework

import (
	"context"
	"sync"
)

// maxUpdatesInFlight is how many updates this process sends one case at a
// time; the others wait for a turn. Temporal delivers the updates that
// arrive while a case is busy together in its next workflow task, and the
// worker's answer to that task carries each of them, input and all,
// whether accepted or refused: a burst of many large updates to one case
// once overflowed the answer past gRPC's 4 MiB, and the server ended the
// case for good. With inputs bounded by the domain (under 32 KiB encoded,
// TestLargestActionsFitTheWorkflowTaskBudget), eight in flight keep a
// task's answer under a quarter of that limit per API process. A person
// acts on a case one form at a time; eight is far above what people need.
const maxUpdatesInFlight = 8

// gate admits at most n holders of one key at a time. Keys are held only
// while in use, so the gate's memory follows the requests in flight, not
// the number of cases.
type gate struct {
	n     int
	mu    sync.Mutex
	slots map[string]*slot
}

type slot struct {
	free  chan struct{}
	users int
}

func newGate(n int) *gate { return &gate{n: n, slots: map[string]*slot{}} }

// enter waits for a turn at key, or for ctx; the returned func gives the
// turn back and must be called once.
func (g *gate) enter(ctx context.Context, key string) (func(), error) {
	g.mu.Lock()
	s := g.slots[key]
	if s == nil {
		s = &slot{free: make(chan struct{}, g.n)}
		g.slots[key] = s
	}
	s.users++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		if s.users--; s.users == 0 {
			delete(g.slots, key)
		}
		g.mu.Unlock()
	}
	select {
	case s.free <- struct{}{}:
		return func() { <-s.free; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}
