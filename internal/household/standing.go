package household

import (
	"slices"
	"time"
)

// Strategy is one of the three strategies of Inpres 4/2022 by which a
// regency reports what it did against extreme poverty.
type Strategy string

// Strategies.
const (
	// StrategyLowerCosts lowers households' costs: social assistance.
	StrategyLowerCosts Strategy = "lower_costs"
	// StrategyRaiseIncome raises households' income: empowerment.
	StrategyRaiseIncome Strategy = "raise_income"
	// StrategyShrinkPockets shrinks poverty pockets: housing, water,
	// sanitation, electricity.
	StrategyShrinkPockets Strategy = "shrink_pockets"
)

// Strategies lists the three strategies in the order reports show them.
var Strategies = []Strategy{StrategyLowerCosts, StrategyRaiseIncome, StrategyShrinkPockets}

// ProgramStrategy maps every program to the one strategy it serves: the
// one table reports group interventions by. CSR is counted under poverty
// pockets because the rules recommend it for a house without electricity.
var ProgramStrategy = map[Program]Strategy{
	ProgramPKH:         StrategyLowerCosts,
	ProgramSembako:     StrategyLowerCosts,
	ProgramPBIJKN:      StrategyLowerCosts,
	ProgramBLTDanaDesa: StrategyLowerCosts,
	ProgramJobTraining: StrategyRaiseIncome,
	ProgramRTLH:        StrategyShrinkPockets,
	ProgramCSR:         StrategyShrinkPockets,
}

// Facts is what a report needs of one case: who the household is and the
// times of its timeline. A report computes from them where the case stood
// at any moment (Standing), never from where it stands today.
type Facts struct {
	ID           string `json:"id"`
	VillageCode  string `json:"villageCode"`
	DistrictCode string `json:"districtCode"`
	RegencyCode  string `json:"regencyCode"`
	// Outcome and Verification are the case's final ones: a case closes
	// once and is verified once, so the timeline says when, these say what.
	Outcome      Outcome             `json:"outcome,omitempty"`
	Verification VerificationOutcome `json:"verification,omitempty"`
	// Reverified are the findings of earlier verifications that upheld
	// objections set aside, in order: the k-th verification event found
	// Reverified[k-1], the last one Verification.
	Reverified []VerificationOutcome `json:"reverified,omitempty"`
	// People are the surveyed members (counted from the survey's
	// submission on).
	People        []Person           `json:"people,omitempty"`
	Interventions []InterventionFact `json:"interventions,omitempty"`
	// Marks are the timeline's events, in any order.
	Marks []Mark `json:"marks,omitempty"`
}

// Person is what a report counts of a member: no name, no NIK.
type Person struct {
	Head       bool   `json:"head,omitempty"`
	BirthDate  string `json:"birthDate"`
	Sex        Sex    `json:"sex"`
	Disability bool   `json:"disability,omitempty"`
}

// InterventionFact is an intervention's program, final status and the
// time of its assignment (the assignment event's time); the times of its
// status reports are in the marks.
type InterventionFact struct {
	ID         string             `json:"id"`
	Program    Program            `json:"program"`
	Status     InterventionStatus `json:"status"`
	AssignedAt time.Time          `json:"assignedAt"`
}

// Mark is a timeline event as a report reads it.
type Mark struct {
	Seq  int64     `json:"seq"`
	At   time.Time `json:"at"`
	Type string    `json:"type"`
	Ref  string    `json:"ref,omitempty"`
}

// MarkOf is the mark of e.
func MarkOf(e Event) Mark { return Mark{Seq: e.Seq, At: e.At, Type: e.Type, Ref: e.Ref} }

// FactsOf is the facts of c, with no marks (the store keeps them from the
// events as they are appended).
func FactsOf(c Case) Facts {
	f := Facts{ID: c.ID, VillageCode: c.VillageCode, DistrictCode: c.DistrictCode, RegencyCode: c.RegencyCode, Outcome: c.Outcome}
	if c.Verification != nil {
		f.Verification = c.Verification.Outcome
	}
	for _, o := range c.Objections {
		if o.Reverified != "" {
			f.Reverified = append(f.Reverified, o.Reverified)
		}
	}
	if c.Survey != nil {
		for _, m := range c.Survey.Members {
			f.People = append(f.People, Person{Head: m.Relation == RelationHead, BirthDate: m.BirthDate, Sex: m.Sex, Disability: m.Disability})
		}
	}
	for _, iv := range c.Interventions {
		f.Interventions = append(f.Interventions, InterventionFact{ID: iv.ID, Program: iv.Program, Status: iv.Status, AssignedAt: iv.AssignedAt})
	}
	return f
}

// HeadSex is the sex of the household's head, "" before a survey names one.
func (f Facts) HeadSex() Sex {
	for _, p := range f.People {
		if p.Head {
			return p.Sex
		}
	}
	return ""
}

// Standing is where a case stood at a moment.
type Standing struct {
	// Known is false before the case was opened: nothing else is set.
	Known    bool
	Stage    Stage
	Open     bool
	Outcome  Outcome
	Surveyed bool
	// Verified is the verification's outcome once it was recorded.
	Verified VerificationOutcome
	// Graduated is true once the household graduated.
	Graduated bool
	Overdue   bool
	Escalated bool
	// Interventions are the case's interventions assigned by then, with
	// the status each had.
	Interventions []InterventionFact
}

// ExtremePoor is whether the household was verified extreme-poor and its
// case still open: a household still to be lifted out.
func (s Standing) ExtremePoor() bool { return s.Open && s.Verified == ExtremePoor }

// At is where the case stood at t, replaying its timeline's events
// before t by the lifecycle's own transitions (see Case): the stage each
// event leads to, the deadline state reminders set and actions clear,
// escalations raised and answered. What the timeline does not say — the
// verification's finding, the closing outcome, an intervention's program
// and the order of its statuses — comes from the final facts, which a
// case only ever sets once or moves one way.
func (f Facts) At(t time.Time) Standing {
	marks := slices.Clone(f.Marks)
	slices.SortFunc(marks, func(a, b Mark) int { return int(a.Seq - b.Seq) })
	var s Standing
	// updates counts each intervention's status reports so far.
	updates := map[string]int{}
	reports := map[string]int{}
	for _, m := range marks {
		if m.Type == EventInterventionUpdated {
			reports[m.Ref]++
		}
	}
	escalations := map[string]bool{}
	reminders, verified := 0, 0
	enter := func(st Stage) {
		if st != s.Stage {
			reminders = 0
		}
		s.Stage = st
	}
	for _, m := range marks {
		if !m.At.Before(t) {
			break
		}
		switch m.Type {
		case EventOpened:
			s.Known, s.Open = true, true
			enter(StageCollecting)
		case EventSurveySubmitted:
			s.Surveyed = true
			enter(StageVillageReview)
		case EventVillageConfirmed:
			enter(StageVerification)
		case EventVerified:
			verified++
			s.Verified = f.Verification
			if verified <= len(f.Reverified) {
				s.Verified = f.Reverified[verified-1]
			}
			if s.Verified == ExtremePoor {
				enter(StageIntervention)
			}
		case EventObjectionUpheld:
			// As Case.UpholdObjection: a verified case is verified again.
			if s.Stage == StageIntervention || s.Stage == StageFollowUp {
				s.Verified = ""
				enter(StageVerification)
			}
		case EventInterventionsAssigned:
			if s.Stage == StageIntervention {
				reminders = 0
			}
		case EventInterventionUpdated:
			updates[m.Ref]++
			if s.Stage == StageIntervention && f.statusAfter(m.Ref, updates[m.Ref], reports[m.Ref]) == InterventionAcknowledged {
				enter(StageFollowUp)
			}
		case EventFollowUpRecorded:
			reminders = 0
		case EventGraduated:
			s.Graduated = true
		case EventReminder:
			// A late answer to a transfer (Ref names it) is no reminder of
			// the stage's: the stage is not overdue for it.
			if m.Ref == "" {
				reminders++
			}
		case EventEscalated:
			escalations[m.Ref] = true
		case EventEscalationResolved:
			delete(escalations, m.Ref)
		case EventClosed:
			s.Open, s.Outcome = false, f.Outcome
			enter(StageClosed)
		}
	}
	if !s.Known {
		return Standing{}
	}
	if s.Open {
		// In follow-up the first reminder says a visit is due, the second
		// that it is overdue; in any other stage one reminder is overdue.
		need := 1
		if s.Stage == StageFollowUp {
			need = 2
		}
		s.Overdue = reminders >= need
		s.Escalated = len(escalations) > 0
	}
	for _, iv := range f.Interventions {
		if !iv.AssignedAt.Before(t) {
			continue
		}
		iv.Status = f.statusAfter(iv.ID, updates[iv.ID], reports[iv.ID])
		s.Interventions = append(s.Interventions, iv)
	}
	return s
}

// statusAfter is the status intervention id had after k of its total
// status reports: assigned → acknowledged → delivered, or declined from
// either, so the final status and the count of reports tell each step.
func (f Facts) statusAfter(id string, k, total int) InterventionStatus {
	if k == 0 {
		return InterventionAssigned
	}
	final := InterventionAssigned
	for _, iv := range f.Interventions {
		if iv.ID == id {
			final = iv.Status
		}
	}
	if k >= total {
		return final
	}
	// An earlier report of two: the first step was an acknowledgement.
	return InterventionAcknowledged
}

// AgeGroup is a reporting age band.
type AgeGroup string

// Age groups.
const (
	AgeUnder6  AgeGroup = "0-5"
	Age6To17   AgeGroup = "6-17"
	Age18To59  AgeGroup = "18-59"
	Age60Plus  AgeGroup = "60+"
	AgeUnknown AgeGroup = "unknown"
)

// AgeGroups lists the bands, youngest first, then unknown.
var AgeGroups = []AgeGroup{AgeUnder6, Age6To17, Age18To59, Age60Plus, AgeUnknown}

// AgeGroupOn is the band of someone born on birthDate (YYYY-MM-DD) on the
// day day (YYYY-MM-DD), in whole years.
func AgeGroupOn(birthDate, day string) AgeGroup {
	b, err1 := time.Parse(time.DateOnly, birthDate)
	d, err2 := time.Parse(time.DateOnly, day)
	if err1 != nil || err2 != nil || d.Before(b) {
		return AgeUnknown
	}
	age := d.Year() - b.Year()
	if d.Month() < b.Month() || (d.Month() == b.Month() && d.Day() < b.Day()) {
		age--
	}
	switch {
	case age <= 5:
		return AgeUnder6
	case age <= 17:
		return Age6To17
	case age <= 59:
		return Age18To59
	}
	return Age60Plus
}
