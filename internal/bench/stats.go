// Package bench drives Tuntas the way a regency's offices would, end to
// end through the HTTP API, and measures it against the engine floor: bare
// workflows doing the same number of updates, signals and activities with
// empty bodies on the same Temporal server. Seed instead fills the read
// model of the whole province through the projection and measures the
// reads people wait for at that count.
package bench

import (
	"slices"
	"sync"
	"time"
)

// Latency summarises one kind of request.
type Latency struct {
	Count int     `json:"count"`
	P50ms float64 `json:"p50ms"`
	P95ms float64 `json:"p95ms"`
	P99ms float64 `json:"p99ms"`
	MaxMs float64 `json:"maxMs"`
}

// recorder collects durations by name from many goroutines.
type recorder struct {
	mu sync.Mutex
	by map[string][]time.Duration
}

func newRecorder() *recorder { return &recorder{by: map[string][]time.Duration{}} }

func (r *recorder) add(name string, d time.Duration) {
	r.mu.Lock()
	r.by[name] = append(r.by[name], d)
	r.mu.Unlock()
}

func (r *recorder) summary() map[string]Latency {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]Latency{}
	for name, ds := range r.by {
		out[name] = summarize(ds)
	}
	return out
}

func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(q * float64(len(s)-1))
		return float64(s[i].Microseconds()) / 1000
	}
	return Latency{Count: len(s), P50ms: at(0.50), P95ms: at(0.95), P99ms: at(0.99), MaxMs: float64(s[len(s)-1].Microseconds()) / 1000}
}
