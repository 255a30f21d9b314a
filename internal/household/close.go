package household

import (
	"time"
)

// CloseInput closes the case.
type CloseInput struct {
	Reason Outcome `json:"reason"`
	Notes  string  `json:"notes,omitempty"`
}

// CheckClose answers whether a may close the case.
func (c *Case) CheckClose(a Actor, in CloseInput, _ time.Time) error {
	if err := c.gateClose(a); err != nil {
		return err
	}
	return in.Validate(time.Time{})
}

// gateClose is CheckClose without the input (see Allowed).
func (c *Case) gateClose(a Actor) error {
	if err := c.may(a, "closing", ActClose.Roles()...); err != nil {
		return err
	}
	if c.Status != StatusOpen {
		return stageErr(c, "closing")
	}
	return nil
}

// Validate checks what the input carries, whatever the case.
func (in CloseInput) Validate(time.Time) error {
	var fe FieldErrors
	Enum(&fe, "reason", in.Reason, CloseReasons)
	fe.OptionalNote("notes", in.Notes)
	return fe.Err()
}

// Close ends the case with the reason as its outcome.
func (c *Case) Close(a Actor, in CloseInput, now time.Time) []Event {
	return c.commit(now, c.close(now, a, in.Reason, in.Notes))
}
