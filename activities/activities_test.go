package activities_test

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
)

// savedCases records the snapshots written: their versions, and the
// workflow IDs they name.
type savedCases struct {
	saved     []int64
	workflows []string
}

func (s *savedCases) SaveCase(_ context.Context, c household.Case) error {
	s.saved = append(s.saved, c.Version)
	s.workflows = append(s.workflows, c.WorkflowID)
	return nil
}

func (s *savedCases) AppendEvents(context.Context, []household.Event) error { return nil }

// refusing fails every notification with err, and counts them.
type refusing struct {
	err   error
	tried int
}

func (r *refusing) Notify(context.Context, activities.Notification) error {
	r.tried++
	return r.err
}

func TestProjectPassesOverANotificationRefusedForGood(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr bool
		tried   int
	}{
		{"refused for good: logged, the next one sent, the case goes on", temporal.NewNonRetryableApplicationError("number unknown", "gateway", nil), false, 2},
		{"may recover: the projection is retried", errors.New("gateway unreachable"), true, 1},
		{"sent", nil, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, notifier := &savedCases{}, &refusing{err: tt.err}
			a := &activities.Activities{Store: store, Notifier: notifier}
			p := activities.Projection{Case: household.Case{ID: "c1", Version: 4},
				Notifications: []activities.Notification{{CaseID: "c1", Seq: 3}, {CaseID: "c1", Seq: 4}}}
			err := a.Project(context.Background(), p)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Project: %v, want error %t", err, tt.wantErr)
			}
			if len(store.saved) != 1 || store.saved[0] != 4 {
				t.Errorf("snapshots written %v, want [4] before any notification", store.saved)
			}
			if notifier.tried != tt.tried {
				t.Errorf("notifications tried %d, want %d", notifier.tried, tt.tried)
			}
		})
	}
}

// The snapshot names the workflow whose projection wrote it (its state
// does not know its own ID), so that actions reach the case by it.
func TestProjectRecordsTheWorkflowItRunsFor(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	store := &savedCases{}
	a := &activities.Activities{Store: store, Notifier: &refusing{}}
	env.RegisterActivity(a)
	if _, err := env.ExecuteActivity(a.Project, activities.Projection{Case: household.Case{ID: "c1", Version: 1}}); err != nil {
		t.Fatal(err)
	}
	if len(store.workflows) != 1 || store.workflows[0] != "default-test-workflow-id" {
		t.Fatalf("snapshots named workflows %q, want the test environment's", store.workflows)
	}
}
