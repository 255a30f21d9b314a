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
	// closing is set once the run has decided to end (closed, or continuing
	// as new): an update validated after that would be accepted by a run
	// that no longer applies it, so validators refuse it as retryable.
	closing bool

	// claims is whether this run keeps one person in one open case
	// (changePersonClaims); dup receives other cases' notices.
	claims bool
	dup    workflow.ReceiveChannel
	// lean is whether this run began at changePersonClaims version 2:
	// every earlier change applies without a marker of its own, the case's
	// writes to the store (people and projection) are local activities,
	// and one timer waits for the next deadline (see leanVersion).
	lean bool
	// version is changePersonClaims' version: carried in, or asked (see
	// run).
	version     workflow.Version
	deadline    deadlineTimer
	fresh       bool
	openSettled bool
	heldBefore  []string
	// draft is whether the survey just recorded was a draft.
	draft    bool
	resolved household.DuplicateResolutionInput

	// earlier are the IDs of updates applied by the previous runs; applied
	// those applied by this one too, the last RememberedUpdates carried on.
	earlier map[string]bool
	applied []string
}

func newCaseWorkflow(ctx workflow.Context, in CaseInput) *caseWorkflow {
	w := &caseWorkflow{esc: workflow.GetSignalChannel(ctx, SignalEscalate), dup: workflow.GetSignalChannel(ctx, SignalDuplicate),
		requestID: in.RequestID, refused: map[string]error{}, fresh: in.State == nil, version: in.Version}
	w.earlier = map[string]bool{}
	for _, id := range in.Applied {
		w.earlier[id] = true
	}
	w.applied = append(w.applied, in.Applied...)
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

// setup registers the case's query and updates. Every actor's action is
// the domain's check (the update's validator) and apply, registered by
// register.
func (w *caseWorkflow) setup(ctx workflow.Context) error {
	type cs = *household.Case
	return errors.Join(
		workflow.SetQueryHandler(ctx, QueryState, w.state),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateOpened, w.opened,
			workflow.UpdateHandlerOptions{Validator: w.validateOpened}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateEscalationRecorded, w.escalationRecorded,
			workflow.UpdateHandlerOptions{Validator: func(string) error { return w.open() }}),
		register(ctx, w, UpdateSurvey, cs.CheckSurvey, w.recordSurvey, w.claimSurvey),
		register(ctx, w, UpdateVillage, cs.CheckVillage, cs.ConfirmByVillage),
		register(ctx, w, UpdateVerification, cs.CheckVerification, cs.RecordVerification),
		register(ctx, w, UpdateAssign, cs.CheckAssign, cs.AssignInterventions),
		register(ctx, w, UpdateIntervention, cs.CheckIntervention, cs.UpdateIntervention),
		register(ctx, w, UpdateFollowUp, cs.CheckFollowUp, w.recordFollowUp),
		register(ctx, w, UpdateGraduate, cs.CheckGraduate, cs.Graduate),
		register(ctx, w, UpdateResolve, cs.CheckResolve, cs.ResolveEscalation),
		register(ctx, w, UpdateClose, cs.CheckClose, cs.Close),
		register(ctx, w, UpdateDuplicateResolution, cs.CheckDuplicateResolution, w.recordResolution, w.settleResolution),
	)
}

// bound refuses a message whose actor is bound to another case or another
// update: a sealed payload replayed from elsewhere. Cases opened before
// the binding existed keep accepting unbound actors.
func (w *caseWorkflow) bound(by household.Actor, updateID string) error {
	if !w.c.Strict() {
		return nil
	}
	if by.Case != w.c.ID || (updateID != "" && by.Update != updateID) {
		return rejection(household.Errorf(household.CodeForbidden, "the message is not bound to this case and update"))
	}
	return nil
}

// open refuses updates once the run is ending; the caller retries, and the
// next run (or the closed case) answers.
func (w *caseWorkflow) open() error {
	if w.closing {
		return temporal.NewApplicationError("the case is starting its next run; retry", ErrTypeRunEnding)
	}
	return nil
}

func (w *caseWorkflow) state() (State, error) {
	return State{Case: *w.c, PendingActions: w.c.PendingActions()}, nil
}

// validateOpened lets through only the request that started the case. Any
// other open of the same family card is refused before it is recorded:
// accepted, each would count toward the run's limit of updates, and a
// stream of repeated opens could use it up and leave the case unable to
// take any action.
func (w *caseWorkflow) validateOpened(requestID string) error {
	if err := w.open(); err != nil {
		return err
	}
	if requestID == "" || requestID != w.requestID {
		return temporal.NewApplicationError("the family card already has an open case", ErrTypeAlreadyOpen,
			AlreadyOpen{CaseID: w.c.ID, VillageCode: w.c.VillageCode})
	}
	return nil
}

// opened answers the opener once the case is in the read model; Created
// tells whether this request (and not an earlier one) opened it.
func (w *caseWorkflow) opened(ctx workflow.Context, requestID string) (OpenResult, error) {
	if err := workflow.Await(ctx, func() bool { return w.openSettled && w.projected >= w.c.Version }); err != nil {
		return OpenResult{}, err
	}
	return OpenResult{Case: *w.c, Created: requestID != "" && requestID == w.requestID}, nil
}

// escalationRecorded answers once the escalation signal with that ID has
// been recorded and projected, or with the reason it was refused.
func (w *caseWorkflow) escalationRecorded(ctx workflow.Context, id string) (household.Case, error) {
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
}

// register makes an actor's action an update of the case: the domain's
// check is the validator, which rejects before anything is recorded, and
// the handler applies it. Check and apply are typed by the input, so a
// handler whose signature does not fit its action does not compile.
func register[In any](ctx workflow.Context, w *caseWorkflow, name string,
	check func(*household.Case, household.Actor, In, time.Time) error,
	apply func(*household.Case, household.Actor, In, time.Time) []household.Event,
	then ...func(workflow.Context) error,
) error {
	validate := func(ctx workflow.Context, by household.Actor, in In) error {
		if err := w.open(); err != nil {
			return err
		}
		id := workflow.GetCurrentUpdateInfo(ctx).ID
		if err := w.bound(by, id); err != nil {
			return err
		}
		if w.earlier[id] {
			return nil // a retry of an update an earlier run applied: answered below
		}
		return rejection(check(w.c, by, in, workflow.Now(ctx)))
	}
	handle := func(ctx workflow.Context, by household.Actor, in In) (household.Case, error) {
		id := workflow.GetCurrentUpdateInfo(ctx).ID
		if w.earlier[id] {
			// Applied before this run began (a follow-up visit continued the
			// case as new, and the answer was lost): answer with the case as
			// it is, never apply it twice.
			return *w.c, nil
		}
		c, err := w.act(ctx,
			func(t time.Time) error { return check(w.c, by, in, t) },
			func(t time.Time) []household.Event { return apply(w.c, by, in, t) },
			then...)
		if err == nil {
			w.applied = append(w.applied, id)
		}
		return c, err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, name, handle, workflow.UpdateHandlerOptions{Validator: validate})
}

// recordFollowUp records a visit and ends the run, so that the case
// continues as new after every visit and its history stays bounded.
func (w *caseWorkflow) recordFollowUp(c *household.Case, by household.Actor, in household.FollowUpInput, t time.Time) []household.Event {
	w.cycleDone = true
	return c.RecordFollowUp(by, in, t)
}

// act applies one accepted action. The check runs again because two
// updates accepted in one workflow task are validated before either
// applies. It answers once the read model holds the change, so a client
// that reads after the update sees it.
func (w *caseWorkflow) act(ctx workflow.Context, check func(time.Time) error, apply func(time.Time) []household.Event, then ...func(workflow.Context) error) (household.Case, error) {
	now := workflow.Now(ctx)
	if err := check(now); err != nil {
		return household.Case{}, rejection(err)
	}
	w.pending = append(w.pending, apply(now)...)
	for _, f := range then {
		if err := f(ctx); err != nil {
			return household.Case{}, err
		}
	}
	v := w.c.Version
	if err := workflow.Await(ctx, func() bool { return w.projected >= v }); err != nil {
		return household.Case{}, err
	}
	return *w.c, nil
}

// rejection turns a domain error into an application error whose type is
// the domain's error code (the API maps it to a status) and whose details
// carry the field errors.
func rejection(err error) error {
	code := household.ErrorCode(err)
	if code == "" {
		return err
	}
	var fe household.FieldErrors
	if errors.As(err, &fe) {
		return temporal.NewApplicationError(err.Error(), string(code), []household.FieldError(fe))
	}
	return temporal.NewApplicationError(err.Error(), string(code))
}

func (w *caseWorkflow) run(ctx workflow.Context) (household.Case, error) {
	// A case opened or continued since notifyVersion is told its version
	// (CaseInput.Version) and asks no GetVersion, which would record a
	// marker and upsert TemporalChangeVersion, a write to the visibility
	// store. Replaying, it still reads a marker: a worker from before
	// notifyVersion that ran the case first (a deployment midway) asked
	// and recorded its own version, which then stands. GetVersion in a
	// replay records nothing; where no marker is, it answers DefaultVersion.
	v := w.version
	if v == 0 || workflow.IsReplaying(ctx) {
		asked := workflow.GetVersion(ctx, changePersonClaims, workflow.DefaultVersion, caseVersion)
		if v == 0 || asked != workflow.DefaultVersion {
			v = asked
		}
	}
	w.version = v
	w.claims = v >= 1 && w.c.Strict()
	w.lean = v >= leanVersion
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(w.esc, func(c workflow.ReceiveChannel, _ bool) {
				var in household.EscalateInput
				c.Receive(ctx, &in)
				w.escalate(ctx, in)
			})
			sel.AddReceive(w.dup, func(c workflow.ReceiveChannel, _ bool) {
				var n DuplicateNotice
				c.Receive(ctx, &n)
				w.hear(ctx, n)
			})
			sel.Select(ctx)
		}
	})
	if w.fresh {
		// The head is claimed before the opener hears of the case, so that
		// an import learns at once that the head is in another case.
		if err := w.claim(ctx, []string{w.c.HeadNIK}, nil); err != nil {
			return household.Case{}, err
		}
	}
	w.openSettled = true
	for {
		if err := w.flush(ctx); err != nil {
			return household.Case{}, err
		}
		if w.c.Status == household.StatusClosed || w.cycleDone || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			break
		}
		// Temporal's suggestion to continue as new wakes the run too: a run
		// that only answers queries and refused messages must still renew.
		dirty := func() bool {
			return len(w.pending) > 0 || w.cycleDone || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		}
		wake := w.c.NextWake()
		if w.lean {
			due, err := w.deadline.wait(ctx, wake, dirty)
			if err != nil {
				return household.Case{}, err
			}
			if due {
				w.pending = append(w.pending, w.c.Tick(workflow.Now(ctx))...)
			}
			continue
		}
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
	if w.c.Status == household.StatusClosed && w.claims {
		// A closed case holds nobody: its people may be claimed anew.
		if err := w.write(ctx, w.lean, people.ReleasePeople, activities.ReleaseInput{CaseID: w.c.ID, NIKs: w.c.NIKs()}, nil); err != nil {
			return household.Case{}, err
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
		for {
			var n DuplicateNotice
			if !w.dup.ReceiveAsync(&n) {
				break
			}
			w.hear(ctx, n)
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
	w.closing = true
	if w.c.Status == household.StatusClosed {
		return *w.c, nil
	}
	next := CaseInput{State: w.c}
	if w.version == caseVersion {
		next.Version = w.version
	}
	if w.lean || workflow.GetVersion(ctx, changeRememberUpdates, workflow.DefaultVersion, 1) == 1 {
		next.Applied = w.applied[max(0, len(w.applied)-RememberedUpdates):]
	}
	return household.Case{}, workflow.NewContinueAsNewError(ctx, Case, next)
}

// notifiesInProjection is whether this run is at notifyVersion or later:
// the projection carries the notifications its events raise.
func (w *caseWorkflow) notifiesInProjection() bool { return w.version >= notifyVersion }

// changeRememberUpdates names the change that carries the IDs of applied
// updates into the next run (CaseInput.Applied).
const changeRememberUpdates = "remember-updates"

func (w *caseWorkflow) escalate(ctx workflow.Context, in household.EscalateInput) {
	if _, seen := w.c.Escalation(in.ID); seen {
		return // a repeated signal
	}
	if err := w.bound(in.Actor, ""); err != nil {
		workflow.GetLogger(ctx).Warn("escalation refused", "id", in.ID, "error", err)
		w.refused[in.ID] = err
		return
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
// catch up, and nothing later is written before it does. Retries come at
// most 5 s apart, so that a store back from an outage is caught up within
// seconds, not after a backoff of a minute.
var projectRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    5 * time.Second,
}

// localProjectFor is how long a projection is retried as a local activity
// before the case falls back to a regular one. A local activity's
// ScheduleToClose defaults to its StartToClose (30 s), after which it
// fails for good: an outage of MongoDB longer than that failed every case
// it caught. Retried inside the workflow task, a local activity also
// heartbeats that task into the history; past a few minutes the server's
// own retries of a regular activity are cheaper.
const localProjectFor = 3 * time.Minute

// changeProjectionFallback names the fallback from a local-activity
// projection that failed to a regular activity. It is asked only when the
// local activity has failed, so histories whose projections succeeded
// carry no marker.
const changeProjectionFallback = "projection-fallback"

var (
	localProjectOptions = workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: localProjectFor, RetryPolicy: projectRetry}
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
	var notes []activities.Notification
	for _, e := range events {
		if n, ok := w.notification(e); ok {
			notes = append(notes, n)
		}
	}
	projection := activities.Projection{Case: snapshot, Events: events}
	if w.notifiesInProjection() {
		projection.Notifications, notes = notes, nil
	}
	local := w.lean || workflow.GetVersion(ctx, changeLocalProjection, workflow.DefaultVersion, 1) == 1
	if err := w.write(ctx, local, a.Project, projection, nil); err != nil {
		return err
	}
	w.projected = snapshot.Version
	// Runs before notifyVersion notify with an activity each.
	actx := workflow.WithActivityOptions(ctx, projectOptions)
	for _, n := range notes {
		// A lost notification must not hold up the case: its failure is logged, not returned.
		if err := workflow.ExecuteActivity(actx, a.Notify, n).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("notification failed", "case", w.c.ID, "error", err)
		}
	}
	return w.upsertAttributes(ctx)
}

// write runs one of the case's own writes to the store, the projection or
// its people, as a local activity when local: the write runs in the worker
// inside the workflow task, saving the server two round trips (see the
// bench figures in the README). Projections are local since
// changeLocalProjection, people since leanVersion, so that an open is
// answered in the workflow task that started the case.
func (w *caseWorkflow) write(ctx workflow.Context, local bool, activity, in, out any) error {
	actx := workflow.WithActivityOptions(ctx, projectOptions)
	if !local {
		return workflow.ExecuteActivity(actx, activity, in).Get(ctx, out)
	}
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localProjectOptions), activity, in).Get(ctx, out)
	if err == nil {
		return nil
	}
	// A store down for longer than the local activity is retried delays
	// the case; it must not fail it. Runs recorded before the fallback
	// failed here, and replay so.
	if !w.lean && workflow.GetVersion(ctx, changeProjectionFallback, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return err
	}
	return workflow.ExecuteActivity(actx, activity, in).Get(ctx, out)
}

func (w *caseWorkflow) notification(e household.Event) (activities.Notification, bool) {
	n := activities.Notification{CaseID: w.c.ID, Seq: e.Seq, At: e.At, Message: e.Summary}
	switch e.Type {
	case household.EventReminder:
		n.To, n.Region = stageOwner(e.Stage, w.c)
		if n.To == household.RoleAgency {
			// Addressed to the agencies that hold an intervention not yet
			// acknowledged, not every agency of the regency; with none,
			// the case waits on its supervisor.
			if n.Agencies = w.c.AwaitingAgencies(); len(n.Agencies) == 0 {
				n.To = household.RoleSupervisor
			}
		}
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

// deadlineTimer is the one timer of a lean run, set for the case's next
// wake. workflow.AwaitWithTimeout leaves its timer running when the
// condition comes first (the SDK cancels it only behind a flag that is off
// by default), so each action used to leave a timer behind that later
// fired a workflow task for nothing.
type deadlineTimer struct {
	at     time.Time
	timer  workflow.Future
	cancel workflow.CancelFunc
}

// wait blocks until dirty holds or the case's wake time is due, and says
// whether it is due. A timer is started only when the wake time changes,
// and the one it replaces is cancelled.
func (d *deadlineTimer) wait(ctx workflow.Context, wake time.Time, dirty func() bool) (due bool, err error) {
	if !wake.Equal(d.at) {
		d.stop()
		if !wake.IsZero() {
			left := wake.Sub(workflow.Now(ctx))
			if left <= 0 {
				return true, nil
			}
			tctx, cancel := workflow.WithCancel(ctx)
			d.at, d.timer, d.cancel = wake, workflow.NewTimer(tctx, left), cancel
		}
	}
	fired := func() bool { return d.timer != nil && d.timer.IsReady() }
	if err := workflow.Await(ctx, func() bool { return dirty() || fired() }); err != nil {
		return false, err
	}
	if fired() {
		d.at, d.timer, d.cancel = time.Time{}, nil, nil
		return true, nil
	}
	return false, nil
}

func (d *deadlineTimer) stop() {
	if d.cancel != nil {
		d.cancel()
	}
	d.at, d.timer, d.cancel = time.Time{}, nil, nil
}
