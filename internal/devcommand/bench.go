package devcommand

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/server/common/headers"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/bench"
	"github.com/tuntas-id/tuntas/internal/cluster"
	"github.com/tuntas-id/tuntas/internal/devstack"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/server"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// runBench is `tuntas-dev bench`: the engine floor and the Tuntas lifecycle,
// each on a fresh embedded stack or, with --cluster, on a fresh cluster
// (package cluster), or reads over a seeded read model. childEnv is added
// to the environment of the processes a cluster run starts from this
// binary.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer, childEnv []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 2000, "synthetic households")
	concurrency := fs.Int("concurrency", 16, "simulated people working at once")
	// The floor starts its workflows as fast as its concurrency allows; the
	// import does the same unless asked to keep a pace.
	rate := fs.Float64("import-rate", 0, "cases the import starts per second at most (0: as fast as --concurrency starts them, as the floor does)")
	dayLength := fs.Duration("day-length", 5*time.Second, "length of a deadline day: the 21-day gap between counted visits is real, shortened by this; stage deadlines lie beyond the run (see benchDeadlines)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic households")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the Tuntas phases (server, worker and API share the process) to this file, and of the engine floor to this file + \".floor\"")
	dir := fs.String("data", "", "data directory (default: a fresh temporary one, removed after)")
	writeCSV := fs.String("write-csv", "", "only write the n synthetic households as a CSV household list to this file, and stop")
	badEvery := fs.Int("bad-every", 0, "with --write-csv: spoil every k-th row (33 gives 3% bad rows)")
	regencies := fs.Bool("regencies", false, "spread the households over every regency and kecamatan of the province, not Kutai Timur alone")
	indexCases := fs.Int("index-cases", store.DefaultMaxCases, "the most cases the API's read index holds in memory; beyond, and at 0 (off), the store answers every read (with --seed-cases: reads by the database alone)")
	seedCases := fs.Int("seed-cases", 0, "instead of the lifecycle run, write this many projected cases of the whole province straight into the read model (no workflows) and measure reads at that count; reported as seeded")
	onCluster := fs.Bool("cluster", false, "run the floor and Tuntas each on a fresh cluster (tuntas-dev cluster: PostgreSQL, Temporal's own services, FerretDB on PostgreSQL, two workers and two APIs) and measure CPU and PostgreSQL's bytes per case")
	cache := fs.String("bin", cluster.DefaultCache(), "with --cluster: cache directory of the built servers")
	durable := fs.Bool("durable", false, "with --cluster: keep PostgreSQL's fsync on, as production must")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *writeCSV != "" {
		return writeHouseholds(*writeCSV, *n, *badEvery, *seed)
	}
	tuneGC()
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "tuntas-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	if *onCluster {
		if *seedCases > 0 || *cpuProfile != "" {
			return errors.New("bench: --cluster measures the lifecycle; --seed-cases and --cpuprofile are for the embedded stack")
		}
		b := &clusterBench{cfg: bench.Config{N: *n, Concurrency: *concurrency, Seed: *seed, Regencies: *regencies, Progress: stderr},
			dir: *dir, cache: *cache, day: *dayLength, rate: *rate, durable: *durable, childEnv: childEnv, progress: stderr}
		rep, fig, err := b.run(ctx)
		if err != nil {
			return err
		}
		// The bench's own process only drives the cluster's: its peak RSS
		// says nothing of theirs.
		rep.ImportRate, rep.PeakRSSMiB = *rate, 0
		rep.Versions = map[string]string{"temporalServer": headers.ServerVersion, "temporalSDK": temporal.SDKVersion, "mongodb": "FerretDB " + moduleVersion("github.com/FerretDB/FerretDB") + " on PostgreSQL", "ferretdbModule": moduleVersion("github.com/FerretDB/FerretDB")}
		printReport(stdout, rep, *rate, *dayLength)
		printClusterFigures(stdout, fig)
		if *jsonOut != "" {
			b, _ := json.MarshalIndent(struct {
				bench.Report
				Cluster ClusterFigures `json:"cluster"`
			}{rep, fig}, "", "  ")
			return os.WriteFile(*jsonOut, b, 0o644)
		}
		return nil
	}
	deadlines := benchDeadlines(*dayLength)
	var floor bench.PhaseReport
	if *seedCases == 0 {
		// The floor first, on a server of its own as fresh as the one the
		// lifecycle gets next: neither runs on what the other left.
		fmt.Fprintf(stderr, "engine floor: %d bare workflows on a fresh server of their own…\n", *n)
		gap := time.Duration(deadlines.VisitGapDays) * deadlines.DayLength
		var err error
		if floor, err = floorOnFreshServer(ctx, *n, *concurrency, gap, floorProfile(*cpuProfile), stderr); err != nil {
			return fmt.Errorf("engine floor: %w", err)
		}
	}
	d, err := devsystem.Start(ctx, devsystem.Config{DataDir: *dir, HTTPAddr: "127.0.0.1:0", Deadlines: deadlines,
		// Errors reach stderr: a bench that fails says why.
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Pace:   server.ImportPace{Rate: *rate, Concurrency: *concurrency},
		// The simulated people share a few tokens and the reads are sampled
		// as fast as the API answers: the bench measures the system, not the
		// per-person limit.
		RateLimit: api.RateLimit{PerSecond: -1}, IndexCases: indexOption(*indexCases)})
	if err != nil {
		return err
	}
	defer d.Close()
	serveCtx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- d.Serve(serveCtx) }()
	defer func() { stopServe(); <-served }()

	stopProfile, err := profileCPU(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	cfg := bench.Config{API: d.URL, Issuer: d.Issuer, Temporal: d.Client, Floor: floor, N: *n, Concurrency: *concurrency, Seed: *seed, Regencies: *regencies, Progress: stderr}
	measure := bench.Run
	if *seedCases > 0 {
		// The same projection the case workflow runs, on the same store.
		cfg.SeedCases, cfg.Projector, measure = *seedCases, &activities.Activities{Store: d.Store}, bench.Seed
	}
	var rep bench.Report
	var footprint *Footprint
	if *seedCases > 0 {
		if rep, err = measure(ctx, cfg); err != nil {
			return err
		}
	} else {
		// What the lifecycle cost: this one process's CPU (servers, worker,
		// API and the simulated people) and the growth of its SQLite files.
		f, err := measureFootprint(ctx, *n, func() (map[string]float64, error) { return map[string]float64{"process": selfCPU()}, nil },
			func() (map[string]int64, error) { return sqliteBytes(*dir) },
			func() (int64, error) {
				var err error
				rep, err = measure(ctx, cfg)
				return rep.Outcomes["graduated"], err
			})
		if err != nil {
			return err
		}
		footprint = &f
	}
	mongo, err := d.Store.Version(ctx)
	if err != nil {
		return err
	}
	rep.ImportRate = *rate
	rep.Versions = map[string]string{"temporalServer": headers.ServerVersion, "temporalSDK": temporal.SDKVersion, "mongodb": mongo, "ferretdbModule": moduleVersion("github.com/FerretDB/FerretDB")}
	if rep.Seeded > 0 {
		printSeeded(stdout, rep)
	} else {
		printReport(stdout, rep, *rate, *dayLength)
		printFootprint(stdout, "footprint", *footprint)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(struct {
			bench.Report
			Footprint *Footprint `json:"footprint,omitempty"`
		}{rep, footprint}, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sqliteBytes are the sizes of the embedded servers' files in a data
// directory, WAL included: Temporal's (temporal.db), its visibility
// records (visibility.db) and FerretDB's read model (ferretdb/).
func sqliteBytes(dir string) (map[string]int64, error) {
	sizes := map[string]int64{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		group := ""
		switch {
		case strings.HasPrefix(rel, devstack.TemporalDB):
			group = "temporal.db"
		case strings.HasPrefix(rel, devstack.VisibilityDB):
			group = "visibility.db"
		case strings.HasPrefix(rel, "ferretdb"+string(filepath.Separator)):
			group = "ferretdb"
		default:
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		sizes[group] += info.Size()
		return nil
	})
	return sizes, err
}

// stageDeadlineBeyondRun is how far off the bench puts every stage
// deadline: further than any bench run lasts.
const stageDeadlineBeyondRun = 24 * time.Hour

// benchDeadlines are the deadlines of the bench's cases: days of dayLength,
// the visit gap of 21 days that the run asks for (graduation needs two
// visits that far apart), and every stage deadline beyond the run. With
// stage deadlines of 14 shortened days, a case waiting in the queue for its
// people passed them and was reminded, then escalated, by the case itself:
// a slower machine did more of that work, and the floor none (845 of 2,000
// cases escalated so in one run). Now no deadline fires unless the run
// asks for it; each case still keeps its deadline timer, as in service.
func benchDeadlines(dayLength time.Duration) household.Deadlines {
	d := household.DefaultDeadlines()
	d.DayLength = dayLength
	far := int(stageDeadlineBeyondRun/dayLength) + 1
	d.CollectingDays, d.VillageReviewDays, d.VerificationDays, d.AssignDays = far, far, far, far
	d.AcknowledgeDays, d.FollowUpDays, d.FollowUpGraceDays = far, far, far
	return d
}

// floorOnFreshServer runs the engine floor on a dev stack of its own in a
// fresh temporary directory, then removes it.
func floorOnFreshServer(ctx context.Context, n, concurrency int, gap time.Duration, profile string, stderr io.Writer) (bench.PhaseReport, error) {
	dir, err := os.MkdirTemp("", "tuntas-floor-")
	if err != nil {
		return bench.PhaseReport{}, err
	}
	defer os.RemoveAll(dir)
	d, err := devsystem.Start(ctx, devsystem.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		return bench.PhaseReport{}, err
	}
	defer d.Close()
	w := bench.NewFloorWorker(d.Client)
	if err := w.Start(); err != nil {
		return bench.PhaseReport{}, fmt.Errorf("floor worker: %w", err)
	}
	defer w.Stop()
	stopProfile, err := profileCPU(profile)
	if err != nil {
		return bench.PhaseReport{}, err
	}
	defer stopProfile()
	return bench.Floor(ctx, d.Client, n, concurrency, gap)
}

// floorProfile is where the floor's CPU profile goes: beside the Tuntas
// one, or nowhere.
func floorProfile(tuntas string) string {
	if tuntas == "" {
		return ""
	}
	return tuntas + ".floor"
}

// writeHouseholds writes a synthetic household list for `tuntas import`.
func writeHouseholds(path string, n, badEvery int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := synth.WriteCSV(f, synth.New(seed, int(seed%28)), n, badEvery); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// moduleVersion is the version of a module built into this binary (the
// embedded FerretDB reports itself as "unknown" over the wire).
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == path {
				return m.Version
			}
		}
	}
	return "unknown"
}

func printReport(w io.Writer, r bench.Report, rate float64, day time.Duration) {
	where := "Kutai Timur"
	if r.Regencies {
		where = "every regency of the province"
	}
	pace := "import unpaced"
	if rate > 0 {
		pace = fmt.Sprintf("import paced at %.0f/s", rate)
	}
	fmt.Fprintf(w, "Tuntas bench: %d households of %s, %d people at once, %s, deadline day %v (%d CPUs, %s, GOGC %d)\n",
		r.N, where, r.Concurrency, pace, day, r.CPUs, r.GoVersion, r.GCPercent)
	fmt.Fprintf(w, "  versions     Temporal server %s, SDK %s, %s, FerretDB module %s\n", r.Versions["temporalServer"], r.Versions["temporalSDK"], r.Versions["mongodb"], r.Versions["ferretdbModule"])
	fmt.Fprintf(w, "  mix          %v\n", r.Mix)
	fmt.Fprintf(w, "  import       %7.1f s  %7.1f cases/s\n", r.Import.Seconds, r.Import.CasesPerSec)
	fmt.Fprintf(w, "  lifecycle    %7.1f s  %7.1f cases/s\n", r.Lifecycle.Seconds, r.Lifecycle.CasesPerSec)
	fmt.Fprintf(w, "  end to end   %7.1f s  %7.1f cases/s\n", r.EndToEnd.Seconds, r.EndToEnd.CasesPerSec)
	where = "after the lifecycle, on its server"
	if r.FloorOnFreshServer {
		where = "on a fresh server of its own"
	}
	fmt.Fprintf(w, "  engine floor %7.1f s  %7.1f cases/s   Tuntas/floor = %.2f (floor %s)\n", r.Floor.Seconds, r.Floor.CasesPerSec, r.FloorRatio, where)
	fmt.Fprintf(w, "  errors       %d\n  outcomes     %v\n", r.Errors, r.Outcomes)
	fmt.Fprintf(w, "  deadlines    %d cases escalated by their deadline rule before the people were through with them\n", r.AutoEscalated)
	if r.PeakRSSMiB > 0 {
		fmt.Fprintf(w, "  peak RSS     %.0f MiB (one process: Temporal, FerretDB, worker, API)\n", r.PeakRSSMiB)
	}
	printLatencies(w, "API action", r.Actions)
	printLatencies(w, "read at final count", r.Reads)
}

// printSeeded prints a seeded run: its cases never ran a lifecycle, so it
// has no lifecycle figures to print.
func printSeeded(w io.Writer, r bench.Report) {
	fmt.Fprintf(w, "Tuntas bench, SEEDED read model: %d cases of every regency of the province written through the projection, no workflows, no lifecycle (%d CPUs, %s)\n",
		r.Seeded, r.CPUs, r.GoVersion)
	fmt.Fprintf(w, "  versions     Temporal server %s, SDK %s, %s, FerretDB module %s\n", r.Versions["temporalServer"], r.Versions["temporalSDK"], r.Versions["mongodb"], r.Versions["ferretdbModule"])
	keys := make([]string, 0, len(r.SeededMix))
	for k := range r.SeededMix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "  seeded mix  ")
	for _, k := range keys {
		fmt.Fprintf(w, " %s=%d", k, r.SeededMix[k])
	}
	fmt.Fprintf(w, "\n  seeding      %7.1f s  %7.1f cases/s\n", r.Seeding.Seconds, r.Seeding.CasesPerSec)
	fmt.Fprintf(w, "  errors       %d\n", r.Errors)
	fmt.Fprintf(w, "  peak RSS     %.0f MiB (one process: Temporal, FerretDB, worker, API)\n", r.PeakRSSMiB)
	printLatencies(w, fmt.Sprintf("read at %d seeded cases", r.Seeded), r.SeededReads)
}

func printLatencies(w io.Writer, title string, m map[string]bench.Latency) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "  %-40s %6s %8s %8s %8s %8s\n", title, "n", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, k := range names {
		l := m[k]
		fmt.Fprintf(w, "  %-40s %6d %8.1f %8.1f %8.1f %8.1f\n", k, l.Count, l.P50ms, l.P95ms, l.P99ms, l.MaxMs)
	}
}
