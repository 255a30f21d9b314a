package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/devstack"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/pseudonym"
	"github.com/tuntas-id/tuntas/internal/store"
)

// devConfig configures the all-in-one development system.
type devConfig struct {
	DataDir      string
	HTTPAddr     string
	TemporalPort int
	MongoPort    int
	// Retention is how long Temporal keeps a closed case's history;
	// devstack.DefaultRetention when zero.
	Retention time.Duration
	Deadlines household.Deadlines
	// SuggestContinueAsNewAfter: see devstack.Options.
	SuggestContinueAsNewAfter int
	Pace                      importPace
	Logger                    *slog.Logger
	// RateLimit is the API's per-person limit; api.DefaultRateLimit when zero.
	RateLimit api.RateLimit
}

// devSystem is Tuntas in one process: embedded Temporal and FerretDB, the
// worker and the API. End-to-end tests start it exactly as `tuntas dev` does.
type devSystem struct {
	Stack  *devstack.Stack
	Client client.Client
	// stores are the read model (Store) and the state kept beside it.
	*stores
	// Index answers the API's lists and dashboards.
	Index  *store.Index
	Issuer *auth.Issuer
	Ring   *codec.Keyring
	URL    string

	worker worker.Worker
	srv    *http.Server
	ln     net.Listener
}

const devDatabase = "tuntas"

// Import pacing defaults: the embedded Temporal server on two cores
// completes a few dozen trivial workflows a second, and opening a case is
// more than that.
const (
	defaultImportRate        = 25
	defaultImportConcurrency = 8
)

func startDev(ctx context.Context, cfg devConfig) (_ *devSystem, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Pace == (importPace{}) {
		cfg.Pace = importPace{Rate: defaultImportRate, Concurrency: defaultImportConcurrency}
	}
	ring, err := codec.LoadOrCreate(filepath.Join(cfg.DataDir, "codec.key"))
	if err != nil {
		return nil, err
	}
	issuer, err := dataDirIssuer(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	d := &devSystem{Issuer: issuer, Ring: ring}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	d.Stack, err = startServers(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b := backend{TemporalAddress: d.Stack.TemporalAddress, Namespace: d.Stack.Namespace, MongoURI: d.Stack.MongoURI, MongoDatabase: devDatabase}
	if d.Client, err = dialTemporal(ctx, b, ring, cfg.Logger); err != nil {
		return nil, err
	}
	if d.stores, err = openStores(ctx, b); err != nil {
		return nil, err
	}
	if err := d.Stack.IndexIDs(ctx, devDatabase); err != nil {
		return nil, err
	}
	cases := caseDefaults{Rules: household.DefaultRules(), Deadlines: cfg.Deadlines}
	persons, err := pseudonym.LoadOrCreate(filepath.Join(cfg.DataDir, "person.key"))
	if err != nil {
		return nil, err
	}
	d.worker = newWorker(d.Client, d.stores, persons, cases, cfg.Pace, cfg.Logger)
	if err := d.worker.Start(); err != nil {
		d.worker = nil
		return nil, fmt.Errorf("start worker: %w", err)
	}
	if d.ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	d.URL = "http://" + d.ln.Addr().String()
	d.Index = store.NewIndex(d.Store, cfg.Logger)
	// The field's outboxes must open after a restart: their secret lives in
	// the data directory like the signing secret.
	deviceSecret, err := auth.LoadOrCreateSecret(filepath.Join(cfg.DataDir, "device.secret"))
	if err != nil {
		return nil, err
	}
	h, err := newAPI(d.Client, d.stores, d.Index, cases, api.Config{Verifier: issuer.Verifier(), Logger: cfg.Logger, RateLimit: cfg.RateLimit}, issuer, deviceSecret)
	if err != nil {
		return nil, err
	}
	d.srv = httpServer(h)
	return d, nil
}

// dataDirIssuer signs with the dev secret kept in dir (created on first
// use), which `tuntas dev`, `tuntas token` and `tuntas import` share.
func dataDirIssuer(dir string) (*auth.Issuer, error) {
	secret, err := auth.LoadOrCreateSecret(filepath.Join(dir, "token.secret"))
	if err != nil {
		return nil, err
	}
	return auth.NewIssuer(secret)
}

// Serve answers HTTP until ctx ends, then shuts the server down gracefully.
func (d *devSystem) Serve(ctx context.Context) error { return serveHTTP(ctx, d.srv, d.ln) }

// Close stops everything in reverse order of start.
func (d *devSystem) Close() {
	if d.ln != nil {
		_ = d.ln.Close()
	}
	if d.worker != nil {
		d.worker.Stop()
	}
	if d.Client != nil {
		d.Client.Close()
	}
	if d.Index != nil {
		d.Index.Close()
	}
	if d.stores != nil {
		_ = d.stores.Close(context.Background())
	}
	if d.Stack != nil {
		d.Stack.Stop()
	}
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg devConfig
	fs.StringVar(&cfg.DataDir, "data", ".tuntas", "directory for all state (Temporal, FerretDB, keys)")
	fs.StringVar(&cfg.HTTPAddr, "http", "127.0.0.1:8080", "API listen address")
	fs.IntVar(&cfg.TemporalPort, "temporal-port", 7233, "Temporal frontend gRPC port on 127.0.0.1 (0: any free port)")
	fs.IntVar(&cfg.MongoPort, "mongo-port", 27017, "FerretDB port on 127.0.0.1 (0: any free port)")
	fs.DurationVar(&cfg.Retention, "retention", devstack.DefaultRetention, "how long Temporal keeps a closed case's workflow history (the read model keeps the case for good)")
	serversOnly := fs.Bool("servers-only", false, "start only Temporal and FerretDB (no API or worker), for separate tuntas api and tuntas worker processes")
	dayLength := fs.Duration("day-length", 0, "length of one deadline day (default 24h; shorten for demos)")
	fs.Float64Var(&cfg.Pace.Rate, "import-rate", defaultImportRate, "cases an import starts per second at most")
	fs.IntVar(&cfg.Pace.Concurrency, "import-concurrency", defaultImportConcurrency, "cases an import starts at once at most")
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
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := startDev(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(stdout, `Tuntas is running (data in %s)
  Console       %s/
  API           %s   (health: %s/healthz, ready: %s/readyz, docs: %s/openapi.json)
  Temporal gRPC %s   namespace %s   (temporal workflow list --address %s)
  MongoDB URI   %s
  Token         go run ./cmd/tuntas token --data %s --sub ani --role caseworker --region 64.08.01
Press Ctrl-C to stop.
`, cfg.DataDir, d.URL, d.URL, d.URL, d.URL, d.URL, d.Stack.TemporalAddress, d.Stack.Namespace, d.Stack.TemporalAddress,
		databaseURI(d.Stack.MongoURI, devDatabase), cfg.DataDir)
	if err := d.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Fprintln(stdout, "Tuntas stopped.")
	return nil
}

// databaseURI is uri naming database as its path, before its options
// (mongodb://host:port/tuntas?maxPoolSize=2): what mongosh and the drivers
// take as the database to use. Appended after the options, the name
// became part of the last option's value.
func databaseURI(uri, database string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	u.Path = "/" + database
	return u.String()
}
