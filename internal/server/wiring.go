// Package server wires the processes of Tuntas: it dials Temporal with the
// payload codec, opens the stores on one MongoDB client, builds the case
// worker and the HTTP handler (the API with the console beside it), and
// serves it with a graceful shutdown. Production's api and worker and the
// one-process dev system are built from the same pieces.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/claims"
	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/console"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/idempotency"
	"github.com/tuntas-id/tuntas/internal/imports"
	"github.com/tuntas-id/tuntas/internal/photos"
	"github.com/tuntas-id/tuntas/internal/pseudonym"
	"github.com/tuntas-id/tuntas/internal/publications"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// Backend is what the api and worker processes connect to.
type Backend struct {
	TemporalAddress string
	Namespace       string
	MongoURI        string
	MongoDatabase   string
	// TemporalTLS, when set, secures the connection to Temporal.
	TemporalTLS *tls.Config
}

// DialTemporal connects to b's Temporal namespace with the payload codec
// of ring, logging through logger.
func DialTemporal(ctx context.Context, b Backend, ring *codec.Keyring, logger *slog.Logger) (client.Client, error) {
	conn := client.ConnectionOptions{TLS: b.TemporalTLS}
	if onThisHost(b.TemporalAddress) {
		// Compressing for a server on the same host only spends CPU: in the
		// dev stack gzip took 3-4% of it (every workflow task's history
		// is compressed by the server and inflated by the worker).
		conn.GrpcCompression = &client.GrpcCompressionNone{}
	}
	c, err := client.DialContext(ctx, client.Options{
		HostPort:          b.TemporalAddress,
		Namespace:         b.Namespace,
		DataConverter:     codec.DataConverter(ring),
		FailureConverter:  codec.FailureConverter(ring),
		ConnectionOptions: conn,
		Logger:            sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk")),
	})
	if err != nil {
		return nil, fmt.Errorf("dial temporal %s: %w", b.TemporalAddress, err)
	}
	return c, nil
}

// onThisHost reports whether addr (host:port) is a loopback address.
func onThisHost(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Stores are what a process keeps in MongoDB, on one client: the read
// model, and beside it the write-side state that is not read model (which
// case holds each person, the imports' rows and progress, the answers
// kept by Idempotency-Key, the photos of houses).
type Stores struct {
	// Store is the read model; it owns the client the others share.
	Store       *store.Store
	Claims      *claims.Store
	Imports     *imports.Store
	Idempotency *idempotency.Store
	Photos      *photos.Store
	// Publications are the village lists posted for objection.
	Publications *publications.Store
}

// OpenStores connects and creates every collection and index; safe on
// every start.
func OpenStores(ctx context.Context, b Backend) (*Stores, error) {
	st, err := store.Connect(ctx, b.MongoURI, b.MongoDatabase)
	if err != nil {
		return nil, err
	}
	db := st.Database()
	s := &Stores{Store: st, Claims: claims.New(db), Imports: imports.New(db), Idempotency: idempotency.New(db), Photos: photos.New(db),
		Publications: publications.New(db)}
	for _, ensure := range []func(context.Context) error{st.EnsureIndexes, s.Claims.EnsureCollection, s.Imports.EnsureIndexes,
		s.Idempotency.EnsureCollection, s.Photos.EnsureCollection, s.Publications.EnsureCollection} {
		if err := ensure(ctx); err != nil {
			_ = st.Close(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	return s, nil
}

// Close disconnects the client the stores share.
func (s *Stores) Close(ctx context.Context) error { return s.Store.Close(ctx) }

// EnsureSearchAttributes registers the case workflow's search attributes
// in the namespace if a cluster lacks them.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range workflows.SearchAttributeTypes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing}); err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

// notesNotifier hands the case's notifications to the read model, where
// the console's work queue shows them.
type notesNotifier struct{ notes *store.Store }

var _ activities.Notifier = notesNotifier{}

func (n notesNotifier) Notify(ctx context.Context, x activities.Notification) error {
	return n.notes.Notify(ctx, store.Notification{CaseID: x.CaseID, Seq: x.Seq, At: x.At, To: x.To, Region: x.Region,
		Message: x.Message, Agencies: x.Agencies, Key: x.Key, Args: x.Args, HeadName: x.HeadName})
}

// ImportPace bounds how fast imports start cases.
type ImportPace struct {
	Rate        float64
	Concurrency int
}

// Import pacing defaults: the embedded Temporal server on two cores
// completes a few dozen trivial workflows a second, and opening a case is
// more than that.
const (
	DefaultImportRate        = 25
	DefaultImportConcurrency = 8
)

// NewWorker is the case worker on c: the case and import workflows and
// their activities on st, claiming people by persons' pseudonyms, opening
// imported cases with cases' rules and deadlines at pace. It is not yet
// started.
func NewWorker(c client.Client, st *Stores, persons *pseudonym.Key, cases CaseDefaults, pace ImportPace, logger *slog.Logger) worker.Worker {
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.Case)
	w.RegisterWorkflow(workflows.Import)
	w.RegisterWorkflow(workflows.ProgressSnapshot)
	w.RegisterActivity(&activities.Snapshots{Store: st.Store})
	w.RegisterActivity(&activities.Activities{Store: st.Store, Notifier: activities.Notifiers{notesNotifier{st.Store}, activities.LogNotifier{Logger: logger}}})
	w.RegisterActivity(&activities.People{Claims: st.Claims, Key: persons})
	w.RegisterActivity(&activities.Importer{Opener: caseOpener{c: c, households: persons, defaults: cases}, Store: st.Imports, Rate: pace.Rate, Concurrency: pace.Concurrency})
	// The living list: village proposals and objections (docs/living-list.md).
	w.RegisterWorkflow(workflows.Proposal)
	w.RegisterWorkflow(workflows.Objection)
	w.RegisterActivity(&activities.LivingList{Store: st.Store, Notifier: activities.Notifiers{notesNotifier{st.Store}, activities.LogNotifier{Logger: logger}},
		Cases: caseOpener{c: c, households: persons, defaults: cases}, Claims: st.Claims, Key: persons})
	return w
}

// progressScope is the province whose regions the monthly progress
// snapshots count: Kalimantan Timur.
const progressScope = "64"

// EnsureProgressSchedule creates the monthly progress schedule unless it
// exists, after rebuilding the facts reports count if the read model was
// written before they were kept (every start of a worker process calls it).
func EnsureProgressSchedule(ctx context.Context, c client.Client, st *store.Store) error {
	if _, err := st.EnsureFacts(ctx); err != nil {
		return err
	}
	return workflows.EnsureProgressSchedule(ctx, c, progressScope)
}

// CaseDefaults are the rules and deadlines given to every new case.
type CaseDefaults struct {
	Rules     household.Rules
	Deadlines household.Deadlines
}

// ServiceCases are the rules and deadlines of cases opened in service.
func ServiceCases() CaseDefaults {
	return CaseDefaults{Rules: household.DefaultRules(), Deadlines: household.DefaultDeadlines()}
}

// caseOpener opens imported cases through the case workflow.
type caseOpener struct {
	c          client.Client
	households workflows.Households
	defaults   CaseDefaults
}

var _ activities.CaseWorkflows = caseOpener{}

func (o caseOpener) Open(ctx context.Context, in household.OpenInput, by household.Actor, requestID string) (household.Case, bool, error) {
	out, err := workflows.Open(ctx, o.c, o.households, workflows.CaseInput{Open: in, Actor: by,
		Rules: o.defaults.Rules, Deadlines: o.defaults.Deadlines, RequestID: requestID})
	return out.Case, out.Created, err
}

func (o caseOpener) HeldCase(ctx context.Context, kk string) (string, string, bool, error) {
	return workflows.HeldCase(ctx, o.c, o.households, kk)
}

func (o caseOpener) Uphold(ctx context.Context, kk, caseID string, by household.Actor, in household.UpholdInput, updateID string) (household.Case, *household.Error, error) {
	return workflows.Uphold(ctx, o.c, o.households, kk, caseID, by, in, updateID)
}

// HTTPServer is a server of h with timeouts set.
func HTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

// ConsoleSignin is how the console signs people in besides a pasted token.
type ConsoleSignin struct {
	// DevIssuer, given only by the dev system, lets the console's sign-in
	// mint tokens.
	DevIssuer *auth.Issuer
	// DeviceSecret seals the field's outboxes and the sign-in flows
	// (console.Config.DeviceSecret).
	DeviceSecret []byte
	// Provider, when set, signs people in at the office's OpenID provider.
	Provider *auth.Signin
}

// NewHandler is the case work on c, st and idx (lists and dashboards from
// memory, the rest from st), served by the API, configured otherwise by
// cfg, and by the console at / on the same service, signing people in as
// si says. New cases' workflows are named by keys' pseudonyms of their
// family cards.
func NewHandler(c client.Client, st *Stores, idx *store.Index, keys *pseudonym.Key, cases CaseDefaults, cfg api.Config, si ConsoleSignin) (http.Handler, error) {
	svc := casework.New(casework.Config{Temporal: c, Households: keys, Store: idx, Imports: st.Imports, Photos: st.Photos,
		Lists: st.Store, Publications: st.Publications, Rules: cases.Rules, Deadlines: cases.Deadlines})
	cfg.Service, cfg.Temporal, cfg.Store, cfg.Idempotency = svc, c, idx, st.Idempotency
	srv := api.NewServer(cfg)
	// Only the dev system gives an issuer, and it alone serves plain HTTP:
	// everywhere else the console's cookies are Secure and it sends HSTS.
	con, err := console.New(console.Config{Service: svc, API: srv, Notes: st.Store, Sessions: st.Store, DevIssuer: si.DevIssuer,
		PlainHTTP: si.DevIssuer != nil, Logger: cfg.Logger, DeviceSecret: si.DeviceSecret, Signin: si.Provider})
	if err != nil {
		return nil, err
	}
	return withConsole(srv.Handler(), con), nil
}

// DataDirIssuer signs with the dev secret kept in dir (created on first
// use), which the dev system, `tuntas token` and `tuntas import` share.
func DataDirIssuer(dir string) (*auth.Issuer, error) {
	secret, err := auth.LoadOrCreateSecret(filepath.Join(dir, "token.secret"))
	if err != nil {
		return nil, err
	}
	return auth.NewIssuer(secret)
}

// apiPaths are served by the API; every other path is the console's.
var apiPaths = []string{"/healthz", "/readyz", "/metrics", "/openapi.json"}

// withConsole routes /v1 and the API's own paths to the API and the rest
// to the console.
func withConsole(apiH, consoleH http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/v1" || strings.HasPrefix(p, "/v1/") || slices.Contains(apiPaths, p) {
			apiH.ServeHTTP(w, r)
			return
		}
		consoleH.ServeHTTP(w, r)
	})
}

// Serve serves srv on ln until ctx ends, then shuts it down gracefully,
// waiting up to 15 s for the requests in flight.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}
