package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tuntas-id/tuntas/internal/bench"
	"github.com/tuntas-id/tuntas/internal/cluster"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// house is one household of the run and what its people got acknowledged.
type house struct {
	i    int
	hh   synth.Household
	plan bench.Plan

	id  string
	err error
	// acked counts the acknowledged steps by name.
	acked map[string]int
}

// drive takes households [from, to) through their lifecycle with People
// at once; during, when not nil, runs beside them (the faults) and drive
// returns when both are done.
func (r *run) drive(ctx context.Context, from, to int, during func(context.Context)) {
	jobs := make(chan *house)
	var wg sync.WaitGroup
	for range r.cfg.People {
		wg.Go(func() {
			for h := range jobs {
				h.err = r.household(ctx, h)
				if h.err != nil {
					r.logf("household %d (%s): %v", h.i, h.hh.KK, h.err)
				}
				r.mu.Lock()
				r.done++
				r.mu.Unlock()
			}
		})
	}
	var side sync.WaitGroup
	if during != nil {
		side.Go(func() { during(ctx) })
	}
	for _, h := range r.houses[from:to] {
		jobs <- h
	}
	close(jobs)
	wg.Wait()
	side.Wait()
}

// household opens one household's case and takes it to its end: excluded
// at verification, or graduated by the verifier's decision after its first
// follow-up visit (real days are 24 hours and visits count 21 days apart).
func (r *run) household(ctx context.Context, h *house) error {
	district := region.Ancestor(h.hh.VillageCode, region.District)
	first := h.i % len(r.urls)
	key := func(step string) string { return fmt.Sprintf("chaos-%d-%d-%s", r.cfg.Seed, h.i, step) }
	open := map[string]any{"kk": h.hh.KK, "headNik": h.hh.HeadNIK, "headName": h.hh.HeadName, "villageCode": h.hh.VillageCode,
		"address": h.hh.Address, "source": h.hh.Source, "desil": h.hh.Desil}
	raw, err := r.phones.do(ctx, request{method: http.MethodPost, path: "/v1/cases", who: bench.Person{Role: household.RoleCaseworker, Region: district},
		body: open, want: http.StatusCreated, key: key("open"), first: first})
	if err != nil {
		return err
	}
	var opened struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &opened); err != nil || opened.ID == "" {
		return fmt.Errorf("open answered %s", cluster.Tail(string(raw), 200))
	}
	h.id = opened.ID
	r.ack(h, "open")

	steps := bench.Lifecycle(h.plan, h.hh.VillageCode, r.niks.Members(district, 3), region.Today(h.hh.VillageCode, time.Now()))
	if h.plan.Kind != bench.KindExcluded {
		steps = append(steps, bench.Graduation(h.hh.VillageCode))
	}
	escalation := ""
	for _, s := range steps {
		raw, err := r.phones.do(ctx, request{method: http.MethodPost, path: "/v1/cases/" + h.id + bench.WithEscalation(s.Path, escalation),
			who: s.Person, body: s.Body, want: s.Want, key: key(s.Name), first: first})
		if err != nil {
			return err
		}
		r.ack(h, s.Name)
		if s.Name == "escalation" {
			var esc struct {
				EscalationID string `json:"escalationId"`
			}
			if err := json.Unmarshal(raw, &esc); err != nil || esc.EscalationID == "" {
				return fmt.Errorf("escalation answered %s", cluster.Tail(string(raw), 200))
			}
			escalation = esc.EscalationID
		}
	}
	return nil
}

func (r *run) ack(h *house, step string) {
	r.mu.Lock()
	h.acked[step]++
	r.mu.Unlock()
}

// finished is how many households are done (or failed).
func (r *run) finished() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done
}
