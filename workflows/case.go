package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
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
	if in.Baseline != Baseline {
		return household.Case{}, beforeBaseline(ctx, in)
	}
	w := newCaseWorkflow(ctx, in)
	if err := w.setup(ctx); err != nil {
		return household.Case{}, err
	}
	return w.run(ctx)
}

// beforeBaseline refuses a case whose history began before the baseline.
// Replaying such a history, returning an error would be read as a change
// of the workflow's code (a nondeterminism error that names no cause), so
// the workflow task fails with the cause instead: the case stays as it
// was, and the message shows in the worker's log and the case's pending
// workflow task. A new run with such an input (a client from before the
// baseline) fails at once with the same message.
func beforeBaseline(ctx workflow.Context, in CaseInput) error {
	msg := fmt.Sprintf("case %s was started by a Tuntas from before workflow baseline %d "+
		"(its input has baseline %d); this worker does not run such histories: start the data directory afresh",
		workflow.GetInfo(ctx).FirstRunID, Baseline, in.Baseline)
	if workflow.IsReplaying(ctx) {
		panic(msg)
	}
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeBeforeBaseline, nil)
}

type caseWorkflow struct {
	c *household.Case
	// pending are events not yet projected; projected is the last version
	// the read model holds.
	pending   []household.Event
	projected int64
	// attrs is the stage, escalation, kecamatan and village last set as
	// search attributes.
	attrs     [4]string
	requestID string
	// closing is set once the run has decided to end (closed, or continuing
	// as new): an update validated after that would be accepted by a run
	// that no longer applies it, so validators refuse it as retryable.
	closing bool
	// dup receives other cases' notices about a shared person.
	dup workflow.ReceiveChannel
	// deadline is the run's one timer, set for the case's next wake.
	deadline    deadlineTimer
	fresh       bool
	openSettled bool
	heldBefore  []string
	// draft is whether the survey just recorded was a draft.
	draft    bool
	resolved household.DuplicateResolutionInput
	// transfer is the run's version of ChangeTransfer, known once a
	// transfer action came; moved is set when an answer moved the case.
	transfer workflow.Version
	moved    bool

	// earlier are the IDs of updates applied by the previous runs; applied
	// those applied by this one too, the last RememberedUpdates carried on.
	earlier map[string]bool
	applied []string
}

func newCaseWorkflow(ctx workflow.Context, in CaseInput) *caseWorkflow {
	w := &caseWorkflow{dup: workflow.GetSignalChannel(ctx, SignalDuplicate), requestID: in.RequestID, fresh: in.State == nil}
	w.earlier = map[string]bool{}
	for _, id := range in.Applied {
		w.earlier[id] = true
	}
	w.applied = append(w.applied, in.Applied...)
	if in.State != nil {
		// The case carries on unchanged: a new run is Temporal's
		// bookkeeping, not an event of the case, and changes nothing the
		// read model holds.
		w.c = in.State
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
func (w *caseWorkflow) attributes() [4]string {
	esc := "false"
	if w.c.Escalated {
		esc = "true"
	}
	return [4]string{string(w.c.Stage), esc, w.c.DistrictCode, w.c.VillageCode}
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
		register(ctx, w, UpdateSurvey, cs.CheckSurvey, w.recordSurvey, w.claimSurvey),
		register(ctx, w, UpdateVillage, cs.CheckVillage, cs.ConfirmByVillage),
		register(ctx, w, UpdateVerification, cs.CheckVerification, cs.RecordVerification),
		register(ctx, w, UpdateAssign, cs.CheckAssign, cs.AssignInterventions),
		register(ctx, w, UpdateIntervention, cs.CheckIntervention, cs.UpdateIntervention),
		register(ctx, w, UpdateFollowUp, cs.CheckFollowUp, cs.RecordFollowUp),
		register(ctx, w, UpdateGraduate, cs.CheckGraduate, cs.Graduate),
		register(ctx, w, UpdateEscalate, checkEscalation, recordEscalation),
		register(ctx, w, UpdateResolve, cs.CheckResolve, cs.ResolveEscalation),
		register(ctx, w, UpdateClose, cs.CheckClose, cs.Close),
		register(ctx, w, UpdateDuplicateResolution, cs.CheckDuplicateResolution, w.recordResolution, w.settleResolution),
		// A transfer is an action of the case, not a workflow of its own:
		// the case is the one writer of its state, so a transfer and any
		// action competing with it are ordered in this history, and each
		// is checked (its validator, then again as it applies) against
		// what the other left.
		register(ctx, w, UpdateTransfer, cs.CheckTransfer, cs.RequestTransfer, w.transferChange),
		register(ctx, w, UpdateTransferAnswer, cs.CheckTransferAnswer, w.recordAnswer, w.transferChange, w.settleMove),
		register(ctx, w, UpdateTransferCancel, cs.CheckTransferCancel, cs.CancelTransfer, w.transferChange),
		// An upheld objection (sanggah), sent by its own workflow; see
		// ChangeObjections.
		registerSince(ctx, w, ChangeObjections, UpdateUpholdObjection, cs.CheckUphold, cs.UpholdObjection),
	)
}

// bound refuses a message whose actor is bound to another case or another
// update: a sealed payload replayed from elsewhere.
func (w *caseWorkflow) bound(by household.Actor, updateID string) error {
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

// checkEscalation and recordEscalation give the domain's escalation the
// shape of every other action: the update's actor is the one who raises it.
func checkEscalation(c *household.Case, by household.Actor, in household.EscalateInput, _ time.Time) error {
	in.Actor = by
	return c.CheckEscalate(in)
}

func recordEscalation(c *household.Case, by household.Actor, in household.EscalateInput, t time.Time) []household.Event {
	in.Actor = by
	return c.Escalate(in, t)
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
	validate, handle := updateHandlers(w, check, apply, then...)
	return workflow.SetUpdateHandlerWithOptions(ctx, name, handle, workflow.UpdateHandlerOptions{Validator: validate})
}

// updateHandlers are the validator and handler register gives an action.
func updateHandlers[In any](w *caseWorkflow,
	check func(*household.Case, household.Actor, In, time.Time) error,
	apply func(*household.Case, household.Actor, In, time.Time) []household.Event,
	then ...func(workflow.Context) error,
) (validate func(workflow.Context, household.Actor, In) error, handle func(workflow.Context, household.Actor, In) (household.Case, error)) {
	validate = func(ctx workflow.Context, by household.Actor, in In) error {
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
	handle = func(ctx workflow.Context, by household.Actor, in In) (household.Case, error) {
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
	return validate, handle
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
// carry the field errors, or the rejection itself (its catalogue key and
// arguments).
func rejection(err error) error {
	code := household.ErrorCode(err)
	if code == "" {
		return err
	}
	var (
		fe household.FieldErrors
		de *household.Error
	)
	switch {
	case errors.As(err, &fe):
		return temporal.NewApplicationError(err.Error(), string(code), []household.FieldError(fe))
	case errors.As(err, &de):
		return temporal.NewApplicationError(err.Error(), string(code), *de)
	}
	return temporal.NewApplicationError(err.Error(), string(code))
}

// run is the case's story: claim the head, then project what happens and
// wait for the next action or deadline, until the case closes or Temporal
// asks for a new run.
func (w *caseWorkflow) run(ctx workflow.Context) (household.Case, error) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var n DuplicateNotice
			w.dup.Receive(ctx, &n)
			w.hear(ctx, n)
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
	// Temporal's suggestion to continue as new wakes the run too: a run
	// that only answers queries and refused messages must still renew.
	renew := func() bool { return workflow.GetInfo(ctx).GetContinueAsNewSuggested() }
	dirty := func() bool { return len(w.pending) > 0 || renew() }
	for {
		if err := w.flush(ctx); err != nil {
			return household.Case{}, err
		}
		if w.c.Status == household.StatusClosed || renew() {
			break
		}
		due, err := w.deadline.wait(ctx, w.c.NextWake(), dirty)
		if err != nil {
			return household.Case{}, err
		}
		if due {
			w.pending = append(w.pending, w.c.Tick(workflow.Now(ctx))...)
		}
	}
	if w.c.Status == household.StatusClosed {
		// A closed case holds nobody: its people may be claimed anew.
		if err := w.write(ctx, people.ReleasePeople, activities.ReleaseInput{CaseID: w.c.ID, NIKs: w.c.NIKs()}, nil); err != nil {
			return household.Case{}, err
		}
	}
	// Let running handlers finish and take in any notice still queued, so
	// nothing is lost between this run and the next.
	for {
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
	next := CaseInput{Baseline: Baseline, State: w.c, Applied: w.applied[max(0, len(w.applied)-RememberedUpdates):]}
	return household.Case{}, workflow.NewContinueAsNewError(ctx, Case, next)
}

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
// fails for good: an outage of MongoDB longer than that would fail every
// case it caught. Retried inside the workflow task, a local activity also
// heartbeats that task into the history; past a few minutes the server's
// own retries of a regular activity are cheaper.
const localProjectFor = 3 * time.Minute

var (
	localProjectOptions = workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: localProjectFor, RetryPolicy: projectRetry}
	projectOptions      = workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: projectRetry}
)

// flush projects pending events and the snapshot, with the notifications
// they raise, and keeps the search attributes current. Only this coroutine
// writes the case's documents, one write at a time.
func (w *caseWorkflow) flush(ctx workflow.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	events := w.pending
	w.pending = nil
	projection := activities.Projection{Case: *w.c, Events: events}
	for _, e := range events {
		if n, ok := w.notification(e); ok {
			projection.Notifications = append(projection.Notifications, n)
		}
	}
	if err := w.write(ctx, a.Project, projection, nil); err != nil {
		return err
	}
	w.projected = projection.Case.Version
	return w.upsertAttributes(ctx)
}

// write runs one of the case's own writes to the store, the projection or
// its people, as a local activity: the write runs in the worker inside the
// workflow task, saving the server two round trips, so that an open is
// answered in the workflow task that started the case (docs/performance.md).
// A store down for longer than localProjectFor delays the case and must
// not fail it: the write is then retried as a regular activity.
func (w *caseWorkflow) write(ctx workflow.Context, activity, in, out any) error {
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localProjectOptions), activity, in).Get(ctx, out)
	if err == nil {
		return nil
	}
	workflow.GetLogger(ctx).Warn("store write failed as a local activity; retrying as an activity", "case", w.c.ID, "error", err)
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, projectOptions), activity, in).Get(ctx, out)
}

func (w *caseWorkflow) notification(e household.Event) (activities.Notification, bool) {
	n := activities.Notification{CaseID: w.c.ID, Seq: e.Seq, At: e.At, Message: e.Summary, Key: e.Key, Args: e.Args,
		HeadName: w.c.HeadName}
	switch e.Type {
	case household.EventReminder:
		if t, ok := w.c.Transfer(e.Ref); ok {
			// The answer to a transfer is late: the receiving supervisor's.
			n.To, n.Region = household.RoleSupervisor, region.Ancestor(t.ToVillage, region.Regency)
			break
		}
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
	case household.EventTransferRequested, household.EventTransferCancelled:
		// "Perpindahan masuk": the receiving region's supervisors.
		t, _ := w.c.Transfer(e.Ref)
		n.To, n.Region = household.RoleSupervisor, region.Ancestor(t.ToVillage, region.Regency)
	case household.EventTransferAccepted, household.EventTransferRefused:
		// The answer goes back to the sending region's supervisors.
		t, _ := w.c.Transfer(e.Ref)
		n.To, n.Region = household.RoleSupervisor, region.Ancestor(t.FromVillage, region.Regency)
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
	var set []temporal.SearchAttributeUpdate
	if attrs[0] != w.attrs[0] || attrs[1] != w.attrs[1] {
		set = append(set, AttrStage.ValueSet(string(w.c.Stage)), AttrEscalated.ValueSet(w.c.Escalated))
	}
	if w.transfer >= TransferVersion && (attrs[2] != w.attrs[2] || attrs[3] != w.attrs[3]) {
		// Only an accepted transfer moves a case (see settleMove), in a
		// run that recorded ChangeTransfer at the answer.
		set = append(set, AttrDistrict.ValueSet(w.c.DistrictCode), AttrVillage.ValueSet(w.c.VillageCode))
	}
	if len(set) == 0 {
		w.attrs = attrs
		return nil
	}
	w.attrs = attrs
	return workflow.UpsertTypedSearchAttributes(ctx, set...)
}

// deadlineTimer is the one timer of a run, set for the case's next wake. workflow.AwaitWithTimeout leaves its timer running when the
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
