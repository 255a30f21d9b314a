package household_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// snapshotStanding is where the live case stands now, as Standing says it.
func snapshotStanding(c *household.Case) household.Standing {
	s := household.Standing{Known: true, Stage: c.Stage, Open: c.Status == household.StatusOpen,
		Outcome: c.Outcome, Surveyed: c.Stage != household.StageCollecting && c.Survey != nil,
		Graduated: c.Outcome == household.OutcomeGraduated}
	if c.Verification != nil {
		s.Verified = c.Verification.Outcome
	}
	if s.Open {
		s.Overdue, s.Escalated = c.Overdue, c.Escalated
	}
	for _, iv := range c.Interventions {
		s.Interventions = append(s.Interventions, household.InterventionFact{ID: iv.ID, Program: iv.Program, Status: iv.Status, AssignedAt: iv.AssignedAt})
	}
	return s
}

// TestStandingAtAnyMomentIsTheCaseAsItWasThen walks a case through its
// whole life — reminders, an escalation, two interventions, missed visits,
// graduation — keeping the live case's state after every step; the
// standing replayed from the final facts and the timeline must equal each
// kept state at that step's time, and the state before it just before.
func TestStandingAtAnyMomentIsTheCaseAsItWasThen(t *testing.T) {
	day := 24 * time.Hour
	c, events := household.Open(household.OpenInput{ID: "case-1", KK: "6408010101200001", HeadNIK: "6408014101850001",
		HeadName: "Siti Aminah", VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE},
		caseworker, household.DefaultRules(), household.DefaultDeadlines(), opened)
	type kept struct {
		at    time.Time
		state household.Standing
	}
	steps := []kept{{opened, snapshotStanding(c)}}
	now := opened
	step := func(d time.Duration, do func(time.Time) []household.Event) {
		t.Helper()
		now = now.Add(d)
		evs := do(now)
		if len(evs) == 0 {
			t.Fatalf("step at %s changed nothing", now)
		}
		events = append(events, evs...)
		steps = append(steps, kept{now, snapshotStanding(c)})
	}
	tick := func(at time.Time) []household.Event { return c.Tick(at) }
	step(15*day, tick) // collecting deadline passed: overdue
	step(day, func(at time.Time) []household.Event { return c.SubmitSurvey(caseworker, validSurvey, at) })
	step(day, func(at time.Time) []household.Event { return c.ConfirmByVillage(officer, confirmed, at) })
	step(day, func(at time.Time) []household.Event { return c.RecordVerification(verifier, extremePoor, at) })
	step(day, func(at time.Time) []household.Event {
		return c.Escalate(household.EscalateInput{ID: "esc-1", Level: household.EscalateRegency, Reason: "house collapsing", Actor: supervisor}, at)
	})
	step(day, func(at time.Time) []household.Event {
		return c.AssignInterventions(supervisor, household.AssignInput{Interventions: []household.Assignment{
			{Program: household.ProgramPKH, Agency: household.AgencyDinsos},
			{Program: household.ProgramRTLH, Agency: household.AgencyDisperkim}}}, at)
	})
	step(15*day, tick) // acknowledgement deadline passed
	step(day, func(at time.Time) []household.Event { return c.UpdateIntervention(dinsos, ackPKH, at) })
	step(day, func(at time.Time) []household.Event {
		return c.ResolveEscalation(supervisor, household.ResolveInput{ID: "esc-1", Resolution: "RTLH assigned"}, at)
	})
	step(day, func(at time.Time) []household.Event {
		return c.UpdateIntervention(dinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionDelivered}, at)
	})
	step(day, func(at time.Time) []household.Event {
		return c.UpdateIntervention(supervisor, household.InterventionInput{ID: "iv-2", Status: household.InterventionDeclined}, at)
	})
	step(30*day, tick) // visit due: reminded, not overdue
	step(15*day, tick) // visit overdue
	above := func(at time.Time) []household.Event {
		return c.RecordFollowUp(caseworker, household.FollowUpInput{VisitDate: c.Local(at).Format(time.DateOnly), MonthlyExpenditure: 5_000_000}, at)
	}
	step(day, above)
	step(25*day, above) // the second visit above the line: graduated and closed
	if c.Outcome != household.OutcomeGraduated {
		t.Fatalf("the walk ended %s/%s, want graduated", c.Stage, c.Outcome)
	}

	// The walk passes through the states the replay must tell apart.
	for _, i := range []int{1, 7, 13} {
		if !steps[i].state.Overdue {
			t.Errorf("step %d is not overdue: the walk no longer tests reminders", i)
		}
	}
	if steps[12].state.Overdue || !steps[5].state.Escalated || steps[9].state.Escalated {
		t.Errorf("the walk no longer tests a visit due but not overdue, or an escalation answered")
	}

	f := household.FactsOf(*c)
	for _, e := range events {
		f.Marks = append(f.Marks, household.MarkOf(e))
	}
	if got := f.At(opened); got.Known {
		t.Errorf("at the opening instant the case is already known: %+v", got)
	}
	for i, k := range steps {
		if got := f.At(k.at.Add(time.Nanosecond)); !reflect.DeepEqual(got, k.state) {
			t.Errorf("step %d (%s): standing\n%+v\nwant\n%+v", i, k.at.Sub(opened), got, k.state)
		}
		if i == 0 {
			continue
		}
		if got := f.At(k.at); !reflect.DeepEqual(got, steps[i-1].state) {
			t.Errorf("just before step %d: standing\n%+v\nwant\n%+v", i, got, steps[i-1].state)
		}
	}
}

func TestStrategyOfEveryProgram(t *testing.T) {
	for _, p := range household.Programs {
		if _, ok := household.ProgramStrategy[p]; !ok {
			t.Errorf("program %s has no strategy", p)
		}
	}
}

func TestAgeGroupOnCountsWholeYears(t *testing.T) {
	tests := []struct {
		birth, day string
		want       household.AgeGroup
	}{
		{"2020-07-01", "2026-06-30", household.AgeUnder6},
		{"2020-07-01", "2026-07-01", household.Age6To17},
		{"2008-07-01", "2026-06-30", household.Age6To17},
		{"2008-07-01", "2026-07-01", household.Age18To59},
		{"1966-07-01", "2026-06-30", household.Age18To59},
		{"1966-07-01", "2026-07-01", household.Age60Plus},
		{"2027-01-01", "2026-07-01", household.AgeUnknown},
		{"", "2026-07-01", household.AgeUnknown},
	}
	for _, tt := range tests {
		if got := household.AgeGroupOn(tt.birth, tt.day); got != tt.want {
			t.Errorf("AgeGroupOn(%q, %q) = %s, want %s", tt.birth, tt.day, got, tt.want)
		}
	}
}

// TestStandingOfAMovedCase: a transfer's late answer reminds and escalates
// without making the stage overdue, and an intervention the move ended
// stands as moved, at every moment as the live case stood.
func TestStandingOfAMovedCase(t *testing.T) {
	c, events := household.Open(household.OpenInput{ID: "case-1", KK: "6408010101200001", HeadNIK: "6408014101850001",
		HeadName: "Siti Aminah", VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE},
		caseworker, household.DefaultRules(), household.DefaultDeadlines(), opened)
	type kept struct {
		at    time.Time
		state household.Standing
	}
	var steps []kept
	now := opened
	step := func(at time.Time, do func(time.Time) []household.Event) {
		t.Helper()
		now = at
		evs := do(now)
		if len(evs) == 0 {
			t.Fatalf("step at %s changed nothing", now)
		}
		events = append(events, evs...)
		steps = append(steps, kept{now, snapshotStanding(c)})
	}
	hour := func() time.Time { return now.Add(time.Hour) }
	step(hour(), func(at time.Time) []household.Event { return c.SubmitSurvey(caseworker, validSurvey, at) })
	step(hour(), func(at time.Time) []household.Event { return c.ConfirmByVillage(officer, confirmed, at) })
	// In verification (21 days) a move's answer is late after 14: the
	// stage is not overdue for it. The move is refused.
	step(hour(), func(at time.Time) []household.Event { return c.RequestTransfer(supervisor, toBengkal, at) })
	first, _ := c.PendingTransfer()
	step(first.Deadline, func(at time.Time) []household.Event { return c.Tick(at) })
	step(hour(), func(at time.Time) []household.Event {
		return c.AnswerTransfer(supervisor, household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferRefuse, Reason: "r"}, at)
	})
	step(hour(), func(at time.Time) []household.Event { return c.RecordVerification(verifier, extremePoor, at) })
	step(hour(), func(at time.Time) []household.Event {
		return c.AssignInterventions(supervisor, household.AssignInput{Interventions: []household.Assignment{
			{Program: household.ProgramPKH, Agency: household.AgencyDinsos}, {Program: household.ProgramBLTDanaDesa, Agency: household.AgencyPemdes}}}, at)
	})
	step(hour(), func(at time.Time) []household.Event { return c.UpdateIntervention(dinsos, ackPKH, at) })
	step(hour(), func(at time.Time) []household.Event { return c.RequestTransfer(supervisor, toBengkal, at) })
	tr, _ := c.PendingTransfer()
	tick := func(at time.Time) []household.Event { return c.Tick(at) }
	step(tr.Deadline, tick) // the answer is late: reminded
	step(tr.EscalateAt, tick)
	step(hour(), func(at time.Time) []household.Event {
		return c.AnswerTransfer(supervisor, household.TransferAnswerInput{ID: "tr-2", Decision: household.TransferAccept}, at)
	})
	if c.Overdue || steps[3].state.Overdue || steps[3].state.Stage != household.StageVerification || !steps[10].state.Escalated || c.Interventions[1].Status != household.InterventionMoved || c.Stage != household.StageFollowUp {
		t.Fatalf("the walk no longer tests a late transfer in follow-up and a moved intervention: overdue %t, %+v", c.Overdue, c.Interventions)
	}
	f := household.FactsOf(*c)
	for _, e := range events {
		f.Marks = append(f.Marks, household.MarkOf(e))
	}
	for i, k := range steps {
		if got := f.At(k.at.Add(time.Nanosecond)); !reflect.DeepEqual(got, k.state) {
			t.Errorf("step %d (%s): standing\n%+v\nwant\n%+v", i, k.at.Sub(opened), got, k.state)
		}
	}
}
