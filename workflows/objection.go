package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
)

// An objection is a workflow of its own, objection-<ID>: its 14-day timer
// must run whether or not the case moves, a case may carry several at
// once, and most objections are dismissed and never touch the case. Only
// an upheld one reaches the case, as one update (UpdateUpholdObjection),
// which the case workflow took on behind the change ChangeObjections.

// ObjectionWorkflowID is the workflow ID of objection id.
func ObjectionWorkflowID(id string) string { return "objection-" + id }

// Names of the objection workflow's query and updates.
const (
	QueryObjection = "objection"
	// UpdateObjected is sent with the start and answers once the read
	// model holds the objection.
	UpdateObjected = "objected"
	// UpdateAnswer is Dinsos's answer: uphold or dismiss.
	UpdateAnswer = "answer"
)

// UpdateUpholdObjection attaches an upheld objection to its case (the
// case workflow's update).
const UpdateUpholdObjection = "uphold-objection"

// ChangeObjections is the change ID under which the case workflow takes
// UpdateUpholdObjection: the first change to the case workflow after the
// baseline. A case records the version marker when it first takes an
// objection; histories recorded before never hold the update.
const ChangeObjections = "objections"

// ObjectionInput starts an objection's workflow. Case holds what the
// objection needs of its case (ID, KK, head's name, region codes).
type ObjectionInput struct {
	ID        string                   `json:"id"`
	Case      household.Case           `json:"case"`
	Objection household.ObjectionInput `json:"objection"`
	Actor     household.Actor          `json:"actor"`
	Deadlines household.Deadlines      `json:"deadlines"`
	RequestID string                   `json:"requestId"`
}

// Objection is an objection from its recording to its answer, or to its
// deadline, and, upheld, to its case. It returns the objection as closed.
func Objection(ctx workflow.Context, in ObjectionInput) (household.Objection, error) {
	o, events := household.NewObjection(in.ID, in.Case, in.Actor, in.Objection, in.Deadlines, workflow.Now(ctx))
	w := &objectionWorkflow{o: o, pending: events, requestID: in.RequestID, kk: in.Case.KK}
	if err := w.setup(ctx); err != nil {
		return household.Objection{}, err
	}
	return w.run(ctx)
}

type objectionWorkflow struct {
	o         *household.Objection
	kk        string
	requestID string
	pending   []household.Event
	notices   []activities.Notification
	projected int64
	// settled is set once an answered objection has done all it does (an
	// upheld one has reached its case).
	settled  bool
	deadline deadlineTimer
}

func (w *objectionWorkflow) setup(ctx workflow.Context) error {
	return errors.Join(
		workflow.SetQueryHandler(ctx, QueryObjection, func() (household.Objection, error) { return *w.o, nil }),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateObjected, w.objected,
			workflow.UpdateHandlerOptions{Validator: w.validateObjected}),
		workflow.SetUpdateHandlerWithOptions(ctx, UpdateAnswer, w.answer,
			workflow.UpdateHandlerOptions{Validator: w.validateAnswer}),
	)
}

func (w *objectionWorkflow) validateObjected(requestID string) error {
	if requestID == "" || requestID != w.requestID {
		return rejection(household.Errorf(household.CodeConflict, "the objection is already answered (%s)", w.o.Status))
	}
	return nil
}

func (w *objectionWorkflow) objected(ctx workflow.Context, _ string) (household.Objection, error) {
	if err := workflow.Await(ctx, func() bool { return w.projected >= 1 }); err != nil {
		return household.Objection{}, err
	}
	return *w.o, nil
}

func (w *objectionWorkflow) validateAnswer(ctx workflow.Context, by household.Actor, in household.AnswerInput) error {
	if err := boundTo(w.o.ID, by, workflow.GetCurrentUpdateInfo(ctx).ID); err != nil {
		return err
	}
	return rejection(w.o.CheckAnswer(by, in, workflow.Now(ctx)))
}

// answer records Dinsos's answer and returns the objection once it has
// done all it does: an upheld one has reached its case.
func (w *objectionWorkflow) answer(ctx workflow.Context, by household.Actor, in household.AnswerInput) (household.Objection, error) {
	// Checked again: two answers accepted in one task are validated
	// before either applies.
	if err := w.o.CheckAnswer(by, in, workflow.Now(ctx)); err != nil {
		return household.Objection{}, rejection(err)
	}
	w.pending = append(w.pending, w.o.AnswerWith(by, in, workflow.Now(ctx))...)
	if err := workflow.Await(ctx, func() bool { return w.settled && len(w.pending) == 0 && w.projected >= w.o.Version }); err != nil {
		return household.Objection{}, err
	}
	return *w.o, nil
}

// run is the objection's story: recorded, then answered or lapsed at its
// deadline (its supervisors are told), then, upheld, handed to its case.
func (w *objectionWorkflow) run(ctx workflow.Context) (household.Objection, error) {
	dirty := func() bool { return len(w.pending) > 0 }
	for {
		if err := w.flush(ctx); err != nil {
			return household.Objection{}, err
		}
		if w.o.Status != household.ObjectionOpen {
			break
		}
		due, err := w.deadline.wait(ctx, w.o.NextWake(), dirty)
		if err != nil {
			return household.Objection{}, err
		}
		if due {
			events := w.o.Lapse(workflow.Now(ctx))
			for _, e := range events {
				// The case's supervisors are told that the objection stands
				// by its deadline.
				w.notices = append(w.notices, activities.Notification{CaseID: w.o.ID, Seq: e.Seq, At: e.At,
					To: household.RoleSupervisor, Region: w.o.RegencyCode, Message: e.Summary, Key: e.Key, Args: e.Args, HeadName: w.o.HeadName})
			}
			w.pending = append(w.pending, events...)
		}
	}
	w.deadline.stop()
	if w.o.Upheld() {
		by, in := w.o.Uphold()
		var res activities.UpholdResult
		actx := workflow.WithActivityOptions(ctx, listActivityOptions)
		err := workflow.ExecuteActivity(actx, ll.UpholdOnCase, activities.UpholdRequest{KK: w.kk, CaseID: w.o.CaseID, By: by, In: in}).Get(ctx, &res)
		if err != nil {
			return household.Objection{}, err
		}
		if res.Refusal != nil {
			w.pending = append(w.pending, w.o.Refused(*res.Refusal, workflow.Now(ctx))...)
		} else {
			w.pending = append(w.pending, w.o.Reached(res.Stage, workflow.Now(ctx))...)
		}
	}
	if err := w.flush(ctx); err != nil {
		return household.Objection{}, err
	}
	w.settled = true
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return household.Objection{}, err
	}
	return *w.o, nil
}

// flush projects the objection with the notifications its new events raise.
func (w *objectionWorkflow) flush(ctx workflow.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	w.pending = nil
	pr := activities.ObjectionProjection{Objection: *w.o, Notifications: w.notices}
	w.notices = nil
	if err := writeList(ctx, ll.ProjectObjection, pr); err != nil {
		return err
	}
	w.projected = pr.Objection.Version
	return nil
}

// StartObjection starts the workflow of in's objection with its
// UpdateObjected and returns the objection once recorded.
func StartObjection(ctx context.Context, c client.Client, in ObjectionInput) (household.Objection, error) {
	out, err := startRequest[household.Objection](ctx, c, ObjectionWorkflowID(in.ID), Objection, in, UpdateObjected, in.RequestID)
	if errors.Is(err, errRequestEnded) {
		return out, ErrObjectionEnded
	}
	if err != nil {
		return out, fmt.Errorf("record objection %s: %w", in.ID, err)
	}
	return out, nil
}

// ErrObjectionEnded is an objection recorded again after its workflow
// ended: the read model holds it.
var ErrObjectionEnded = errors.New("the objection's workflow has ended")

// Answer sends Dinsos's answer to objection id, by (bound to the
// objection and the update updateID), and returns the objection after it.
func Answer(ctx context.Context, c client.Client, id string, by household.Actor, in household.AnswerInput, updateID string) (household.Objection, error) {
	return answerRequest[household.Objection](ctx, c, ObjectionWorkflowID(id), id, UpdateAnswer, by, in, updateID)
}

// Uphold sends an upheld objection to the case caseID of family card kk as
// the update updateID, by (bound to the case and the update), and returns
// the case after it. A refusal by the case, or a case no longer running,
// is refusal; a run ending around the update is an error worth a retry.
// The case is found under its pseudonymous ID (WorkflowID with hs) or,
// opened before workflow IDs were pseudonyms, under the legacy one.
func Uphold(ctx context.Context, c client.Client, hs Households, kk, caseID string, by household.Actor, in household.UpholdInput, updateID string) (household.Case, *household.Error, error) {
	by.Case, by.Update = caseID, updateID
	var (
		out household.Case
		err error
	)
	for _, id := range []string{WorkflowID(hs, kk), LegacyWorkflowID(kk)} {
		var h client.WorkflowUpdateHandle
		h, err = c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, FirstExecutionRunID: caseID,
			UpdateName: UpdateUpholdObjection, UpdateID: updateID, Args: []any{by, in}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = h.Get(ctx, &out)
		}
		if !errors.As(err, new(*serviceerror.NotFound)) {
			break
		}
	}
	if refusal, ok := rejectionOf(err); ok {
		return household.Case{}, refusal, nil
	}
	if errors.As(err, new(*serviceerror.NotFound)) {
		m := household.Msgf("the case is no longer running")
		return household.Case{}, &household.Error{Code: household.CodeConflict, Message: m.Text, Key: m.Key}, nil
	}
	if err != nil {
		return household.Case{}, nil, fmt.Errorf("uphold objection %s on case %s: %w", in.ID, caseID, err)
	}
	return out, nil, nil
}

// registerSince is register for an action added to the case workflow
// after the baseline by change: its handler records the change's version
// marker before anything else, the first time a case takes the action, so
// that a replay of the case's history meets the marker where the action
// was taken and a worker whose code knows no such change fails the case's
// task rather than running it as something else. Histories from before the
// change never hold the update, and replay unchanged.
func registerSince[In any](ctx workflow.Context, w *caseWorkflow, change, name string,
	check func(*household.Case, household.Actor, In, time.Time) error,
	apply func(*household.Case, household.Actor, In, time.Time) []household.Event,
	then ...func(workflow.Context) error,
) error {
	validate, handle := updateHandlers(w, check, apply, then...)
	since := func(ctx workflow.Context, by household.Actor, in In) (household.Case, error) {
		if workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			// Only the replay of a history that took the action without its
			// marker lands here, and no worker ever recorded one: fail the
			// task with the cause, as a history from before the baseline
			// does, rather than guess what that worker did.
			panic(fmt.Sprintf("case %s took update %s without the marker of change %q", w.c.ID, name, change))
		}
		return handle(ctx, by, in)
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, name, since, workflow.UpdateHandlerOptions{Validator: validate})
}
