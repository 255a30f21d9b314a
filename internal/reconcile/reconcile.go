// Package reconcile repairs the MongoDB read model from the case
// workflows, which are the source of truth: it compares each case
// workflow's state (running, or closed and still within the namespace's
// retention) with its snapshot and rewrites what is missing, older or
// corrupt, never going backwards.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// Workflows is the part of the Temporal client that reconcile reads the
// truth from.
type Workflows interface {
	ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
	QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...any) (converter.EncodedValue, error)
}

var _ Workflows = client.Client(nil)

// Snapshots is the part of the read model that reconcile repairs.
type Snapshots interface {
	// Case returns a case's snapshot, or store.ErrNotFound.
	Case(ctx context.Context, id string) (household.Case, error)
	// RepairOlder writes the snapshot where the stored one is missing or
	// older, in one conditional write, and reports whether it wrote.
	RepairOlder(ctx context.Context, c household.Case) (bool, error)
	// RepairCase rewrites the snapshot only where the stored one is at
	// c's version, and reports whether it wrote.
	RepairCase(ctx context.Context, c household.Case) (bool, error)
}

var _ Snapshots = (*store.Store)(nil)

// Report counts what Run saw.
type Report struct {
	Checked, InSync, Repaired, Failed int
}

// casesToCheck selects the workflows Run checks: every running case, and
// every closed one whose history Temporal still keeps (a query replays it),
// since a closed case's last projection may have been lost too. Runs that
// continued as new are superseded by their successors.
const casesToCheck = "WorkflowType = 'Case' AND (ExecutionStatus = 'Running' OR ExecutionStatus = 'Completed')"

// Run walks every case workflow, queries its state and rewrites the
// snapshot where it is missing or older (the ordinary versioned write) or
// differs at the same version (a repair conditional on that version). A
// snapshot at a higher version than the state just queried means the case
// moved on meanwhile: it is left alone, never put back. A case that cannot be checked is counted and
// the walk goes on; the error then names how many failed and the first
// reason.
func Run(ctx context.Context, wf Workflows, snaps Snapshots) (Report, error) {
	var (
		r     Report
		first error
		token []byte
	)
	for {
		resp, err := wf.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query:         casesToCheck,
			NextPageToken: token,
		})
		if err != nil {
			return r, fmt.Errorf("list workflows: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			r.Checked++
			repaired, err := one(ctx, wf, snaps, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId())
			switch {
			case err != nil:
				r.Failed++
				if first == nil {
					first = err
				}
			case repaired:
				r.Repaired++
			default:
				r.InSync++
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	if r.Failed > 0 {
		return r, fmt.Errorf("%d cases could not be reconciled, the first: %w", r.Failed, first)
	}
	return r, nil
}

// one reconciles one case workflow and reports whether it rewrote the
// snapshot.
func one(ctx context.Context, wf Workflows, snaps Snapshots, workflowID, runID string) (bool, error) {
	v, err := wf.QueryWorkflow(ctx, workflowID, runID, workflows.QueryState)
	if err != nil {
		return false, fmt.Errorf("query %s: %w", workflowID, err)
	}
	var state workflows.State
	if err := v.Get(&state); err != nil {
		return false, fmt.Errorf("decode %s: %w", workflowID, err)
	}
	want := state.Case
	got, err := snaps.Case(ctx, want.ID)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && got.Version < want.Version:
		wrote, err := snaps.RepairOlder(ctx, want)
		if err != nil {
			return false, fmt.Errorf("save %s: %w", want.ID, err)
		}
		return wrote, nil
	case err != nil:
		return false, fmt.Errorf("read %s: %w", want.ID, err)
	case got.Version > want.Version, reflect.DeepEqual(got, store.Normalize(want)):
		return false, nil
	}
	repaired, err := snaps.RepairCase(ctx, want)
	if err != nil {
		return false, fmt.Errorf("repair %s: %w", want.ID, err)
	}
	return repaired, nil
}
