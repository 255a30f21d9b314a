package devcommand

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/tuntas-id/tuntas/internal/devstack"
	"github.com/tuntas-id/tuntas/internal/devstack/oidcprovider"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/server"
	"github.com/tuntas-id/tuntas/internal/store"
)

// runDev is `tuntas-dev dev`: the whole system in one process on the
// embedded servers of a data directory, until ctx ends.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg devsystem.Config
	fs.StringVar(&cfg.DataDir, "data", ".tuntas", "directory for all state (Temporal, FerretDB, keys)")
	fs.StringVar(&cfg.HTTPAddr, "http", "127.0.0.1:8080", "API listen address")
	fs.IntVar(&cfg.TemporalPort, "temporal-port", 7233, "Temporal frontend gRPC port on 127.0.0.1 (0: any free port)")
	fs.IntVar(&cfg.MongoPort, "mongo-port", 27017, "FerretDB port on 127.0.0.1 (0: any free port)")
	fs.DurationVar(&cfg.Retention, "retention", devstack.DefaultRetention, "how long Temporal keeps a closed case's workflow history (the read model keeps the case for good)")
	serversOnly := fs.Bool("servers-only", false, "start only Temporal and FerretDB (no API or worker), for separate tuntas api and tuntas worker processes")
	dayLength := fs.Duration("day-length", 0, "length of one deadline day (default 24h; shorten for demos)")
	fs.Float64Var(&cfg.Pace.Rate, "import-rate", server.DefaultImportRate, "cases an import starts per second at most")
	fs.IntVar(&cfg.Pace.Concurrency, "import-concurrency", server.DefaultImportConcurrency, "cases an import starts at once at most")
	indexCases := fs.Int("index-cases", store.DefaultMaxCases, "the most cases the API's read index holds in memory; beyond, and at 0 (off), the store answers every list, dashboard and report")
	withDemo := fs.Bool("demo", false, "fill the read model with a year of Kutai Timur's list (5,900 households, read-only) and take its monthly progress snapshots")
	fs.StringVar(&cfg.ProviderAddr, "oidc-provider", "", "also start the development OpenID provider on this address (localhost:9096), one person for each role, password "+oidcprovider.DevPassword+"; the console's Masuk signs in there")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole process (servers, worker, API) to this file until it stops")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tuneGC()
	stopProfile, err := profileCPU(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	if *serversOnly {
		return runServersOnly(ctx, cfg, stdout)
	}
	cfg.Deadlines = household.DefaultDeadlines()
	cfg.Deadlines.DayLength = *dayLength
	cfg.IndexCases = indexOption(*indexCases)
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := devsystem.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	if *withDemo {
		if err := seedDemo(ctx, d, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, `Tuntas is running (data in %s)
  Console       %s/
  API           %s   (health: %s/healthz, ready: %s/readyz, docs: %s/openapi.json)
  Temporal gRPC %s   namespace %s   (temporal workflow list --address %s)
  MongoDB URI   %s
  Token         go run ./cmd/tuntas token --data %s --sub ani --role caseworker --region 64.08.01
`, cfg.DataDir, d.URL, d.URL, d.URL, d.URL, d.URL, d.Stack.TemporalAddress, d.Stack.Namespace, d.Stack.TemporalAddress,
		devsystem.DatabaseURI(d.Stack.MongoURI, devsystem.Database), cfg.DataDir)
	if d.Provider != nil {
		fmt.Fprintf(stdout, "  Sign-in       %s   (Masuk on the console: ani, budi, citra, dewi, eka, fajar or gita; password %s)\n",
			d.Provider.Issuer(), oidcprovider.DevPassword)
	}
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
	if err := d.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Fprintln(stdout, "Tuntas stopped.")
	return nil
}

// runServersOnly is `tuntas-dev dev --servers-only`: the servers without an
// API or worker of their own, so that separate `tuntas api` and `tuntas
// worker` processes run against them as in production (the chaos run kills
// those processes one by one while the servers stay up).
func runServersOnly(ctx context.Context, cfg devsystem.Config, stdout io.Writer) error {
	s, err := devsystem.StartServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Stop()
	if err := devsystem.PrepareReadModel(ctx, s); err != nil {
		return err
	}
	fmt.Fprintf(stdout, `Tuntas servers are running (data in %s; no API or worker)
  Temporal gRPC %s   namespace %s
  MongoDB URI   %s   database %s
For tuntas api / tuntas worker:
  TEMPORAL_ADDRESS=%s TEMPORAL_NAMESPACE=%s MONGODB_URI=%s MONGODB_DATABASE=%s
Press Ctrl-C to stop.
`, cfg.DataDir, s.TemporalAddress, s.Namespace, s.MongoURI, devsystem.Database,
		s.TemporalAddress, s.Namespace, s.MongoURI, devsystem.Database)
	<-ctx.Done()
	fmt.Fprintln(stdout, "Tuntas servers stopped.")
	return nil
}

// indexOption is the devsystem's IndexCases for the --index-cases flag,
// whose 0 turns the index off.
func indexOption(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}
