package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/workflows"
)

func TestProgressSnapshotTakesTheMonthJustOverOnTheFirst(t *testing.T) {
	tests := []struct {
		name  string
		start time.Time
		in    workflows.ProgressInput
		want  string
	}{
		{"the monthly run, 08:05 WITA on 1 November", time.Date(2026, 11, 1, 0, 5, 0, 0, time.UTC), workflows.ProgressInput{Scope: "64", Backfill: true}, "2026-10"},
		{"on demand in mid-November", time.Date(2026, 11, 17, 3, 0, 0, 0, time.UTC), workflows.ProgressInput{Scope: "64"}, "2026-11"},
		{"a month named", time.Date(2026, 11, 17, 3, 0, 0, 0, time.UTC), workflows.ProgressInput{Scope: "64", Month: "2026-06"}, "2026-06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.SetStartTime(tt.start)
			var got activities.SnapshotInput
			env.RegisterActivity(&activities.Snapshots{})
			env.OnActivity((&activities.Snapshots{}).TakeSnapshot, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.SnapshotInput) (activities.SnapshotResult, error) {
					got = in
					return activities.SnapshotResult{Months: []string{in.Through}}, nil
				})
			env.ExecuteWorkflow(workflows.ProgressSnapshot, tt.in)
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			if got.Through != tt.want || got.Scope != "64" || got.Backfill != tt.in.Backfill {
				t.Errorf("took %+v, want month %s", got, tt.want)
			}
		})
	}
}
