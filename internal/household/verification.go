package household

import (
	"time"
)

// Verification is the verifier's finding.
type Verification struct {
	Outcome VerificationOutcome `json:"outcome"`
	Notes   string              `json:"notes,omitempty"`
	// AgreesWithRecommendation is false where the verifier overrode the rules.
	AgreesWithRecommendation bool      `json:"agreesWithRecommendation"`
	By                       string    `json:"by"`
	At                       time.Time `json:"at"`
}

// VerificationInput is the verifier's finding.
type VerificationInput struct {
	Outcome VerificationOutcome `json:"outcome"`
	Notes   string              `json:"notes,omitempty"`
}

// CheckVerification answers whether a may record in.
func (c *Case) CheckVerification(a Actor, in VerificationInput, _ time.Time) error {
	if err := c.gateVerification(a); err != nil {
		return err
	}
	return in.Validate(time.Time{})
}

// gateVerification is CheckVerification without the input (see Allowed).
func (c *Case) gateVerification(a Actor) error {
	if err := c.may(a, "verification", ActVerification.Roles()...); err != nil {
		return err
	}
	if err := c.inStage("verification", StageVerification); err != nil {
		return err
	}
	return c.roomFor("verification", 1)
}

// Validate checks what the input carries, whatever the case.
func (in VerificationInput) Validate(time.Time) error {
	var fe FieldErrors
	Enum(&fe, "outcome", in.Outcome, VerificationOutcomes)
	fe.OptionalNote("notes", in.Notes)
	return fe.Err()
}

// RecordVerification records the finding; anything but extreme_poor closes the case.
func (c *Case) RecordVerification(a Actor, in VerificationInput, now time.Time) []Event {
	agrees := c.Recommendation != nil && c.Recommendation.Outcome == in.Outcome
	c.Verification = &Verification{Outcome: in.Outcome, Notes: in.Notes, AgreesWithRecommendation: agrees, By: a.Sub, At: now}
	var e Event
	if agrees {
		e = c.event(now, a, EventVerified, "outcome %s", in.Outcome)
	} else {
		e = c.event(now, a, EventVerified, "outcome %s (differs from the recommendation)", in.Outcome)
	}
	if o, closes := in.Outcome.ClosingOutcome(); closes {
		return c.commit(now, e, c.close(now, a, o, "verification: "+string(in.Outcome)))
	}
	c.enter(StageIntervention, now)
	return c.commit(now, e)
}
