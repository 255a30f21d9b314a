package report_test

import (
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/report"
)

// TestVillageProposalsCountWhereEachStoodAtThePeriodsEnd: a proposal made
// on 30 September (23:30 WITA) and accepted on 2 October is proposed and
// still awaiting screening in Q3, and added in Q4, not proposed again.
func TestVillageProposalsCountWhereEachStoodAtThePeriodsEnd(t *testing.T) {
	officer := household.Actor{Sub: "vo", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"}
	sup := household.Actor{Sub: "sup", Role: household.RoleSupervisor, Region: "64.08"}
	in := household.ProposalInput{KK: "6408010101209001", HeadNIK: "6408015506800003", HeadName: "Wati", VillageCode: "64.08.01.2001",
		Address: "RT 5", MusdesDate: "2026-09-29", MusdesMinutes: "7"}
	late := time.Date(2026, 9, 30, 15, 30, 0, 0, time.UTC) // 23:30 WITA
	accepted, _ := household.Propose("usl-a", in, officer, household.DefaultDeadlines(), late)
	accepted.Accept(sup, "case-1", time.Date(2026, 10, 2, 2, 0, 0, 0, time.UTC))
	male := in
	male.HeadNIK = "6408011506800004"
	rejected, _ := household.Propose("usl-b", male, officer, household.DefaultDeadlines(), time.Date(2026, 8, 1, 2, 0, 0, 0, time.UTC))
	rejected.Reject(sup, household.ScreenInput{Decision: household.ScreenReject, Reason: "mampu"}, time.Date(2026, 8, 3, 2, 0, 0, 0, time.UTC))
	refused, _ := household.Propose("usl-c", male, officer, household.DefaultDeadlines(), time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC))
	refused.Refuse(officer, household.ProposalFinding{By: household.HeldKK, CaseID: "case-9"}, time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC))
	ps := []household.Proposal{*accepted, *rejected, *refused}

	q3, err := report.ParsePeriod("64.08", "2026-07-01", "2026-09-30")
	if err != nil {
		t.Fatal(err)
	}
	q4, err := report.ParsePeriod("64.08", "2026-10-01", "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	one := func(female bool) report.ProposalCount {
		if female {
			return report.ProposalCount{Households: 1, HeadFemale: 1}
		}
		return report.ProposalCount{Households: 1, HeadMale: 1}
	}
	tests := []struct {
		name string
		got  report.VillageProposals
		want report.VillageProposals
	}{
		{"Q3", report.CountProposals(q3, ps), report.VillageProposals{
			Proposed: report.ProposalCount{Households: 2, HeadMale: 1, HeadFemale: 1}, Rejected: one(false), Pending: one(true)}},
		{"Q4", report.CountProposals(q4, ps), report.VillageProposals{Proposed: one(false), Added: one(true), Refused: one(false)}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, tt.got, tt.want)
		}
	}
	r := report.Report{Proposals: &tests[1].got}
	if tables := r.Tables(); tables[len(tables)-1].Name != "Usulan Desa" || tables[len(tables)-1].Rows[1][1] != int64(1) {
		t.Errorf("the report's tables end with %+v", tables[len(tables)-1])
	}
}
