package main

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

// TestBenchHarnessRunsSmall keeps `tuntas bench` working: a small run on
// its own fresh stack must finish every case without an error and print
// every figure. The figures themselves are for notes, not assertions.
func TestBenchHarnessRunsSmall(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"bench", "--n", "20", "--concurrency", "4", "--day-length", "500ms", "--json", out, "--data", t.TempDir()}, &stdout, &stderr)
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
	if rep.Floor.CasesPerSec <= 0 || rep.Actions["survey"].Count != 20 || rep.Reads["GET /v1/dashboard"].Count == 0 || rep.PeakRSSMiB <= 0 {
		t.Fatalf("bench report lacks figures: %+v", rep)
	}
	for _, want := range []string{"engine floor", "Tuntas/floor", "peak RSS", "GET /v1/cases/{id}", "Temporal server 1.32.1"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("printed report lacks %q", want)
		}
	}
}
