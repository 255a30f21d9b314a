package store

import (
	"testing"

	"github.com/tuntas-id/tuntas/internal/household"
)

func TestAnAgencyListsTheCasesOfItsInterventionsStillToAcknowledgeOrDeliver(t *testing.T) {
	c := testCase("c-work")
	c.Interventions = []household.Intervention{
		{ID: "iv-1", Program: household.ProgramPKH, Agency: household.AgencyDinsos, Status: household.InterventionDelivered},
		{ID: "iv-2", Program: household.ProgramJobTraining, Agency: household.AgencyDisnakertrans, Status: household.InterventionAcknowledged},
		{ID: "iv-3", Program: household.ProgramRTLH, Agency: household.AgencyDisperkim, Status: household.InterventionAssigned},
		{ID: "iv-4", Program: household.ProgramCSR, Agency: household.AgencyCSR, Status: household.InterventionDeclined},
		// Ended by the household's move: no longer Baznas's case.
		{ID: "iv-5", Program: household.ProgramSembako, Agency: household.AgencyBaznas, Status: household.InterventionMoved},
	}
	s := SummaryOf(c)
	tests := []struct {
		agency string
		status household.InterventionStatus
		want   bool
	}{
		{household.AgencyDinsos, "", true}, // its case, whatever is left to do
		{household.AgencyDinsos, household.InterventionAcknowledged, false},
		{household.AgencyDinsos, household.InterventionAssigned, false},
		{household.AgencyDisnakertrans, household.InterventionAcknowledged, true},
		{household.AgencyDisnakertrans, household.InterventionAssigned, false},
		{household.AgencyDisperkim, household.InterventionAssigned, true},
		{household.AgencyDisperkim, household.InterventionAcknowledged, false},
		{household.AgencyCSR, household.InterventionAssigned, false},
		{household.AgencyBaznas, "", false},
	}
	for _, tt := range tests {
		f := Filter{Scope: "64.08", Agency: tt.agency, Intervention: tt.status}
		if got := f.matches(s); got != tt.want {
			t.Errorf("%s, intervention %q: listed %v, want %v", tt.agency, tt.status, got, tt.want)
		}
	}
}
