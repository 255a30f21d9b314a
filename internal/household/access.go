package household

import (
	"github.com/tuntas-id/tuntas/internal/region"
)

// Actor is who performs an action.
type Actor struct {
	Sub    string `json:"sub"`
	Role   Role   `json:"role"`
	Region string `json:"region"`
	Agency string `json:"agency,omitempty"`
	// Case and Update bind the actor to one message: the case it is sent
	// to and the update's ID. Sealed with the rest of the payload, they
	// keep a payload copied out of one case's history from acting on
	// another case, or again as another update.
	Case   string `json:"case,omitempty"`
	Update string `json:"update,omitempty"`
}

// System is the actor of the deadline rules. It acts only from inside the
// workflow (Tick); no message may claim it.
var System = Actor{Sub: "tuntas", Role: RoleSystem}

func stageErr(c *Case, action act) error {
	return Errorf(CodeConflict, "%s is not possible while the case is %s", action, c.Stage)
}

// may checks the actor's role and region scope, and that a pending
// transfer does not hold the action back (see stays). The system actor is
// refused like any unknown role: the deadline rules never come through a
// message, so a message that claims to be the system is forged.
func (c *Case) may(a Actor, action act, roles ...Role) error {
	if err := c.mayHere(a, action, roles...); err != nil {
		return err
	}
	return c.stays(a, action)
}

// mayHere is may without the pending transfer: the actor's role and
// region scope alone.
func (c *Case) mayHere(a Actor, action act, roles ...Role) error {
	if a.Role != RoleAdmin && !OneOf(a.Role, roles) {
		return Errorf(CodeForbidden, "%s needs role %v", action, roles)
	}
	if !region.Within(c.VillageCode, a.Region) {
		return Errorf(CodeForbidden, "the case lies outside region %s", a.Region)
	}
	return nil
}

func (c *Case) inStage(action act, stages ...Stage) error {
	if !OneOf(c.Stage, stages) {
		return stageErr(c, action)
	}
	return nil
}
