// Package devsystem is Tuntas in one process, as `tuntas-dev dev` runs it
// and the system tests start it: the embedded Temporal server and FerretDB
// of a data directory, the case worker and the HTTP API with the console,
// wired by package server as production's processes are.
package devsystem

import (
	"context"
	"fmt"
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
	"github.com/tuntas-id/tuntas/internal/devstack/oidcprovider"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/pseudonym"
	"github.com/tuntas-id/tuntas/internal/server"
	"github.com/tuntas-id/tuntas/internal/store"
)

// Config configures the all-in-one development system.
type Config struct {
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
	Pace                      server.ImportPace
	Logger                    *slog.Logger
	// RateLimit is the API's per-person limit; api.DefaultRateLimit when zero.
	RateLimit api.RateLimit
	// ProviderAddr, when set (localhost:9096), starts the development
	// OpenID provider there, with one person for each role
	// (oidcprovider.People), and the console signs people in at it.
	ProviderAddr string
	// IndexCases is the most cases the API's read index holds
	// (store.MaxCases): store.DefaultMaxCases when zero; negative turns the
	// index off, and the store answers every list, dashboard and report.
	IndexCases int
}

// System is Tuntas in one process: embedded Temporal and FerretDB, the
// worker and the API. The system tests start it exactly as `tuntas-dev dev`
// does.
type System struct {
	Stack  *devstack.Stack
	Client client.Client
	// Stores are the read model (Store) and the state kept beside it.
	*server.Stores
	// Index answers the API's lists and dashboards.
	Index  *store.Index
	Issuer *auth.Issuer
	Ring   *codec.Keyring
	URL    string
	// Provider is the development OpenID provider (Config.ProviderAddr),
	// or nil.
	Provider *oidcprovider.Server
	// Pseudonyms keys the pseudonyms of people and family cards (the
	// workflow IDs of cases: workflows.WorkflowID).
	Pseudonyms *pseudonym.Key

	worker worker.Worker
	srv    *http.Server
	ln     net.Listener
}

// Database is the MongoDB database of the system's stores.
const Database = "tuntas"

// Start starts the system of cfg.DataDir, creating its keys, secret and
// servers on first use, and listens on cfg.HTTPAddr; Serve answers there.
// Close stops it.
func Start(ctx context.Context, cfg Config) (_ *System, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Pace == (server.ImportPace{}) {
		cfg.Pace = server.ImportPace{Rate: server.DefaultImportRate, Concurrency: server.DefaultImportConcurrency}
	}
	ring, err := codec.LoadOrCreate(filepath.Join(cfg.DataDir, "codec.key"))
	if err != nil {
		return nil, err
	}
	issuer, err := server.DataDirIssuer(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	d := &System{Issuer: issuer, Ring: ring}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	d.Stack, err = StartServers(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b := server.Backend{TemporalAddress: d.Stack.TemporalAddress, Namespace: d.Stack.Namespace, MongoURI: d.Stack.MongoURI, MongoDatabase: Database}
	if d.Client, err = server.DialTemporal(ctx, b, ring, cfg.Logger); err != nil {
		return nil, err
	}
	if d.Stores, err = server.OpenStores(ctx, b); err != nil {
		return nil, err
	}
	if err := d.Stack.IndexIDs(ctx, Database); err != nil {
		return nil, err
	}
	cases := server.CaseDefaults{Rules: household.DefaultRules(), Deadlines: cfg.Deadlines}
	if d.Pseudonyms, err = pseudonym.LoadOrCreate(filepath.Join(cfg.DataDir, "person.key")); err != nil {
		return nil, err
	}
	d.worker = server.NewWorker(d.Client, d.Stores, d.Pseudonyms, cases, cfg.Pace, cfg.Logger)
	if err := d.worker.Start(); err != nil {
		d.worker = nil
		return nil, fmt.Errorf("start worker: %w", err)
	}
	if err := server.EnsureProgressSchedule(ctx, d.Client, d.Store); err != nil {
		return nil, err
	}
	if d.ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	d.URL = "http://" + d.ln.Addr().String()
	var opts []store.IndexOption
	if cfg.IndexCases != 0 {
		opts = append(opts, store.MaxCases(max(cfg.IndexCases, 0)))
	}
	d.Index = store.NewIndex(d.Store, cfg.Logger, opts...)
	// The field's outboxes must open after a restart: their secret lives in
	// the data directory like the signing secret.
	deviceSecret, err := auth.LoadOrCreateSecret(filepath.Join(cfg.DataDir, "device.secret"))
	if err != nil {
		return nil, err
	}
	si := server.ConsoleSignin{DevIssuer: issuer, DeviceSecret: deviceSecret}
	if cfg.ProviderAddr != "" {
		if si.Provider, err = d.startProvider(ctx, cfg.ProviderAddr); err != nil {
			return nil, err
		}
	}
	h, err := server.NewHandler(d.Client, d.Stores, d.Index, d.Pseudonyms, cases, api.Config{Verifier: issuer.Verifier(), Logger: cfg.Logger, RateLimit: cfg.RateLimit}, si)
	if err != nil {
		return nil, err
	}
	d.srv = server.HTTPServer(h)
	return d, nil
}

// ProviderClient is the console's registration at the development
// provider.
const ProviderClient = "tuntas-dev"

// startProvider starts the development OpenID provider on addr with the
// console registered, and returns the console's sign-in at it.
func (d *System) startProvider(ctx context.Context, addr string) (*auth.Signin, error) {
	var err error
	if d.Provider, err = oidcprovider.Listen(addr, oidcprovider.Config{}); err != nil {
		return nil, err
	}
	d.Provider.Register(oidcprovider.Client{ID: ProviderClient, Secret: ProviderClient,
		RedirectURIs: []string{d.URL + auth.CallbackPath}, PostLogoutURIs: []string{d.URL + auth.SignedOutPath}})
	return auth.NewSignin(ctx, auth.SigninConfig{OIDC: auth.OIDCConfig{Issuer: d.Provider.Issuer()},
		ClientID: ProviderClient, ClientSecret: ProviderClient, RedirectURL: d.URL + auth.CallbackPath})
}

// Serve answers HTTP until ctx ends, then shuts the server down gracefully.
func (d *System) Serve(ctx context.Context) error { return server.Serve(ctx, d.srv, d.ln) }

// Close stops everything in reverse order of start.
func (d *System) Close() {
	if d.ln != nil {
		_ = d.ln.Close()
	}
	if d.Provider != nil {
		_ = d.Provider.Close()
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
	if d.Stores != nil {
		_ = d.Stores.Close(context.Background())
	}
	if d.Stack != nil {
		d.Stack.Stop()
	}
}

// DatabaseURI is uri naming database as its path, before its options
// (mongodb://host:port/tuntas?maxPoolSize=2): what mongosh and the drivers
// take as the database to use. Appended after the options, the name
// became part of the last option's value.
func DatabaseURI(uri, database string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	u.Path = "/" + database
	return u.String()
}
