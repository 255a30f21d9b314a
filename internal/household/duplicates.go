package household

import (
	"fmt"
	"time"
)

// Duplicate is a possible duplicate: a person of this case (the head, or a
// member of its survey) whom another open case also holds. A person is
// held by one open case at a time (the first to claim them); the finding
// stands on both cases until a supervisor resolves it.
type Duplicate struct {
	ID string `json:"id"`
	// NIK is the shared person's; views mask it like every NIK.
	NIK          string `json:"nik"`
	OtherCaseID  string `json:"otherCaseId"`
	OtherKK      string `json:"otherKk"`
	OtherVillage string `json:"otherVillage"`
	// Held is true where this case holds the person (it claimed first, or
	// a split was resolved in its favour).
	Held       bool              `json:"held"`
	Open       bool              `json:"open"`
	Decision   DuplicateDecision `json:"decision,omitempty"`
	ResolvedBy string            `json:"resolvedBy,omitempty"`
	At         time.Time         `json:"at"`
	ResolvedAt time.Time         `json:"resolvedAt,omitzero"`
}

// DuplicateDecision is how a supervisor resolves a possible duplicate.
type DuplicateDecision string

// Duplicate decisions.
const (
	// DecisionSplit confirms a real split: both cases stay open and the
	// person is assigned to one of them (Keep).
	DecisionSplit DuplicateDecision = "split"
	// DecisionDuplicate closes the case the resolution is posted on as a
	// duplicate of the other.
	DecisionDuplicate DuplicateDecision = "duplicate"
)

// DuplicateDecisions lists the decisions.
var DuplicateDecisions = []DuplicateDecision{DecisionSplit, DecisionDuplicate}

// Keep names the case that holds the person after a split.
type Keep string

// Keeps.
const (
	KeepThis  Keep = "this"
	KeepOther Keep = "other"
)

// Keeps lists where a split may leave the person.
var Keeps = []Keep{KeepThis, KeepOther}

// Event types of duplicates.
const (
	EventPossibleDuplicate = "possible_duplicate"
	EventDuplicateResolved = "duplicate_resolved"
)

// MaxDuplicates bounds the findings a case records (one per person and
// other case; a survey holds at most MaxMembers people).
const MaxDuplicates = 3 * MaxMembers

// RecordDuplicate notes that nik, a person of this case, is also held by
// the other case; held says which of the two holds them. A finding already
// open for the same person and case changes nothing.
func (c *Case) RecordDuplicate(nik, otherCaseID, otherKK, otherVillage string, held bool, now time.Time) []Event {
	if c.Status != StatusOpen || len(c.Duplicates) >= MaxDuplicates {
		return nil
	}
	for _, d := range c.Duplicates {
		if d.Open && d.NIK == nik && d.OtherCaseID == otherCaseID {
			return nil
		}
	}
	id := fmt.Sprintf("dup-%d", len(c.Duplicates)+1)
	c.Duplicates = append(c.Duplicates, Duplicate{ID: id, NIK: nik, OtherCaseID: otherCaseID, OtherKK: otherKK, OtherVillage: otherVillage, Held: held, Open: true, At: now})
	e := c.event(now, System, EventPossibleDuplicate, "%s: a person of this household is also in another open case", id)
	e.Ref = id
	return c.commit(now, e)
}

// FindingCommits counts the versions the case's possible duplicates made:
// one when found, one when resolved (here or on the other case).
func (c *Case) FindingCommits() int64 {
	var n int64
	for _, d := range c.Duplicates {
		n++
		if d.Decision != "" {
			n++
		}
	}
	return n
}

// OpenDuplicates counts the findings awaiting a supervisor.
func (c *Case) OpenDuplicates() int {
	n := 0
	for _, d := range c.Duplicates {
		if d.Open {
			n++
		}
	}
	return n
}

// People counts the persons this case holds: its surveyed members less
// those another case holds, so that a person on two family cards is
// counted once in the remaining people (0 before the survey, as before).
func (c *Case) People() int {
	if c.Survey == nil {
		return 0
	}
	elsewhere := map[string]bool{}
	for _, d := range c.Duplicates {
		if !d.Held && (d.Open || d.Decision == DecisionSplit) {
			elsewhere[d.NIK] = true
		}
	}
	n := 0
	for _, m := range c.Survey.Members {
		if !elsewhere[m.NIK] {
			n++
		}
	}
	return n
}

// DuplicateResolutionInput resolves a finding of this case.
type DuplicateResolutionInput struct {
	ID       string            `json:"id"`
	Decision DuplicateDecision `json:"decision"`
	// Keep, for a split, names the case that holds the person.
	Keep  Keep   `json:"keep,omitempty"`
	Notes string `json:"notes,omitempty"`
}

func (c *Case) duplicate(id string) int {
	for i := range c.Duplicates {
		if c.Duplicates[i].ID == id {
			return i
		}
	}
	return -1
}

// Finding returns the possible duplicate with that ID.
func (c *Case) Finding(id string) (Duplicate, bool) {
	if i := c.duplicate(id); i >= 0 {
		return c.Duplicates[i], true
	}
	return Duplicate{}, false
}

// CheckDuplicateResolution answers whether a may resolve the finding.
func (c *Case) CheckDuplicateResolution(a Actor, in DuplicateResolutionInput, _ time.Time) error {
	if err := c.gateDuplicateResolution(a); err != nil {
		return err
	}
	if err := validID("id", in.ID); err != nil {
		return err
	}
	i := c.duplicate(in.ID)
	if i < 0 {
		return Errorf(CodeNotFound, "no possible duplicate %q in this case", in.ID)
	}
	if !c.Duplicates[i].Open {
		return Errorf(CodeConflict, "possible duplicate %s is already resolved", in.ID)
	}
	return in.fields().Err()
}

// gateDuplicateResolution is CheckDuplicateResolution without the input
// (see Allowed).
func (c *Case) gateDuplicateResolution(a Actor) error {
	if err := c.may(a, "resolving a possible duplicate", ActDuplicateResolution.Roles()...); err != nil {
		return err
	}
	if c.Status != StatusOpen {
		return stageErr(c, "resolving a possible duplicate")
	}
	return c.roomFor("resolving a possible duplicate", 2)
}

// Validate checks what the input carries, whatever the case.
func (in DuplicateResolutionInput) Validate(time.Time) error {
	if err := validID("id", in.ID); err != nil {
		return err
	}
	return in.fields().Err()
}

func (in DuplicateResolutionInput) fields() FieldErrors {
	var fe FieldErrors
	Enum(&fe, "decision", in.Decision, DuplicateDecisions)
	switch {
	case in.Decision == DecisionSplit:
		Enum(&fe, "keep", in.Keep, Keeps)
	case in.Keep != "":
		fe.Add("keep", "is only for a split")
	}
	fe.OptionalNote("notes", in.Notes)
	return fe
}

// ResolveDuplicate records the supervisor's decision: a split leaves both
// cases open with the person held by one; a duplicate closes this case.
func (c *Case) ResolveDuplicate(a Actor, in DuplicateResolutionInput, now time.Time) []Event {
	d := &c.Duplicates[c.duplicate(in.ID)]
	d.Open, d.Decision, d.ResolvedBy, d.ResolvedAt = false, in.Decision, a.Sub, now
	if in.Decision == DecisionSplit {
		d.Held = in.Keep == KeepThis
	}
	e := c.event(now, a, EventDuplicateResolved, "%s resolved: %s", in.ID, in.Decision)
	e.Ref = in.ID
	if in.Decision == DecisionDuplicate {
		return c.commit(now, e, c.close(now, a, OutcomeDuplicate, "duplicate ("+d.ID+")"))
	}
	return c.commit(now, e)
}

// SettleDuplicate closes this case's finding about nik and the other case
// after the other case's supervisor resolved theirs: held says whether
// this case now holds the person.
func (c *Case) SettleDuplicate(nik, otherCaseID string, decision DuplicateDecision, held bool, now time.Time) []Event {
	for i := range c.Duplicates {
		d := &c.Duplicates[i]
		if !d.Open || d.NIK != nik || d.OtherCaseID != otherCaseID || c.Status != StatusOpen {
			continue
		}
		// Texts name no other case: they reach readers of this case who
		// may not read that one.
		d.Open, d.Decision, d.Held, d.ResolvedBy, d.ResolvedAt = false, decision, held, "the other case", now
		e := c.event(now, System, EventDuplicateResolved, "%s resolved on the other case: %s", d.ID, decision)
		e.Ref = d.ID
		return c.commit(now, e)
	}
	return nil
}

// NIKs are the identity numbers this case holds a claim on: the head's and
// the survey's members'.
func (c *Case) NIKs() []string {
	out := []string{c.HeadNIK}
	if c.Survey != nil {
		for _, m := range c.Survey.Members {
			if m.NIK != c.HeadNIK {
				out = append(out, m.NIK)
			}
		}
	}
	return out
}
