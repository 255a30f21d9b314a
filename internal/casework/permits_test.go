package casework

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

var now = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// openCase is a case in collecting in Senyiur, Muara Ancalong.
func openCase(id string) household.Case {
	c, _ := household.Open(household.OpenInput{ID: id, KK: "6408010101200001", HeadNIK: "6408014101850001", HeadName: "Siti Aminah",
		VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE},
		household.Actor{Sub: "cw-1", Role: household.RoleCaseworker, Region: "64.08.01"},
		household.DefaultRules(), household.DefaultDeadlines(), now.Add(-72*time.Hour))
	return *c
}

// interventionCase is a case in intervention with dinsos's intervention iv-1.
func interventionCase(id string) household.Case {
	c := openCase(id)
	c.Stage = household.StageIntervention
	c.Interventions = []household.Intervention{{ID: "iv-1", Program: household.ProgramPKH, Agency: household.AgencyDinsos, Status: household.InterventionAssigned}}
	return c
}

func TestPermitsAreWhatTheDomainAllowsThePersonNow(t *testing.T) {
	collecting := openCase("c-1")
	intervention := interventionCase("c-2")
	toPaser := openCase("c-4")
	toPaser.Transfers = []household.Transfer{{ID: "tr-1", Status: household.TransferPending, FromVillage: toPaser.VillageCode, ToVillage: "64.01.01.2009"}}
	closed := openCase("c-3")
	closed.Status, closed.Stage = household.StatusClosed, household.StageClosed
	person := func(role household.Role, region, agency string) auth.Principal {
		return auth.Principal{Sub: "p", Role: role, Region: region, Agency: agency}
	}
	tests := []struct {
		name string
		p    auth.Principal
		cs   household.Case
		want []string
	}{
		{"caseworker while collecting", person(household.RoleCaseworker, "64.08.01", ""), collecting, []string{"survey"}},
		{"caseworker of another kecamatan", person(household.RoleCaseworker, "64.08.03", ""), collecting, nil},
		{"village officer before the survey", person(household.RoleVillageOfficer, "64.08.01.2001", ""), collecting, nil},
		{"supervisor while collecting", person(household.RoleSupervisor, "64.08", ""), collecting,
			[]string{"close", "escalate", "escalate/province", "escalate/regency", "transfer"}},
		{"supervisor in intervention", person(household.RoleSupervisor, "64.08", ""), intervention,
			[]string{"assign", "close", "escalate", "escalate/province", "escalate/regency", "transfer"}},
		{"supervisor of the sending regency, moving to Paser", person(household.RoleSupervisor, "64.08", ""), toPaser,
			[]string{"transfer-cancel", "transfer-cancel/tr-1"}},
		{"supervisor of the receiving regency", person(household.RoleSupervisor, "64.01", ""), toPaser,
			[]string{"transfer-answer", "transfer-answer/tr-1"}},
		{"caseworker of the kecamatan the household left", person(household.RoleCaseworker, "64.08.01", ""), toPaser, nil},
		{"dinsos in intervention", person(household.RoleAgency, "64.08", household.AgencyDinsos), intervention,
			[]string{"intervention", "intervention/iv-1/acknowledged", "intervention/iv-1/declined"}},
		{"another agency", person(household.RoleAgency, "64.08", household.AgencyBaznas), intervention, nil},
		{"province in intervention", person(household.RoleProvince, "64", ""), intervention,
			[]string{"escalate", "escalate/province", "escalate/regency"}},
		{"anyone on a closed case", person(household.RoleAdmin, "64", ""), closed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for k := range permits(tt.p, tt.cs) {
				got = append(got, k)
			}
			sort.Strings(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("permits %v, want %v", got, tt.want)
			}
		})
	}
	if p := permits(person(household.RoleAgency, "64.08", household.AgencyDinsos), intervention); !p.May(household.ActIntervention, "iv-1/acknowledged") ||
		p.May(household.ActIntervention, "iv-1/delivered") || !p.May(household.ActIntervention, "") {
		t.Errorf("May on dinsos's permits %v", p)
	}
}

// TestEveryActionReachesTheCaseOneWay: each action but escalation is one
// workflow update, taking the input its check takes.
func TestEveryActionReachesTheCaseOneWay(t *testing.T) {
	inputs := map[household.Action]actionInput{
		household.ActSurvey: household.SurveyInput{}, household.ActVillage: household.VillageInput{},
		household.ActVerification: household.VerificationInput{}, household.ActGraduate: household.GraduateInput{},
		household.ActAssign: household.AssignInput{}, household.ActIntervention: household.InterventionInput{},
		household.ActFollowUp: household.FollowUpInput{}, household.ActResolve: household.ResolveInput{},
		household.ActClose: household.CloseInput{}, household.ActDuplicateResolution: household.DuplicateResolutionInput{},
		household.ActTransfer: household.TransferInput{}, household.ActTransferAnswer: household.TransferAnswerInput{},
		household.ActTransferCancel: household.TransferCancelInput{},
	}
	for _, act := range household.Actions {
		up, ok := updates[act]
		if act == household.ActEscalate {
			if ok {
				t.Errorf("escalation is an update and also Escalate")
			}
			continue
		}
		if !ok || up.name == "" {
			t.Errorf("%s reaches no update", act)
			continue
		}
		for other, in := range inputs {
			if got := up.takes(in); got != (other == act) {
				t.Errorf("%s takes %T: %t", act, in, got)
			}
		}
	}
}

// TestWhoReadsACaseWithATransferPending: the supervisors of the region a
// household is moving to read its case until they answer; nobody else
// there does, and after an accepted move the region it left reads it no
// more.
func TestWhoReadsACaseWithATransferPending(t *testing.T) {
	person := func(role household.Role, region, agency string) auth.Principal {
		return auth.Principal{Sub: "p", Role: role, Region: region, Agency: agency}
	}
	moving := openCase("c-1")
	moving.Transfers = []household.Transfer{{ID: "tr-1", Status: household.TransferPending, FromVillage: moving.VillageCode, ToVillage: "64.01.01.2009"}}
	moved := openCase("c-2")
	moved.VillageCode, moved.DistrictCode, moved.RegencyCode = "64.01.01.2009", "64.01.01", "64.01"
	moved.Transfers = []household.Transfer{{ID: "tr-1", Status: household.TransferAccepted, FromVillage: "64.08.01.2001", ToVillage: "64.01.01.2009"}}
	closedMoving := moving
	closedMoving.Status = household.StatusClosed
	tests := []struct {
		name string
		p    auth.Principal
		cs   household.Case
		want bool
	}{
		{"the receiving regency's supervisor", person(household.RoleSupervisor, "64.01", ""), moving, true},
		{"the receiving kecamatan's caseworker", person(household.RoleCaseworker, "64.01.01", ""), moving, false},
		{"the receiving regency's verifier", person(household.RoleVerifier, "64.01", ""), moving, false},
		{"the receiving regency's Dinsos", person(household.RoleAgency, "64.01", household.AgencyDinsos), moving, false},
		{"another regency's supervisor", person(household.RoleSupervisor, "64.02", ""), moving, false},
		{"the sending kecamatan's caseworker while pending", person(household.RoleCaseworker, "64.08.01", ""), moving, true},
		{"the sending kecamatan's caseworker after the move", person(household.RoleCaseworker, "64.08.01", ""), moved, false},
		{"the sending regency's supervisor after the move", person(household.RoleSupervisor, "64.08", ""), moved, false},
		{"the new kecamatan's caseworker after the move", person(household.RoleCaseworker, "64.01.01", ""), moved, true},
		{"the receiving supervisor once the case closed", person(household.RoleSupervisor, "64.01", ""), closedMoving, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mayRead(tt.p, tt.cs); got != tt.want {
				t.Errorf("mayRead = %t, want %t", got, tt.want)
			}
			sum := store.SummaryOf(tt.cs)
			if got := maySee(tt.p, sum.VillageCode, slices.Contains(sum.Agencies, tt.p.Agency), sum.TransferTo); got != tt.want {
				t.Errorf("on the summary = %t, want %t", got, tt.want)
			}
		})
	}
}
