package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// benchFacts are n cases across the province, opened over 2026 and taken
// by the domain's own rules to every stage: a fifth still collecting, a
// tenth found not poor, a third graduated, the rest in between.
func benchFacts(n int) []household.Facts {
	gen := synth.NewProvince(50, 3)
	start := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	out := make([]household.Facts, n)
	for i := range out {
		h := gen.Household(i)
		district := region.Ancestor(h.VillageCode, region.District)
		regency := region.Ancestor(h.VillageCode, region.Regency)
		cw := household.Actor{Sub: "cw", Role: household.RoleCaseworker, Region: district}
		at := start.Add(time.Duration(i%330) * 24 * time.Hour).Add(time.Duration(i%97) * time.Minute)
		c, events := household.Open(household.OpenInput{ID: fmt.Sprintf("bench-%06d", i), KK: h.KK, HeadNIK: h.HeadNIK, HeadName: h.HeadName,
			VillageCode: h.VillageCode, Address: h.Address, Source: household.SourceP3KE}, cw, household.DefaultRules(), household.DefaultDeadlines(), at)
		step := func(days int, do func(time.Time) []household.Event) {
			at = at.Add(time.Duration(days) * 24 * time.Hour)
			events = append(events, do(at)...)
		}
		k := i % 10
		if k >= 2 {
			sex := household.Male
			if i%3 == 0 {
				sex = household.Female
			}
			members := []household.Member{{NIK: h.HeadNIK, Name: h.HeadName, Relation: household.RelationHead, BirthDate: "1961-04-05", Sex: sex, Disability: i%9 == 0},
				{NIK: h.HeadNIK[:12] + "0002", Name: "Anak", Relation: household.RelationChild, BirthDate: fmt.Sprintf("20%02d-02-03", 5+i%20), Sex: household.Female}}
			step(3, func(t time.Time) []household.Event {
				return c.SubmitSurvey(cw, household.SurveyInput{Survey: household.Survey{Members: members, MonthlyExpenditure: 400_000,
					Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"}}}, t)
			})
			step(7, func(t time.Time) []household.Event {
				return c.ConfirmByVillage(household.Actor{Sub: "vo", Role: household.RoleVillageOfficer, Region: h.VillageCode},
					household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: region.Today(h.VillageCode, t), MusdesMinutes: "1/M"}, t)
			})
			outcome := household.ExtremePoor
			if k == 2 {
				outcome = household.NotPoor
			}
			ver := household.Actor{Sub: "ver", Role: household.RoleVerifier, Region: regency}
			step(10, func(t time.Time) []household.Event {
				return c.RecordVerification(ver, household.VerificationInput{Outcome: outcome}, t)
			})
			if k >= 4 {
				sup := household.Actor{Sub: "sup", Role: household.RoleSupervisor, Region: regency}
				step(5, func(t time.Time) []household.Event {
					return c.AssignInterventions(sup, household.AssignInput{Interventions: []household.Assignment{
						{Program: household.ProgramPKH, Agency: household.AgencyDinsos}, {Program: household.ProgramRTLH, Agency: household.AgencyDisperkim}}}, t)
				})
				dinsos := household.Actor{Sub: "dinsos", Role: household.RoleAgency, Region: regency, Agency: household.AgencyDinsos}
				step(4, func(t time.Time) []household.Event {
					return c.UpdateIntervention(dinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged}, t)
				})
				step(20, func(t time.Time) []household.Event {
					return c.UpdateIntervention(dinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionDelivered}, t)
				})
			}
			if k >= 7 {
				step(30, func(t time.Time) []household.Event {
					return c.Graduate(ver, household.GraduateInput{Notes: "mandiri"}, t)
				})
			}
		}
		f := household.FactsOf(*c)
		for _, e := range events {
			f.Marks = append(f.Marks, household.MarkOf(e))
		}
		out[i] = f
	}
	return out
}

// BenchmarkProvinceQuarterlyReport50k builds the province's report of the
// third quarter of 2026 over 50,000 cases of Kalimantan Timur, as GET
// /v1/reports/quarterly does for a province official: "store" reads the
// facts from the embedded FerretDB each time; "index" from the read
// index's memory, as the API does once its first report has read them
// (that first read is not timed; nothing changes between reports).
// Seeding is not timed. Run:
//
//	go test ./internal/store -run '^$' -bench ProvinceQuarterlyReport50k -benchtime 3x
func BenchmarkProvinceQuarterlyReport50k(b *testing.B) {
	const n = 50_000
	st := newStoreTB(b)
	ctx := context.Background()
	facts := benchFacts(n)
	for i := 0; i < len(facts); i += 1000 {
		if err := store.InsertFacts(ctx, st, facts[i:min(i+1000, len(facts))]); err != nil {
			b.Fatal(err)
		}
	}
	period, err := report.ParsePeriod("64", "2026-07-01", "2026-09-30")
	if err != nil {
		b.Fatal(err)
	}
	x := store.NewIndex(st, nil)
	b.Cleanup(x.Close)
	if err := x.Ready(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := x.Facts(ctx, "64"); err != nil {
		b.Fatal(err)
	}
	for _, src := range []struct {
		name  string
		facts func(context.Context, string) ([]household.Facts, error)
	}{{"store", st.Facts}, {"index", x.Facts}} {
		b.Run(src.name, func(b *testing.B) {
			var read, built time.Duration
			for b.Loop() {
				t0 := time.Now()
				got, err := src.facts(ctx, "64")
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				r := report.Build("64", period, got, time.Now())
				read, built = read+t1.Sub(t0), built+time.Since(t1)
				if len(got) != n || r.Households[0].Households == 0 {
					b.Fatalf("read %d facts, report %+v", len(got), r.Households[0])
				}
			}
			b.ReportMetric(read.Seconds()/float64(b.N), "s-read/op")
			b.ReportMetric(built.Seconds()/float64(b.N), "s-build/op")
		})
	}
	if n := x.Fallbacks(); n != 0 {
		b.Errorf("the index answered %d reads from the store", n)
	}
}

// BenchmarkQuarterlyBuild50k is the report's computation alone, from
// facts in memory.
func BenchmarkQuarterlyBuild50k(b *testing.B) {
	facts := benchFacts(50_000)
	period, err := report.ParsePeriod("64", "2026-07-01", "2026-09-30")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		report.Build("64", period, facts, time.Now())
	}
}

// benchDatabases numbers the benchmarks' databases.
var benchDatabases atomic.Int64

// newStoreTB is newStore for a benchmark: a fresh database with the
// collections and indexes of the read model. The report reads by region,
// so it goes without the SQLite _id index newStore adds.
func newStoreTB(tb testing.TB) *store.Store {
	tb.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("bench_facts_%d", benchDatabases.Add(1))
	st, err := store.Connect(ctx, ferrettest.URI(), name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close(context.Background()) })
	if err := st.EnsureIndexes(ctx); err != nil {
		tb.Fatal(err)
	}
	return st
}
