package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
)

// A village proposal is a workflow of its own, not an update of a case:
// until Dinsos accepts it there is no case (and a rejected one never has
// one), and its screening deadline must run whether or not anyone acts.
// One workflow per proposal, proposal-<ID>, lives from the proposal to its
// answer; the ID is drawn at random (or from the request's Idempotency-Key),
// never from the family card, so no KK reaches a workflow ID.

// ProposalWorkflowID is the workflow ID of proposal id.
func ProposalWorkflowID(id string) string { return "proposal-" + id }

// Names of the proposal workflow's query and updates.
const (
	QueryProposal = "proposal"
	// UpdateProposed is sent with the start (update-with-start) and carries
	// the proposer's request ID; it answers once the proposal's own check
	// (is the household already in an open case?) is done and the read
	// model holds the proposal.
	UpdateProposed = "proposed"
	// UpdateScreen is Dinsos's answer: accept (the case opens) or reject.
	UpdateScreen = "screen"
)

// ProposalInput starts a proposal's workflow.
type ProposalInput struct {
	ID        string                  `json:"id"`
	Proposal  household.ProposalInput `json:"proposal"`
	Actor     household.Actor         `json:"actor"`
	Deadlines household.Deadlines     `json:"deadlines"`
	RequestID string                  `json:"requestId"`
}

// ll is the typed nil through which the living list's workflows name
// their activities.
var ll *activities.LivingList

// activityOptions are those of the living list's other activities: they
// ask Temporal or the store, and are retried until they answer.
var listActivityOptions = workflow.ActivityOptions{StartToCloseTimeout: time.Minute, RetryPolicy: projectRetry}

// Proposal is a village proposal from its submission to Dinsos's answer.
// It returns the proposal as answered.
func Proposal(ctx workflow.Context, in ProposalInput) (household.Proposal, error) {
	p, events := household.Propose(in.ID, in.Proposal, in.Actor, in.Deadlines, workflow.Now(ctx))
	w := &proposalWorkflow{p: p, pending: events, proposer: in.Actor, requestID: in.RequestID}
	if err := w.setup(ctx); err != nil {
		return household.Proposal{}, err
	}
	return w.run(ctx)
}

type proposalWorkflow struct {
	p         *household.Proposal
	proposer  household.Actor
	requestID string
	pending   []household.Event
	projected int64
	// checked is set once the proposal's own duplicate check is done;
	// screening is set while an accepted screening opens the case.
	checked, screening bool
	deadline           deadlineTimer
}

func (w *proposalWorkflow) setup(ctx workflow.Context) error {
	return errors.Join(
		workflow.SetQueryHandler(ctx, QueryProposal, func() (household.Proposal, error) { return *w.p, nil }),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateProposed, w.proposed,
			workflow.UpdateHandlerOptions{Validator: w.validateProposed}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateScreen, w.screen,
			workflow.UpdateHandlerOptions{Validator: w.validateScreen}),
	)
}

// validateProposed lets through only the request that started the
// proposal.
func (w *proposalWorkflow) validateProposed(requestID string) error {
	if requestID == "" || requestID != w.requestID {
		return rejection(household.Errorf(household.CodeConflict, "the proposal is already answered (%s)", w.p.Status))
	}
	return nil
}

func (w *proposalWorkflow) proposed(ctx workflow.Context, _ string) (household.Proposal, error) {
	if err := workflow.Await(ctx, func() bool { return w.checked && w.projected >= w.p.Version }); err != nil {
		return household.Proposal{}, err
	}
	return *w.p, nil
}

// boundTo refuses a message whose actor is bound to another proposal,
// objection or update: a sealed payload replayed from elsewhere.
func boundTo(id string, by household.Actor, updateID string) error {
	if by.Case != id || by.Update != updateID {
		return rejection(household.Errorf(household.CodeForbidden, "the message is not bound to this case and update"))
	}
	return nil
}

func (w *proposalWorkflow) validateScreen(ctx workflow.Context, by household.Actor, in household.ScreenInput) error {
	if err := boundTo(w.p.ID, by, workflow.GetCurrentUpdateInfo(ctx).ID); err != nil {
		return err
	}
	return rejection(w.p.CheckScreen(by, in, workflow.Now(ctx)))
}

// screen answers the proposal. An acceptance asks again whether an open
// case holds the household (one may have opened since the proposal), then
// opens the case through the case workflow's own opening, which refuses a
// family card with an open case once more: the proposal is then refused
// as a duplicate rather than accepted.
func (w *proposalWorkflow) screen(ctx workflow.Context, by household.Actor, in household.ScreenInput) (household.Proposal, error) {
	if err := workflow.Await(ctx, func() bool { return w.checked && !w.screening }); err != nil {
		return household.Proposal{}, err
	}
	if err := w.p.CheckScreen(by, in, workflow.Now(ctx)); err != nil {
		return household.Proposal{}, rejection(err)
	}
	w.screening = true
	defer func() { w.screening = false }()
	if in.Decision == household.ScreenReject {
		w.pending = append(w.pending, w.p.Reject(by, in, workflow.Now(ctx))...)
		return w.settle(ctx)
	}
	actx := workflow.WithActivityOptions(ctx, listActivityOptions)
	var held activities.HolderAnswer
	if err := workflow.ExecuteActivity(actx, ll.FindHolder, activities.HolderQuery{KK: w.p.KK, HeadNIK: w.p.HeadNIK}).Get(ctx, &held); err != nil {
		return household.Proposal{}, err
	}
	if held.Finding != nil {
		w.pending = append(w.pending, w.p.Refuse(by, *held.Finding, workflow.Now(ctx))...)
		return w.settle(ctx)
	}
	opener := by
	opener.Case, opener.Update = "", ""
	var opened activities.OpenProposedResult
	err := workflow.ExecuteActivity(actx, ll.OpenProposed, activities.OpenProposedInput{
		Open: w.p.Opening(), By: opener, RequestID: "proposal:" + w.p.ID}).Get(ctx, &opened)
	if err != nil {
		return household.Proposal{}, err
	}
	if !opened.Created {
		w.pending = append(w.pending, w.p.Refuse(by, household.ProposalFinding{By: household.HeldKK, CaseID: opened.CaseID,
			VillageCode: opened.VillageCode}, workflow.Now(ctx))...)
		return w.settle(ctx)
	}
	w.pending = append(w.pending, w.p.Accept(by, opened.CaseID, workflow.Now(ctx))...)
	return w.settle(ctx)
}

// settle answers once the read model holds the proposal as it now is.
func (w *proposalWorkflow) settle(ctx workflow.Context) (household.Proposal, error) {
	v := w.p.Version
	if err := workflow.Await(ctx, func() bool { return w.projected >= v }); err != nil {
		return household.Proposal{}, err
	}
	return *w.p, nil
}

// run is the proposal's story: its own duplicate check, then the
// screening deadline's rules until Dinsos answers.
func (w *proposalWorkflow) run(ctx workflow.Context) (household.Proposal, error) {
	var held activities.HolderAnswer
	actx := workflow.WithActivityOptions(ctx, listActivityOptions)
	if err := workflow.ExecuteActivity(actx, ll.FindHolder, activities.HolderQuery{KK: w.p.KK, HeadNIK: w.p.HeadNIK}).Get(ctx, &held); err != nil {
		return household.Proposal{}, err
	}
	if held.Finding != nil {
		w.pending = append(w.pending, w.p.Refuse(w.proposer, *held.Finding, workflow.Now(ctx))...)
	}
	w.checked = true
	dirty := func() bool { return len(w.pending) > 0 }
	for {
		if err := w.flush(ctx); err != nil {
			return household.Proposal{}, err
		}
		if w.p.Status != household.ProposalScreening {
			break
		}
		due, err := w.deadline.wait(ctx, w.p.NextWake(), dirty)
		if err != nil {
			return household.Proposal{}, err
		}
		if due {
			w.pending = append(w.pending, w.p.Tick(workflow.Now(ctx))...)
		}
	}
	w.deadline.stop()
	// Let running handlers finish (each waits for its projection).
	for {
		if err := w.flush(ctx); err != nil {
			return household.Proposal{}, err
		}
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) || len(w.pending) > 0 }); err != nil {
			return household.Proposal{}, err
		}
		if len(w.pending) == 0 {
			return *w.p, nil
		}
	}
}

// flush projects the proposal with the notifications its new events raise.
func (w *proposalWorkflow) flush(ctx workflow.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	events := w.pending
	w.pending = nil
	pr := activities.ProposalProjection{Proposal: *w.p}
	for _, e := range events {
		if to, scope, ok := w.p.ProposalNotice(e); ok {
			pr.Notifications = append(pr.Notifications, activities.Notification{CaseID: w.p.ID, Seq: e.Seq, At: e.At, To: to,
				Region: scope, Message: e.Summary, Key: e.Key, Args: e.Args, HeadName: w.p.HeadName})
		}
	}
	if err := writeList(ctx, ll.ProjectProposal, pr); err != nil {
		return err
	}
	w.projected = pr.Proposal.Version
	return nil
}

// writeList runs a projection of the living list as a local activity,
// falling back to a regular one as the case's writes do (see
// caseWorkflow.write).
func writeList(ctx workflow.Context, activity, in any) error {
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localProjectOptions), activity, in).Get(ctx, nil)
	if err == nil {
		return nil
	}
	workflow.GetLogger(ctx).Warn("store write failed as a local activity; retrying as an activity", "error", err)
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, projectOptions), activity, in).Get(ctx, nil)
}

// Propose starts the workflow of in's proposal with its UpdateProposed
// (update-with-start) and returns the proposal once checked. A retry of
// the same request reaches the same workflow and is answered alike; a
// proposal whose workflow has ended is ErrProposalEnded.
func Propose(ctx context.Context, c client.Client, in ProposalInput) (household.Proposal, error) {
	out, err := startRequest[household.Proposal](ctx, c, ProposalWorkflowID(in.ID), Proposal, in, UpdateProposed, in.RequestID)
	if errors.Is(err, errRequestEnded) {
		return out, ErrProposalEnded
	}
	if err != nil {
		return out, fmt.Errorf("propose %s: %w", in.ID, err)
	}
	return out, nil
}

// startRequest starts a village request's workflow (a proposal or an
// objection) with its opening update (update-with-start), named by the
// request ID so that a retry is answered as the first call was, and
// returns the update's answer; errRequestEnded when the workflow has
// ended (its ID is not reused).
func startRequest[T any](ctx context.Context, c client.Client, id string, wf, in any, update, requestID string) (T, error) {
	var out T
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, wf, in)
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   update,
			UpdateID:     update + "-" + requestID,
			Args:         []any{requestID},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = h.Get(ctx, &out)
	}
	if errors.As(err, new(*serviceerror.WorkflowExecutionAlreadyStarted)) {
		return out, errRequestEnded
	}
	return out, err
}

// errRequestEnded is a request's workflow started again after it ended.
var errRequestEnded = errors.New("the request's workflow has ended")

// answerRequest sends an update of a request's workflow as by (bound to
// the request and the update updateID) and returns the request after it.
func answerRequest[T any](ctx context.Context, c client.Client, workflowID, id, update string, by household.Actor, in any, updateID string) (T, error) {
	by.Case, by.Update = id, updateID
	var out T
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID, UpdateName: update,
		UpdateID: updateID, Args: []any{by, in}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, &out)
	}
	return out, err
}

// ErrProposalEnded is a proposal started again after its workflow ended
// (a request retried long after its answer): the read model holds it.
var ErrProposalEnded = errors.New("the proposal's workflow has ended")

// Screen sends Dinsos's answer to proposal id, by (bound to the proposal
// and the update updateID), and returns the proposal after it.
func Screen(ctx context.Context, c client.Client, id string, by household.Actor, in household.ScreenInput, updateID string) (household.Proposal, error) {
	return answerRequest[household.Proposal](ctx, c, ProposalWorkflowID(id), id, UpdateScreen, by, in, updateID)
}

// HeldCase is the case that holds family card kk: its open case, or its
// last one if that ended abnormally (it waits for an administrator, and
// the card is not opened again until then). The card's case lives under
// its pseudonymous ID (WorkflowID with h) or, opened before workflow IDs
// were pseudonyms, under the legacy one.
func HeldCase(ctx context.Context, c client.Client, h Households, kk string) (caseID, village string, held bool, err error) {
	for _, id := range []string{WorkflowID(h, kk), LegacyWorkflowID(kk)} {
		if caseID, village, held, err = heldBy(ctx, c, id); held || err != nil {
			return caseID, village, held, err
		}
	}
	return "", "", false, nil
}

// heldBy is HeldCase of the workflow id.
func heldBy(ctx context.Context, c client.Client, id string) (caseID, village string, held bool, err error) {
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if errors.As(err, new(*serviceerror.NotFound)) {
		return "", "", false, nil
	}
	if err != nil {
		// The message names the lookup, not the workflow: a legacy ID is
		// the KK.
		return "", "", false, fmt.Errorf("describe the case of a family card: %w", err)
	}
	info := d.GetWorkflowExecutionInfo()
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED || info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
		return "", "", false, nil
	}
	if p, ok := info.GetSearchAttributes().GetIndexedFields()[AttrVillage.GetName()]; ok {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &village)
	}
	return info.GetFirstRunId(), village, true, nil
}

// rejectionOf is a workflow's refusal of an update as the domain's error,
// when it is one.
func rejectionOf(err error) (*household.Error, bool) {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !household.OneOf(household.Code(app.Type()), household.Codes) {
		return nil, false
	}
	e := &household.Error{Code: household.Code(app.Type()), Message: app.Message()}
	var de household.Error
	if app.HasDetails() && app.Details(&de) == nil {
		e.Key, e.Args = de.Key, de.Args
	}
	return e, true
}
