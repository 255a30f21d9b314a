package api

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
)

func TestPermitsAreTheDomainsChecksForThePersonAndStage(t *testing.T) {
	s := NewServer(Config{Now: func() time.Time { return now }})
	collecting := openCase("c-1")
	intervention := surveyedCase("c-2")
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
		{"village officer before the survey", person(household.RoleVillageOfficer, senyiur, ""), collecting, nil},
		{"supervisor while collecting", person(household.RoleSupervisor, "64.08", ""), collecting,
			[]string{"close", "escalations", "escalations/province", "escalations/regency"}},
		{"supervisor in intervention", person(household.RoleSupervisor, "64.08", ""), intervention,
			[]string{"close", "escalations", "escalations/province", "escalations/regency", "interventions"}},
		{"dinsos in intervention", person(household.RoleAgency, "64.08", household.AgencyDinsos), intervention,
			[]string{"intervention-status", "intervention-status/iv-1/acknowledged", "intervention-status/iv-1/declined"}},
		{"another agency", person(household.RoleAgency, "64.08", household.AgencyBaznas), intervention, nil},
		{"province in intervention", person(household.RoleProvince, "64", ""), intervention,
			[]string{"escalations", "escalations/province", "escalations/regency"}},
		{"anyone on a closed case", person(household.RoleAdmin, "64", ""), closed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for k := range s.permits(tt.p, tt.cs) {
				got = append(got, k)
			}
			sort.Strings(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("permits %v, want %v", got, tt.want)
			}
		})
	}
}

func TestServiceRefusesARoleBeforeReadingTheCase(t *testing.T) {
	ht := newHandlerTest(t, openCase("c-1"))
	s := ht.h.(interface {
		ServeHTTP(http.ResponseWriter, *http.Request)
	})
	_ = s
	srv := NewServer(Config{Store: ht.reads, Temporal: ht.temporal, Now: func() time.Time { return now }})
	who := Caller{Principal: auth.Principal{Sub: "v", Role: household.RoleVillageOfficer, Region: senyiur}, Route: "test"}
	_, err := srv.Act(context.Background(), who, "c-1", ActClose, func() (any, error) { return household.CloseInput{}, nil })
	if p, ok := ProblemOf(err); !ok || p.Status != http.StatusForbidden {
		t.Fatalf("a village officer closing: %v", err)
	}
	outside := Caller{Principal: auth.Principal{Sub: "c", Role: household.RoleCaseworker, Region: "64.08.03"}, Route: "test"}
	_, _, err = srv.Case(context.Background(), outside, "c-1")
	if p, ok := ProblemOf(err); !ok || p.Status != http.StatusNotFound {
		t.Fatalf("a caseworker of another kecamatan reading: %v", err)
	}
	if len(ht.temporal.calls) != 0 {
		t.Fatalf("refused calls reached Temporal: %+v", ht.temporal.calls)
	}
}
