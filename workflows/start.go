package workflows

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Open starts the case workflow of in.Open.KK, under the card's
// pseudonymous ID (WorkflowID with h), together with its UpdateOpened
// (update-with-start), so a concurrent or repeated open of the same KK
// reaches the running case and learns from Created that it did not open
// it. A KK whose case has closed gets a new case; one whose case ended
// abnormally (terminated, failed, timed out) does not, and the error is a
// *HaltedError naming that case: its people and its history need a
// person's look first, and a second case beside it would hide it. A case
// opened before workflow IDs were pseudonyms lives under the legacy ID and
// counts alike: while it runs it is the card's open case.
// The domain validates the opening first, for every caller alike.
func Open(ctx context.Context, c client.Client, h Households, in CaseInput) (OpenResult, error) {
	if err := in.Open.Validate(in.Actor.Region); err != nil {
		return OpenResult{}, err
	}
	in.Baseline = Baseline
	if out, found, err := openBefore(ctx, c, in); found || err != nil {
		return out, err
	}
	id := WorkflowID(h, in.Open.KK)
	// A start refused as a duplicate means the card's last case has ended,
	// which is rare: only then is it described, to tell how it ended.
	out, err := open(ctx, c, id, in, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
	if !errors.As(err, new(*serviceerror.WorkflowExecutionAlreadyStarted)) {
		return out, err
	}
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return OpenResult{}, fmt.Errorf("describe the last case of %s: %w", id, err)
	}
	info := d.GetWorkflowExecutionInfo()
	if st := info.GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return OpenResult{}, &HaltedError{CaseID: info.GetFirstRunId(), Status: st}
	}
	return open(ctx, c, id, in, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
}

// openBefore answers an open of a family card whose case was opened
// before workflow IDs were pseudonyms, under the legacy ID: while that
// case runs it is the card's open case, and if it ended abnormally the
// card waits for a person's look as it would have. found is false when no
// such case exists or it completed: the card gets a case of its own. It
// costs one describe of an absent workflow per open, the price of
// never opening a second case beside one opened before the change.
func openBefore(ctx context.Context, c client.Client, in CaseInput) (_ OpenResult, found bool, _ error) {
	d, err := c.DescribeWorkflowExecution(ctx, LegacyWorkflowID(in.Open.KK), "")
	if errors.As(err, new(*serviceerror.NotFound)) {
		return OpenResult{}, false, nil
	}
	if err != nil {
		// The message names no workflow: the legacy ID is the KK.
		return OpenResult{}, false, fmt.Errorf("look for a case opened before pseudonymous IDs: %w", err)
	}
	info := d.GetWorkflowExecutionInfo()
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return OpenResult{}, false, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		var village string
		if p := info.GetSearchAttributes().GetIndexedFields()[AttrVillage.GetName()]; p != nil {
			_ = converter.GetDefaultDataConverter().FromPayload(p, &village)
		}
		return OpenResult{Case: household.Case{ID: info.GetFirstRunId(), WorkflowID: LegacyWorkflowID(in.Open.KK), KK: in.Open.KK,
			VillageCode: village, Status: household.StatusOpen}}, true, nil
	}
	return OpenResult{}, true, &HaltedError{CaseID: info.GetFirstRunId(), Status: info.GetStatus()}
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

// open is one update-with-start of the case as workflow id under reuse.
func open(ctx context.Context, c client.Client, id string, in CaseInput, reuse enumspb.WorkflowIdReusePolicy) (OpenResult, error) {
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       id,
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
		out.Case.WorkflowID = id
		return out, nil
	case errors.As(err, &app) && app.Type() == ErrTypeAlreadyOpen && app.Details(&already) == nil:
		// The running case refused the open: it is the card's case.
		return OpenResult{Case: household.Case{ID: already.CaseID, WorkflowID: id, KK: in.Open.KK, VillageCode: already.VillageCode, Status: household.StatusOpen}}, nil
	}
	// The error names the workflow, never the KK: it reaches logs, and an
	// import's activity failure.
	return OpenResult{}, fmt.Errorf("open case %s: %w", id, err)
}
