package workflows

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Open starts the case workflow of in.Open.KK together with its
// UpdateOpened (update-with-start), so a concurrent or repeated open of the
// same KK reaches the running case and learns from Created that it did not
// open it. A KK whose case has closed gets a new case.
// The domain validates the opening first, for every caller alike.
func Open(ctx context.Context, c client.Client, in CaseInput) (OpenResult, error) {
	if err := in.Open.Validate(in.Actor.Region); err != nil {
		return OpenResult{}, err
	}
	if in.Version == 0 {
		in.Version = caseVersion // see caseWorkflow.run
	}
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       WorkflowID(in.Open.KK),
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
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
		app  *temporal.ApplicationError
		open AlreadyOpen
	)
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &app) && app.Type() == ErrTypeAlreadyOpen && app.Details(&open) == nil:
		// The running case refused the open: it is the card's case.
		return OpenResult{Case: household.Case{ID: open.CaseID, KK: in.Open.KK, VillageCode: open.VillageCode, Status: household.StatusOpen}}, nil
	}
	return OpenResult{}, fmt.Errorf("open case of %s: %w", in.Open.KK, err)
}
