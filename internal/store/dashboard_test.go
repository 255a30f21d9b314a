package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
)

// tally is a store.Tally with every stage and outcome present, as the
// dashboard reports them, zero unless given.
func tally(t store.Tally, byStage map[household.Stage]int64, byOutcome map[household.Outcome]int64) store.Tally {
	t.ByStage, t.ByOutcome = map[household.Stage]int64{}, map[household.Outcome]int64{}
	for _, s := range household.Stages {
		t.ByStage[s] = byStage[s]
	}
	for _, o := range household.Outcomes {
		t.ByOutcome[o] = byOutcome[o]
	}
	return t
}

// TestDashboardCountsBySeededCases builds seven cases with the domain's
// rules, six in two kecamatan of Kutai Timur and one in Paser, and reads
// the counts of the regency, of one kecamatan and of the province.
func TestDashboardCountsBySeededCases(t *testing.T) {
	st := newStore(t)
	rms := newReadModels(t, st)
	pkh := household.Assignment{Program: household.ProgramPKH, Agency: household.AgencyDinsos}
	// Muara Ancalong: four cases, one of them graduated.
	open(t, "collecting", senyiur, t0).save(st)
	open(t, "intervention-escalated", senyiur, t0).surveyed(600_000).confirmed().verified(household.ExtremePoor).escalated().save(st)
	open(t, "follow-up", kelinjauIlir, t0).surveyed(600_000).confirmed().verified(household.ExtremePoor).assigned(pkh).acknowledged().save(st)
	open(t, "graduated", kelinjauUlu, t0).surveyed(600_000).confirmed().verified(household.ExtremePoor).assigned(pkh).acknowledged().
		visited(900_000).later(21).visited(950_000).save(st)
	// Muara Bengkal: one overdue in verification, one found not poor.
	open(t, "verification-overdue", senambah, t0).surveyed(600_000).confirmed().overdue().save(st)
	open(t, "excluded", senambah, t0).surveyed(3_000_000).confirmed().verified(household.NotPoor).save(st)
	// Paser, another regency.
	open(t, "paser", samurangau, t0).save(st)

	ancalong := store.DistrictTally{Code: "64.08.01", Name: "Muara Ancalong", Tally: tally(store.Tally{
		Cases: 4, Open: 3, Escalated: 1, ExtremePoorOpen: 2, Graduated: 1, RemainingPeople: 4,
	}, map[household.Stage]int64{
		household.StageCollecting: 1, household.StageIntervention: 1, household.StageFollowUp: 1, household.StageClosed: 1,
	}, map[household.Outcome]int64{household.OutcomeGraduated: 1})}
	bengkal := store.DistrictTally{Code: "64.08.03", Name: "Muara Bengkal", Tally: tally(store.Tally{
		Cases: 2, Open: 1, Overdue: 1, ExcludedNotPoor: 1, RemainingPeople: 2,
	}, map[household.Stage]int64{
		household.StageVerification: 1, household.StageClosed: 1,
	}, map[household.Outcome]int64{household.OutcomeExcludedNotPoor: 1})}
	kutaiTimur, ok := region.Lookup("64.08")
	if !ok || kutaiTimur.Population == 0 {
		t.Fatalf("the registry has no population for Kutai Timur: %+v", kutaiTimur)
	}

	tests := []struct {
		name            string
		scope, district string
		want            store.Dashboard
	}{
		{"a regency: every kecamatan and the way to zero", "64.08", "", store.Dashboard{
			Scope: "64.08",
			Totals: tally(store.Tally{
				Cases: 6, Open: 4, Overdue: 1, Escalated: 1, ExtremePoorOpen: 2, Graduated: 1, ExcludedNotPoor: 1, RemainingPeople: 6,
			}, map[household.Stage]int64{
				household.StageCollecting: 1, household.StageVerification: 1, household.StageIntervention: 1,
				household.StageFollowUp: 1, household.StageClosed: 2,
			}, map[household.Outcome]int64{household.OutcomeGraduated: 1, household.OutcomeExcludedNotPoor: 1}),
			Districts: []store.DistrictTally{ancalong, bengkal},
			Progress: store.Progress{Listed: 6, Resolved: 2, ResolvedPct: 33.33, RemainingHouseholds: 4,
				Population: kutaiTimur.Population, RemainingPeople: 6,
				RemainingSharePct: float64(6*10000/kutaiTimur.Population) / 100},
		}},
		{"one kecamatan of the regency, without the population share", "64.08", "64.08.03", store.Dashboard{
			Scope:     "64.08",
			Totals:    bengkal.Tally,
			Districts: []store.DistrictTally{bengkal},
			Progress:  store.Progress{Listed: 2, Resolved: 1, ResolvedPct: 50, RemainingHouseholds: 1, RemainingPeople: 2},
		}},
		{"a regency without cases", "64.02", "", store.Dashboard{
			Scope:     "64.02",
			Districts: []store.DistrictTally{},
			Totals:    tally(store.Tally{}, nil, nil),
			Progress: store.Progress{Population: func() int64 {
				r, _ := region.Lookup("64.02")
				return r.Population
			}()},
		}},
	}
	rms.each(func(t *testing.T, rm readModel) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := dashboard(t, rm, tt.scope, tt.district)
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("Dashboard(%s, %q)\n got %+v\nwant %+v", tt.scope, tt.district, got, tt.want)
				}
			})
		}

		// The province sees every regency's kecamatan, in code order.
		prov := dashboard(t, rm, "64", "")
		var codes []string
		for _, d := range prov.Districts {
			codes = append(codes, d.Code)
		}
		if prov.Totals.Cases != 7 || !reflect.DeepEqual(codes, []string{"64.01.01", "64.08.01", "64.08.03"}) {
			t.Errorf("province: %d cases in %v, want 7 in Batu Sopang, Muara Ancalong, Muara Bengkal", prov.Totals.Cases, codes)
		}
	})
}

// dashboard reads a dashboard and checks it says when it was read, then
// clears that for comparing.
func dashboard(t *testing.T, rm readModel, scope, district string) store.Dashboard {
	t.Helper()
	d, err := rm.Dashboard(context.Background(), scope, district)
	if err != nil {
		t.Fatal(err)
	}
	if d.AsOf.IsZero() || time.Since(d.AsOf) > time.Minute {
		t.Errorf("Dashboard(%s, %q) as of %v", scope, district, d.AsOf)
	}
	d.AsOf = time.Time{}
	return d
}

// TestDashboardCountsOverdueAndEscalatedOnlyWhileOpen: a case closed while
// it was escalated no longer needs anyone.
func TestDashboardCountsOverdueAndEscalatedOnlyWhileOpen(t *testing.T) {
	st := newStore(t)
	rms := newReadModels(t, st)
	b := open(t, "closed-escalated", senyiur, t0).escalated()
	sup := actor(household.RoleSupervisor, senyiur)
	in := household.CloseInput{Reason: household.OutcomeMoved}
	b.then(func(at time.Time) error { return b.c.CheckClose(sup, in, at) },
		func(at time.Time) []household.Event { return b.c.Close(sup, in, at) }).save(st)
	if !b.c.Escalated {
		t.Fatal("closing cleared the escalation; this test needs a closed case that is still marked escalated")
	}
	rms.each(func(t *testing.T, rm readModel) {
		d := dashboard(t, rm, "64.08", "")
		if d.Totals.Cases != 1 || d.Totals.Open != 0 || d.Totals.Escalated != 0 || d.Totals.ByOutcome[household.OutcomeMoved] != 1 {
			t.Errorf("totals %+v, want one closed (moved) case and no escalation", d.Totals)
		}
	})
}
