package devcommand

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/cluster"
)

// runCluster is `tuntas-dev cluster`: the production topology on this
// machine (see package cluster) until ctx ends, then every process
// stopped and, unless kept, its directory removed.
func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "directory for PostgreSQL's data, FerretDB's state and the logs (default: a fresh temporary one, removed on exit)")
	keep := fs.Bool("keep", false, "keep the directory on exit (always kept when --data is given)")
	cache := fs.String("bin", cluster.DefaultCache(), "cache directory of the built servers (Temporal, its SQL tool, FerretDB) and of tuntas")
	tuntasExe := fs.String("tuntas", "", "the tuntas binary to run as api and worker (default: cmd/tuntas, built into --bin)")
	buildOnly := fs.Bool("build-only", false, "only build the servers into --bin (or find them there) and stop: .ci/run does it before the tests, so that a cold build is not part of a test's time")
	var cfg cluster.Config
	fs.IntVar(&cfg.HistoryHosts, "history-hosts", 2, "Temporal history hosts")
	fs.IntVar(&cfg.Shards, "shards", 16, "Temporal history shards (fixed for the life of the database)")
	fs.BoolVar(&cfg.Durable, "durable", false, "keep PostgreSQL's fsync on, as production must (off: a killed process loses nothing, a crash of the machine would)")
	fs.StringVar(&cfg.TemporalLogLevel, "temporal-log-level", "warn", "LOG_LEVEL of Temporal's services")
	var tc cluster.TuntasConfig
	fs.IntVar(&tc.Workers, "workers", 2, "tuntas worker processes")
	fs.IntVar(&tc.APIs, "apis", 2, "tuntas api processes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()
	bins, err := buildCluster(ctx, *cache, *tuntasExe == "" && !*buildOnly, stderr)
	if err != nil || *buildOnly {
		return err
	}
	if *tuntasExe != "" {
		bins.Tuntas = *tuntasExe
	}
	if *dir == "" {
		if *dir, err = os.MkdirTemp("", "tuntas-cluster-"); err != nil {
			return err
		}
		if !*keep {
			defer os.RemoveAll(*dir)
		}
	} else if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	cfg.Dir, cfg.Bin, cfg.Progress = *dir, bins, stderr
	srv, err := cluster.StartServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	if tc.Secrets, err = cluster.NewSecrets(); err != nil {
		return err
	}
	tc.Exe, tc.TemporalAddress, tc.MongoURI, tc.Logs = bins.Tuntas, srv.TemporalAddress, srv.MongoURI, srv.Logs()
	fmt.Fprintf(stderr, "starting %d tuntas worker and %d tuntas api processes\n", tc.Workers, tc.APIs)
	t, err := cluster.StartTuntas(ctx, tc)
	if err != nil {
		return err
	}
	defer t.Close()
	envFile := filepath.Join(*dir, "tuntas.env")
	if err := writeEnv(envFile, t.Env); err != nil {
		return err
	}
	var hist []string
	for _, p := range srv.History {
		hist = append(hist, fmt.Sprintf("%s (pid %d)", p.Name, p.PID()))
	}
	fmt.Fprintf(stdout, `Tuntas cluster is running (up in %s; data and logs in %s)
  PostgreSQL    %s (%s, pid %d)
  Temporal      frontend %s (pid %d), %s, matching pid %d, worker pid %d; %d shards; namespace %s
  MongoDB URI   %s (FerretDB on PostgreSQL, pid %d)
  APIs          %s
  Environment   %s (keys made for this run: source it for tuntas token, reconcile, import)
  Token         (set -a; . %s; %s token --sub ani --role caseworker --region 64.08.01)
Press Ctrl-C to stop; every process stops with it.
`, time.Since(start).Round(time.Second), *dir,
		srv.Postgres.Addr(), srv.Postgres.Bin, srv.Postgres.Process().PID(),
		srv.TemporalAddress, srv.Frontend.PID(), strings.Join(hist, ", "), srv.Matching.PID(), srv.Worker.PID(), cfg.Shards, cluster.Namespace,
		srv.MongoURI, srv.FerretDB.PID(), strings.Join(t.URLs, "  "), envFile, envFile, bins.Tuntas)
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping the cluster…")
	return nil
}

// buildCluster builds (or finds in cache) the servers and, with tuntas,
// cmd/tuntas, saying how long each build took.
func buildCluster(ctx context.Context, cache string, tuntas bool, progress io.Writer) (cluster.Binaries, error) {
	src, err := cluster.ModuleRoot(ctx)
	if err != nil {
		return cluster.Binaries{}, err
	}
	bins, built, err := cluster.Build(ctx, src, cache, tuntas, progress)
	if err != nil {
		return cluster.Binaries{}, err
	}
	for _, b := range built {
		if b.Cached {
			fmt.Fprintf(progress, "  %-18s cached %s\n", b.Name, b.Path)
		} else {
			fmt.Fprintf(progress, "  %-18s built in %.0f s: %s\n", b.Name, b.Seconds, b.Path)
		}
	}
	return bins, nil
}

// writeEnv writes env as a file of NAME=value lines, readable by its owner
// alone (it holds the run's keys).
func writeEnv(path string, env []string) error {
	var b strings.Builder
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			fmt.Fprintf(&b, "%s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return errors.Join(fmt.Errorf("write %s", path), err)
	}
	return nil
}
