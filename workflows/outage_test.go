package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// downStore is a read model that is unreachable, as MongoDB is during an
// outage, until the test brings it back.
type downStore struct {
	*memStore
	mu     sync.Mutex
	down   bool
	failed int
}

func (d *downStore) bringBack() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = false
}

var errStoreDown = errors.New("server selection error: connection refused")

func (d *downStore) fail() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		d.failed++
		return errStoreDown
	}
	return nil
}

func (d *downStore) SaveCase(ctx context.Context, c household.Case) error {
	if err := d.fail(); err != nil {
		return err
	}
	return d.memStore.SaveCase(ctx, c)
}

func (d *downStore) AppendEvents(ctx context.Context, events []household.Event) error {
	if err := d.fail(); err != nil {
		return err
	}
	return d.memStore.AppendEvents(ctx, events)
}

// A MongoDB outage of minutes holds the case's projection back, and the
// case with it; it does not fail the case. (A local activity's
// ScheduleToClose defaults to its 30 s StartToClose: every case an outage
// longer than that caught failed.) The outage here lasts three and a half
// minutes: past the local activity's retries, into the regular activity's
// (which the test environment gives ten attempts, the server without end).
func TestAStoreDownForMinutesOnlyDelaysTheCase(t *testing.T) {
	const outage = 3*time.Minute + 30*time.Second
	mem := newMemStore()
	store := &downStore{memStore: mem, down: true}
	h := newHarness(t, mem)
	h.env.RegisterActivity(&activities.Activities{Store: store, Notifier: mem})
	h.at(outage-time.Second, func() {
		mem.mu.Lock()
		defer mem.mu.Unlock()
		if len(mem.cases) != 0 {
			t.Error("the read model was written during the outage")
		}
	})
	h.at(outage, store.bringBack)
	survey := h.update(time.Hour, workflows.UpdateSurvey, cw, extremePoorSurvey)
	closing := h.update(2*time.Hour, workflows.UpdateClose, super, closeMoved)
	c, next := h.run(openInput())
	if next != nil {
		t.Fatal("continued as new, want closed")
	}
	mustAccept(t, survey, closing)
	if c.Status != household.StatusClosed || mem.only(t).Version != c.Version {
		t.Fatalf("case %s v%d, read model v%d: want closed and projected", c.Status, c.Version, mem.only(t).Version)
	}
	if store.failed == 0 {
		t.Fatal("no write failed: the outage did not happen")
	}
}

// A visit lands just before Temporal asks the case to continue as new. A
// client whose answer was lost retries it with the same key, which names
// the update: the next run answers it with the case as it is and records
// no second visit.
func TestARetryOfAnUpdateTheLastRunAppliedIsAnsweredNotAppliedAgain(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	steps := h.toFollowUp()
	visit := h.updateWithID(7*step, "idem-visit", workflows.UpdateFollowUp, cw, visitAbove)
	h.renew(8 * step)
	_, next := h.run(openInput())
	mustAccept(t, append(steps, visit)...)
	if next == nil || !slices.Contains(next.Applied, "idem-visit") {
		t.Fatalf("the next run's input does not remember the visit: %+v", next)
	}

	h2 := newHarness(t, store)
	retry := h2.updateWithID(time.Minute, "idem-visit", workflows.UpdateFollowUp, cw, visitAbove)
	closing := h2.update(time.Hour, workflows.UpdateClose, super, closeMoved)
	closed, _ := h2.run(*next)
	mustAccept(t, retry, closing)
	if retry.c.FollowUp.Visits != 1 || retry.c.Version != next.State.Version {
		t.Fatalf("the retry answered %d visits at v%d, want the case as it was (1 visit, v%d)", retry.c.FollowUp.Visits, retry.c.Version, next.State.Version)
	}
	visits := 0
	for _, e := range store.timeline(closed.ID) {
		if e.Type == household.EventFollowUpRecorded {
			visits++
		}
	}
	if visits != 1 || closed.FollowUp.Visits != 1 {
		t.Fatalf("%d visits in the timeline, %d in the case, want 1", visits, closed.FollowUp.Visits)
	}
}

// Only the last RememberedUpdates applied updates are carried on.
func TestACaseRemembersItsLastAppliedUpdatesAcrossRuns(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	h.toFollowUp()
	h.update(7*step, workflows.UpdateFollowUp, cw, visitAbove)
	h.renew(8 * step)
	_, next := h.run(openInput())
	if next == nil || len(next.Applied) != 6 {
		t.Fatalf("applied %v, want the six updates of the run", next.Applied)
	}
	in := *next
	for i := range 40 {
		in.Applied = append(in.Applied, fmt.Sprintf("old-%d", i))
	}
	h2 := newHarness(t, store)
	h2.update(time.Hour, workflows.UpdateFollowUp, cw, visitAbove)
	h2.renew(2 * time.Hour)
	_, next2 := h2.run(in)
	if next2 == nil || len(next2.Applied) != workflows.RememberedUpdates || next2.Applied[0] != "old-9" {
		t.Fatalf("carried %d update IDs starting %v, want the last %d", len(next2.Applied), next2.Applied[:1], workflows.RememberedUpdates)
	}
}
