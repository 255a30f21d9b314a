package store_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
	"github.com/tuntas-id/tuntas/internal/store"
)

// seededStore is a fresh store holding n cases of benchCases (summaries
// and facts written in bulk, untimed), and the busiest kecamatan.
func seededStore(b *testing.B, n int) (*store.Store, string) {
	b.Helper()
	st := newStoreTB(b)
	ctx := context.Background()
	sums, facts := benchCases(n)
	perDistrict := map[string]int{}
	for _, s := range sums {
		perDistrict[s.DistrictCode]++
	}
	busiest := ""
	for d, k := range perDistrict {
		if k > perDistrict[busiest] || k == perDistrict[busiest] && d < busiest {
			busiest = d
		}
	}
	t0 := time.Now()
	for i := 0; i < n; i += 1000 {
		if err := store.InsertCases(ctx, st, sums[i:min(i+1000, n)], facts[i:min(i+1000, n)]); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d cases in %v", n, time.Since(t0).Round(time.Second))
	return st, busiest
}

// BenchmarkReadsByTheStoreAlone50k answers the reads people wait for over
// 50,000 cases of the province two ways: "store", the database alone (the
// Store's queries, as the API does with its index off,
// TUNTAS_INDEX_CASES=0, or over its bound), and "index", the read index's
// memory. Each read is timed alone, one at a time; s-max/op is the
// slowest, s-cpu/op the process's CPU per read (the embedded FerretDB's
// included; with TUNTAS_BENCH_MONGO_URI the server's is not). Run:
//
//	go test ./internal/store -run '^$' -bench ReadsByTheStoreAlone50k -benchtime 3x
func BenchmarkReadsByTheStoreAlone50k(b *testing.B) {
	const n = 50_000
	st, district := seededStore(b, n)
	ctx := context.Background()
	regency := region.Ancestor(district, region.Regency)
	period, err := report.ParsePeriod("64", "2026-07-01", "2026-09-30")
	if err != nil {
		b.Fatal(err)
	}
	x := store.NewIndex(st, nil)
	defer x.Close()
	if _, err := whenLoaded(ctx, x.Facts); err != nil { // loaded, facts held
		b.Fatal(err)
	}
	type reader interface {
		List(context.Context, store.Filter) (store.Page, error)
		Dashboard(context.Context, string, string) (store.Dashboard, error)
		Facts(context.Context, string) ([]household.Facts, error)
	}
	list := func(f store.Filter) func(reader) error {
		return func(r reader) error {
			p, err := r.List(ctx, f)
			if err == nil && len(p.Items) == 0 && f.Overdue == nil {
				err = fmt.Errorf("an empty page of %+v", f)
			}
			return err
		}
	}
	yes := true
	reads := []struct {
		name string
		read func(reader) error
	}{
		{"list/kecamatan", list(store.Filter{Scope: "64", District: district, Limit: 20})},
		{"list/stage", list(store.Filter{Scope: "64", Stage: household.StageFollowUp, Limit: 20})},
		{"list/overdue", list(store.Filter{Scope: "64", Overdue: &yes, Limit: 20})},
		{"dashboard/province", func(r reader) error { _, err := r.Dashboard(ctx, "64", ""); return err }},
		{"dashboard/kecamatan", func(r reader) error { _, err := r.Dashboard(ctx, regency, district); return err }},
		{"report/province", func(r reader) error {
			fs, err := r.Facts(ctx, "64")
			if err == nil && len(fs) != n {
				err = fmt.Errorf("%d facts", len(fs))
			}
			report.Build("64", period, fs, time.Now())
			return err
		}},
	}
	for _, src := range []struct {
		name string
		r    reader
	}{{"index", x}, {"store", st}} {
		for _, rd := range reads {
			b.Run(src.name+"/"+rd.name, func(b *testing.B) {
				var slowest, cpu time.Duration
				for b.Loop() {
					t0, c0 := time.Now(), cpuTime()
					if err := rd.read(src.r); err != nil {
						b.Fatal(err)
					}
					slowest, cpu = max(slowest, time.Since(t0)), cpu+cpuTime()-c0
				}
				b.ReportMetric(slowest.Seconds(), "s-max/op")
				b.ReportMetric(cpu.Seconds()/float64(b.N), "s-cpu/op")
			})
		}
	}
	if n := x.Fallbacks(); n != 0 {
		b.Errorf("the index answered %d reads from the store", n)
	}
}

// BenchmarkIndexMemory measures what an index holding every case adds to
// its process: the live heap after a collection, and the resident set
// after the runtime returned what it could, with every summary and every
// case's facts held, against the same process before the index; and how
// long an index takes to load, reading every document and from a
// snapshot. TUNTAS_BENCH_CASES chooses the counts (default
// "50000,200000"); TUNTAS_BENCH_MONGO_URI a MongoDB or FerretDB outside
// the process (`tuntas-dev dev --servers-only`), so that its memory is
// not the test's. Run:
//
//	go test ./internal/store -run '^$' -bench IndexMemory -benchtime 1x
func BenchmarkIndexMemory(b *testing.B) {
	counts := []int{50_000, 200_000}
	if v := os.Getenv("TUNTAS_BENCH_CASES"); v != "" {
		counts = nil
		for _, f := range strings.Split(v, ",") {
			k, err := strconv.Atoi(f)
			if err != nil {
				b.Fatalf("TUNTAS_BENCH_CASES: %v", err)
			}
			counts = append(counts, k)
		}
	}
	for _, n := range counts {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ctx := context.Background()
			st, _ := seededStore(b, n)
			for b.Loop() {
				heap0, rss0 := settled()
				t0 := time.Now()
				x := store.NewIndex(st, nil, store.MaxCases(n))
				if _, err := whenLoaded(ctx, x.Facts); err != nil {
					b.Fatal(err)
				}
				whole := time.Since(t0)
				heap1, rss1 := settled()
				t0 = time.Now()
				if err := store.WriteSnapshot(ctx, x); err != nil {
					b.Fatal(err)
				}
				wrote := time.Since(t0)
				x.Close()
				heap2, _ := settled()
				t0 = time.Now()
				y := store.NewIndex(st, nil, store.MaxCases(n))
				if _, err := whenLoaded(ctx, y.Facts); err != nil {
					b.Fatal(err)
				}
				fromSnapshot := time.Since(t0)
				heap3, rss3 := settled()
				y.Close()
				if x.Fallbacks()+y.Fallbacks() != 0 {
					b.Fatal("an index answered from the store")
				}
				mib := func(after, before uint64) float64 { return (float64(after) - float64(before)) / (1 << 20) }
				b.ReportMetric(mib(heap1, heap0)*(1<<20)/float64(n), "B-heap/case")
				b.ReportMetric(mib(heap3, heap2)*(1<<20)/float64(n), "B-heap/case-snapshot")
				b.ReportMetric(mib(heap1, heap0), "MiB-heap")
				b.ReportMetric(mib(rss1, rss0), "MiB-rss")
				b.ReportMetric(mib(rss3, 0), "MiB-rss-process")
				b.ReportMetric(whole.Seconds(), "s-load-whole")
				b.ReportMetric(wrote.Seconds(), "s-write-snapshot")
				b.ReportMetric(fromSnapshot.Seconds(), "s-load-snapshot")
			}
		})
	}
}

// settled is the live heap after two collections, and the resident set
// after the runtime returned its free memory to the system.
func settled() (heap, rss uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, residentBytes()
}

// residentBytes is the process's resident set (VmRSS), 0 where /proc is
// not.
func residentBytes() uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
