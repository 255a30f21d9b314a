package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/bench"
	"github.com/tuntas-id/tuntas/internal/chaos"
	"github.com/tuntas-id/tuntas/internal/cluster"
	"github.com/tuntas-id/tuntas/internal/devcommand"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// The production topology on PostgreSQL (Temporal's own server binary as
// a frontend, two history hosts, matching and an internal worker; FerretDB's
// own binary on the same PostgreSQL) under one fault of each kind, its own
// included: a history host, matching, the frontend and FerretDB killed, and
// PostgreSQL stopped in immediate mode. Nothing is lost, duplicated or
// stuck, and the outages answer as they must. The api and worker processes
// are this test binary acting as tuntas-dev (see TestMain); the servers are
// built from their modules into the cluster's cache on first use.
func TestChaosCluster(t *testing.T) {
	if _, err := cluster.FindPostgres(); errors.Is(err, cluster.ErrNoPostgres) {
		t.Skipf("skipped: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var progress lockedBuffer
	start := time.Now()
	// A cold build of Temporal's server takes minutes; it has a budget of
	// its own, and is cached for every run after it.
	buildCtx, cancelBuild := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancelBuild()
	src, err := cluster.ModuleRoot(buildCtx)
	if err != nil {
		t.Fatal(err)
	}
	bins, built, err := cluster.Build(buildCtx, src, cluster.DefaultCache(), false, &progress)
	if err != nil {
		t.Fatalf("build the servers: %v\n%s", err, progress.String())
	}
	for _, b := range built {
		if !b.Cached {
			t.Logf("built %s in %.0f s", b.Name, b.Seconds)
		}
	}
	buildTook := time.Since(start)

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	// The data and logs stay for a look when the run fails.
	dir, err := os.MkdirTemp("", "tuntas-chaos-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := chaos.Run(ctx, chaos.Config{Exe: exe, ChildEnv: childEnv, Cluster: bins, Dir: dir, Seed: 3,
		Households: 24, People: 6, Baseline: 4, FaultSpan: 0.7, Cut: 3 * time.Second, Pause: 2 * time.Second, Progress: &progress})
	var out bytes.Buffer
	devcommand.PrintChaos(&out, rep)
	if err != nil {
		t.Fatalf("chaos run: %v\n%s\n%s", err, progress.String(), out.String())
	}
	if !rep.Passed() {
		t.Fatalf("chaos run failed:\n%s\n%s", progress.String(), out.String())
	}
	if want := []string{chaos.FaultHistoryKill, chaos.FaultMatchingKill, chaos.FaultFrontendKill, chaos.FaultFerretDBKill, chaos.FaultPostgresRestart}; !faultsCover(rep, want) {
		t.Fatalf("the run injected %v, want each of %v", rep.FaultsByKind, want)
	}
	_ = os.RemoveAll(dir)
	t.Logf("cluster chaos run in %v (building or finding the servers %v):\n%s", time.Since(start).Round(time.Second), buildTook.Round(time.Second), out.String())
}

// faultsCover reports whether the run injected each kind at least once.
func faultsCover(rep chaos.Report, kinds []string) bool {
	for _, k := range kinds {
		if rep.FaultsByKind[k] == 0 {
			return false
		}
	}
	return true
}

// TestBenchHarnessRunsOnTheCluster keeps `tuntas-dev bench --cluster`
// working: the floor and a few households each on a fresh cluster, every
// case finished without an error, and the cluster's own figures (CPU by
// process group, PostgreSQL's bytes per case by database) measured.
func TestBenchHarnessRunsOnTheCluster(t *testing.T) {
	if _, err := cluster.FindPostgres(); errors.Is(err, cluster.ErrNoPostgres) {
		t.Skipf("skipped: %v", err)
	}
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"bench", "--cluster", "--n", "10", "--concurrency", "4", "--day-length", "500ms", "--json", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench --cluster: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		bench.Report
		Cluster devcommand.ClusterFigures `json:"cluster"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 || rep.Outcomes["graduated"] != 9 || rep.Outcomes["excluded_not_poor"] != 1 || rep.Floor.CasesPerSec <= 0 {
		t.Fatalf("bench report: errors %d %q, outcomes %v, floor %+v\n%s", rep.Errors, rep.ErrorSamples, rep.Outcomes, rep.Floor, stderr.String())
	}
	f := rep.Cluster
	for _, g := range []string{"postgresql", "temporal", "ferretdb", "worker", "api"} {
		if f.CPUSeconds[g] <= 0 {
			t.Errorf("no CPU measured for %s: %v", g, f.CPUSeconds)
		}
	}
	for _, db := range []string{"temporal", "temporal_visibility", cluster.FerretDatabase} {
		if f.BytesPerCase[db] <= 0 {
			t.Errorf("no bytes per case measured in %s: %v", db, f.BytesPerCase)
		}
	}
	if f.CPUPerGraduated <= 0 || f.LoadBefore == "" || !strings.Contains(stdout.String(), "bytes per case") {
		t.Errorf("cluster figures incomplete: %+v\n%s", f, stdout.String())
	}
}

// The record of a list page's read holds every case the page showed. On
// FerretDB on PostgreSQL an index over that array was one btree row, and
// a page of 200 cases did not fit one (SQLSTATE 54000): the bench on the
// cluster found every list of 200 answered with a 500. The read model on
// PostgreSQL records such a read and finds it by any of its cases.
func TestTheReadModelOnPostgreSQLRecordsAListOf200Cases(t *testing.T) {
	if _, err := cluster.FindPostgres(); errors.Is(err, cluster.ErrNoPostgres) {
		t.Skipf("skipped: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	src, err := cluster.ModuleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bins, _, err := cluster.Build(ctx, src, cluster.DefaultCache(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := cluster.StartServers(ctx, cluster.Config{Dir: t.TempDir(), Bin: bins, WithoutTemporal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	st, err := store.Connect(ctx, srv.MongoURI, cluster.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close(context.WithoutCancel(ctx)) }()
	if err := st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	// Case IDs are random enough that PostgreSQL cannot compress the row
	// under its limit, as the bench's were.
	rng := rand.New(rand.NewPCG(1, 2))
	var ids []string
	for range 200 {
		ids = append(ids, fmt.Sprintf("%08x-%04x-7%03x-%04x-%012x", rng.Uint32(), rng.Uint32N(1<<16), rng.Uint32N(1<<12), rng.Uint32N(1<<16), rng.Uint64N(1<<48)))
	}
	if err := st.RecordAccess(ctx, store.Access{Sub: "sup@64.08", Role: household.RoleSupervisor, Route: "GET /v1/cases",
		CaseIDs: ids, Filter: "status=open", Rows: len(ids), At: time.Now()}); err != nil {
		t.Fatalf("record a list of 200 cases: %v", err)
	}
	got, err := st.CaseAccesses(ctx, ids[150], 10)
	if err != nil || len(got) != 1 || got[0].Rows != 200 {
		t.Fatalf("accesses of a case the list showed: %v %+v, want the list's read", err, got)
	}
}
