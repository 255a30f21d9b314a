package devcommand

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/bench"
	"github.com/tuntas-id/tuntas/internal/cluster"
	"github.com/tuntas-id/tuntas/internal/command"
)

// benchDayLengthEnv, in the environment of tuntas-dev's api and worker,
// tunes them as the bench's embedded stack is: cases open with the
// bench's deadlines (days of that length, stage deadlines beyond the run;
// see benchDeadlines) and the API lifts its per-person rate limit (the
// simulated people share a few tokens). The production binary has no
// such setting: the cluster's bench runs tuntas-dev's api and worker.
const benchDayLengthEnv = "TUNTAS_BENCH_DAY_LENGTH"

// benchTuned is a production command (api or worker) that takes the
// bench's tuning from benchDayLengthEnv when it is set.
func benchTuned(with func(command.Tuning) command.Func) command.Func {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		t := command.Service()
		if v := os.Getenv(benchDayLengthEnv); v != "" {
			day, err := time.ParseDuration(v)
			if err != nil || day <= 0 {
				return fmt.Errorf("%s=%q: a positive duration, e.g. 5s", benchDayLengthEnv, v)
			}
			t.Cases.Deadlines = benchDeadlines(day)
			t.RateLimit = api.RateLimit{PerSecond: -1}
		}
		return with(t)(ctx, args, stdout, stderr)
	}
}

// Footprint is what a bench run cost: the CPU its processes used over
// import, lifecycle and the reads after them, by group, and what its
// stores grew by per case, by database (or file).
type Footprint struct {
	CPUSeconds map[string]float64 `json:"cpuSeconds"`
	// CPUPerGraduated is all of CPUSeconds over the graduated cases.
	CPUPerGraduated float64            `json:"cpuSecondsPerGraduatedCase"`
	BytesBefore     map[string]int64   `json:"bytesBefore"`
	BytesAfter      map[string]int64   `json:"bytesAfter"`
	BytesPerCase    map[string]float64 `json:"bytesPerCase"`
	// LoadBefore and LoadAfter are the machine's load averages (1, 5, 15
	// minutes) when the run began and ended: other work on the machine
	// slows the figures.
	LoadBefore string `json:"loadAverageBefore"`
	LoadAfter  string `json:"loadAverageAfter"`
}

// ClusterFigures are what the bench measures on the cluster beside the
// lifecycle's figures: the Footprint of Tuntas (CPU by group: postgresql
// with its backends, temporal's five services, ferretdb, the tuntas
// workers and APIs, and the bench's own process, the simulated people,
// as "driver"; bytes per case by database: temporal for histories,
// timers and queues, temporal_visibility, ferretdb for the read model),
// and the floor's, each on a cluster of its own.
type ClusterFigures struct {
	HistoryHosts int  `json:"historyHosts"`
	Shards       int  `json:"shards"`
	Workers      int  `json:"workers"`
	APIs         int  `json:"apis"`
	Durable      bool `json:"durable"`
	Footprint
	// Floor is the floor's footprint: its servers' CPU and its driver's
	// (the floor's worker runs in the bench's process, counted there).
	Floor Footprint `json:"floor"`
}

// clusterBench is the bench's run on the cluster topology.
type clusterBench struct {
	cfg      bench.Config
	dir      string
	cache    string
	day      time.Duration
	rate     float64
	durable  bool
	childEnv []string
	progress io.Writer
}

// groupOf is the group a cluster process's CPU counts in.
func groupOf(name string) string {
	for _, g := range []string{"postgresql", "temporal", "ferretdb", "worker", "api"} {
		if strings.HasPrefix(name, g) {
			return g
		}
	}
	return name
}

func groupCPU(ps []*cluster.Process) (map[string]float64, error) {
	by, err := cluster.CPUSeconds(ps)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for name, s := range by {
		out[groupOf(name)] += s
	}
	return out, nil
}

func minus[V int64 | float64](after, before map[string]V) map[string]V {
	out := map[string]V{}
	for k, v := range after {
		out[k] = v - before[k]
	}
	return out
}

// run measures the floor on a fresh cluster of its own, then Tuntas on
// another, as the embedded bench does on fresh servers.
func (b *clusterBench) run(ctx context.Context) (bench.Report, ClusterFigures, error) {
	fig := ClusterFigures{HistoryHosts: 2, Shards: 16, Workers: 2, APIs: 2, Durable: b.durable}
	bins, err := buildCluster(ctx, b.cache, false, b.progress)
	if err != nil {
		return bench.Report{}, fig, err
	}
	exe, err := os.Executable()
	if err != nil {
		return bench.Report{}, fig, err
	}
	servers := cluster.Config{Bin: bins, HistoryHosts: fig.HistoryHosts, Shards: fig.Shards, Durable: b.durable, ChildEnv: b.childEnv, Progress: b.progress}

	fmt.Fprintf(b.progress, "engine floor: %d bare workflows on a fresh cluster of its own…\n", b.cfg.N)
	floorDir, err := os.MkdirTemp(b.dir, "floor-")
	if err != nil {
		return bench.Report{}, fig, err
	}
	floorServers := servers
	floorServers.Dir, floorServers.WithoutFerretDB = floorDir, true
	if b.cfg.Floor, fig.Floor, err = b.floor(ctx, floorServers); err != nil {
		return bench.Report{}, fig, fmt.Errorf("engine floor: %w", err)
	}

	fmt.Fprintf(b.progress, "Tuntas: %d households on a fresh cluster of its own…\n", b.cfg.N)
	tuntasDir, err := os.MkdirTemp(b.dir, "tuntas-")
	if err != nil {
		return bench.Report{}, fig, err
	}
	servers.Dir = tuntasDir
	srv, err := cluster.StartServers(ctx, servers)
	if err != nil {
		return bench.Report{}, fig, err
	}
	defer srv.Close()
	secrets, err := cluster.NewSecrets()
	if err != nil {
		return bench.Report{}, fig, err
	}
	t, err := cluster.StartTuntas(ctx, cluster.TuntasConfig{Exe: exe, Secrets: secrets, Logs: srv.Logs(),
		ChildEnv:        append(append([]string{}, b.childEnv...), benchDayLengthEnv+"="+b.day.String()),
		WorkerArgs:      []string{"--import-rate", strconv.FormatFloat(b.rate, 'f', -1, 64), "--import-concurrency", strconv.Itoa(b.cfg.Concurrency)},
		TemporalAddress: srv.TemporalAddress, MongoURI: srv.MongoURI})
	if err != nil {
		return bench.Report{}, fig, err
	}
	defer t.Close()
	if b.cfg.Issuer, err = auth.NewIssuer([]byte(secrets.TokenSecret)); err != nil {
		return bench.Report{}, fig, err
	}
	b.cfg.API, b.cfg.APIs = t.URLs[0], t.URLs
	all := append(append(srv.Processes(), t.Workers...), t.APIs...)
	var rep bench.Report
	fig.Footprint, err = measureFootprint(ctx, b.cfg.N, func() (map[string]float64, error) { return withDriver(groupCPU(all)) },
		func() (map[string]int64, error) { return srv.Postgres.DatabaseSizes(ctx) },
		func() (int64, error) {
			var err error
			rep, err = bench.Run(ctx, b.cfg)
			return rep.Outcomes["graduated"], err
		})
	return rep, fig, err
}

// measureFootprint runs run (which returns the cases it graduated) between
// two readings of cpu and bytes, and returns what it cost.
func measureFootprint(ctx context.Context, n int, cpu func() (map[string]float64, error), bytes func() (map[string]int64, error), run func() (int64, error)) (Footprint, error) {
	f := Footprint{LoadBefore: cluster.LoadAverage()}
	var err error
	if f.BytesBefore, err = bytes(); err != nil {
		return f, err
	}
	cpu0, err := cpu()
	if err != nil {
		return f, err
	}
	graduated, err := run()
	if err != nil {
		return f, err
	}
	cpu1, err := cpu()
	if err != nil {
		return f, err
	}
	f.CPUSeconds = minus(cpu1, cpu0)
	total := 0.0
	for _, s := range f.CPUSeconds {
		total += s
	}
	if graduated > 0 {
		f.CPUPerGraduated = total / float64(graduated)
	}
	if f.BytesAfter, err = bytes(); err != nil {
		return f, err
	}
	f.BytesPerCase = perCase(minus(f.BytesAfter, f.BytesBefore), n)
	f.LoadAfter = cluster.LoadAverage()
	return f, ctx.Err()
}

// graduating is how many of n households the bench's mix graduates (the
// floor's stand-ins for them end as the plan says, not as a case would).
func graduating(n int) int64 {
	var g int64
	for i := range n {
		if bench.PlanFor(i).Kind != bench.KindExcluded {
			g++
		}
	}
	return g
}

// withDriver adds this process's own CPU, the simulated people's (and the
// floor's worker's), as "driver".
func withDriver(cpu map[string]float64, err error) (map[string]float64, error) {
	if err != nil {
		return nil, err
	}
	cpu["driver"] = selfCPU()
	return cpu, nil
}

// selfCPU is this process's CPU time so far, user and system.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// floor runs the engine floor on a cluster of its own (Temporal alone),
// with its worker in this process, and returns its servers' CPU and what
// PostgreSQL grew by per case.
func (b *clusterBench) floor(ctx context.Context, cfg cluster.Config) (bench.PhaseReport, Footprint, error) {
	srv, err := cluster.StartServers(ctx, cfg)
	if err != nil {
		return bench.PhaseReport{}, Footprint{}, err
	}
	defer srv.Close()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.TemporalAddress, Namespace: cluster.Namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return bench.PhaseReport{}, Footprint{}, err
	}
	defer c.Close()
	w := bench.NewFloorWorker(c)
	if err := w.Start(); err != nil {
		return bench.PhaseReport{}, Footprint{}, fmt.Errorf("floor worker: %w", err)
	}
	defer w.Stop()
	deadlines := benchDeadlines(b.day)
	var floor bench.PhaseReport
	f, err := measureFootprint(ctx, b.cfg.N, func() (map[string]float64, error) { return withDriver(groupCPU(srv.Processes())) },
		func() (map[string]int64, error) { return srv.Postgres.DatabaseSizes(ctx) },
		func() (int64, error) {
			var err error
			floor, err = bench.Floor(ctx, c, b.cfg.N, b.cfg.Concurrency, time.Duration(deadlines.VisitGapDays)*deadlines.DayLength)
			return graduating(b.cfg.N), err
		})
	return floor, f, err
}

// perCase is each database's growth over n cases; only the databases of
// Temporal and the read model.
func perCase(grew map[string]int64, n int) map[string]float64 {
	out := map[string]float64{}
	for db, d := range grew {
		if db == "postgres" {
			continue
		}
		out[db] = float64(d) / float64(n)
	}
	return out
}

func printClusterFigures(w io.Writer, f ClusterFigures) {
	fsync := "fsync off"
	if f.Durable {
		fsync = "fsync on"
	}
	fmt.Fprintf(w, "  cluster      PostgreSQL (%s), Temporal frontend + %d history hosts (%d shards) + matching + worker, FerretDB on PostgreSQL, %d workers, %d APIs\n",
		fsync, f.HistoryHosts, f.Shards, f.Workers, f.APIs)
	printFootprint(w, "Tuntas", f.Footprint)
	printFootprint(w, "floor", f.Floor)
}

func printFootprint(w io.Writer, what string, f Footprint) {
	fmt.Fprintf(w, "  %-12s CPU %.2f s per graduated case (%s); bytes per case: %s; load average %s at the start, %s at the end\n",
		what, f.CPUPerGraduated, seconds(f.CPUSeconds), bytesPer(f.BytesPerCase), f.LoadBefore, f.LoadAfter)
}

func seconds(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.1f s", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func bytesPer(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.1f KiB", k, m[k]/1024))
	}
	return strings.Join(parts, ", ")
}
