package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
)

// a is the typed nil through which the workflow names its activities, so
// that a rename is a compile error.
var a *activities.Activities

// SearchAttributeTypes are the custom search attributes to register in the
// namespace.
var SearchAttributeTypes = map[string]enumspb.IndexedValueType{
	AttrStage.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrDistrict.GetName():  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrVillage.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrEscalated.GetName(): enumspb.INDEXED_VALUE_TYPE_BOOL,
}

// Case is the household case workflow. It returns the closed case.
func Case(ctx workflow.Context, in CaseInput) (household.Case, error) {
	w := newCaseWorkflow(ctx, in)
	if err := w.setup(ctx); err != nil {
		return household.Case{}, err
	}
	return w.run(ctx)
}

type caseWorkflow struct {
	c *household.Case
	// pending are events not yet projected; projected is the last version
	// the read model holds.
	pending   []household.Event
	projected int64
	// cycleDone asks for continue-as-new after a follow-up visit.
	cycleDone bool
	// attrs is the stage and escalation last set as search attributes.
	attrs     [2]string
	esc       workflow.ReceiveChannel
	requestID string
	// refused holds why an escalation signal was not recorded, by ID.
	refused map[string]error
}

func newCaseWorkflow(ctx workflow.Context, in CaseInput) *caseWorkflow {
	w := &caseWorkflow{esc: workflow.GetSignalChannel(ctx, SignalEscalate), requestID: in.RequestID, refused: map[string]error{}}
	if in.State != nil {
		w.c = in.State
		w.c.FollowUp.Cycle++
		w.projected = w.c.Version
		w.attrs = w.attributes()
		return w
	}
	open := in.Open
	open.ID = workflow.GetInfo(ctx).FirstRunID
	c, events := household.Open(open, in.Actor, in.Rules, in.Deadlines, workflow.Now(ctx))
	w.c, w.pending = c, events
	w.attrs = w.attributes()
	return w
}

// attributes are the search-attribute values the case should have. The
// starter sets them at start and continue-as-new carries them over, so a
// run upserts only what changes.
func (w *caseWorkflow) attributes() [2]string {
	esc := "false"
	if w.c.Escalated {
		esc = "true"
	}
	return [2]string{string(w.c.Stage), esc}
}

func (w *caseWorkflow) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) {
		return State{Case: *w.c, PendingActions: w.c.PendingActions()}, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateOpened, func(ctx workflow.Context, requestID string) (OpenResult, error) {
		if err := workflow.Await(ctx, func() bool { return w.projected >= 1 }); err != nil {
			return OpenResult{}, err
		}
		return OpenResult{Case: *w.c, Created: requestID != "" && requestID == w.requestID}, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, UpdateEscalationRecorded, func(ctx workflow.Context, id string) (household.Case, error) {
		if err := workflow.Await(ctx, func() bool {
			_, recorded := w.c.Escalation(id)
			return w.refused[id] != nil || (recorded && w.projected >= w.c.Version)
		}); err != nil {
			return household.Case{}, err
		}
		if err := w.refused[id]; err != nil {
			return household.Case{}, rejection(err)
		}
		return *w.c, nil
	}); err != nil {
		return err
	}
	type now = time.Time
	handlers := []struct {
		name   string
		check  any
		handle any
	}{
		{UpdateSurvey,
			func(ctx workflow.Context, by household.Actor, in household.SurveyInput) error {
				return rejection(w.c.CheckSurvey(by, in, workflow.Now(ctx)))
			},
			func(ctx workflow.Context, by household.Actor, in household.SurveyInput) (household.Case, error) {
				return w.act(ctx, func(t now) error { return w.c.CheckSurvey(by, in, t) },
					func(t now) []household.Event { return w.c.SubmitSurvey(by, in, t) })
			}},
		{UpdateVillage,
			func(ctx workflow.Context, by household.Actor, in household.VillageInput) error {
				return rejection(w.c.CheckVillage(by, in, workflow.Now(ctx)))
			},
			func(ctx workflow.Context, by household.Actor, in household.VillageInput) (household.Case, error) {
				return w.act(ctx, func(t now) error { return w.c.CheckVillage(by, in, t) },
					func(t now) []household.Event { return w.c.ConfirmByVillage(by, in, t) })
			}},
		{UpdateVerification,
			func(_ workflow.Context, by household.Actor, in household.VerificationInput) error {
				return rejection(w.c.CheckVerification(by, in))
			},
			func(ctx workflow.Context, by household.Actor, in household.VerificationInput) (household.Case, error) {
				return w.act(ctx, func(now) error { return w.c.CheckVerification(by, in) },
					func(t now) []household.Event { return w.c.RecordVerification(by, in, t) })
			}},
		{UpdateAssign,
			func(_ workflow.Context, by household.Actor, in household.AssignInput) error {
				return rejection(w.c.CheckAssign(by, in))
			},
			func(ctx workflow.Context, by household.Actor, in household.AssignInput) (household.Case, error) {
				return w.act(ctx, func(now) error { return w.c.CheckAssign(by, in) },
					func(t now) []household.Event { return w.c.AssignInterventions(by, in, t) })
			}},
		{UpdateIntervention,
			func(_ workflow.Context, by household.Actor, in household.InterventionInput) error {
				return rejection(w.c.CheckIntervention(by, in))
			},
			func(ctx workflow.Context, by household.Actor, in household.InterventionInput) (household.Case, error) {
				return w.act(ctx, func(now) error { return w.c.CheckIntervention(by, in) },
					func(t now) []household.Event { return w.c.UpdateIntervention(by, in, t) })
			}},
		{UpdateFollowUp,
			func(ctx workflow.Context, by household.Actor, in household.FollowUpInput) error {
				return rejection(w.c.CheckFollowUp(by, in, workflow.Now(ctx)))
			},
			func(ctx workflow.Context, by household.Actor, in household.FollowUpInput) (household.Case, error) {
				return w.act(ctx, func(t now) error { return w.c.CheckFollowUp(by, in, t) },
					func(t now) []household.Event {
						events := w.c.RecordFollowUp(by, in, t)
						w.cycleDone = true
						return events
					})
			}},
		{UpdateGraduate,
			func(_ workflow.Context, by household.Actor, in household.GraduateInput) error {
				return rejection(w.c.CheckGraduate(by, in))
			},
			func(ctx workflow.Context, by household.Actor, in household.GraduateInput) (household.Case, error) {
				return w.act(ctx, func(now) error { return w.c.CheckGraduate(by, in) },
					func(t now) []household.Event { return w.c.Graduate(by, in, t) })
			}},
		{UpdateResolve,
			func(_ workflow.Context, by household.Actor, in household.ResolveInput) error {
				return rejection(w.c.CheckResolve(by, in))
			},
			func(ctx workflow.Context, by household.Actor, in household.ResolveInput) (household.Case, error) {
				return w.act(ctx, func(now) error { return w.c.CheckResolve(by, in) },
					func(t now) []household.Event { return w.c.ResolveEscalation(by, in, t) })
			}},
		{UpdateClose,
			func(_ workflow.Context, by household.Actor, in household.CloseInput) error {
				return rejection(w.c.CheckClose(by, in))
			},
			func(ctx workflow.Context, by household.Actor, in household.CloseInput) (household.Case, error) {
				return w.act(ctx, func(now) error { return w.c.CheckClose(by, in) },
					func(t now) []household.Event { return w.c.Close(by, in, t) })
			}},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handle,
			workflow.UpdateHandlerOptions{Validator: h.check}); err != nil {
			return err
		}
	}
	return nil
}

// act applies one accepted action. The check runs again because two
// updates accepted in one workflow task are validated before either
// applies. It answers once the read model holds the change, so a client
// that reads after the update sees it.
func (w *caseWorkflow) act(ctx workflow.Context, check func(time.Time) error, apply func(time.Time) []household.Event) (household.Case, error) {
	now := workflow.Now(ctx)
	if err := check(now); err != nil {
		return household.Case{}, rejection(err)
	}
	w.pending = append(w.pending, apply(now)...)
	v := w.c.Version
	if err := workflow.Await(ctx, func() bool { return w.projected >= v }); err != nil {
		return household.Case{}, err
	}
	return *w.c, nil
}

// Rejection error types, for the API to map to statuses.
const (
	ErrTypeStage     = "StageConflict"
	ErrTypeForbidden = "Forbidden"
	ErrTypeNotFound  = "NotFound"
	ErrTypeInvalid   = "Invalid"
)

// rejection turns a domain error into an application error whose type the
// API maps to a status and whose details carry field errors.
func rejection(err error) error {
	var fe household.FieldErrors
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return temporal.NewApplicationError(err.Error(), ErrTypeInvalid, []household.FieldError(fe))
	case errors.Is(err, household.ErrStage):
		return temporal.NewApplicationError(err.Error(), ErrTypeStage)
	case errors.Is(err, household.ErrForbidden):
		return temporal.NewApplicationError(err.Error(), ErrTypeForbidden)
	case errors.Is(err, household.ErrNotFound):
		return temporal.NewApplicationError(err.Error(), ErrTypeNotFound)
	}
	return err
}

func (w *caseWorkflow) run(ctx workflow.Context) (household.Case, error) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var in household.EscalateInput
			w.esc.Receive(ctx, &in)
			w.escalate(ctx, in)
		}
	})
	for {
		if err := w.flush(ctx); err != nil {
			return household.Case{}, err
		}
		if w.c.Status == household.StatusClosed || w.cycleDone || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			break
		}
		dirty := func() bool { return len(w.pending) > 0 || w.cycleDone }
		wake := w.c.NextWake()
		if wake.IsZero() {
			if err := workflow.Await(ctx, dirty); err != nil {
				return household.Case{}, err
			}
			continue
		}
		fired := true
		if d := wake.Sub(workflow.Now(ctx)); d > 0 {
			var err error
			if fired, err = workflow.AwaitWithTimeout(ctx, d, dirty); err != nil {
				return household.Case{}, err
			}
		} else {
			fired = false
		}
		if !fired {
			w.pending = append(w.pending, w.c.Tick(workflow.Now(ctx))...)
		}
	}
	// Let running handlers finish and take in any signal still queued, so
	// nothing is lost between this run and the next.
	for {
		for {
			var in household.EscalateInput
			if !w.esc.ReceiveAsync(&in) {
				break
			}
			w.escalate(ctx, in)
		}
		if err := w.flush(ctx); err != nil {
			return household.Case{}, err
		}
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) || len(w.pending) > 0 }); err != nil {
			return household.Case{}, err
		}
		if len(w.pending) == 0 {
			break
		}
	}
	if w.c.Status == household.StatusClosed {
		return *w.c, nil
	}
	return household.Case{}, workflow.NewContinueAsNewError(ctx, Case, CaseInput{State: w.c})
}

func (w *caseWorkflow) escalate(ctx workflow.Context, in household.EscalateInput) {
	if _, seen := w.c.Escalation(in.ID); seen {
		return // a repeated signal
	}
	if err := w.c.CheckEscalate(in); err != nil {
		workflow.GetLogger(ctx).Warn("escalation refused", "id", in.ID, "error", err)
		w.refused[in.ID] = err
		return
	}
	w.pending = append(w.pending, w.c.Escalate(in, workflow.Now(ctx))...)
}

// changeLocalProjection names the change from activity to local-activity
// projection for workflow.GetVersion.
const changeLocalProjection = "local-projection"

// projectRetry retries a projection without end: the read model must
// catch up, and nothing later is written before it does.
var projectRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
}

var (
	localProjectOptions = workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: projectRetry}
	projectOptions      = workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: projectRetry}
)

// flush projects pending events and the snapshot, notifies on reminders
// and escalations, and keeps the search attributes current. Only this
// coroutine writes the case's documents, one write at a time.
func (w *caseWorkflow) flush(ctx workflow.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	events := w.pending
	w.pending = nil
	snapshot := *w.c
	actx := workflow.WithActivityOptions(ctx, projectOptions)
	projection := activities.Projection{Case: snapshot, Events: events}
	var project workflow.Future
	// Version 1 projects with a local activity: the write runs in the
	// worker inside the workflow task, saving the server two round trips
	// per action (see the bench figures in the README). Cases that started
	// on version 0 keep the regular activity.
	if workflow.GetVersion(ctx, changeLocalProjection, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		project = workflow.ExecuteActivity(actx, a.Project, projection)
	} else {
		project = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localProjectOptions), a.Project, projection)
	}
	if err := project.Get(ctx, nil); err != nil {
		return err
	}
	w.projected = snapshot.Version
	for _, e := range events {
		if n, ok := w.notification(e); ok {
			// A lost notification must not hold up the case: its failure is logged, not returned.
			if err := workflow.ExecuteActivity(actx, a.Notify, n).Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Warn("notification failed", "case", w.c.ID, "error", err)
			}
		}
	}
	return w.upsertAttributes(ctx)
}

func (w *caseWorkflow) notification(e household.Event) (activities.Notification, bool) {
	n := activities.Notification{CaseID: w.c.ID, Message: e.Summary}
	switch e.Type {
	case household.EventReminder:
		n.To, n.Region = stageOwner(e.Stage, w.c)
	case household.EventEscalated:
		n.To, n.Region = household.RoleSupervisor, w.c.RegencyCode
		if esc, _ := w.c.Escalation(e.Ref); esc.Level == household.EscalateProvince {
			n.To, n.Region = household.RoleProvince, w.c.RegencyCode[:2]
		}
	default:
		return n, false
	}
	return n, true
}

func stageOwner(s household.Stage, c *household.Case) (household.Role, string) {
	switch s {
	case household.StageCollecting, household.StageFollowUp:
		return household.RoleCaseworker, c.DistrictCode
	case household.StageVillageReview:
		return household.RoleVillageOfficer, c.VillageCode
	case household.StageVerification:
		return household.RoleVerifier, c.RegencyCode
	case household.StageIntervention:
		return household.RoleAgency, c.RegencyCode
	}
	return household.RoleSupervisor, c.RegencyCode
}

func (w *caseWorkflow) upsertAttributes(ctx workflow.Context) error {
	attrs := w.attributes()
	if attrs == w.attrs {
		return nil
	}
	w.attrs = attrs
	return workflow.UpsertTypedSearchAttributes(ctx,
		AttrStage.ValueSet(string(w.c.Stage)),
		AttrEscalated.ValueSet(w.c.Escalated),
	)
}
