package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// benchFacts are the facts of benchCases.
func benchFacts(n int) []household.Facts {
	_, facts := benchCases(n)
	return facts
}

// benchCases are n cases across the province, opened over 2026 and taken
// by the domain's own rules to every stage: a fifth still collecting, a
// tenth found not poor, a third graduated, the rest in between; their
// summaries and facts, as the projection writes them.
func benchCases(n int) ([]store.Summary, []household.Facts) {
	sums := make([]store.Summary, n)
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
		out[i], sums[i] = f, store.SummaryOf(*c)
	}
	return sums, out
}

// BenchmarkProvinceQuarterlyReport50k builds the province's report of the
// third quarter of 2026 over 50,000 cases of Kalimantan Timur, as GET
// /v1/reports/quarterly does for a province official, four ways:
//
//   - store: the facts read from the embedded FerretDB each time (what the
//     API does with its index off or over its bound);
//   - warm: from the memory of an index that has loaded and holds the
//     facts (every report after the first);
//   - cold/snapshot: a new index each time (an API process just started)
//     asked for the report at once: it loads from the snapshot another
//     index wrote, follows the feed, and answers; timed from its start;
//   - cold/whole: the same with no usable snapshot (the first process
//     ever, or none ran for snapshotUsable): every summary, then every
//     facts document, read before it answers.
//
// Seeding (summaries and facts written in bulk, the SQLite _id index as
// `tuntas-dev dev` makes it) and the first index's load and snapshot are
// not timed, but logged. Run:
//
//	go test ./internal/store -run '^$' -bench ProvinceQuarterlyReport50k -benchtime 3x
func BenchmarkProvinceQuarterlyReport50k(b *testing.B) {
	const n = 50_000
	st := newStoreTB(b)
	ctx := context.Background()
	sums, facts := benchCases(n)
	for i := 0; i < n; i += 1000 {
		if err := store.InsertCases(ctx, st, sums[i:min(i+1000, n)], facts[i:min(i+1000, n)]); err != nil {
			b.Fatal(err)
		}
	}
	sums, facts = nil, nil
	period, err := report.ParsePeriod("64", "2026-07-01", "2026-09-30")
	if err != nil {
		b.Fatal(err)
	}
	// reportOf is the report from the facts fs reads, checked.
	reportOf := func(b *testing.B, fs func(context.Context, string) ([]household.Facts, error)) {
		got, err := whenLoaded(ctx, fs)
		if err != nil {
			b.Fatal(err)
		}
		r := report.Build("64", period, got, time.Now())
		if len(got) != n || r.Households[0].Households == 0 {
			b.Fatalf("read %d facts, report %+v", len(got), r.Households[0])
		}
	}
	t0, c0 := time.Now(), cpuTime()
	writer := store.NewIndex(st, nil)
	defer writer.Close()
	reportOf(b, writer.Facts)
	b.Logf("the first index loaded every summary and facts document and reported in %v (CPU %v)", time.Since(t0).Round(time.Millisecond), (cpuTime() - c0).Round(time.Millisecond))
	t0, c0 = time.Now(), cpuTime()
	if err := store.WriteSnapshot(ctx, writer); err != nil {
		b.Fatal(err)
	}
	b.Logf("it wrote its snapshot in %v (CPU %v)", time.Since(t0).Round(time.Millisecond), (cpuTime() - c0).Round(time.Millisecond))

	// Each op's CPU (the process's, FerretDB's included) beside its wall
	// time: on a shared machine the wall clock also waits for others.
	loop := func(b *testing.B, op func()) {
		var cpu time.Duration
		for b.Loop() {
			c0 := cpuTime()
			op()
			cpu += cpuTime() - c0
		}
		b.ReportMetric(cpu.Seconds()/float64(b.N), "s-cpu/op")
	}
	b.Run("store", func(b *testing.B) { loop(b, func() { reportOf(b, st.Facts) }) })
	b.Run("warm", func(b *testing.B) { loop(b, func() { reportOf(b, writer.Facts) }) })
	cold := func(b *testing.B, before func(b *testing.B)) {
		var loaded, cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			before(b)
			b.StartTimer()
			t0, c0 := time.Now(), cpuTime()
			x := store.NewIndex(st, nil)
			if err := x.Ready(ctx); err != nil {
				b.Fatal(err)
			}
			loaded += time.Since(t0)
			reportOf(b, x.Facts)
			cpu += cpuTime() - c0
			b.StopTimer()
			x.Close()
			if n := x.Fallbacks(); n != 0 {
				b.Errorf("a new index answered %d reads from the store", n)
			}
			b.StartTimer()
		}
		b.ReportMetric(loaded.Seconds()/float64(b.N), "s-ready/op")
		b.ReportMetric(cpu.Seconds()/float64(b.N), "s-cpu/op")
	}
	b.Run("cold/snapshot", func(b *testing.B) {
		cold(b, func(*testing.B) {})
	})
	writer.Close() // it would write the snapshot again
	b.Run("cold/whole", func(b *testing.B) {
		cold(b, func(b *testing.B) {
			if err := store.DropSnapshots(ctx, st); err != nil {
				b.Fatal(err)
			}
		})
	})
	if n := writer.Fallbacks(); n != 0 {
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
	var cpu time.Duration
	for b.Loop() {
		c0 := cpuTime()
		report.Build("64", period, facts, time.Now())
		cpu += cpuTime() - c0
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "s-cpu/op")
}

// cpuTime is the CPU the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchDatabases numbers the benchmarks' databases.
var benchDatabases atomic.Int64

// benchURIEnv names a MongoDB or FerretDB (outside the process) for the
// benchmarks' stores, instead of the package's embedded FerretDB.
const benchURIEnv = "TUNTAS_BENCH_MONGO_URI"

// newStoreTB is newStore for a benchmark: a fresh database with the
// collections and indexes of the read model and, on the embedded
// FerretDB, the SQLite _id index (on another server, a database of its
// own, dropped after).
func newStoreTB(tb testing.TB) *store.Store {
	tb.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("bench_facts_%d", benchDatabases.Add(1))
	uri := os.Getenv(benchURIEnv)
	if uri == "" {
		uri = ferrettest.URI()
	} else {
		name = fmt.Sprintf("bench_%d_%d", os.Getpid(), benchDatabases.Load())
	}
	st, err := store.Connect(ctx, uri, name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if uri != ferrettest.URI() {
			_ = st.Database().Drop(context.Background())
		}
		_ = st.Close(context.Background())
	})
	if err := st.EnsureIndexes(ctx); err != nil {
		tb.Fatal(err)
	}
	if uri == ferrettest.URI() {
		ferrettest.IndexIDs(tb, name)
	}
	return st
}

// whenLoaded asks fs for the province's facts until the index that
// answers has read them (a client told 503 asks again).
func whenLoaded(ctx context.Context, fs func(context.Context, string) ([]household.Facts, error)) ([]household.Facts, error) {
	for {
		got, err := fs(ctx, "64")
		if !errors.Is(err, store.ErrFactsLoading) {
			return got, err
		}
	}
}
