// Package activities holds the case workflow's side effects: projecting each
// transition into the MongoDB read model and notifying the people a deadline
// concerns, keeping one person in one open case, and opening the cases of
// an import. It declares the interfaces it needs; internal/store,
// internal/claims, internal/imports and the notifiers implement them.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
)

// CaseStore is the read model as the projection needs it. Both methods must
// be idempotent: a retried or stale call changes nothing.
type CaseStore interface {
	// SaveCase writes the snapshot unless the stored one has the same or a
	// higher version.
	SaveCase(ctx context.Context, c household.Case) error
	// AppendEvents inserts timeline events, skipping those already stored
	// (unique on case and sequence).
	AppendEvents(ctx context.Context, events []household.Event) error
}

// Notifier tells a person or office that something needs them. A
// notification is named by its case and seq, and may be handed over again
// (a retried projection): a notifier must deliver it once.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// Activities are the workflow's side effects, with their dependencies.
type Activities struct {
	Store    CaseStore
	Notifier Notifier
}

// Projection is one step of a case's read model: the snapshot after the
// change, the events that led to it, and the notifications those events
// raise, written together in one local activity.
type Projection struct {
	Case          household.Case    `json:"case"`
	Events        []household.Event `json:"events"`
	Notifications []Notification    `json:"notifications,omitempty"`
}

// Project writes the events, then the snapshot (with the ID of the
// workflow it runs for), so that a reader who sees the snapshot also
// finds its timeline, then hands the notifications to
// the notifier. A retry writes all of it again: the store's writes are
// idempotent, and a notifier must be idempotent per case and seq (see
// Notifier). A notifier that fails for good (a non-retryable error, say a
// gateway refusing a message) is logged and passed over: a notification
// must not stop the case, whose projection is written by then; one that
// may recover is retried with the projection.
func (a *Activities) Project(ctx context.Context, p Projection) error {
	if activity.IsActivity(ctx) {
		// The workflow's state does not know where it lives; the read
		// model records it, so that actions reach the case by the ID it
		// was opened under (a pseudonym, or the KK of a case opened before
		// workflow IDs were pseudonyms).
		p.Case.WorkflowID = activity.GetInfo(ctx).WorkflowExecution.ID
	}
	if err := a.save(ctx, p); err != nil {
		return err
	}
	for _, n := range p.Notifications {
		err := a.Notify(ctx, n)
		var app *temporal.ApplicationError
		if errors.As(err, &app) && app.NonRetryable() {
			if activity.IsActivity(ctx) {
				activity.GetLogger(ctx).Warn("notification refused", "case", n.CaseID, "seq", n.Seq, "to", n.To, "error", err)
			}
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ProjectionStore is a CaseStore that writes a projection's events and
// snapshot in one call, sparing writes the two calls would repeat (the
// read model's store does: internal/store).
type ProjectionStore interface {
	SaveProjection(ctx context.Context, c household.Case, events []household.Event) error
}

// save writes the projection's events, then its snapshot.
func (a *Activities) save(ctx context.Context, p Projection) error {
	if ps, ok := a.Store.(ProjectionStore); ok {
		if err := ps.SaveProjection(ctx, p.Case, p.Events); err != nil {
			return fmt.Errorf("project case %s v%d: %w", p.Case.ID, p.Case.Version, err)
		}
		return nil
	}
	if len(p.Events) > 0 {
		if err := a.Store.AppendEvents(ctx, p.Events); err != nil {
			return fmt.Errorf("project case %s events: %w", p.Case.ID, err)
		}
	}
	if err := a.Store.SaveCase(ctx, p.Case); err != nil {
		return fmt.Errorf("project case %s v%d: %w", p.Case.ID, p.Case.Version, err)
	}
	return nil
}

// Notification is a message to the owner of a stage or to the supervisor.
type Notification struct {
	CaseID string `json:"caseId"`
	// Seq is the timeline event that raised it: with CaseID it names the
	// notification, so a retried activity stores it once. At is its time.
	Seq    int64          `json:"seq,omitempty"`
	At     time.Time      `json:"at,omitzero"`
	To     household.Role `json:"to"`
	Region string         `json:"region"`
	// Agencies, for a notification to agencies, are the ones it concerns
	// (those holding an intervention the case waits on); no other agency
	// is told.
	Agencies []string `json:"agencies,omitempty"`
	Message  string   `json:"message"`
	// Key and Args say the message in a reader's language (see
	// household.Msg); HeadName names the household it is about.
	Key      string          `json:"key,omitempty"`
	Args     []household.Arg `json:"args,omitempty"`
	HeadName string          `json:"headName,omitempty"`
}

// Notify hands the notification to the notifier.
func (a *Activities) Notify(ctx context.Context, n Notification) error {
	if err := a.Notifier.Notify(ctx, n); err != nil {
		return fmt.Errorf("notify %s of case %s: %w", n.To, n.CaseID, err)
	}
	return nil
}

// Notifiers hands a notification to each notifier in turn (the read
// model's store, so people see it in the console, and a log or gateway).
type Notifiers []Notifier

var _ Notifier = Notifiers(nil)

// Notify notifies through every notifier, stopping at the first failure
// (the activity is retried; each notifier is idempotent per case and seq).
func (ns Notifiers) Notify(ctx context.Context, n Notification) error {
	for _, x := range ns {
		if err := x.Notify(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// LogNotifier writes notifications to a structured log; the channel a
// Dinsos office uses (SMS, WhatsApp gateway, e-mail) plugs in here, and
// must send a case and seq once. The log itself may repeat a line when a
// projection is retried. It logs which message was raised (its catalogue
// key), not its text: the text carries what a person typed (an
// escalation's reason may name the household and its NIK), and a log is
// read by operators who may not read the household's data.
type LogNotifier struct{ Logger *slog.Logger }

var _ Notifier = LogNotifier{}

// Notify logs n.
func (l LogNotifier) Notify(ctx context.Context, n Notification) error {
	l.Logger.InfoContext(ctx, "notification", "case", n.CaseID, "seq", n.Seq, "to", n.To, "region", n.Region, "key", n.Key)
	return nil
}
