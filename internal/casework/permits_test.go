package casework

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
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
			[]string{"close", "escalate", "escalate/province", "escalate/regency"}},
		{"supervisor in intervention", person(household.RoleSupervisor, "64.08", ""), intervention,
			[]string{"assign", "close", "escalate", "escalate/province", "escalate/regency"}},
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
