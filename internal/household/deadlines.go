package household

import (
	"fmt"
	"time"
)

// Deadlines are the days each stage's owner has to act.
type Deadlines struct {
	CollectingDays    int `json:"collectingDays"`
	VillageReviewDays int `json:"villageReviewDays"`
	VerificationDays  int `json:"verificationDays"`
	// AssignDays is the supervisor's time to assign interventions.
	AssignDays int `json:"assignDays"`
	// AcknowledgeDays is an agency's time to acknowledge an assignment.
	AcknowledgeDays int `json:"acknowledgeDays"`
	// FollowUpDays is the interval between monitoring visits; a visit is
	// overdue FollowUpGraceDays after it was due.
	FollowUpDays      int `json:"followUpDays"`
	FollowUpGraceDays int `json:"followUpGraceDays"`
	// VisitGapDays is how far apart two visits must be for both to count
	// toward graduation.
	VisitGapDays int `json:"visitGapDays,omitempty"`
	// TransferDays is the receiving region's time to answer a transfer;
	// zero (a case opened before transfers existed) is
	// DefaultTransferDays.
	TransferDays int `json:"transferDays,omitempty"`
	// ScreeningDays is Dinsos's time to screen a village's proposal, and
	// ObjectionDays its time to answer an objection, after which the
	// objection is upheld by its deadline (docs/living-list.md).
	ScreeningDays int `json:"screeningDays,omitempty"`
	ObjectionDays int `json:"objectionDays,omitempty"`
	// DayLength is how long one deadline day lasts: 24h in service; `tuntas
	// bench` and demos shorten it by configuration. Zero means 24h.
	DayLength time.Duration `json:"dayLength,omitempty"`
}

// Days converts n deadline days to a duration.
func (d Deadlines) Days(n int) time.Duration {
	unit := d.DayLength
	if unit <= 0 {
		unit = Day
	}
	return time.Duration(n) * unit
}

// DefaultDeadlines are 14/14/21/14 days, visits every 30 days with 14
// days' grace, visits at least 21 days apart to count toward graduation,
// 14 days to answer a transfer, and 14 days to screen a village's
// proposal and to answer an objection.
func DefaultDeadlines() Deadlines {
	return Deadlines{CollectingDays: 14, VillageReviewDays: 14, VerificationDays: 21, AssignDays: 14,
		AcknowledgeDays: 14, FollowUpDays: 30, FollowUpGraceDays: 14, VisitGapDays: 21, TransferDays: DefaultTransferDays,
		ScreeningDays: 14, ObjectionDays: 14}
}

// shortDays reports whether days are shortened (a demo or the bench): then
// calendar dates do not move with the deadlines, and gaps between visits
// are measured on when they were recorded instead of their dates.
func (d Deadlines) shortDays() bool { return d.DayLength > 0 && d.DayLength < Day }

// Day is the length of a deadline day in service.
const Day = 24 * time.Hour

// case escalates by itself; days 0 clears the deadline.
func (c *Case) setDeadline(now time.Time, days int) {
	c.Reminded, c.Overdue = false, false
	c.Deadline, c.EscalateAt = time.Time{}, time.Time{}
	if days > 0 {
		d := c.Deadlines.Days(days)
		c.Deadline, c.EscalateAt = now.Add(d), now.Add(2*d)
	}
}

// NextWake is the next moment a deadline rule may fire, or zero if none.
func (c *Case) NextWake() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if c.Status != StatusOpen {
		return next
	}
	if !c.Reminded {
		consider(c.Deadline)
	}
	consider(c.EscalateAt)
	if c.Stage == StageFollowUp {
		if !c.Reminded {
			consider(c.FollowUp.NextDue)
		}
		if !c.Overdue {
			consider(c.followUpOverdueAt())
		}
	}
	remind, escalate := c.transferWake()
	consider(remind)
	consider(escalate)
	return next
}

func (c *Case) followUpOverdueAt() time.Time {
	if c.FollowUp.NextDue.IsZero() {
		return time.Time{}
	}
	return c.FollowUp.NextDue.Add(c.Deadlines.Days(c.Deadlines.FollowUpGraceDays))
}

// Tick applies the deadline rules at now: a reminder once the deadline has
// passed, and at twice the deadline an automatic escalation to the regency.
// In follow-up, a missed visit reminds, then marks the case overdue. A
// pending transfer's answer has its own deadline (see tickTransfer).
func (c *Case) Tick(now time.Time) []Event {
	if c.Status != StatusOpen {
		return nil
	}
	var events []Event
	// At its bound of events a case still keeps its deadline state (or the
	// loop would wake at once, again and again) but records nothing more.
	quiet := c.roomFor("reminder", 2) != nil
	record := func(typ, ref, format string, args ...any) {
		if quiet {
			return
		}
		e := c.event(now, System, typ, format, args...)
		e.Ref = ref
		events = append(events, e)
	}
	if !c.Deadline.IsZero() && !now.Before(c.Deadline) && !c.Reminded {
		c.Reminded, c.Overdue = true, true
		record(EventReminder, "", "%s deadline %s passed", c.Stage, day(c.Local(c.Deadline)))
	}
	if !c.EscalateAt.IsZero() && !now.Before(c.EscalateAt) {
		c.EscalateAt = time.Time{}
		if !quiet && !c.openEscalation(EscalateRegency) {
			id := fmt.Sprintf("auto-%s-%d", c.Stage, c.Seq+1)
			reason := Msgf("%s is twice past its deadline", c.Stage)
			c.Escalations = append(c.Escalations, Escalation{ID: id, Level: EscalateRegency,
				Reason: reason.Text, ReasonKey: reason.Key, ReasonArgs: reason.Args, By: System.Sub, At: now, Open: true})
			c.Escalated = true
			record(EventEscalated, id, "%s to regency: deadline missed twice over", id)
		}
	}
	if c.Stage == StageFollowUp && !c.FollowUp.NextDue.IsZero() {
		if !now.Before(c.FollowUp.NextDue) && !c.Reminded {
			c.Reminded = true
			record(EventReminder, "", "follow-up visit due %s", day(c.Local(c.FollowUp.NextDue)))
		}
		if !now.Before(c.followUpOverdueAt()) && !c.Overdue {
			c.Overdue = true
			record(EventReminder, "", "follow-up visit overdue")
		}
	}
	c.tickTransfer(now, quiet, record)
	if len(events) == 0 {
		return nil
	}
	return c.commit(now, events...)
}

// PendingActions names what the case waits for.
func (c *Case) PendingActions() []string {
	return c.PendingActionsShowing(func(Duplicate) bool { return true })
}

// PendingActionsShowing is PendingActions with only the possible
// duplicates that show (a finding whose other case a reader may not see
// is not theirs to know of).
func (c *Case) PendingActionsShowing(show func(Duplicate) bool) []string {
	var dups []string
	for _, d := range c.Duplicates {
		if d.Open && c.Status == StatusOpen && show(d) {
			dups = append(dups, "supervisor: resolve possible duplicate "+d.ID)
		}
	}
	return append(append(dups, c.transferPendingActions()...), c.stagePendingActions()...)
}

func (c *Case) stagePendingActions() []string {
	switch c.Stage {
	case StageCollecting:
		return []string{"caseworker: submit the household survey"}
	case StageVillageReview:
		return []string{"village_officer: confirm or reject after musdes"}
	case StageVerification:
		return []string{"verifier: record the field verification"}
	case StageIntervention:
		var out []string
		for _, iv := range c.Interventions {
			if iv.Status == InterventionAssigned {
				out = append(out, "agency "+iv.Agency+": acknowledge "+iv.ID)
			}
		}
		if len(out) == 0 {
			out = append(out, "supervisor: assign interventions")
		}
		return out
	case StageFollowUp:
		return []string{"caseworker: follow-up visit due " + day(c.Local(c.FollowUp.NextDue))}
	}
	return nil
}
