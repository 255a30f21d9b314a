package household

import "time"

// Escalation is a case raised to the regency or the province.
type Escalation struct {
	ID         string          `json:"id"`
	Level      EscalationLevel `json:"level"`
	Reason     string          `json:"reason"`
	By         string          `json:"by"`
	At         time.Time       `json:"at"`
	Open       bool            `json:"open"`
	Resolution string          `json:"resolution,omitempty"`
	ResolvedBy string          `json:"resolvedBy,omitempty"`
	ResolvedAt time.Time       `json:"resolvedAt,omitzero"`

	// ReasonKey and ReasonArgs say a reason the rules gave (an automatic
	// escalation's) in a reader's language (see Msg); a person's own
	// reason has none.
	ReasonKey  string `json:"reasonKey,omitempty"`
	ReasonArgs []Arg  `json:"reasonArgs,omitempty"`
}

// EscalateInput raises the case.
type EscalateInput struct {
	// ID is chosen by the sender so that a repeated signal adds nothing.
	ID     string          `json:"id"`
	Level  EscalationLevel `json:"level"`
	Reason string          `json:"reason"`
	Actor  Actor           `json:"actor"`
}

// CheckEscalate answers whether the escalation may be recorded.
func (c *Case) CheckEscalate(in EscalateInput) error {
	if err := c.gateEscalate(in.Actor, in.Level); err != nil {
		return err
	}
	var fe FieldErrors
	if in.ID == "" || len(in.ID) > MaxID {
		fe.Add("id", "must be 1 to %d characters", MaxID)
	}
	Enum(&fe, "level", in.Level, EscalationLevels)
	fe.Note("reason", in.Reason)
	return fe.Err()
}

// gateEscalate is CheckEscalate without the input but its level (see
// Allowed).
func (c *Case) gateEscalate(a Actor, level EscalationLevel) error {
	if err := c.may(a, "escalation", ActEscalate.Roles()...); err != nil {
		return err
	}
	if c.Status != StatusOpen {
		return stageErr(c, "escalation")
	}
	if err := c.roomFor("escalation", 1); err != nil {
		return err
	}
	if len(c.Escalations) >= MaxEscalations {
		return Errorf(CodeConflict, "the case has been escalated %d times, the most it records", MaxEscalations)
	}
	if c.openEscalation(level) {
		return Errorf(CodeConflict, "an escalation to the %s is still open; answer it first", level)
	}
	return nil
}

// openEscalation reports whether an escalation to level is open.
func (c *Case) openEscalation(level EscalationLevel) bool {
	for _, e := range c.Escalations {
		if e.Open && e.Level == level {
			return true
		}
	}
	return false
}

// Escalation returns the escalation with that ID.
func (c *Case) Escalation(id string) (Escalation, bool) {
	for _, e := range c.Escalations {
		if e.ID == id {
			return e, true
		}
	}
	return Escalation{}, false
}

// Escalate records the escalation.
func (c *Case) Escalate(in EscalateInput, now time.Time) []Event {
	c.Escalations = append(c.Escalations, Escalation{ID: in.ID, Level: in.Level, Reason: in.Reason, By: in.Actor.Sub, At: now, Open: true})
	c.Escalated = true
	e := c.event(now, in.Actor, EventEscalated, "%s to %s: %s", in.ID, in.Level, in.Reason)
	e.Ref = in.ID
	return c.commit(now, e)
}

// ResolveInput answers an escalation.
type ResolveInput struct {
	ID         string `json:"id"`
	Resolution string `json:"resolution"`
}

// CheckResolve answers whether a may resolve the escalation: the province
// any, a supervisor those at regency level.
func (c *Case) CheckResolve(a Actor, in ResolveInput, _ time.Time) error {
	if err := c.gateResolve(a); err != nil {
		return err
	}
	if err := validID("id", in.ID); err != nil {
		return err
	}
	for _, e := range c.Escalations {
		if e.ID != in.ID {
			continue
		}
		if !e.Open {
			return Errorf(CodeConflict, "escalation %s is already resolved", in.ID)
		}
		if !e.answerableBy(a) {
			return Errorf(CodeForbidden, "a province escalation is answered by the province")
		}
		return in.fields().Err()
	}
	return Errorf(CodeNotFound, "no escalation %q in this case", in.ID)
}

// gateResolve is CheckResolve without the input (see Allowed).
func (c *Case) gateResolve(a Actor) error {
	if err := c.may(a, "resolving an escalation", ActResolve.Roles()...); err != nil {
		return err
	}
	return c.roomFor("resolving an escalation", 1)
}

// answerableBy is whether a may answer the escalation: a province
// escalation is the province's to answer, not the supervisor's.
func (e Escalation) answerableBy(a Actor) bool {
	return a.Role != RoleSupervisor || e.Level != EscalateProvince
}

// Validate checks what the input carries, whatever the case.
func (in ResolveInput) Validate(time.Time) error {
	if err := validID("id", in.ID); err != nil {
		return err
	}
	return in.fields().Err()
}

func (in ResolveInput) fields() FieldErrors {
	var fe FieldErrors
	fe.Note("resolution", in.Resolution)
	return fe
}

// ResolveEscalation answers the escalation.
func (c *Case) ResolveEscalation(a Actor, in ResolveInput, now time.Time) []Event {
	open := false
	for i := range c.Escalations {
		e := &c.Escalations[i]
		if e.ID == in.ID {
			e.Open, e.Resolution, e.ResolvedBy, e.ResolvedAt = false, in.Resolution, a.Sub, now
		}
		open = open || e.Open
	}
	c.Escalated = open
	e := c.event(now, a, EventEscalationResolved, "%s resolved", in.ID)
	e.Ref = in.ID
	return c.commit(now, e)
}
