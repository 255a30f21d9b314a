package household

// Bounds on what a case may accumulate. A case is one workflow whose state
// travels in every Temporal payload and whose timeline is one document per
// event: without bounds, a careless or hostile client could grow a case
// past Temporal's payload limit, after which it answers nothing. Texts are
// bounded where they are checked (text.go); these bound the counts.
const (
	// MaxEvents is the most timeline events a case records. Near it, only
	// closing is possible, which needs CloseReserve events.
	MaxEvents    = 1000
	CloseReserve = 5
	// MaxDrafts is how often a survey may be saved as a draft.
	MaxDrafts = 50
	// MaxEscalations is the most escalations a case records over its life;
	// at most one per level is open at a time.
	MaxEscalations = 20
	// MaxInterventions is the most interventions a case holds, declined
	// and moved ones included (each program may be assigned again after a
	// decline or a move that ended it).
	MaxInterventions = 3 * 7
)

// MaxID bounds an ID a request names (an intervention, an escalation, a
// finding): the case's own are a few characters.
const MaxID = 64

// validID checks an ID a request names.
func validID(field, id string) error {
	if id == "" || len(id) > MaxID {
		return FieldErrors{NewFieldError(field, "must be 1 to %d characters", MaxID)}
	}
	return nil
}

// roomFor refuses an action that would record events past the case's
// bound, leaving room to close it.
func (c *Case) roomFor(action act, events int) error {
	if c.Seq+int64(events) > MaxEvents-CloseReserve {
		return Errorf(CodeConflict, "%s: the case has recorded its limit of %d events; a supervisor may close it", action, MaxEvents)
	}
	return nil
}
