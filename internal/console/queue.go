package console

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// workKind is one kind of work a role does, and the list filter that finds
// the cases waiting for it.
type workKind struct {
	Key    string
	Filter casework.Filter
}

// waiting is f narrowed to open cases, as many as a page holds.
func waiting(f casework.Filter) casework.Filter {
	f.Status, f.Limit = household.StatusOpen, casework.MaxLimit
	return f
}

var yes = true

// Filters of the work queue and the province's escalations.
var (
	escalatedOpen = waiting(casework.Filter{Escalated: &yes})
	overdueOpen   = waiting(casework.Filter{Overdue: &yes})
)

func inStage(s household.Stage) casework.Filter { return waiting(casework.Filter{Stage: s}) }

// workKinds are the cases waiting on each role in its region.
var workKinds = map[household.Role][]workKind{
	household.RoleCaseworker:     {{"survey", inStage(household.StageCollecting)}, {"visit", inStage(household.StageFollowUp)}},
	household.RoleVillageOfficer: {{"musdes", inStage(household.StageVillageReview)}},
	household.RoleVerifier:       {{"verification", inStage(household.StageVerification)}},
	// "Perpindahan masuk": households moving into the supervisor's
	// region, to accept or refuse (docs/transfer.md).
	household.RoleSupervisor: {{"transfer-in", waiting(casework.Filter{Transfer: household.TransferIncoming})},
		{"assign", inStage(household.StageIntervention)}, {"escalation", escalatedOpen}},
	// An agency's work is its own interventions, whatever the case's stage:
	// another agency's acknowledgement moves the case on before it has
	// acknowledged its own, and what it delivered is done.
	household.RoleAgency: {{"acknowledge", waiting(casework.Filter{Intervention: household.InterventionAssigned})},
		{"deliver", waiting(casework.Filter{Intervention: household.InterventionAcknowledged})}},
	household.RoleProvince: {{"escalation", escalatedOpen}},
	household.RoleAdmin:    {{"overdue", overdueOpen}, {"escalation", escalatedOpen}},
}

// workGroup is the cases of one kind, most urgent first.
type workGroup struct {
	Key   string
	Items []casework.SummaryView
	More  bool
}

// noteView is a notification with its read state for this person.
type noteView struct {
	store.Notification
	Unread bool
}

// queuePage is "Tugas saya": the cases waiting on this person, overdue
// first then by deadline, with counts per kind; then their reminders and
// escalations, unread ones marked.
func (c *Console) queuePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	who := caller(r)
	var groups []workGroup
	for _, k := range workKinds[who.Role] {
		l, err := c.svc.ListCases(ctx, who, k.Filter)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if k.Filter.Transfer == household.TransferIncoming {
			slices.SortStableFunc(l.Items, answerDue)
		} else {
			slices.SortStableFunc(l.Items, urgency)
		}
		groups = append(groups, workGroup{Key: k.Key, Items: l.Items, More: l.NextCursor != ""})
	}
	living, err := c.livingWork(ctx, who)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	notes, err := c.notes.NotificationsFor(ctx, who.Role, who.Region, who.Agency, 50)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	readAt, err := c.notes.NotificationsReadAt(ctx, who.Sub)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	views := make([]noteView, len(notes))
	unread := 0
	for i, n := range notes {
		views[i] = noteView{Notification: n, Unread: n.At.After(readAt)}
		if views[i].Unread {
			unread++
		}
	}
	p := c.newPage(w, r, "queue.title")
	p.Nav = "queue"
	p.Data = map[string]any{"Groups": groups, "Notes": views, "Unread": unread, "Living": living}
	c.render(w, r, "queue", p)
}

// urgency orders overdue cases first, then by the nearest deadline (cases
// without one last).
func urgency(a, b casework.SummaryView) int {
	if a.Overdue != b.Overdue {
		if a.Overdue {
			return -1
		}
		return 1
	}
	switch {
	case a.Deadline.Equal(b.Deadline):
		return 0
	case a.Deadline.IsZero():
		return 1
	case b.Deadline.IsZero():
		return -1
	case a.Deadline.Before(b.Deadline):
		return -1
	}
	return 1
}

// answerDue orders incoming transfers by when their answer is due.
func answerDue(a, b casework.SummaryView) int { return a.TransferDeadline.Compare(b.TransferDeadline) }

// markRead marks every notification shown so far as read.
func (c *Console) markRead(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r.Context())
	if err := c.notes.MarkNotificationsRead(r.Context(), u.Sub, c.now().Add(time.Second)); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/#notes", http.StatusSeeOther)
}

// livingQueue is the living list's work waiting on a person: village
// proposals to screen ("Usulan desa") and objections to answer
// ("Sanggah"), oldest deadline first.
type livingQueue struct {
	Proposals  []casework.ProposalView
	Objections []casework.ObjectionView
	Shown      bool
}

// livingWork is the living list's work of who, when the server keeps it.
func (c *Console) livingWork(ctx context.Context, who casework.Caller) (livingQueue, error) {
	var q livingQueue
	if who.Can(household.ScreenRoles...) {
		l, err := c.svc.Proposals(ctx, who, casework.ListQuery{Status: string(household.ProposalScreening)})
		if unavailable(err) {
			return q, nil
		}
		if err != nil {
			return q, err
		}
		q.Proposals, q.Shown = l.Items, true
		slices.SortStableFunc(q.Proposals, func(a, b casework.ProposalView) int { return a.Deadline.Compare(b.Deadline) })
	}
	if who.Can(household.AnswerRoles...) {
		l, err := c.svc.Objections(ctx, who, casework.ListQuery{Status: string(household.ObjectionOpen)})
		if unavailable(err) {
			return q, nil
		}
		if err != nil {
			return q, err
		}
		q.Objections, q.Shown = l.Items, true
		slices.SortStableFunc(q.Objections, func(a, b casework.ObjectionView) int { return a.DueAt.Compare(b.DueAt) })
	}
	return q, nil
}

// unavailable reports whether err says the server keeps no such thing.
func unavailable(err error) bool {
	pr, ok := api.ProblemOf(err)
	return ok && pr.Status == http.StatusServiceUnavailable
}
