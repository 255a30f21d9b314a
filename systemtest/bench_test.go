package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/bench"
)

// TestBenchHarnessRunsSmall keeps `tuntas-dev bench` working: a small run on
// its own fresh stack must finish every case without an error and print
// every figure. The figures themselves are for notes, not assertions.
func TestBenchHarnessRunsSmall(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	profile := filepath.Join(t.TempDir(), "cpu.prof")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"bench", "--n", "20", "--concurrency", "4", "--day-length", "500ms", "--json", out, "--cpuprofile", profile, "--data", t.TempDir()}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var rep bench.Report
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 || rep.Outcomes["graduated"] != 18 || rep.Outcomes["excluded_not_poor"] != 2 || rep.Outcomes["open"] != 0 {
		t.Fatalf("bench report: errors %d %q, outcomes %v\n%s", rep.Errors, rep.ErrorSamples, rep.Outcomes, stderr.String())
	}
	if !rep.FloorOnFreshServer {
		t.Error("the engine floor ran on the lifecycle's server, not a fresh one of its own")
	}
	if rep.Floor.CasesPerSec <= 0 || rep.Actions["survey"].Count != 20 || rep.Reads["GET /v1/dashboard"].Count == 0 || rep.PeakRSSMiB <= 0 {
		t.Fatalf("bench report lacks figures: %+v", rep)
	}
	// Each phase has a profile of its own, so the two can be compared.
	for _, f := range []string{profile, profile + ".floor"} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("CPU profile %s: %v, want one written", filepath.Base(f), err)
		}
	}
	for _, want := range []string{"engine floor", "Tuntas/floor", "import unpaced", "peak RSS", "GET /v1/cases/{id}", "Temporal server 1.32.1"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("printed report lacks %q", want)
		}
	}
}

// TestBenchHarnessRunsOverTheProvince keeps `tuntas-dev bench --regencies`
// working: households of every regency, each case driven by people whose
// tokens are for its own kecamatan, village and regency.
func TestBenchHarnessRunsOverTheProvince(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"bench", "--regencies", "--n", "10", "--concurrency", "4", "--day-length", "500ms", "--json", out, "--data", t.TempDir()}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Regencies || rep.Errors != 0 || rep.Outcomes["graduated"] != 9 || rep.Outcomes["excluded_not_poor"] != 1 || rep.Outcomes["open"] != 0 {
		t.Fatalf("bench report: regencies %v, errors %d %q, outcomes %v\n%s", rep.Regencies, rep.Errors, rep.ErrorSamples, rep.Outcomes, stderr.String())
	}
	if !strings.Contains(stdout.String(), "every regency of the province") {
		t.Errorf("printed report does not say the households span the province:\n%s", stdout.String())
	}
}

// TestBenchSeedsTheReadModelAndReportsItsReads keeps `tuntas-dev bench
// --seed-cases` working: cases written through the projection over the
// province, then every read people wait for sampled at that count and
// reported apart from the lifecycle's figures. The latencies are for
// notes, not assertions.
func TestBenchSeedsTheReadModelAndReportsItsReads(t *testing.T) {
	out := filepath.Join(t.TempDir(), "seeded.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"bench", "--seed-cases", "300", "--json", out, "--data", t.TempDir()}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Seeded != 300 || rep.Errors != 0 || rep.Seeding.CasesPerSec <= 0 || rep.PeakRSSMiB <= 0 {
		t.Fatalf("seeded report: seeded %d, errors %d %q, seeding %+v, peak RSS %v", rep.Seeded, rep.Errors, rep.ErrorSamples, rep.Seeding, rep.PeakRSSMiB)
	}
	// Seeded cases ran no lifecycle: none of its figures may be set.
	if rep.N != 0 || rep.Lifecycle.CasesPerSec != 0 || rep.Floor.CasesPerSec != 0 || len(rep.Actions) != 0 || len(rep.Reads) != 0 {
		t.Fatalf("seeded run reports lifecycle figures: %+v", rep)
	}
	for _, stage := range []string{"collecting", "village_review", "verification", "intervention", "follow_up", "closed:graduated", "closed:excluded_not_poor", "overdue", "escalated"} {
		if rep.SeededMix[stage] == 0 {
			t.Errorf("no seeded case is %s: %v", stage, rep.SeededMix)
		}
	}
	for _, read := range []string{
		"GET /v1/dashboard (kecamatan)", "GET /v1/dashboard (regency)", "GET /v1/dashboard (province)",
		"GET /v1/cases?kecamatan (first page)", "GET /v1/cases?village (first page)", "GET /v1/cases?stage (first page)",
		"GET /v1/cases?stage (next page)", "GET /v1/cases?overdue (first page)", "GET /v1/cases?escalated (first page)",
		"GET /v1/reports/province (json)", "GET /v1/reports/province (csv)", "GET /v1/cases/{id}",
	} {
		if l := rep.SeededReads[read]; l.Count != 20 || l.P99ms <= 0 {
			t.Errorf("seeded reads lack %q: %+v", read, l)
		}
	}
	for _, want := range []string{"SEEDED", "300 cases", "peak RSS", "GET /v1/dashboard (province)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("printed report lacks %q:\n%s", want, stdout.String())
		}
	}
}
