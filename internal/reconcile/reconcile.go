// Package reconcile repairs the MongoDB read model from the case
// workflows, which are the source of truth: it compares each case
// workflow's state (running, or closed and still within the namespace's
// retention) with its snapshot and rewrites what is missing, older or
// corrupt, never going backwards. A snapshot written before the read
// model recorded each case's workflow ID is rewritten with it.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
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
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
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

// Report counts what Run saw. Halted counts the cases whose workflow
// ended abnormally and that this run marked so (a list filtered by status
// halted names them); one marked before counts as in sync.
type Report struct {
	Checked, InSync, Repaired, Failed, Halted int
}

// casesToCheck selects the workflows Run checks: every running case, and
// every closed one whose history Temporal still keeps (a query replays it),
// since a closed case's last projection may have been lost too. Runs that
// continued as new are superseded by their successors.
const casesToCheck = "WorkflowType = 'Case' AND (ExecutionStatus = 'Running' OR ExecutionStatus = 'Completed')"

// casesHalted selects the case runs that ended abnormally: terminated by
// an operator or by the server (a workflow task answer past gRPC's limit
// once did that), failed, timed out or cancelled. A run that continued as
// new is not among them; a case's last run is.
const casesHalted = "WorkflowType = 'Case' AND (ExecutionStatus = 'Terminated' OR ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR ExecutionStatus = 'Canceled')"

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
	)
	count := func(changed bool, err error) {
		r.Checked++
		switch {
		case err != nil:
			r.Failed++
			if first == nil {
				first = err
			}
		case changed:
			r.Repaired++
		default:
			r.InSync++
		}
	}
	err := each(ctx, wf, casesToCheck, func(ex *workflowpb.WorkflowExecutionInfo) {
		count(one(ctx, wf, snaps, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId()))
	})
	if err != nil {
		return r, err
	}
	err = each(ctx, wf, casesHalted, func(ex *workflowpb.WorkflowExecutionInfo) {
		marked, err := halt(ctx, wf, snaps, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId(), ex.GetStatus())
		if !marked {
			count(false, err)
			return
		}
		r.Checked++
		r.Halted++
	})
	if err != nil {
		return r, err
	}
	if r.Failed > 0 {
		return r, fmt.Errorf("%d cases could not be reconciled, the first: %w", r.Failed, first)
	}
	return r, nil
}

// each calls f for every execution the visibility query selects.
func each(ctx context.Context, wf Workflows, query string, f func(*workflowpb.WorkflowExecutionInfo)) error {
	var token []byte
	for {
		resp, err := wf.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return fmt.Errorf("list workflows: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			f(ex)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return nil
		}
	}
}

// halt marks the case of a run that ended abnormally as halted, where its
// snapshot still says open, and reports whether it wrote. No workflow
// writes the snapshot any more, so the write is one version past the last
// projection. A case whose snapshot says closed had its end projected
// before the run ended and is left as it is.
func halt(ctx context.Context, wf Workflows, snaps Snapshots, workflowID, runID string, status enumspb.WorkflowExecutionStatus) (bool, error) {
	d, err := wf.DescribeWorkflowExecution(ctx, workflowID, runID)
	if err != nil {
		return false, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	id := d.GetWorkflowExecutionInfo().GetFirstRunId()
	c, err := snaps.Case(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil // never projected: nothing shows it open
	case err != nil:
		return false, fmt.Errorf("read %s: %w", id, err)
	case c.Status != household.StatusOpen:
		return false, nil
	}
	c.Status = household.StatusHalted
	c.WorkflowID = workflowID
	c.Version++
	wrote, err := snaps.RepairOlder(ctx, c)
	if err != nil {
		return false, fmt.Errorf("mark %s halted (%s): %w", id, status, err)
	}
	return wrote, nil
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
	// The workflow's state does not know its own ID; the snapshot records
	// it, and one written before IDs were recorded gets it here.
	want.WorkflowID = workflowID
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
