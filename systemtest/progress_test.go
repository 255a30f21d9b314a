package systemtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/report"
	"github.com/tuntas-id/tuntas/workflows"
)

// TestProgressScheduleSurvivesARestartWithoutDuplicatingAMonth starts a
// system of its own, finds the progress schedule it created, runs it on
// demand, restarts on the same data directory (the schedule is created
// again, which must change nothing) and runs it again: each region still
// has one point for the month, with the counts of the one case.
func TestProgressScheduleSurvivesARestartWithoutDuplicatingAMonth(t *testing.T) {
	dir := t.TempDir()
	s, err := startSystem(dir)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = s.stop()
		}
	}()
	p := tokens(t, s)
	var c household.Case
	s.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(nextKK(), "64.08.01.2001"), &c)
	eventually(t, 30*time.Second, func() bool {
		facts, err := s.Store.Facts(context.Background(), "64.08")
		return err == nil && len(facts) == 1
	})

	month := report.MonthOf("64", time.Now())
	run := func(s *testSystem, n int) activities.SnapshotResult {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		h := s.Client.ScheduleClient().GetHandle(ctx, workflows.ProgressScheduleID)
		if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
			t.Fatal(err)
		}
		var last client.ScheduleActionResult
		eventually(t, 30*time.Second, func() bool {
			d, err := h.Describe(ctx)
			if err != nil || len(d.Info.RecentActions) < n {
				return false
			}
			last = d.Info.RecentActions[len(d.Info.RecentActions)-1]
			return true
		})
		var res activities.SnapshotResult
		if err := s.Client.GetWorkflow(ctx, last.StartWorkflowResult.WorkflowID, last.StartWorkflowResult.FirstExecutionRunID).Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	points := func(s *testSystem) []report.Point {
		t.Helper()
		got, err := s.Store.ProgressOf(context.Background(), []string{"64", "64.08", "64.08.01"})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	first := run(s, 1)
	if len(first.Months) != 1 || first.Months[0] != month || first.Points != 3 {
		t.Fatalf("first run took %+v, want %s for the province, the regency and the kecamatan", first, month)
	}
	before := points(s)
	if len(before) != 3 || before[1].Households != 1 || before[1].InProcess != 1 || before[1].Region != "64.08" {
		t.Fatalf("points after the first run: %+v", before)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true

	s2, err := startSystem(dir)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer func() { _ = s2.stop() }()
	ctx := context.Background()
	list, err := s2.Client.ScheduleClient().List(ctx, client.ScheduleListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	schedules := 0
	for list.HasNext() {
		e, err := list.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.ID == workflows.ProgressScheduleID {
			schedules++
		}
	}
	if schedules != 1 {
		t.Fatalf("%d progress schedules after a restart, want 1", schedules)
	}
	second := run(s2, 2)
	after := points(s2)
	if second.Months[0] != month || len(after) != len(before) {
		t.Fatalf("after a restart and a second run: %d points (%+v), want %d", len(after), after, len(before))
	}
	for i := range after {
		if after[i].ID() != before[i].ID() || after[i].Households != before[i].Households || !after[i].TakenAt.After(before[i].TakenAt) {
			t.Errorf("point %s was not replaced by the second run: %+v then %+v", before[i].ID(), before[i], after[i])
		}
	}
}
