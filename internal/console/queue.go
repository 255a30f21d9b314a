package console

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// workKind is one kind of work a role does, and the list query that finds
// the cases waiting for it.
type workKind struct {
	Key   string
	Query url.Values
}

func q(kv ...string) url.Values {
	v := url.Values{"status": {"open"}, "limit": {"200"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// workKinds are the cases waiting on each role in its region.
var workKinds = map[household.Role][]workKind{
	household.RoleCaseworker:     {{"survey", q("stage", "collecting")}, {"visit", q("stage", "follow_up")}},
	household.RoleVillageOfficer: {{"musdes", q("stage", "village_review")}},
	household.RoleVerifier:       {{"verification", q("stage", "verification")}},
	household.RoleSupervisor:     {{"assign", q("stage", "intervention")}, {"escalation", q("escalated", "true")}},
	household.RoleAgency:         {{"acknowledge", q("stage", "intervention")}, {"deliver", q("stage", "follow_up")}},
	household.RoleProvince:       {{"escalation", q("escalated", "true")}},
	household.RoleAdmin:          {{"overdue", q("overdue", "true")}, {"escalation", q("escalated", "true")}},
}

// workGroup is the cases of one kind, most urgent first.
type workGroup struct {
	Key   string
	Items []api.SummaryView
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
		l, err := c.api.ListCases(ctx, who, k.Query.Encode())
		if err != nil {
			c.fail(w, r, err)
			return
		}
		slices.SortStableFunc(l.Items, urgency)
		groups = append(groups, workGroup{Key: k.Key, Items: l.Items, More: l.NextCursor != ""})
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
	p.Data = map[string]any{"Groups": groups, "Notes": views, "Unread": unread}
	c.render(w, r, "queue", p)
}

// urgency orders overdue cases first, then by the nearest deadline (cases
// without one last).
func urgency(a, b api.SummaryView) int {
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

// markRead marks every notification shown so far as read.
func (c *Console) markRead(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r.Context())
	if err := c.notes.MarkNotificationsRead(r.Context(), u.Sub, c.now().Add(time.Second)); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/#notes", http.StatusSeeOther)
}
