package bench

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// This file is the lifecycle the bench's simulated people give a
// household, as data: the mix of plans and each plan's requests. The bench
// and the chaos run (internal/chaos) drive the same households.

// Kinds of household in the mix.
const (
	KindGraduated = "graduated"
	KindExcluded  = "excluded_not_poor"
	KindEscalated = "escalated_then_graduated"
)

// Plan is what becomes of one household of the mix.
type Plan struct {
	Kind    string
	Updates int // workflow updates, counting the opening one
}

// PlanFor is household i's plan: one in ten is found not poor at
// verification, one in ten is escalated to the province on the way, the
// rest graduate.
func PlanFor(i int) Plan {
	switch i % 10 {
	case 0:
		return Plan{Kind: KindExcluded, Updates: 4}
	case 1:
		return Plan{Kind: KindEscalated, Updates: 11}
	}
	return Plan{Kind: KindGraduated, Updates: 9}
}

// Person is who makes a request: a role in a region (and an agency).
type Person struct {
	Role   household.Role
	Region string
	Agency string
}

// Step is one request of a household's lifecycle.
type Step struct {
	// Name says what the person does, e.g. "survey".
	Name string
	// Path is under /v1/cases/{id}; EscalationRef in it stands for the ID
	// the escalation step was answered with.
	Path   string
	Person Person
	Body   any
	// Want is the status that acknowledges the step.
	Want int
}

// EscalationRef is the placeholder in a path for the escalation's ID.
const EscalationRef = "{escalation}"

// WithEscalation returns path with the escalation's ID in place.
func WithEscalation(path, id string) string { return strings.ReplaceAll(path, EscalationRef, id) }

// Lifecycle is the steps a household of plan p in village takes, from its
// survey up to its first follow-up visit (for a household excluded at
// verification, up to its verification). members is the surveyed
// household; today dates the musdes and the visit.
func Lifecycle(p Plan, village string, members []household.Member, today string) []Step {
	district := region.Ancestor(village, region.District)
	regency := region.Ancestor(village, region.Regency)
	cw := Person{Role: household.RoleCaseworker, Region: district}
	sup := Person{Role: household.RoleSupervisor, Region: regency}
	ver := Person{Role: household.RoleVerifier, Region: regency}
	dinsos := Person{Role: household.RoleAgency, Region: regency, Agency: household.AgencyDinsos}

	monthly := int64(3 * 8_000 * 30) // three people at Rp 8,000 a day: extreme poor
	if p.Kind == KindExcluded {
		monthly = 3 * 40_000 * 30
	}
	survey := household.SurveyInput{Survey: household.Survey{
		Members: members, MonthlyExpenditure: monthly, MonthlyIncome: monthly,
		Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"},
		Assets:  household.Assets{LandAreaM2: 300, Motorbikes: 1},
	}}
	steps := []Step{
		{"survey", "/survey", cw, survey, http.StatusOK},
		{"village-confirmation", "/village-confirmation", Person{Role: household.RoleVillageOfficer, Region: village},
			household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: today, MusdesMinutes: "1/MUSDES"}, http.StatusOK},
	}
	if p.Kind == KindEscalated {
		steps = append(steps,
			Step{"escalation", "/escalations", sup,
				map[string]string{"level": "province", "reason": "no KTP; no program can enrol the household"}, http.StatusCreated},
			Step{"escalation-resolution", "/escalations/" + EscalationRef + "/resolution", Person{Role: household.RoleProvince, Region: "64"},
				map[string]string{"resolution": "Disdukcapil issues the KTP"}, http.StatusOK})
	}
	if p.Kind == KindExcluded {
		return append(steps, Step{"verification", "/verification", ver, household.VerificationInput{Outcome: household.NotPoor}, http.StatusOK})
	}
	return append(steps,
		Step{"verification", "/verification", ver, household.VerificationInput{Outcome: household.ExtremePoor}, http.StatusOK},
		Step{"interventions", "/interventions", sup, household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramPKH, Agency: household.AgencyDinsos}}}, http.StatusOK},
		Step{"intervention-acknowledged", "/interventions/iv-1/status", dinsos, map[string]string{"status": "acknowledged"}, http.StatusOK},
		Step{"intervention-delivered", "/interventions/iv-1/status", dinsos, map[string]string{"status": "delivered"}, http.StatusOK},
		Step{"follow-up", "/follow-ups", cw, household.FollowUpInput{VisitDate: today, MonthlyExpenditure: 3 * 14_000 * 30}, http.StatusOK},
	)
}

// Graduation is a verifier's decision to graduate a household in
// follow-up, without waiting 21 days for a second visit.
func Graduation(village string) Step {
	return Step{"graduation", "/graduation", Person{Role: household.RoleVerifier, Region: region.Ancestor(village, region.Regency)},
		household.GraduateInput{Notes: "income above the line at the first visit"}, http.StatusOK}
}

// Revisit is the second visit above the line, which graduates a household
// 21 deadline days after its first.
func Revisit(village string, today string) Step {
	return Step{"follow-up", "/follow-ups", Person{Role: household.RoleCaseworker, Region: region.Ancestor(village, region.District)},
		household.FollowUpInput{VisitDate: today, MonthlyExpenditure: 3 * 15_000 * 30}, http.StatusOK}
}

// NIKs hands out NIKs no other household of the run has: each person is
// held by one case, as in a clean list.
type NIKs struct{ seq atomic.Int64 }

// Members is a household of n people of a kecamatan, the head first.
func (g *NIKs) Members(district string, n int) []household.Member {
	nik := func() string {
		k := g.seq.Add(1)
		return fmt.Sprintf("%s%02d0185%04d", region.Compact(district), 1+(k/9999)%28, k%9999+1)
	}
	ms := []household.Member{{NIK: nik(), Name: "Kepala", Relation: household.RelationHead, BirthDate: "1985-01-01", Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccFarmer}}
	for i := 1; i < n; i++ {
		ms = append(ms, household.Member{NIK: nik(), Name: "Anak", Relation: household.RelationChild, BirthDate: "2010-01-01", Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccStudent})
	}
	return ms
}
