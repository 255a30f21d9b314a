package household_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

var (
	opened = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

	caseworker = household.Actor{Sub: "cw-1", Role: household.RoleCaseworker, Region: "64.08.01"}
	otherCW    = household.Actor{Sub: "cw-2", Role: household.RoleCaseworker, Region: "64.08.03"}
	officer    = household.Actor{Sub: "vo-1", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"}
	verifier   = household.Actor{Sub: "ver-1", Role: household.RoleVerifier, Region: "64.08"}
	supervisor = household.Actor{Sub: "sup-1", Role: household.RoleSupervisor, Region: "64.08"}
	dinsos     = household.Actor{Sub: "dinsos-1", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyDinsos}
	baznas     = household.Actor{Sub: "baznas-1", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyBaznas}
	province   = household.Actor{Sub: "prov-1", Role: household.RoleProvince, Region: "64"}
	admin      = household.Actor{Sub: "admin-1", Role: household.RoleAdmin, Region: "64"}
	forged     = household.System // a message that claims to be the deadline rules

	validSurvey = household.SurveyInput{Survey: household.Survey{
		Members: []household.Member{
			{NIK: "6408014101850001", Name: "Siti Aminah", Relation: household.RelationHead, BirthDate: "1985-01-01", Sex: household.Female, Education: household.EduPrimary, Occupation: household.OccFarmer},
			{NIK: "6408010203100002", Name: "Rudi", Relation: household.RelationChild, BirthDate: "2010-03-02", Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccStudent},
		},
		MonthlyExpenditure: 600_000, MonthlyIncome: 500_000,
		Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"},
	}}
	confirmed   = household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: "2026-11-02", MusdesMinutes: "12/MUSDES/XI/2026"}
	extremePoor = household.VerificationInput{Outcome: household.ExtremePoor}
	assignPKH   = household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramPKH, Agency: household.AgencyDinsos}}}
	ackPKH      = household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged}
)

// newCase opens a case in Muara Ancalong and walks it to stage, one hour a step.
func newCase(t *testing.T, stage household.Stage) (*household.Case, time.Time) {
	t.Helper()
	c, _ := household.Open(household.OpenInput{ID: "case-1", KK: "6408010101200001", HeadNIK: "6408014101850001",
		HeadName: "Siti Aminah", VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE},
		caseworker, household.DefaultRules(), household.DefaultDeadlines(), opened)
	now := opened
	steps := []struct {
		until household.Stage
		do    func(time.Time)
	}{
		{household.StageVillageReview, func(at time.Time) { c.SubmitSurvey(caseworker, validSurvey, at) }},
		{household.StageVerification, func(at time.Time) { c.ConfirmByVillage(officer, confirmed, at) }},
		{household.StageIntervention, func(at time.Time) { c.RecordVerification(verifier, extremePoor, at) }},
		{household.StageFollowUp, func(at time.Time) {
			c.AssignInterventions(supervisor, assignPKH, at)
			c.UpdateIntervention(dinsos, ackPKH, at)
		}},
	}
	for _, s := range steps {
		if c.Stage == stage {
			break
		}
		now = now.Add(time.Hour)
		s.do(now)
		if c.Stage != s.until {
			t.Fatalf("walking to %s: case is %s, want %s", stage, c.Stage, s.until)
		}
	}
	return c, now.Add(time.Hour)
}

// checkCase is one row of the Check* tables: the stage the case is in,
// who acts, and the code of the rejection ("" when the action fits).
type checkCase struct {
	name  string
	stage household.Stage
	by    household.Actor
	want  household.Code
	field string // for Invalid, a field that must be named
}

func runChecks(t *testing.T, tests []checkCase, check func(c *household.Case, by household.Actor, now time.Time) error) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, now := newCase(t, tt.stage)
			before := *c
			err := check(c, tt.by, now)
			if got := household.ErrorCode(err); got != tt.want {
				t.Fatalf("code %q (%v), want %q", got, err, tt.want)
			}
			if tt.field != "" {
				var fe household.FieldErrors
				if !errors.As(err, &fe) || !strings.Contains(fe.Error()+fieldNames(fe), tt.field) {
					t.Fatalf("errors %v do not name %s", err, tt.field)
				}
			}
			if c.Version != before.Version || c.Seq != before.Seq || c.Stage != before.Stage {
				t.Fatalf("a check changed the case: v%d→v%d", before.Version, c.Version)
			}
		})
	}
}

func fieldNames(fe household.FieldErrors) string {
	var b strings.Builder
	for _, f := range fe {
		b.WriteString(" " + f.Field)
	}
	return b.String()
}

func TestCheckSurvey(t *testing.T) {
	noMembers := household.SurveyInput{}
	badNIK := validSurvey
	badNIK.Survey.Members = append([]household.Member(nil), validSurvey.Survey.Members...)
	badNIK.Survey.Members[1].NIK = "123"
	longName := validSurvey
	longName.Survey.Members = append([]household.Member(nil), validSurvey.Survey.Members...)
	longName.Survey.Members[0].Name = strings.Repeat("é", household.MaxName+1)
	runeName := validSurvey
	runeName.Survey.Members = append([]household.Member(nil), validSurvey.Survey.Members...)
	runeName.Survey.Members[0].Name = strings.Repeat("é", household.MaxName) // 200 bytes, 100 characters
	tests := []struct {
		checkCase
		in household.SurveyInput
	}{
		{checkCase{name: "caseworker of the kecamatan", stage: household.StageCollecting, by: caseworker}, validSurvey},
		{checkCase{name: "admin", stage: household.StageCollecting, by: admin}, validSurvey},
		{checkCase{name: "caseworker of another kecamatan", stage: household.StageCollecting, by: otherCW, want: household.CodeForbidden}, validSurvey},
		{checkCase{name: "village officer", stage: household.StageCollecting, by: officer, want: household.CodeForbidden}, validSurvey},
		{checkCase{name: "a message claiming the system actor", stage: household.StageCollecting, by: forged, want: household.CodeForbidden}, validSurvey},
		{checkCase{name: "after collecting", stage: household.StageVillageReview, by: caseworker, want: household.CodeConflict}, validSurvey},
		{checkCase{name: "no members", stage: household.StageCollecting, by: caseworker, want: household.CodeInvalid, field: "members"}, noMembers},
		{checkCase{name: "bad member NIK", stage: household.StageCollecting, by: caseworker, want: household.CodeInvalid, field: "members[1].nik"}, badNIK},
		{checkCase{name: "name over 100 characters", stage: household.StageCollecting, by: caseworker, want: household.CodeInvalid, field: "members[0].name"}, longName},
		{checkCase{name: "name of 100 two-byte characters", stage: household.StageCollecting, by: caseworker}, runeName},
	}
	for _, tt := range tests {
		runChecks(t, []checkCase{tt.checkCase}, func(c *household.Case, by household.Actor, now time.Time) error {
			return c.CheckSurvey(by, tt.in, now)
		})
	}
}

func TestCheckVillage(t *testing.T) {
	rejectNoReason := household.VillageInput{Decision: household.VillageRejected, MusdesDate: "2026-11-02", MusdesMinutes: "1"}
	future := confirmed
	future.MusdesDate = "2027-01-01"
	noMinutes := confirmed
	noMinutes.MusdesMinutes = "  "
	tests := []struct {
		checkCase
		in household.VillageInput
	}{
		{checkCase{name: "officer of the village", stage: household.StageVillageReview, by: officer}, confirmed},
		{checkCase{name: "caseworker", stage: household.StageVillageReview, by: caseworker, want: household.CodeForbidden}, confirmed},
		{checkCase{name: "while collecting", stage: household.StageCollecting, by: officer, want: household.CodeConflict}, confirmed},
		{checkCase{name: "rejection without a reason", stage: household.StageVillageReview, by: officer, want: household.CodeInvalid, field: "reason"}, rejectNoReason},
		{checkCase{name: "musdes in the future", stage: household.StageVillageReview, by: officer, want: household.CodeInvalid, field: "musdesDate"}, future},
		{checkCase{name: "blank minutes", stage: household.StageVillageReview, by: officer, want: household.CodeInvalid, field: "musdesMinutes"}, noMinutes},
	}
	for _, tt := range tests {
		runChecks(t, []checkCase{tt.checkCase}, func(c *household.Case, by household.Actor, now time.Time) error {
			return c.CheckVillage(by, tt.in, now)
		})
	}
}

func TestCheckVerification(t *testing.T) {
	tests := []struct {
		checkCase
		in household.VerificationInput
	}{
		{checkCase{name: "verifier of the regency", stage: household.StageVerification, by: verifier}, extremePoor},
		{checkCase{name: "verifier of another regency", stage: household.StageVerification, by: household.Actor{Sub: "v", Role: household.RoleVerifier, Region: "64.02"}, want: household.CodeForbidden}, extremePoor},
		{checkCase{name: "supervisor", stage: household.StageVerification, by: supervisor, want: household.CodeForbidden}, extremePoor},
		{checkCase{name: "while in village review", stage: household.StageVillageReview, by: verifier, want: household.CodeConflict}, extremePoor},
		{checkCase{name: "unknown outcome", stage: household.StageVerification, by: verifier, want: household.CodeInvalid, field: "outcome"}, household.VerificationInput{Outcome: "rich"}},
		{checkCase{name: "notes too long", stage: household.StageVerification, by: verifier, want: household.CodeInvalid, field: "notes"}, household.VerificationInput{Outcome: household.NotPoor, Notes: strings.Repeat("x", household.MaxNote+1)}},
	}
	for _, tt := range tests {
		runChecks(t, []checkCase{tt.checkCase}, func(c *household.Case, by household.Actor, now time.Time) error {
			return c.CheckVerification(by, tt.in, now)
		})
	}
}

func TestCheckAssign(t *testing.T) {
	twice := household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramPKH, Agency: household.AgencyDinsos}, {Program: household.ProgramPKH, Agency: household.AgencyBaznas}}}
	tests := []struct {
		checkCase
		in household.AssignInput
	}{
		{checkCase{name: "supervisor in intervention", stage: household.StageIntervention, by: supervisor}, assignPKH},
		{checkCase{name: "supervisor in follow-up, a program already held", stage: household.StageFollowUp, by: supervisor, want: household.CodeInvalid, field: "interventions[0].program"}, assignPKH},
		{checkCase{name: "caseworker", stage: household.StageIntervention, by: caseworker, want: household.CodeForbidden}, assignPKH},
		{checkCase{name: "before verification", stage: household.StageVerification, by: supervisor, want: household.CodeConflict}, assignPKH},
		{checkCase{name: "nothing assigned", stage: household.StageIntervention, by: supervisor, want: household.CodeInvalid, field: "interventions"}, household.AssignInput{}},
		{checkCase{name: "a program listed twice", stage: household.StageIntervention, by: supervisor, want: household.CodeInvalid, field: "interventions[1].program"}, twice},
		{checkCase{name: "unknown agency", stage: household.StageIntervention, by: supervisor, want: household.CodeInvalid, field: "interventions[0].agency"}, household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramPKH, Agency: "acme"}}}},
	}
	for _, tt := range tests {
		runChecks(t, []checkCase{tt.checkCase}, func(c *household.Case, by household.Actor, now time.Time) error {
			return c.CheckAssign(by, tt.in, now)
		})
	}
}

func TestCheckIntervention(t *testing.T) {
	deliver := household.InterventionInput{ID: "iv-1", Status: household.InterventionDelivered}
	tests := []struct {
		checkCase
		in household.InterventionInput
	}{
		{checkCase{name: "its agency delivers after acknowledging", stage: household.StageFollowUp, by: dinsos}, deliver},
		{checkCase{name: "another agency", stage: household.StageFollowUp, by: baznas, want: household.CodeNotFound}, deliver},
		{checkCase{name: "unknown intervention", stage: household.StageFollowUp, by: dinsos, want: household.CodeNotFound}, household.InterventionInput{ID: "iv-9", Status: household.InterventionDelivered}},
		{checkCase{name: "acknowledged twice", stage: household.StageFollowUp, by: dinsos, want: household.CodeConflict}, ackPKH},
		{checkCase{name: "a supervisor", stage: household.StageFollowUp, by: supervisor, want: household.CodeForbidden}, deliver},
		{checkCase{name: "unknown status", stage: household.StageFollowUp, by: dinsos, want: household.CodeInvalid, field: "status"}, household.InterventionInput{ID: "iv-1", Status: "lost"}},
		{checkCase{name: "before any assignment", stage: household.StageVerification, by: dinsos, want: household.CodeConflict}, ackPKH},
	}
	for _, tt := range tests {
		runChecks(t, []checkCase{tt.checkCase}, func(c *household.Case, by household.Actor, now time.Time) error {
			return c.CheckIntervention(by, tt.in, now)
		})
	}
}

func TestCheckFollowUp(t *testing.T) {
	visit := func(date string) household.FollowUpInput {
		return household.FollowUpInput{VisitDate: date, MonthlyExpenditure: 900_000}
	}
	tests := []struct {
		checkCase
		in household.FollowUpInput
	}{
		{checkCase{name: "caseworker in follow-up", stage: household.StageFollowUp, by: caseworker}, visit("2026-11-02")},
		{checkCase{name: "while in intervention", stage: household.StageIntervention, by: caseworker, want: household.CodeConflict}, visit("2026-11-02")},
		{checkCase{name: "verifier", stage: household.StageFollowUp, by: verifier, want: household.CodeForbidden}, visit("2026-11-02")},
		{checkCase{name: "visit in the future", stage: household.StageFollowUp, by: caseworker, want: household.CodeInvalid, field: "visitDate"}, visit("2027-01-01")},
		{checkCase{name: "no date", stage: household.StageFollowUp, by: caseworker, want: household.CodeInvalid, field: "visitDate"}, visit("")},
		{checkCase{name: "negative spending", stage: household.StageFollowUp, by: caseworker, want: household.CodeInvalid, field: "monthlyExpenditure"}, household.FollowUpInput{VisitDate: "2026-11-02", MonthlyExpenditure: -1}},
	}
	for _, tt := range tests {
		runChecks(t, []checkCase{tt.checkCase}, func(c *household.Case, by household.Actor, now time.Time) error {
			return c.CheckFollowUp(by, tt.in, now)
		})
	}
}

func TestCheckGraduate(t *testing.T) {
	tests := []struct {
		checkCase
		in household.GraduateInput
	}{
		{checkCase{name: "verifier in follow-up", stage: household.StageFollowUp, by: verifier}, household.GraduateInput{Notes: "stable income"}},
		{checkCase{name: "without a reason", stage: household.StageFollowUp, by: verifier, want: household.CodeInvalid, field: "notes"}, household.GraduateInput{Notes: " "}},
		{checkCase{name: "caseworker", stage: household.StageFollowUp, by: caseworker, want: household.CodeForbidden}, household.GraduateInput{Notes: "x"}},
		{checkCase{name: "a forged system actor", stage: household.StageFollowUp, by: forged, want: household.CodeForbidden}, household.GraduateInput{Notes: "x"}},
		{checkCase{name: "before follow-up", stage: household.StageIntervention, by: verifier, want: household.CodeConflict}, household.GraduateInput{Notes: "x"}},
	}
	for _, tt := range tests {
		runChecks(t, []checkCase{tt.checkCase}, func(c *household.Case, by household.Actor, now time.Time) error {
			return c.CheckGraduate(by, tt.in, now)
		})
	}
}

func TestCheckEscalate(t *testing.T) {
	esc := func(by household.Actor, level household.EscalationLevel, reason string) household.EscalateInput {
		return household.EscalateInput{ID: "esc-1", Level: level, Reason: reason, Actor: by}
	}
	tests := []struct {
		checkCase
		in household.EscalateInput
	}{
		{checkCase{name: "supervisor to the province", stage: household.StageVerification}, esc(supervisor, household.EscalateProvince, "no KTP")},
		{checkCase{name: "province", stage: household.StageCollecting}, esc(province, household.EscalateProvince, "x")},
		{checkCase{name: "caseworker", stage: household.StageCollecting, want: household.CodeForbidden}, esc(caseworker, household.EscalateRegency, "x")},
		{checkCase{name: "a signal claiming the system actor", stage: household.StageCollecting, want: household.CodeForbidden}, esc(forged, household.EscalateRegency, "x")},
		{checkCase{name: "unknown level", stage: household.StageCollecting, want: household.CodeInvalid, field: "level"}, esc(supervisor, "nation", "x")},
		{checkCase{name: "no reason", stage: household.StageCollecting, want: household.CodeInvalid, field: "reason"}, esc(supervisor, household.EscalateRegency, "")},
	}
	for _, tt := range tests {
		runChecks(t, []checkCase{tt.checkCase}, func(c *household.Case, _ household.Actor, _ time.Time) error {
			return c.CheckEscalate(tt.in)
		})
	}
}

func TestCheckResolve(t *testing.T) {
	tests := []struct {
		name  string
		level household.EscalationLevel
		by    household.Actor
		in    household.ResolveInput
		want  household.Code
	}{
		{"province answers a province escalation", household.EscalateProvince, province, household.ResolveInput{ID: "esc-1", Resolution: "ok"}, ""},
		{"supervisor answers a regency escalation", household.EscalateRegency, supervisor, household.ResolveInput{ID: "esc-1", Resolution: "ok"}, ""},
		{"supervisor may not answer the province's", household.EscalateProvince, supervisor, household.ResolveInput{ID: "esc-1", Resolution: "ok"}, household.CodeForbidden},
		{"unknown escalation", household.EscalateRegency, supervisor, household.ResolveInput{ID: "esc-9", Resolution: "ok"}, household.CodeNotFound},
		{"no resolution", household.EscalateRegency, supervisor, household.ResolveInput{ID: "esc-1"}, household.CodeInvalid},
		{"caseworker", household.EscalateRegency, caseworker, household.ResolveInput{ID: "esc-1", Resolution: "ok"}, household.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, now := newCase(t, household.StageVerification)
			c.Escalate(household.EscalateInput{ID: "esc-1", Level: tt.level, Reason: "x", Actor: supervisor}, now)
			if got := household.ErrorCode(c.CheckResolve(tt.by, tt.in, now)); got != tt.want {
				t.Fatalf("code %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("answered twice", func(t *testing.T) {
		c, now := newCase(t, household.StageVerification)
		c.Escalate(household.EscalateInput{ID: "esc-1", Level: household.EscalateRegency, Reason: "x", Actor: supervisor}, now)
		in := household.ResolveInput{ID: "esc-1", Resolution: "ok"}
		c.ResolveEscalation(supervisor, in, now)
		if got := household.ErrorCode(c.CheckResolve(supervisor, in, now)); got != household.CodeConflict {
			t.Fatalf("code %q, want %q", got, household.CodeConflict)
		}
		if c.Escalated {
			t.Fatal("the case is still escalated after its only escalation was answered")
		}
	})
}

func TestCheckClose(t *testing.T) {
	tests := []struct {
		checkCase
		in household.CloseInput
	}{
		{checkCase{name: "supervisor, moved", stage: household.StageVerification, by: supervisor}, household.CloseInput{Reason: household.OutcomeMoved}},
		{checkCase{name: "caseworker", stage: household.StageVerification, by: caseworker, want: household.CodeForbidden}, household.CloseInput{Reason: household.OutcomeMoved}},
		{checkCase{name: "graduated is not a closing reason", stage: household.StageFollowUp, by: supervisor, want: household.CodeInvalid, field: "reason"}, household.CloseInput{Reason: household.OutcomeGraduated}},
	}
	for _, tt := range tests {
		runChecks(t, []checkCase{tt.checkCase}, func(c *household.Case, by household.Actor, now time.Time) error {
			return c.CheckClose(by, tt.in, now)
		})
	}
	t.Run("a closed case", func(t *testing.T) {
		c, now := newCase(t, household.StageVerification)
		c.Close(supervisor, household.CloseInput{Reason: household.OutcomeWithdrawn}, now)
		if got := household.ErrorCode(c.CheckClose(supervisor, household.CloseInput{Reason: household.OutcomeMoved}, now)); got != household.CodeConflict {
			t.Fatalf("code %q, want %q", got, household.CodeConflict)
		}
	})
}

func TestOpenValidate(t *testing.T) {
	good := household.OpenInput{KK: "6408010101200001", HeadNIK: "6408014101850001", HeadName: "Siti Aminah",
		VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE, Desil: 1}
	tests := []struct {
		name  string
		edit  func(*household.OpenInput)
		scope string
		field string
	}{
		{"valid", func(*household.OpenInput) {}, "64.08.01", ""},
		{"no desil", func(in *household.OpenInput) { in.Desil = 0 }, "64.08.01", ""},
		{"desil 11", func(in *household.OpenInput) { in.Desil = 11 }, "64.08.01", "desil"},
		{"KK of no regency", func(in *household.OpenInput) { in.KK = "6499010101200001" }, "64.08.01", "kk"},
		{"head NIK too short", func(in *household.OpenInput) { in.HeadNIK = "640801" }, "64.08.01", "headNik"},
		{"blank name", func(in *household.OpenInput) { in.HeadName = "   " }, "64.08.01", "headName"},
		{"name of invalid UTF-8", func(in *household.OpenInput) { in.HeadName = "Siti \xff" }, "64.08.01", "headName"},
		{"a kecamatan, not a village", func(in *household.OpenInput) { in.VillageCode = "64.08.01" }, "64.08.01", "villageCode"},
		{"village outside the caller's kecamatan", func(*household.OpenInput) {}, "64.08.03", "villageCode"},
		{"unknown source", func(in *household.OpenInput) { in.Source = "rumour" }, "64.08.01", "source"},
		{"address too long", func(in *household.OpenInput) { in.Address = strings.Repeat("a", household.MaxAddress+1) }, "64.08.01", "address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			tt.edit(&in)
			err := in.Validate(tt.scope)
			var fe household.FieldErrors
			errors.As(err, &fe)
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tt.field != "" && !strings.Contains(fieldNames(fe), " "+tt.field):
				t.Fatalf("Validate = %v, want an error on %s", err, tt.field)
			}
		})
	}
}

func TestNextWakeAndTick(t *testing.T) {
	d := household.DefaultDeadlines()
	day := household.Day
	t.Run("collecting: reminder at the deadline, regency escalation at twice it", func(t *testing.T) {
		c, _ := newCase(t, household.StageCollecting)
		if got, want := c.NextWake(), opened.Add(d.Days(d.CollectingDays)); !got.Equal(want) {
			t.Fatalf("NextWake = %v, want the deadline %v", got, want)
		}
		if ev := c.Tick(c.Deadline.Add(-time.Second)); ev != nil {
			t.Fatalf("Tick before the deadline recorded %v", ev)
		}
		ev := c.Tick(c.Deadline)
		if len(ev) != 1 || ev[0].Type != household.EventReminder || !c.Overdue || !c.Reminded {
			t.Fatalf("at the deadline: events %v overdue %t", ev, c.Overdue)
		}
		if ev := c.Tick(c.Deadline.Add(time.Hour)); ev != nil {
			t.Fatalf("a second reminder: %v", ev)
		}
		if got, want := c.NextWake(), opened.Add(2*d.Days(d.CollectingDays)); !got.Equal(want) {
			t.Fatalf("NextWake after the reminder = %v, want the escalation %v", got, want)
		}
		ev = c.Tick(c.NextWake())
		if len(ev) != 1 || ev[0].Type != household.EventEscalated || !c.Escalated || c.Escalations[0].Level != household.EscalateRegency {
			t.Fatalf("at twice the deadline: %v, escalations %v", ev, c.Escalations)
		}
		if !c.NextWake().IsZero() {
			t.Fatalf("nothing is left to fire, NextWake = %v", c.NextWake())
		}
	})
	t.Run("follow-up: due, then overdue after the grace days", func(t *testing.T) {
		c, _ := newCase(t, household.StageFollowUp)
		due := c.FollowUp.NextDue
		if got := c.NextWake(); got.After(due) {
			t.Fatalf("NextWake %v is after the visit due %v", got, due)
		}
		c.Tick(due)
		if !c.Reminded {
			t.Fatal("no reminder when the visit fell due")
		}
		overdue := due.Add(time.Duration(d.FollowUpGraceDays) * day)
		if got := c.NextWake(); !got.Equal(overdue) && !got.Before(overdue) {
			t.Fatalf("NextWake = %v, want at most %v", got, overdue)
		}
		c.Tick(overdue)
		if !c.Overdue {
			t.Fatal("not overdue after the grace days")
		}
	})
	t.Run("a closed case never wakes", func(t *testing.T) {
		c, now := newCase(t, household.StageVerification)
		c.Close(supervisor, household.CloseInput{Reason: household.OutcomeMoved}, now)
		if !c.NextWake().IsZero() || c.Tick(now.Add(365*day)) != nil {
			t.Fatal("a closed case still has deadlines")
		}
	})
	t.Run("a shorter day scales every deadline", func(t *testing.T) {
		short := d
		short.DayLength = time.Minute
		c, _ := household.Open(household.OpenInput{ID: "c", VillageCode: "64.08.01.2001"}, caseworker, household.DefaultRules(), short, opened)
		if got, want := c.NextWake(), opened.Add(time.Duration(d.CollectingDays)*time.Minute); !got.Equal(want) {
			t.Fatalf("NextWake = %v, want %v", got, want)
		}
	})
}

func TestTextRefusesControlCharactersAndCountsCharacters(t *testing.T) {
	tests := []struct {
		name string
		v    string
		ok   bool
	}{
		{"plain", "Siti Aminah", true},
		{"100 two-byte characters", strings.Repeat("é", household.MaxName), true},
		{"101 characters", strings.Repeat("a", household.MaxName+1), false},
		{"NUL", "Siti\x00Aminah", false},
		{"escape sequence", "Siti \x1b[31m", false},
		{"line break in a name", "Siti\nAminah", false},
		{"invalid UTF-8", "Siti \xff", false},
		{"only spaces", "   ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fe household.FieldErrors
			fe.Text("headName", tt.v, household.MaxName)
			if (fe.Err() == nil) != tt.ok {
				t.Fatalf("Text(%q) = %v, want ok %t", tt.v, fe.Err(), tt.ok)
			}
		})
	}
	var fe household.FieldErrors
	fe.Note("notes", "line one\nline two\ttabbed")
	fe.OptionalNote("notes", "")
	if fe.Err() != nil {
		t.Fatalf("a multi-line note was refused: %v", fe.Err())
	}
	fe.OptionalNote("notes", "bell\a")
	if fe.Err() == nil {
		t.Fatal("a note with a bell character was accepted")
	}
}

func TestACaseAtItsEventBoundOnlyCloses(t *testing.T) {
	c, now := newCase(t, household.StageCollecting)
	c.Seq = household.MaxEvents - household.CloseReserve
	if got := household.ErrorCode(c.CheckSurvey(caseworker, validSurvey, now)); got != household.CodeConflict {
		t.Fatalf("a survey at the bound: code %q, want %q", got, household.CodeConflict)
	}
	esc := household.EscalateInput{ID: "esc-1", Level: household.EscalateRegency, Reason: "x", Actor: supervisor}
	if got := household.ErrorCode(c.CheckEscalate(esc)); got != household.CodeConflict {
		t.Fatalf("an escalation at the bound: code %q", got)
	}
	// Deadlines still pass without recording, and without waking at once again.
	wake := c.NextWake()
	if ev := c.Tick(wake); ev != nil {
		t.Fatalf("a reminder was recorded past the bound: %v", ev)
	}
	if next := c.NextWake(); !next.After(wake) {
		t.Fatalf("NextWake stays at %v after a quiet tick: the workflow would spin", next)
	}
	if err := c.CheckClose(supervisor, household.CloseInput{Reason: household.OutcomeWithdrawn}, now); err != nil {
		t.Fatalf("closing at the bound: %v", err)
	}
	c.Close(supervisor, household.CloseInput{Reason: household.OutcomeWithdrawn}, now)
	if c.Status != household.StatusClosed || c.Seq > household.MaxEvents {
		t.Fatalf("closed %s at seq %d", c.Status, c.Seq)
	}
}

func TestPeopleCountsAPersonHeldElsewhereOnce(t *testing.T) {
	c, now := newCase(t, household.StageVillageReview) // two members
	child := validSurvey.Survey.Members[1].NIK
	if got := c.People(); got != 2 {
		t.Fatalf("People() = %d before any finding, want 2", got)
	}
	c.RecordDuplicate("6408019999990001", "other-1", "6408010101200099", "64.08.01.2001", false, now) // not a member
	c.RecordDuplicate(child, "other-2", "6408010101200098", "64.08.01.2001", false, now)
	if got := c.People(); got != 1 {
		t.Fatalf("People() = %d with the child held by another case, want 1", got)
	}
	c.ResolveDuplicate(supervisor, household.DuplicateResolutionInput{ID: "dup-2", Decision: household.DecisionSplit, Keep: household.KeepThis}, now)
	if got := c.People(); got != 2 {
		t.Fatalf("People() = %d after a split keeping the child here, want 2", got)
	}
}

func TestTextRefusesInvisibleAndReorderingCharacters(t *testing.T) {
	for _, v := range []string{"Siti\u202eanimA", "Siti\u200bAminah", "\u200b\u200b", "Siti\u2028Aminah"} {
		var fe household.FieldErrors
		fe.Text("headName", v, household.MaxName)
		if fe.Err() == nil {
			t.Errorf("Text(%q) was accepted", v)
		}
	}
}

func TestBlankLookingTextIsBlank(t *testing.T) {
	tests := []struct {
		name, v string
		ok      bool
	}{
		{"Hangul filler", "\u3164", false},
		{"two Hangul choseong fillers", "\u115F\u115F", false},
		{"blank Braille pattern", "\u2800", false},
		{"halfwidth Hangul filler and spaces", " \uFFA0 ", false},
		{"a combining mark alone", "\u0301", false},
		{"ideographic space", "\u3000", false},
		{"null notehead", "\U0001D159", false},
		{"object replacement character", "\uFFFC", false},
		{"private use", "\uE000", false},
		{"unassigned", "\U0003FFFD", false},
		{"a name with a filler inside", "Siti\u3164Aminah", true},
		{"a name with an accent", "Andre\u0301", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fe household.FieldErrors
			fe.Text("headName", tt.v, household.MaxName)
			if (fe.Err() == nil) != tt.ok {
				t.Fatalf("Text(%q): %v, want accepted %t", tt.v, fe.Err(), tt.ok)
			}
			in := household.OpenInput{KK: "6408010101190001", HeadNIK: "6408014101750001", HeadName: tt.v,
				VillageCode: "64.08.01.2001", Address: "RT 01", Source: household.SourceP3KE}
			if err := in.Validate("64.08.01"); (err == nil) != tt.ok {
				t.Fatalf("open with headName %q: %v, want accepted %t", tt.v, err, tt.ok)
			}
		})
	}
}
