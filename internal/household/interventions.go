package household

import (
	"fmt"
	"slices"
	"time"
)

// Intervention is a program assigned to an agency.
type Intervention struct {
	ID         string             `json:"id"`
	Program    Program            `json:"program"`
	Agency     string             `json:"agency"`
	Status     InterventionStatus `json:"status"`
	Notes      string             `json:"notes,omitempty"`
	AssignedBy string             `json:"assignedBy"`
	AssignedAt time.Time          `json:"assignedAt"`
	UpdatedAt  time.Time          `json:"updatedAt"`
}

// Assignment is one program given to one agency.
type Assignment struct {
	Program Program `json:"program"`
	Agency  string  `json:"agency"`
}

// AssignInput assigns programs.
type AssignInput struct {
	Interventions []Assignment `json:"interventions"`
}

// CheckAssign answers whether a may assign in.
func (c *Case) CheckAssign(a Actor, in AssignInput, _ time.Time) error {
	if err := c.gateAssign(a); err != nil {
		return err
	}
	if err := c.roomForInterventions(len(in.Interventions)); err != nil {
		return err
	}
	fe := in.fields()
	if len(in.Interventions) <= len(Programs) {
		for i, as := range in.Interventions {
			for _, iv := range c.Interventions {
				if iv.Program == as.Program && iv.Status != InterventionDeclined && iv.Status != InterventionMoved {
					fe.Add(fmt.Sprintf("interventions[%d].program", i), "%s is already assigned to %s", as.Program, agencyName(iv.Agency))
				}
			}
		}
	}
	return fe.Err()
}

// gateAssign is CheckAssign without the input (see Allowed): as if it
// assigned nothing.
func (c *Case) gateAssign(a Actor) error {
	if err := c.may(a, "assigning interventions", ActAssign.Roles()...); err != nil {
		return err
	}
	if err := c.inStage("assigning interventions", StageIntervention, StageFollowUp); err != nil {
		return err
	}
	if err := c.roomFor("assigning interventions", 1); err != nil {
		return err
	}
	return c.roomForInterventions(0)
}

// roomForInterventions refuses n more interventions past MaxInterventions.
func (c *Case) roomForInterventions(n int) error {
	if len(c.Interventions)+n > MaxInterventions {
		return Errorf(CodeConflict, "the case holds %d interventions; it may hold at most %d", len(c.Interventions), MaxInterventions)
	}
	return nil
}

// Validate checks what the input carries, whatever the case.
func (in AssignInput) Validate(time.Time) error { return in.fields().Err() }

func (in AssignInput) fields() FieldErrors {
	var fe FieldErrors
	if len(in.Interventions) == 0 || len(in.Interventions) > len(Programs) {
		fe.Add("interventions", "must list 1 to %d programs", len(Programs))
		return fe
	}
	for i, as := range in.Interventions {
		p := fmt.Sprintf("interventions[%d].", i)
		Enum(&fe, p+"program", as.Program, Programs)
		if !OneOf(as.Agency, Agencies) {
			fe.Add(p+"agency", "must be one of %v", Agencies)
		}
		for _, other := range in.Interventions[:i] {
			if other.Program == as.Program {
				fe.Add(p+"program", "listed twice")
			}
		}
	}
	return fe
}

// AssignInterventions adds the interventions; agencies now have
// AcknowledgeDays to acknowledge.
func (c *Case) AssignInterventions(a Actor, in AssignInput, now time.Time) []Event {
	for _, as := range in.Interventions {
		c.Interventions = append(c.Interventions, Intervention{
			ID: fmt.Sprintf("iv-%d", len(c.Interventions)+1), Program: as.Program, Agency: as.Agency,
			Status: InterventionAssigned, AssignedBy: a.Sub, AssignedAt: now, UpdatedAt: now,
		})
	}
	if c.Stage == StageIntervention {
		c.setDeadline(now, c.Deadlines.AcknowledgeDays)
	}
	return c.commit(now, c.event(now, a, EventInterventionsAssigned, "assigned %s", assignments(in.Interventions)))
}

// InterventionInput moves an intervention on.
type InterventionInput struct {
	ID     string             `json:"id"`
	Status InterventionStatus `json:"status"`
	Notes  string             `json:"notes,omitempty"`
}

func (c *Case) intervention(id string) int {
	for i := range c.Interventions {
		if c.Interventions[i].ID == id {
			return i
		}
	}
	return -1
}

// CheckIntervention answers whether a may move the intervention; an agency
// may move only its own.
func (c *Case) CheckIntervention(a Actor, in InterventionInput, _ time.Time) error {
	if err := c.gateIntervention(a); err != nil {
		return err
	}
	if err := validID("id", in.ID); err != nil {
		return err
	}
	i := c.intervention(in.ID)
	if i < 0 {
		return Errorf(CodeNotFound, "no intervention %q in this case", in.ID)
	}
	iv := c.Interventions[i]
	if !iv.heldFor(a) {
		return Errorf(CodeNotFound, "no intervention %q for agency %s in this case", in.ID, agencyName(a.Agency))
	}
	if err := in.fields().Err(); err != nil {
		return err
	}
	if !iv.Status.CanMove(in.Status) {
		return Errorf(CodeConflict, "intervention %s cannot go from %s to %s", in.ID, iv.Status, in.Status)
	}
	return nil
}

// gateIntervention is CheckIntervention without the input (see Allowed).
func (c *Case) gateIntervention(a Actor) error {
	if err := c.may(a, "intervention status", ActIntervention.Roles()...); err != nil {
		return err
	}
	if err := c.inStage("intervention status", StageIntervention, StageFollowUp); err != nil {
		return err
	}
	return c.roomFor("intervention status", 1)
}

// heldFor is whether a may report on the intervention: an agency only on
// its own (another agency's is not there for it).
func (iv Intervention) heldFor(a Actor) bool {
	return a.Role != RoleAgency || iv.Agency == a.Agency
}

// Validate checks what the input carries, whatever the case.
func (in InterventionInput) Validate(time.Time) error {
	if err := validID("id", in.ID); err != nil {
		return err
	}
	return in.fields().Err()
}

func (in InterventionInput) fields() FieldErrors {
	var fe FieldErrors
	Enum(&fe, "status", in.Status, ReportedStatuses)
	fe.OptionalNote("notes", in.Notes)
	return fe
}

// UpdateIntervention applies the status; the first acknowledgement moves
// the case to follow-up.
func (c *Case) UpdateIntervention(a Actor, in InterventionInput, now time.Time) []Event {
	i := c.intervention(in.ID)
	iv := &c.Interventions[i]
	iv.Status, iv.Notes, iv.UpdatedAt = in.Status, in.Notes, now
	e := c.event(now, a, EventInterventionUpdated, "%s (%s) %s", iv.ID, iv.Program, in.Status)
	e.Ref = iv.ID
	if c.Stage == StageIntervention && in.Status == InterventionAcknowledged {
		c.enter(StageFollowUp, now)
	}
	return c.commit(now, e)
}

// AwaitingAgencies are the agencies holding an intervention of the case
// that they have not acknowledged yet, each once, in assignment order.
func (c *Case) AwaitingAgencies() []string {
	var out []string
	for _, iv := range c.Interventions {
		if iv.Status == InterventionAssigned && !slices.Contains(out, iv.Agency) {
			out = append(out, iv.Agency)
		}
	}
	return out
}

// HasAgency reports whether agency holds one of the case's interventions,
// in any status but moved (one the household's move took from it): the
// only cases an agency may read.
func (c *Case) HasAgency(agency string) bool {
	for _, iv := range c.Interventions {
		if iv.Agency == agency && iv.Status != InterventionMoved {
			return true
		}
	}
	return false
}
