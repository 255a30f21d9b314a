package household

import (
	"time"
)

// VillageReview is the village's answer.
type VillageReview struct {
	Decision      VillageDecision `json:"decision"`
	Reason        Outcome         `json:"reason,omitempty"`
	MusdesDate    string          `json:"musdesDate"`
	MusdesMinutes string          `json:"musdesMinutes"`
	By            string          `json:"by"`
	At            time.Time       `json:"at"`
}

// VillageInput is the village's decision after musdes.
type VillageInput struct {
	Decision      VillageDecision `json:"decision"`
	Reason        Outcome         `json:"reason,omitempty"`
	MusdesDate    string          `json:"musdesDate"`
	MusdesMinutes string          `json:"musdesMinutes"`
}

// Validate checks the input on day now, on now's clock (see Case.Local).
func (in VillageInput) Validate(now time.Time) error {
	var fe FieldErrors
	Enum(&fe, "decision", in.Decision, VillageDecisions)
	switch {
	case in.Decision == VillageRejected:
		Enum(&fe, "reason", in.Reason, RejectionReasons)
	case in.Reason != "":
		fe.Add("reason", "must be empty when the household is confirmed")
	}
	if _, err := ParseDate(in.MusdesDate); err != nil {
		fe.Add("musdesDate", "%v", err)
	} else if in.MusdesDate > day(now) {
		fe.Add("musdesDate", "must not be in the future")
	}
	fe.Text("musdesMinutes", in.MusdesMinutes, MaxMinutes)
	return fe.Err()
}

// CheckVillage answers whether a may record in.
func (c *Case) CheckVillage(a Actor, in VillageInput, now time.Time) error {
	if err := c.gateVillage(a); err != nil {
		return err
	}
	if err := in.Validate(c.Local(now)); err != nil {
		return err
	}
	if opened := day(c.Local(c.OpenedAt)); in.MusdesDate < opened {
		return FieldErrors{NewFieldError("musdesDate", "must not be before the case was opened (%s)", opened)}
	}
	return nil
}

// gateVillage is CheckVillage without the input (see Allowed).
func (c *Case) gateVillage(a Actor) error {
	if err := c.may(a, "village confirmation", ActVillage.Roles()...); err != nil {
		return err
	}
	if err := c.inStage("village confirmation", StageVillageReview); err != nil {
		return err
	}
	return c.roomFor("village confirmation", 1)
}

// ConfirmByVillage records the decision; a rejection closes the case.
func (c *Case) ConfirmByVillage(a Actor, in VillageInput, now time.Time) []Event {
	c.Village = &VillageReview{Decision: in.Decision, Reason: in.Reason, MusdesDate: in.MusdesDate,
		MusdesMinutes: in.MusdesMinutes, By: a.Sub, At: now}
	if in.Decision == VillageConfirmed {
		e := c.event(now, a, EventVillageConfirmed, "musdes %s", in.MusdesMinutes)
		c.enter(StageVerification, now)
		return c.commit(now, e)
	}
	e := c.event(now, a, EventVillageRejected, "rejected: %s", in.Reason)
	return c.commit(now, e, c.close(now, a, in.Reason, "village rejection, musdes "+in.MusdesMinutes))
}
