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

// ClusterFigures are what the bench measures on the cluster beside the
// lifecycle's figures: the CPU its processes used and what PostgreSQL
// holds per case, for the floor and for Tuntas, each on a cluster of its
// own.
type ClusterFigures struct {
	HistoryHosts int  `json:"historyHosts"`
	Shards       int  `json:"shards"`
	Workers      int  `json:"workers"`
	APIs         int  `json:"apis"`
	Durable      bool `json:"durable"`
	// CPUSeconds are by group of processes (postgresql with its backends,
	// temporal's five services, ferretdb, the tuntas workers and APIs)
	// over import, lifecycle and the reads after them.
	CPUSeconds map[string]float64 `json:"cpuSeconds"`
	// CPUPerGraduated is all of CPUSeconds over the graduated cases.
	CPUPerGraduated float64 `json:"cpuSecondsPerGraduatedCase"`
	// FloorCPUSeconds are the floor's servers' (its worker runs in the
	// bench's own process and is not counted).
	FloorCPUSeconds map[string]float64 `json:"floorCpuSeconds"`
	// DatabaseBytes are pg_database_size before and after the run, and
	// BytesPerCase their difference over the cases, by database: temporal
	// (histories, timers, queues), temporal_visibility, ferretdb (the read
	// model).
	DatabaseBytesBefore map[string]int64   `json:"databaseBytesBefore"`
	DatabaseBytesAfter  map[string]int64   `json:"databaseBytesAfter"`
	BytesPerCase        map[string]float64 `json:"bytesPerCase"`
	FloorBytesPerCase   map[string]float64 `json:"floorBytesPerCase"`
	// LoadBefore and LoadAfter are the machine's load averages (1, 5, 15
	// minutes) when the run began and ended: other work on the machine
	// slows the figures.
	LoadBefore string `json:"loadAverageBefore"`
	LoadAfter  string `json:"loadAverageAfter"`
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
	fig := ClusterFigures{HistoryHosts: 2, Shards: 16, Workers: 2, APIs: 2, Durable: b.durable, LoadBefore: cluster.LoadAverage()}
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
	if b.cfg.Floor, fig.FloorCPUSeconds, fig.FloorBytesPerCase, err = b.floor(ctx, floorServers); err != nil {
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
	if fig.DatabaseBytesBefore, err = srv.Postgres.DatabaseSizes(ctx); err != nil {
		return bench.Report{}, fig, err
	}
	cpu0, err := groupCPU(all)
	if err != nil {
		return bench.Report{}, fig, err
	}
	rep, err := bench.Run(ctx, b.cfg)
	if err != nil {
		return rep, fig, err
	}
	cpu1, err := groupCPU(all)
	if err != nil {
		return rep, fig, err
	}
	fig.CPUSeconds = minus(cpu1, cpu0)
	total := 0.0
	for _, s := range fig.CPUSeconds {
		total += s
	}
	if g := rep.Outcomes["graduated"]; g > 0 {
		fig.CPUPerGraduated = total / float64(g)
	}
	if fig.DatabaseBytesAfter, err = srv.Postgres.DatabaseSizes(ctx); err != nil {
		return rep, fig, err
	}
	fig.BytesPerCase = perCase(minus(fig.DatabaseBytesAfter, fig.DatabaseBytesBefore), b.cfg.N)
	fig.LoadAfter = cluster.LoadAverage()
	return rep, fig, nil
}

// floor runs the engine floor on a cluster of its own (Temporal alone),
// with its worker in this process, and returns its servers' CPU and what
// PostgreSQL grew by per case.
func (b *clusterBench) floor(ctx context.Context, cfg cluster.Config) (bench.PhaseReport, map[string]float64, map[string]float64, error) {
	srv, err := cluster.StartServers(ctx, cfg)
	if err != nil {
		return bench.PhaseReport{}, nil, nil, err
	}
	defer srv.Close()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.TemporalAddress, Namespace: cluster.Namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return bench.PhaseReport{}, nil, nil, err
	}
	defer c.Close()
	w := bench.NewFloorWorker(c)
	if err := w.Start(); err != nil {
		return bench.PhaseReport{}, nil, nil, fmt.Errorf("floor worker: %w", err)
	}
	defer w.Stop()
	before, err := srv.Postgres.DatabaseSizes(ctx)
	if err != nil {
		return bench.PhaseReport{}, nil, nil, err
	}
	cpu0, err := groupCPU(srv.Processes())
	if err != nil {
		return bench.PhaseReport{}, nil, nil, err
	}
	deadlines := benchDeadlines(b.day)
	floor, err := bench.Floor(ctx, c, b.cfg.N, b.cfg.Concurrency, time.Duration(deadlines.VisitGapDays)*deadlines.DayLength)
	if err != nil {
		return floor, nil, nil, err
	}
	cpu1, err := groupCPU(srv.Processes())
	if err != nil {
		return floor, nil, nil, err
	}
	after, err := srv.Postgres.DatabaseSizes(ctx)
	if err != nil {
		return floor, nil, nil, err
	}
	return floor, minus(cpu1, cpu0), perCase(minus(after, before), b.cfg.N), nil
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
	fmt.Fprintf(w, "  CPU          %.1f s per graduated case; by group: %s; floor's servers: %s\n", f.CPUPerGraduated, seconds(f.CPUSeconds), seconds(f.FloorCPUSeconds))
	fmt.Fprintf(w, "  PostgreSQL   bytes per case: %s (floor: %s)\n", bytesPer(f.BytesPerCase), bytesPer(f.FloorBytesPerCase))
	fmt.Fprintf(w, "  load average %s at the start, %s at the end\n", f.LoadBefore, f.LoadAfter)
}

func seconds(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.0f s", k, m[k]))
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
