package report_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
)

var (
	cw   = household.Actor{Sub: "cw", Role: household.RoleCaseworker, Region: "64.08"}
	vo   = household.Actor{Sub: "vo", Role: household.RoleVillageOfficer, Region: "64.08"}
	ver  = household.Actor{Sub: "ver", Role: household.RoleVerifier, Region: "64.08"}
	sup  = household.Actor{Sub: "sup", Role: household.RoleSupervisor, Region: "64.08"}
	dins = household.Actor{Sub: "dinsos", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyDinsos}
)

// lived is a case walked by the domain's rules, with its events and the
// live case's state after every step: the record a test counts from
// without the report's replay.
type lived struct {
	c      *household.Case
	events []household.Event
	states []state
}

type state struct {
	at time.Time
	c  household.Case
}

func (l *lived) keep(at time.Time, evs []household.Event) {
	l.events = append(l.events, evs...)
	c := *l.c
	c.Interventions = append([]household.Intervention(nil), l.c.Interventions...)
	l.states = append(l.states, state{at, c})
}

// stateAt is the live case as it was just before t; false if not opened.
func (l *lived) stateAt(t time.Time) (household.Case, bool) {
	var got household.Case
	ok := false
	for _, s := range l.states {
		if s.at.Before(t) {
			got, ok = s.c, true
		}
	}
	return got, ok
}

func (l *lived) facts() household.Facts {
	f := household.FactsOf(*l.c)
	for _, e := range l.events {
		f.Marks = append(f.Marks, household.MarkOf(e))
	}
	return f
}

var villages = []string{"64.08.01.2001", "64.08.01.2002", "64.08.03.2001", "64.08.03.2002", "64.08.05.2001"}

// walk opens case i at start and takes it a random way through its life,
// a few days a step.
func walk(i int, start time.Time, rng *rand.Rand) *lived {
	village := villages[i%len(villages)]
	c, evs := household.Open(household.OpenInput{ID: fmt.Sprintf("case-%03d", i), KK: fmt.Sprintf("64080101%08d", i),
		HeadNIK: "6408014101850001", HeadName: "Kepala", VillageCode: village, Address: "RT 01", Source: household.SourceP3KE},
		cw, household.DefaultRules(), household.DefaultDeadlines(), start)
	l := &lived{c: c}
	l.keep(start, evs)
	now := start
	step := func(days int, do func(time.Time) []household.Event) bool {
		now = now.Add(time.Duration(days)*24*time.Hour + time.Duration(rng.IntN(600))*time.Minute)
		evs := do(now)
		l.keep(now, evs)
		return c.Status == household.StatusOpen
	}
	tick := func(at time.Time) []household.Event { return c.Tick(at) }
	sex := household.Male
	if rng.IntN(3) == 0 {
		sex = household.Female
	}
	members := []household.Member{{NIK: "6408014101850001", Name: "Kepala", Relation: household.RelationHead, BirthDate: "1960-05-01",
		Sex: sex, Education: household.EduPrimary, Occupation: household.OccFarmer, Disability: rng.IntN(5) == 0}}
	for k := range rng.IntN(4) {
		members = append(members, household.Member{NIK: fmt.Sprintf("64080141018%05d", i*10+k), Name: "Anak", Relation: household.RelationChild,
			BirthDate: fmt.Sprintf("%d-03-02", 2010+rng.IntN(16)), Sex: household.Sexes[rng.IntN(2)], Education: household.EduNone, Occupation: household.OccNone})
	}
	if rng.IntN(6) == 0 {
		step(16, tick)
	}
	if rng.IntN(8) == 0 {
		return l
	}
	step(rng.IntN(10)+1, func(at time.Time) []household.Event {
		return c.SubmitSurvey(cw, household.SurveyInput{Survey: household.Survey{Members: members, MonthlyExpenditure: 400_000,
			Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"}}}, at)
	})
	if rng.IntN(8) == 0 {
		step(3, func(at time.Time) []household.Event {
			return c.ConfirmByVillage(vo, household.VillageInput{Decision: household.VillageRejected, Reason: household.OutcomeMoved}, at)
		})
		return l
	}
	if !step(rng.IntN(10)+1, func(at time.Time) []household.Event {
		return c.ConfirmByVillage(vo, household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: region.Today(village, at), MusdesMinutes: "1/MUSDES"}, at)
	}) {
		return l
	}
	outcome := []household.VerificationOutcome{household.ExtremePoor, household.ExtremePoor, household.ExtremePoor, household.NotPoor, household.Poor}[rng.IntN(5)]
	if !step(rng.IntN(15)+1, func(at time.Time) []household.Event {
		return c.RecordVerification(ver, household.VerificationInput{Outcome: outcome}, at)
	}) {
		return l
	}
	if rng.IntN(4) == 0 {
		step(2, func(at time.Time) []household.Event {
			return c.Escalate(household.EscalateInput{ID: "esc-" + c.ID, Level: household.EscalateRegency, Reason: "slow", Actor: sup}, at)
		})
	}
	step(rng.IntN(10)+1, func(at time.Time) []household.Event {
		return c.AssignInterventions(sup, household.AssignInput{Interventions: []household.Assignment{
			{Program: household.ProgramPKH, Agency: household.AgencyDinsos},
			{Program: household.ProgramRTLH, Agency: household.AgencyDisperkim}}}, at)
	})
	step(rng.IntN(10)+1, func(at time.Time) []household.Event {
		return c.UpdateIntervention(dins, household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged}, at)
	})
	if rng.IntN(3) > 0 {
		step(rng.IntN(20)+1, func(at time.Time) []household.Event {
			return c.UpdateIntervention(dins, household.InterventionInput{ID: "iv-1", Status: household.InterventionDelivered}, at)
		})
	}
	if rng.IntN(3) == 0 {
		step(46, tick)
		step(1, tick)
	}
	for range 2 {
		if rng.IntN(3) == 0 {
			return l
		}
		if !step(25, func(at time.Time) []household.Event {
			return c.RecordFollowUp(cw, household.FollowUpInput{VisitDate: region.Today(village, at), MonthlyExpenditure: 9_000_000}, at)
		}) {
			return l
		}
	}
	return l
}

// population walks n cases opened over a year from 2026-01-05.
func population(n int) []*lived {
	rng := rand.New(rand.NewPCG(23, 2026))
	start := time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC)
	out := make([]*lived, n)
	for i := range out {
		out[i] = walk(i, start.Add(time.Duration(rng.IntN(300*24))*time.Hour), rng)
	}
	return out
}

// independent counts households per measure from the live cases as they
// were at the period's end and start (not from the timeline's replay).
func independent(ls []*lived, p report.Period) map[report.Measure]int64 {
	n := map[report.Measure]int64{}
	for _, l := range ls {
		end, known := l.stateAt(p.End)
		if !known {
			continue
		}
		start, startKnown := l.stateAt(p.Start)
		open := end.Status == household.StatusOpen
		verified := end.Verification != nil && end.Verification.Outcome == household.ExtremePoor
		n[report.Listed]++
		if open {
			n[report.InProcess]++
			if end.Overdue {
				n[report.Overdue]++
			}
			if end.Escalated {
				n[report.Escalated]++
			}
		}
		if !startKnown {
			n[report.Proposed]++
		}
		if verified {
			n[report.VerifiedExtreme]++
			if !(startKnown && start.Verification != nil && start.Verification.Outcome == household.ExtremePoor) {
				n[report.Added]++
			}
			if open {
				n[report.StillExtreme]++
			}
		}
		wasOpen := !startKnown || start.Status == household.StatusOpen
		switch {
		case open:
		case end.Outcome == household.OutcomeExcludedNotPoor:
			n[report.ExcludedNotPoor]++
			if wasOpen {
				n[report.ExcludedInPeriod]++
			}
		case end.Outcome == household.OutcomeGraduated:
			n[report.Graduated]++
			if wasOpen {
				n[report.GraduatedPeriod]++
			}
		default:
			n[report.ClosedOther]++
		}
	}
	return n
}

func TestReportCountsEqualACountOfTheLiveCasesAsTheyWereAtTheEnd(t *testing.T) {
	ls := population(400)
	facts := make([]household.Facts, len(ls))
	for i, l := range ls {
		facts[i] = l.facts()
	}
	for _, q := range [][2]string{{"2026-04-01", "2026-06-30"}, {"2026-07-01", "2026-09-30"}, {"2026-10-01", "2026-12-31"}, {"2026-01-01", "2027-12-31"}} {
		p, err := report.ParsePeriod("64.08", q[0], q[1])
		if err != nil {
			t.Fatal(err)
		}
		r := report.Build("64.08", p, facts, time.Now())
		want := independent(ls, p)
		var inAreas int64
		for _, row := range r.Households {
			if row.Households != want[row.Measure] {
				t.Errorf("%s–%s %s: report %d, live cases %d", q[0], q[1], row.Measure, row.Households, want[row.Measure])
			}
			if row.HeadMale+row.HeadFemale+row.HeadUnknown != row.Households {
				t.Errorf("%s: head sexes do not add up to %d", row.Measure, row.Households)
			}
		}
		for _, a := range r.Areas {
			inAreas += a.Counts[report.Listed]
		}
		if inAreas != want[report.Listed] {
			t.Errorf("the kecamatan hold %d households, want %d", inAreas, want[report.Listed])
		}
		if q[0] == "2026-07-01" {
			for _, m := range []report.Measure{report.InProcess, report.Graduated, report.StillExtreme, report.Overdue, report.Escalated, report.ExcludedNotPoor, report.Added} {
				if want[m] == 0 {
					t.Errorf("the population has no %s case in the third quarter: the test no longer tests it", m)
				}
			}
		}
	}
}

// TestACaseThatMovedAfterTheEndIsCountedWhereItStoodAtTheEnd: a case
// verified extreme-poor on 30 June and graduated on 2 July counts as still
// extreme-poor in the second quarter and as graduated in the third.
func TestACaseThatMovedAfterTheEndIsCountedWhereItStoodAtTheEnd(t *testing.T) {
	wita := region.Zone("64.08")
	at := func(day string, hour int) time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, day, wita)
		return d.Add(time.Duration(hour) * time.Hour)
	}
	c, evs := household.Open(household.OpenInput{ID: "case-1", KK: "6408010101000001", HeadNIK: "6408014101850001", HeadName: "Siti",
		VillageCode: "64.08.01.2001", Address: "RT 02", Source: household.SourceP3KE}, cw, household.DefaultRules(), household.DefaultDeadlines(), at("2026-05-04", 9))
	all := append([]household.Event(nil), evs...)
	all = append(all, c.SubmitSurvey(cw, household.SurveyInput{Survey: household.Survey{Members: []household.Member{{NIK: "6408014101850001", Name: "Siti",
		Relation: household.RelationHead, BirthDate: "1958-01-01", Sex: household.Female, Education: household.EduNone, Occupation: household.OccFarmer}},
		MonthlyExpenditure: 300_000, Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"}}}, at("2026-05-10", 9))...)
	all = append(all, c.ConfirmByVillage(vo, household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: "2026-05-20", MusdesMinutes: "2/MUSDES"}, at("2026-05-20", 9))...)
	// 23:30 WITA on 30 June is 15:30 UTC: inside the quarter on the region's clock.
	all = append(all, c.RecordVerification(ver, household.VerificationInput{Outcome: household.ExtremePoor}, at("2026-06-30", 23).Add(30*time.Minute))...)
	all = append(all, c.AssignInterventions(sup, household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramJobTraining, Agency: household.AgencyDisnakertrans}}}, at("2026-07-01", 9))...)
	all = append(all, c.UpdateIntervention(household.Actor{Sub: "dnt", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyDisnakertrans},
		household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged}, at("2026-07-01", 10))...)
	graduation := household.GraduateInput{Notes: "usaha berjalan"}
	if err := c.CheckGraduate(ver, graduation, at("2026-07-02", 10)); err != nil {
		t.Fatal(err)
	}
	all = append(all, c.Graduate(ver, graduation, at("2026-07-02", 10))...)
	if c.Outcome != household.OutcomeGraduated {
		t.Fatalf("the case is %s, want graduated", c.Outcome)
	}
	f := household.FactsOf(*c)
	for _, e := range all {
		f.Marks = append(f.Marks, household.MarkOf(e))
	}
	count := func(from, to string) map[report.Measure]int64 {
		p, err := report.ParsePeriod("64.08", from, to)
		if err != nil {
			t.Fatal(err)
		}
		r := report.Build("64.08", p, []household.Facts{f}, time.Now())
		out := map[report.Measure]int64{}
		for _, row := range r.Households {
			out[row.Measure] = row.Households
		}
		return out
	}
	q2 := count("2026-04-01", "2026-06-30")
	if q2[report.StillExtreme] != 1 || q2[report.Graduated] != 0 || q2[report.Added] != 1 || q2[report.InProcess] != 1 {
		t.Errorf("second quarter: %v; want still extreme-poor, added, not graduated", q2)
	}
	q3 := count("2026-07-01", "2026-09-30")
	if q3[report.StillExtreme] != 0 || q3[report.Graduated] != 1 || q3[report.GraduatedPeriod] != 1 || q3[report.Added] != 0 {
		t.Errorf("third quarter: %v; want graduated in the quarter", q3)
	}
}

func TestTheWorkbookHoldsTheReportsNumbersAsNumbers(t *testing.T) {
	ls := population(120)
	facts := make([]household.Facts, len(ls))
	for i, l := range ls {
		facts[i] = l.facts()
	}
	p, err := report.ParsePeriod("64.08", "2026-07-01", "2026-09-30")
	if err != nil {
		t.Fatal(err)
	}
	r := report.Build("64.08", p, facts, time.Date(2026, 10, 2, 1, 0, 0, 0, time.UTC))
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, tbl := range r.Tables() {
		rows, err := x.GetRows(tbl.Name)
		if err != nil {
			t.Fatalf("sheet %s: %v", tbl.Name, err)
		}
		if strings.Join(rows[0], "|") != strings.Join(tbl.Header, "|") {
			t.Errorf("sheet %s header %q, want %q", tbl.Name, rows[0], tbl.Header)
		}
		if len(rows)-1 != len(tbl.Rows) {
			t.Fatalf("sheet %s has %d rows, want %d", tbl.Name, len(rows)-1, len(tbl.Rows))
		}
		for i, row := range tbl.Rows {
			for j, v := range row {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
				got, _ := x.GetCellValue(tbl.Name, cell)
				typ, _ := x.GetCellType(tbl.Name, cell)
				if n, ok := v.(int64); ok {
					if got != fmt.Sprint(n) || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
						t.Errorf("%s!%s = %q (type %v), want the number %d", tbl.Name, cell, got, typ, n)
					}
				} else if got != fmt.Sprint(v) {
					t.Errorf("%s!%s = %q, want %q", tbl.Name, cell, got, v)
				}
			}
		}
	}
	// The first table's counts are the report's.
	listed, _ := x.GetCellValue("Rumah Tangga", "C2")
	if listed != fmt.Sprint(r.Households[0].Households) || r.Households[0].Measure != report.Listed || r.Households[0].Households == 0 {
		t.Errorf("listed households in the workbook %s, report %d", listed, r.Households[0].Households)
	}
	keterangan, _ := x.GetRows("Keterangan")
	if len(keterangan) < 5 || !strings.Contains(keterangan[1][1], "Kutai Timur") || !strings.Contains(keterangan[4][1], "2026-10-02 09:00 WITA") {
		t.Errorf("the heading sheet: %q", keterangan)
	}
}

func TestParsePeriodTakesDatesOnTheRegionsClockOrInstants(t *testing.T) {
	p, err := report.ParsePeriod("64.08", "2026-07-01", "2026-09-30")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC); !p.Start.Equal(want) {
		t.Errorf("start %s, want %s (00:00 WITA)", p.Start, want)
	}
	if want := time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC); !p.End.Equal(want) {
		t.Errorf("end %s, want %s (24:00 WITA on the last day)", p.End, want)
	}
	p, err = report.ParsePeriod("64.08", "2026-07-01", "2026-08-15T10:00:00+08:00")
	if err != nil || p.To != "2026-08-15" || !p.End.Equal(time.Date(2026, 8, 15, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("an instant as the end: %+v, %v", p, err)
	}
	for _, bad := range [][2]string{{"", "2026-09-30"}, {"2026-07-01", "30/09/2026"}, {"2026-09-30", "2026-07-01"}, {"2020-01-01", "2026-01-01"}} {
		if _, err := report.ParsePeriod("64.08", bad[0], bad[1]); err == nil {
			t.Errorf("ParsePeriod(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
