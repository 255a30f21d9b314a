package workflows

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Open starts the case workflow of in.Open.KK together with its
// UpdateOpened (update-with-start), so a concurrent or repeated open of the
// same KK reaches the running case and learns from Created that it did not
// open it. A KK whose case has closed gets a new case; one whose case
// ended abnormally (terminated, failed, timed out) does not, and the error
// is a *HaltedError naming that case: its people and its history need a
// person's look first, and a second case beside it would hide it.
// The domain validates the opening first, for every caller alike.
func Open(ctx context.Context, c client.Client, in CaseInput) (OpenResult, error) {
	if err := in.Open.Validate(in.Actor.Region); err != nil {
		return OpenResult{}, err
	}
	in.Baseline = Baseline
	// A start refused as a duplicate means the card's last case has ended,
	// which is rare: only then is it described, to tell how it ended.
	out, err := open(ctx, c, in, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
	if !errors.As(err, new(*serviceerror.WorkflowExecutionAlreadyStarted)) {
		return out, err
	}
	d, err := c.DescribeWorkflowExecution(ctx, WorkflowID(in.Open.KK), "")
	if err != nil {
		return OpenResult{}, fmt.Errorf("describe the last case of %s: %w", in.Open.KK, err)
	}
	info := d.GetWorkflowExecutionInfo()
	if st := info.GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return OpenResult{}, &HaltedError{CaseID: info.GetFirstRunId(), Status: st}
	}
	return open(ctx, c, in, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
}

// HaltedError refuses to open a family card whose last case ended
// abnormally; CaseID names that case.
type HaltedError struct {
	CaseID string
	Status enumspb.WorkflowExecutionStatus
}

func (e *HaltedError) Error() string {
	return fmt.Sprintf("the last case %s of this family card ended abnormally (%s)", e.CaseID, e.Status)
}

// open is one update-with-start of the case under reuse.
func open(ctx context.Context, c client.Client, in CaseInput, reuse enumspb.WorkflowIdReusePolicy) (OpenResult, error) {
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       WorkflowID(in.Open.KK),
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    reuse,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			AttrStage.ValueSet(string(household.StageCollecting)),
			AttrDistrict.ValueSet(region.Ancestor(in.Open.VillageCode, region.District)),
			AttrVillage.ValueSet(in.Open.VillageCode),
			AttrEscalated.ValueSet(false),
		),
	}, Case, in)
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   UpdateOpened,
			Args:         []any{in.RequestID},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var out OpenResult
	if err == nil {
		err = h.Get(ctx, &out)
	}
	var (
		app     *temporal.ApplicationError
		already AlreadyOpen
	)
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &app) && app.Type() == ErrTypeAlreadyOpen && app.Details(&already) == nil:
		// The running case refused the open: it is the card's case.
		return OpenResult{Case: household.Case{ID: already.CaseID, KK: in.Open.KK, VillageCode: already.VillageCode, Status: household.StatusOpen}}, nil
	}
	return OpenResult{}, fmt.Errorf("open case of %s: %w", in.Open.KK, err)
}
