package casework

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/workflows"
)

// update is how an action reaches its case: the workflow update and the
// input it takes.
type update struct {
	name  string
	takes func(any) bool
}

func takes[T actionInput](in any) bool { _, ok := in.(T); return ok }

// updates are the actions sent to the case as one workflow update each
// by Act; escalation is an update too, sent by Escalate, which names the
// escalation first.
var updates = map[household.Action]update{
	household.ActSurvey:              {workflows.UpdateSurvey, takes[household.SurveyInput]},
	household.ActVillage:             {workflows.UpdateVillage, takes[household.VillageInput]},
	household.ActVerification:        {workflows.UpdateVerification, takes[household.VerificationInput]},
	household.ActGraduate:            {workflows.UpdateGraduate, takes[household.GraduateInput]},
	household.ActAssign:              {workflows.UpdateAssign, takes[household.AssignInput]},
	household.ActIntervention:        {workflows.UpdateIntervention, takes[household.InterventionInput]},
	household.ActFollowUp:            {workflows.UpdateFollowUp, takes[household.FollowUpInput]},
	household.ActResolve:             {workflows.UpdateResolve, takes[household.ResolveInput]},
	household.ActClose:               {workflows.UpdateClose, takes[household.CloseInput]},
	household.ActDuplicateResolution: {workflows.UpdateDuplicateResolution, takes[household.DuplicateResolutionInput]},
	household.ActTransfer:            {workflows.UpdateTransfer, takes[household.TransferInput]},
	household.ActTransferAnswer:      {workflows.UpdateTransferAnswer, takes[household.TransferAnswerInput]},
	household.ActTransferCancel:      {workflows.UpdateTransferCancel, takes[household.TransferCancelInput]},
}

// actionInput is the input of an action sent as an update: it checks what
// it carries (text and list lengths, enumerations, dates) on a day, whatever
// the case.
type actionInput interface{ Validate(now time.Time) error }

// Act runs one action on a case as a workflow update and returns the case
// after it. input reads the action's input (household.SurveyInput for
// ActSurvey, and so on); it is called only once the case is found for who,
// so that a caller outside the case's region learns nothing from
// validation.
func (s *Service) Act(ctx context.Context, who Caller, id string, act household.Action, input func() (any, error)) (CaseView, error) {
	up, ok := updates[act]
	if !ok {
		return CaseView{}, fmt.Errorf("act: %q is not an action sent as an update", act)
	}
	p := who.Principal
	if !p.Can(act.Roles()...) {
		return CaseView{}, errRole()
	}
	cs, err := s.readSummary(ctx, p, id)
	if err != nil {
		return CaseView{}, err
	}
	in, err := input()
	if err != nil {
		return CaseView{}, err
	}
	if s, ok := in.(household.SurveyInput); ok {
		in = s.Tidy() // NIKs typed with spaces or dots
	}
	// The domain's checks that need no case run here, before anything
	// reaches Temporal: a refused update still travels, input and all, in
	// the worker's answer to its workflow task, and a burst of large ones
	// would overflow it and end the case (see maxUpdatesInFlight).
	valid, ok := in.(actionInput)
	if !ok || !up.takes(in) {
		return CaseView{}, fmt.Errorf("act: %s does not take input %T", act, in)
	}
	// Dates a person types are days on the case's own clock (its region's
	// time zone), as the domain judges them.
	if err := valid.Validate(s.now().In(region.Zone(cs.VillageCode))); err != nil {
		return CaseView{}, domainError(err)
	}
	if err := s.checkPhoto(ctx, cs.ID, in); err != nil {
		return CaseView{}, err
	}
	if cs.Status == household.StatusHalted {
		return CaseView{}, errHalted(cs.ID)
	}
	closed := refusef(household.CodeConflict, "the case is closed (%s)", cs.Outcome)
	if cs.Status != household.StatusOpen && who.UpdateID == "" {
		return CaseView{}, closed
	}
	// A closed case may still owe a keyed retry its answer: the action
	// that closed it (a graduation, say) landed and its answer was lost.
	// Temporal answers an update ID it has applied with its outcome, even
	// on a closed run; any other update there is refused as closed.
	// The actor is bound to this case and this update (see
	// household.Actor), so its sealed payload cannot act anywhere else.
	by := actor(p)
	by.Case, by.Update = cs.ID, who.UpdateID
	if by.Update == "" {
		by.Update = "u-" + newRequestID()
	}
	out, err := s.callUpdate(ctx, client.UpdateWorkflowOptions{
		WorkflowID:          workflows.CaseWorkflowID(cs.WorkflowID, cs.KK),
		FirstExecutionRunID: cs.ID,
		UpdateName:          up.name,
		UpdateID:            by.Update,
		Args:                []any{by, in},
		WaitForStage:        client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		if cs.Status != household.StatusOpen && errors.As(err, new(*serviceerror.NotFound)) {
			return CaseView{}, closed
		}
		return CaseView{}, temporalError(err)
	}
	return ViewCase(p, out, s.now()), nil
}

// DefaultUpdateRetries are the waits before sending again an update that
// reached a run as it ended (after a follow-up visit the case continues as
// new): nothing was applied, and the next run answers within moments.
var DefaultUpdateRetries = []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}

// callUpdate runs one update of a case and returns the case after it,
// sending it again while it reaches a run that is ending.
func (s *Service) callUpdate(ctx context.Context, opts client.UpdateWorkflowOptions) (household.Case, error) {
	leave, err := s.updates.enter(ctx, opts.WorkflowID)
	if err != nil {
		return household.Case{}, err
	}
	defer leave()
	for attempt := 0; ; attempt++ {
		var out household.Case
		h, err := s.temporal.UpdateWorkflow(ctx, opts)
		if err == nil {
			err = h.Get(ctx, &out)
		}
		if err == nil || !runEnding(err) || attempt == len(s.retries) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return household.Case{}, ctx.Err()
		case <-time.After(s.retries[attempt]):
		}
	}
}

// runEnding reports whether err says the update was not applied because
// the run it reached was ending: refused by the run itself, left
// unprocessed by the worker as the run completed, or lost with a workflow
// task the server failed (a run that tries to continue as new while an
// update arrives has its task failed and retried).
func runEnding(err error) bool {
	var (
		app      *temporal.ApplicationError
		notReady *serviceerror.WorkflowNotReady
	)
	return errors.As(err, &notReady) ||
		(errors.As(err, &app) && (app.Type() == workflows.ErrTypeRunEnding || app.Type() == failUnprocessedUpdate))
}

// Permits are the actions a person may take on a case now: an action's
// name, and "action/ref" for each item of the case it may be taken on
// (see household.Permit).
type Permits map[string]bool

// May reports whether the action (on ref, for the actions taken on one
// item of the case) is permitted.
func (p Permits) May(act household.Action, ref string) bool {
	if ref != "" {
		return p[string(act)+"/"+ref]
	}
	return p[string(act)]
}

// permits asks the domain what p may do on cs now.
func permits(p auth.Principal, cs household.Case) Permits {
	out := Permits{}
	for _, pm := range cs.Allowed(actor(p)) {
		out[string(pm.Action)] = true
		if pm.Ref != "" {
			out[string(pm.Action)+"/"+pm.Ref] = true
		}
	}
	return out
}
