package household_test

import (
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// At 23:30 UTC it is already 07:30 the next morning in Kutai Timur (WITA):
// a caseworker's phone shows that next day, and the dates they type follow
// it. Judged on UTC's day, a musdes or visit held that morning was refused
// as "in the future", and the case opened at that hour was dated the day
// before.
func TestDatesFollowTheRegionsClockAt2330UTC(t *testing.T) {
	late := time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC) // 2026-12-08 07:30 WITA
	c, _ := household.Open(household.OpenInput{ID: "case-1", KK: "6408010101200001", HeadNIK: "6408014101850001",
		HeadName: "Siti Aminah", VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE},
		caseworker, household.DefaultRules(), household.DefaultDeadlines(), late)
	c.SubmitSurvey(caseworker, validSurvey, late)
	at := late.Add(time.Minute)

	tests := []struct {
		date string
		ok   bool
	}{
		{"2026-12-08", true},  // WITA's today
		{"2026-12-07", false}, // the case was opened on the 8th, WITA
		{"2026-12-09", false}, // the future, on any clock
	}
	for _, tt := range tests {
		err := c.CheckVillage(officer, household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: tt.date, MusdesMinutes: "1/MUSDES"}, at)
		if (err == nil) != tt.ok {
			t.Errorf("musdes on %s at 23:30 UTC: %v, want ok=%t", tt.date, err, tt.ok)
		}
	}
	in := household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: "2026-12-08", MusdesMinutes: "1/MUSDES"}
	if err := in.Validate(c.Local(at)); err != nil {
		t.Errorf("the API's check on the case's clock refused WITA's today: %v", err)
	}

	c.ConfirmByVillage(officer, in, at)
	c.RecordVerification(verifier, extremePoor, at)
	c.AssignInterventions(supervisor, assignPKH, at)
	c.UpdateIntervention(dinsos, ackPKH, at)
	if c.Stage != household.StageFollowUp {
		t.Fatalf("case in %s, want follow_up", c.Stage)
	}
	visit := household.FollowUpInput{VisitDate: "2026-12-08", MonthlyExpenditure: 900_000}
	if err := c.CheckFollowUp(caseworker, visit, at); err != nil {
		t.Errorf("a visit on WITA's today at 23:30 UTC: %v", err)
	}
	visit.VisitDate = "2026-12-09"
	if err := c.CheckFollowUp(caseworker, visit, at); err == nil {
		t.Error("a visit dated tomorrow, WITA, was taken")
	}
	born := validSurvey.Survey
	born.Members = append([]household.Member(nil), born.Members...)
	born.Members[1].BirthDate = "2026-12-08" // born this morning, WITA
	if err := born.Validate(c.Local(at)); err != nil {
		t.Errorf("a child born this morning, WITA: %v", err)
	}
}
