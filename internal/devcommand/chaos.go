package devcommand

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/chaos"
	"github.com/tuntas-id/tuntas/internal/cluster"
)

// runChaos is `tuntas-dev chaos`; childEnv is added to the environment of
// the processes it starts from this binary.
func runChaos(ctx context.Context, args []string, stdout, stderr io.Writer, childEnv []string) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg chaos.Config
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the households and of the fault schedule")
	fs.IntVar(&cfg.Households, "households", 500, "households driven through their lifecycle")
	fs.IntVar(&cfg.People, "people", 16, "simulated people working at once, spread over both APIs")
	fs.DurationVar(&cfg.Cut, "cut", 30*time.Second, "how long every connection to MongoDB, then to Temporal, is cut")
	fs.DurationVar(&cfg.Pause, "pause", 5*time.Second, "how long a killed worker or API stays down")
	fs.IntVar(&cfg.ServerKills, "server-kills", 5, "times in a row the servers are killed with SIGKILL and restarted at the end")
	onCluster := fs.Bool("cluster", false, "run on the cluster topology (tuntas-dev cluster: PostgreSQL, Temporal's own services with two history hosts, FerretDB on PostgreSQL) and kill each of its processes in turn instead of the embedded servers")
	cache := fs.String("bin", cluster.DefaultCache(), "with --cluster: cache directory of the built servers and tuntas")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	dir := fs.String("data", "", "directory for the servers' data and the processes' logs (default: a fresh temporary one, kept)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if *dir == "" {
		if *dir, err = os.MkdirTemp("", "tuntas-chaos-"); err != nil {
			return err
		}
	}
	cfg.Exe, cfg.Dir, cfg.Progress, cfg.ChildEnv = exe, *dir, stderr, childEnv
	if *onCluster {
		// The api and worker processes are the production binary's.
		bins, err := buildCluster(ctx, *cache, true, stderr)
		if err != nil {
			return err
		}
		cfg.Cluster, cfg.Tuntas = bins, bins.Tuntas
	}
	rep, err := chaos.Run(ctx, cfg)
	PrintChaos(stdout, rep)
	if err != nil {
		return err
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	if !rep.Passed() {
		return fmt.Errorf("chaos run failed %d checks with %d violations (logs in %s)", len(rep.Failures), len(rep.Violations), rep.DataDir)
	}
	return nil
}

// PrintChaos prints the chaos run's report as `tuntas-dev chaos` does.
func PrintChaos(w io.Writer, r chaos.Report) {
	kills := fmt.Sprintf("%d server kills", r.ServerKills)
	if r.Topology == chaos.TopologyCluster {
		kills = "each cluster process killed once"
	}
	fmt.Fprintf(w, "Tuntas chaos run on the %s topology: seed %d, %d households, %d people, cuts %s, pauses %s, %s (data and logs in %s)\n",
		r.Topology, r.Seed, r.Households, r.People, r.Cut, r.Pause, kills, r.DataDir)
	fmt.Fprintf(w, "  mix          %v\n", r.Mix)
	fmt.Fprintf(w, "  outcomes     %v\n", r.Outcomes)
	fmt.Fprintf(w, "  workflows    %v (all finished %.1f s after the last action)\n", r.Statuses, r.SettleSeconds)
	fmt.Fprintf(w, "  faults       %v\n", r.FaultsByKind)
	for _, f := range r.Faults {
		fmt.Fprintf(w, "    %-16s %-17s at %6.1fs for %5.1fs (%4d done)  /readyz %d %s\n", f.Kind, f.Target, f.At, f.Seconds, f.Done, f.ReadyzStatus, f.Readyz)
	}
	fmt.Fprintf(w, "  requests     %d\n", r.Requests)
	fmt.Fprintf(w, "  retries      %s\n", sortedCounts(r.Retries))
	fmt.Fprintf(w, "  5xx          %s\n", sortedCounts(r.FiveXX))
	fmt.Fprintf(w, "  slowest ack  %.0f ms (%s)\n", r.SlowestAckMs, r.SlowestAck)
	fmt.Fprintf(w, "  baseline     %4d households %7.1f s %6.2f cases/s (no faults)\n", r.Baseline.Households, r.Baseline.Seconds, r.Baseline.CasesPerSec)
	fmt.Fprintf(w, "  under faults %4d households %7.1f s %6.2f cases/s\n", r.UnderFaults.Households, r.UnderFaults.Seconds, r.UnderFaults.CasesPerSec)
	fmt.Fprintf(w, "  converged    %.1f s after the last fault or action\n", r.ConvergeSeconds)
	fmt.Fprintf(w, "  reconcile    %d checked, %d repaired\n", r.ReconcileChecked, r.ReconcileRepaired)
	if r.Passed() {
		fmt.Fprintln(w, "  PASSED: every household at its end, no workflow failed, every acknowledged action once, no bare 5xx")
		return
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  FAILED: %s\n", f)
	}
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  VIOLATION: %s\n", v)
	}
}

func sortedCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}
