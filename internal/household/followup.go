package household

import (
	"time"
)

// FollowUpState tracks monitoring visits.
type FollowUpState struct {
	NextDue          time.Time `json:"nextDue,omitzero"`
	Visits           int       `json:"visits"`
	ConsecutiveAbove int       `json:"consecutiveAbove"`
	Last             *Visit    `json:"last,omitempty"`
	// CountedDate and CountedAt are the date and recording time of the last
	// visit that counted toward graduation; a visit counts only when it is
	// Deadlines.VisitGapDays after it.
	CountedDate string    `json:"countedDate,omitempty"`
	CountedAt   time.Time `json:"countedAt,omitzero"`
}

// Visit is one monitoring visit.
type Visit struct {
	VisitDate          string    `json:"visitDate"`
	MonthlyExpenditure int64     `json:"monthlyExpenditure"`
	AboveLine          bool      `json:"aboveLine"`
	Notes              string    `json:"notes,omitempty"`
	By                 string    `json:"by"`
	At                 time.Time `json:"at"`
	// Evidence is the house's photo and the device's position at the visit.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// FollowUpInput is a monitoring visit.
type FollowUpInput struct {
	VisitDate          string `json:"visitDate"`
	MonthlyExpenditure int64  `json:"monthlyExpenditure"`
	Notes              string `json:"notes,omitempty"`
	// Evidence is optional: a photo uploaded first (by its ID) and the
	// device's position.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// CheckFollowUp answers whether a may record the visit.
func (c *Case) CheckFollowUp(a Actor, in FollowUpInput, now time.Time) error {
	if err := c.gateFollowUp(a); err != nil {
		return err
	}
	var fe FieldErrors
	if in.visitDate(&fe, c.Local(now)) {
		since := day(c.Local(c.StageSince))
		switch {
		case c.FollowUp.Last != nil && in.VisitDate < c.FollowUp.Last.VisitDate:
			fe.Add("visitDate", "must not be before the previous visit (%s)", c.FollowUp.Last.VisitDate)
		case in.VisitDate < since:
			fe.Add("visitDate", "must not be before the case entered follow-up (%s)", since)
		}
	}
	in.rest(&fe)
	return fe.Err()
}

// gateFollowUp is CheckFollowUp without the input (see Allowed).
func (c *Case) gateFollowUp(a Actor) error {
	if err := c.may(a, "follow-up visit", ActFollowUp.Roles()...); err != nil {
		return err
	}
	if err := c.inStage("follow-up visit", StageFollowUp); err != nil {
		return err
	}
	return c.roomFor("follow-up visit", 1)
}

// Validate checks what the input carries on day now, whatever the case.
func (in FollowUpInput) Validate(now time.Time) error {
	var fe FieldErrors
	in.visitDate(&fe, now)
	in.rest(&fe)
	return fe.Err()
}

// visitDate checks the visit's date on day now and says whether it holds.
func (in FollowUpInput) visitDate(fe *FieldErrors, now time.Time) bool {
	_, err := ParseDate(in.VisitDate)
	future := err == nil && in.VisitDate > day(now)
	switch {
	case err != nil:
		fe.Add("visitDate", "%v", err)
	case future:
		fe.Add("visitDate", "must not be in the future")
	}
	return err == nil && !future
}

func (in FollowUpInput) rest(fe *FieldErrors) {
	fe.Money("monthlyExpenditure", in.MonthlyExpenditure)
	fe.OptionalNote("notes", in.Notes)
	in.Evidence.check(fe, "evidence.")
}

// RecordFollowUp records the visit; two consecutive visits above the
// extreme-poverty line graduate the household.
func (c *Case) RecordFollowUp(a Actor, in FollowUpInput, now time.Time) []Event {
	members := int64(1)
	if c.Survey != nil && len(c.Survey.Members) > 0 {
		members = int64(len(c.Survey.Members))
	}
	above := !c.Rules.Below(in.MonthlyExpenditure, members, c.Rules.ExtremeLine)
	c.FollowUp.Visits++
	counts := c.countsTowardGraduation(in.VisitDate, now)
	switch {
	case !above:
		// A visit below the line always counts: it breaks the run.
		c.FollowUp.ConsecutiveAbove = 0
		c.FollowUp.CountedDate, c.FollowUp.CountedAt = in.VisitDate, now
	case counts:
		c.FollowUp.ConsecutiveAbove++
		c.FollowUp.CountedDate, c.FollowUp.CountedAt = in.VisitDate, now
	}
	c.FollowUp.Last = &Visit{VisitDate: in.VisitDate, MonthlyExpenditure: in.MonthlyExpenditure, AboveLine: above, Notes: in.Notes, By: a.Sub, At: now,
		Evidence: evidenceOf(in.Evidence)}
	c.FollowUp.NextDue = now.Add(c.Deadlines.Days(c.Deadlines.FollowUpDays))
	c.Reminded, c.Overdue = false, false
	var e Event
	if above && !counts {
		e = c.event(now, a, EventFollowUpRecorded, "visit %d, above line: %t (not counted toward graduation: less than %d days after the visit of %s)",
			c.FollowUp.Visits, above, c.Deadlines.VisitGapDays, c.FollowUp.CountedDate)
	} else {
		e = c.event(now, a, EventFollowUpRecorded, "visit %d, above line: %t", c.FollowUp.Visits, above)
	}
	e.Evidence = evidenceOf(in.Evidence)
	if c.FollowUp.ConsecutiveAbove >= 2 {
		g := c.event(now, a, EventGraduated, "two consecutive visits above the line")
		return c.commit(now, e, g, c.close(now, a, OutcomeGraduated, "two consecutive visits above the line"))
	}
	return c.commit(now, e)
}

// countsTowardGraduation reports whether a visit on visitDate, recorded at
// now, lies VisitGapDays after the last counted visit: by visit dates in
// service, by recording times when days are shortened.
func (c *Case) countsTowardGraduation(visitDate string, now time.Time) bool {
	if c.FollowUp.CountedDate == "" {
		return true
	}
	gap := c.Deadlines.Days(c.Deadlines.VisitGapDays)
	if c.Deadlines.shortDays() {
		return now.Sub(c.FollowUp.CountedAt) >= gap
	}
	this, err1 := ParseDate(visitDate)
	last, err2 := ParseDate(c.FollowUp.CountedDate)
	return err1 == nil && err2 == nil && this.Sub(last) >= gap
}

// NextCountable is the earliest time a visit counts toward graduation, or
// zero when any visit would.
func (c *Case) NextCountable() time.Time {
	if c.FollowUp.CountedDate == "" {
		return time.Time{}
	}
	if c.Deadlines.shortDays() {
		return c.FollowUp.CountedAt.Add(c.Deadlines.Days(c.Deadlines.VisitGapDays))
	}
	last, err := ParseDate(c.FollowUp.CountedDate)
	if err != nil {
		return time.Time{}
	}
	return last.AddDate(0, 0, c.Deadlines.VisitGapDays)
}

// GraduateInput is a verifier's graduation decision.
type GraduateInput struct {
	Notes string `json:"notes"`
}

// CheckGraduate answers whether a may graduate the household.
func (c *Case) CheckGraduate(a Actor, in GraduateInput, _ time.Time) error {
	if err := c.gateGraduate(a); err != nil {
		return err
	}
	return in.Validate(time.Time{})
}

// gateGraduate is CheckGraduate without the input (see Allowed).
func (c *Case) gateGraduate(a Actor) error {
	if err := c.may(a, "graduation", ActGraduate.Roles()...); err != nil {
		return err
	}
	return c.inStage("graduation", StageFollowUp)
}

// Validate checks what the input carries, whatever the case.
func (in GraduateInput) Validate(time.Time) error {
	var fe FieldErrors
	fe.Note("notes", in.Notes)
	return fe.Err()
}

// Graduate closes the case as graduated by decision.
func (c *Case) Graduate(a Actor, in GraduateInput, now time.Time) []Event {
	g := c.event(now, a, EventGraduated, "verifier's decision")
	return c.commit(now, g, c.close(now, a, OutcomeGraduated, in.Notes))
}
