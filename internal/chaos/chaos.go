// Package chaos owns the chaos run: the production topology on one
// machine (two `tuntas worker` and two `tuntas api` processes configured
// by environment, a fault-injecting proxy in front of Temporal and
// MongoDB, and behind it either the embedded servers of `tuntas-dev dev
// --servers-only` or the cluster of package cluster: PostgreSQL, Temporal's
// own services and FerretDB), simulated people driving households through
// their lifecycle over both APIs, a seeded schedule of faults (kill -9 of
// a worker, of an API and of the servers, or of each of the cluster's
// processes in turn and an immediate restart of PostgreSQL; cuts of every
// connection to MongoDB and to Temporal), and the checks that nothing was
// lost, duplicated or left stuck.
package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/bench"
	"github.com/tuntas-id/tuntas/internal/cluster"
	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/pseudonym"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// Config sets up a run.
type Config struct {
	// Exe is the binary the run starts its processes from: tuntas-dev, which
	// has both the dev servers and production's api and worker.
	Exe string
	// Cluster, when its binaries are set, runs the run on the cluster
	// topology (package cluster) instead of the embedded servers.
	Cluster cluster.Binaries
	// Tuntas, when set, is the binary of the api and worker processes
	// (the production one); default Exe.
	Tuntas string
	// ChildEnv is added to every child's environment (a test binary that
	// acts as tuntas is told so here).
	ChildEnv []string
	// Dir holds the servers' data and every process's log. Required.
	Dir  string
	Seed uint64
	// Households are driven through their lifecycle by People at once;
	// the first Baseline of them before any fault (default a fifth).
	Households int
	People     int
	Baseline   int
	// Cut is how long each store is cut off; Pause how long a killed
	// worker or API stays down; ServerKills how many times in a row the
	// servers are killed at the end.
	Cut         time.Duration
	Pause       time.Duration
	ServerKills int
	// FaultSpan is the share of the households driven under faults over
	// which the faults are spread (default 1: all of them); a small run
	// packs them into its first ones.
	FaultSpan float64
	// Converge is how long the read model may take to match the
	// workflows after the last fault; default 10 s.
	Converge time.Duration
	// Progress receives a line per phase and fault; nil discards.
	Progress io.Writer
}

// Fault is one fault injected.
type Fault struct {
	Kind   string `json:"kind"`
	Target string `json:"target,omitempty"`
	// At is when it began, in seconds since the run's first household.
	At float64 `json:"atSeconds"`
	// Seconds is how long the target was down or cut off, until it
	// answered again.
	Seconds float64 `json:"seconds"`
	// Readyz is what an API's /readyz answered during the fault.
	ReadyzStatus int    `json:"readyzStatus"`
	Readyz       string `json:"readyz"`
	// Done is how many households had finished when it began.
	Done int `json:"householdsDone"`
}

// Phase is one batch of households driven.
type Phase struct {
	Households  int     `json:"households"`
	Seconds     float64 `json:"seconds"`
	CasesPerSec float64 `json:"casesPerSec"`
}

// Report is what a run did and found.
type Report struct {
	// Topology is "embedded" or "cluster".
	Topology    string `json:"topology"`
	Seed        uint64 `json:"seed"`
	Households  int    `json:"households"`
	People      int    `json:"people"`
	Cut         string `json:"cut"`
	Pause       string `json:"pause"`
	ServerKills int    `json:"serverKills"`

	Faults       []Fault          `json:"faults"`
	FaultsByKind map[string]int   `json:"faultsByKind"`
	Requests     int64            `json:"requests"`
	Retries      map[string]int64 `json:"retriesByReason"`
	FiveXX       map[string]int64 `json:"fiveXXByCode"`
	SlowestAckMs float64          `json:"slowestAckMs"`
	SlowestAck   string           `json:"slowestAck"`
	Baseline     Phase            `json:"baseline"`
	UnderFaults  Phase            `json:"underFaults"`

	Mix      map[string]int   `json:"mix"`
	Outcomes map[string]int   `json:"outcomes"`
	Statuses map[string]int64 `json:"caseWorkflowsByStatus"`
	// SettleSeconds is how long after the last household's last action
	// every case workflow had finished.
	SettleSeconds float64 `json:"settleSeconds"`
	// ConvergeSeconds is how long after the last fault (or the last
	// acknowledged action, if later) the read model matched every
	// workflow; -1 if it never did within the check.
	ConvergeSeconds   float64 `json:"convergeSeconds"`
	ReconcileChecked  int     `json:"reconcileChecked"`
	ReconcileRepaired int     `json:"reconcileRepaired"`
	ReconcileOutput   string  `json:"reconcileOutput"`

	// Failures are the checks that did not hold; a passing run has none.
	Failures []string `json:"failures"`
	// Violations are answers no outage may give (a bare 500, a 5xx
	// without Retry-After, an API that did not answer in time).
	Violations []string `json:"violations"`
	DataDir    string   `json:"dataDir"`
}

// Passed reports whether every check held.
func (r Report) Passed() bool { return len(r.Failures) == 0 && len(r.Violations) == 0 }

const devDatabase = "tuntas"

// run is one chaos run in progress.
type run struct {
	cfg   Config
	out   io.Writer
	start time.Time

	// servers are the embedded servers' process; cluster the cluster's
	// servers (one of the two).
	servers *cluster.Process
	cluster *cluster.Servers
	tuntas  *cluster.Tuntas
	workers []*cluster.Process
	apis    []*cluster.Process
	urls    []string
	proxies *proxies

	env      []string
	ring     *codec.Keyring
	keys     *pseudonym.Key
	temporal client.Client
	store    *store.Store
	phones   *phones
	stats    *stats
	niks     bench.NIKs

	mu     sync.Mutex
	done   int
	houses []*house
	faults []Fault
}

// Run does one chaos run and reports it; an error means the run itself
// could not be carried out (its checks failing is in the report).
func Run(ctx context.Context, cfg Config) (rep Report, err error) {
	if cfg.Dir == "" || cfg.Exe == "" {
		return rep, errors.New("chaos: Dir and Exe are required")
	}
	if cfg.People <= 0 {
		cfg.People = 16
	}
	if cfg.Baseline <= 0 {
		cfg.Baseline = max(1, cfg.Households/5)
	}
	cfg.Baseline = min(cfg.Baseline, cfg.Households)
	if cfg.FaultSpan <= 0 || cfg.FaultSpan > 1 {
		cfg.FaultSpan = 1
	}
	if cfg.Converge == 0 {
		cfg.Converge = 10 * time.Second
	}
	r := &run{cfg: cfg, out: cfg.Progress, stats: newStats()}
	if r.out == nil {
		r.out = io.Discard
	}
	rep = Report{Topology: cfg.topology(), Seed: cfg.Seed, Households: cfg.Households, People: cfg.People, Cut: cfg.Cut.String(), Pause: cfg.Pause.String(),
		ServerKills: cfg.ServerKills, DataDir: cfg.Dir, Mix: map[string]int{}, ConvergeSeconds: -1}
	defer r.close()
	if err := r.setUp(ctx); err != nil {
		return rep, err
	}
	r.plan(&rep)

	r.logf("baseline: %d households, no faults", cfg.Baseline)
	t0 := time.Now()
	r.start = t0
	r.drive(ctx, 0, cfg.Baseline, nil)
	rep.Baseline = phase(cfg.Baseline, time.Since(t0))

	n := cfg.Households - cfg.Baseline
	r.logf("under faults: %d households", n)
	t1 := time.Now()
	faultsDone := make(chan error, 1)
	r.drive(ctx, cfg.Baseline, cfg.Households, func(ctx context.Context) { faultsDone <- r.inject(ctx) })
	rep.UnderFaults = phase(n, time.Since(t1))
	if err := <-faultsDone; err != nil {
		return rep, err
	}
	lastFault := time.Now()
	r.mu.Lock()
	rep.Faults = r.faults
	r.mu.Unlock()

	r.check(ctx, &rep, lastFault)
	return rep, nil
}

func phase(n int, d time.Duration) Phase {
	return Phase{Households: n, Seconds: d.Seconds(), CasesPerSec: float64(n) / d.Seconds()}
}

func (r *run) logf(format string, args ...any) {
	since := 0.0
	if !r.start.IsZero() {
		since = time.Since(r.start).Seconds()
	}
	fmt.Fprintf(r.out, "[%6.1fs] %s\n", since, fmt.Sprintf(format, args...))
}

// Topologies of a run.
const (
	TopologyEmbedded = "embedded"
	TopologyCluster  = "cluster"
)

func (c Config) topology() string {
	if c.Cluster.TemporalServer != "" {
		return TopologyCluster
	}
	return TopologyEmbedded
}

// setUp starts the servers, the proxies, the workers and the APIs.
func (r *run) setUp(ctx context.Context) error {
	logs := filepath.Join(r.cfg.Dir, "logs")
	data := filepath.Join(r.cfg.Dir, "data")
	for _, d := range []string{logs, data} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	var temporalAddr, mongoURI string
	if r.cfg.topology() == TopologyCluster {
		r.logf("starting the cluster (PostgreSQL, Temporal's services, FerretDB; data in %s)", data)
		var err error
		if r.cluster, err = cluster.StartServers(ctx, cluster.Config{Dir: data, Bin: r.cfg.Cluster, ChildEnv: r.cfg.ChildEnv, Progress: r.out}); err != nil {
			return err
		}
		temporalAddr, mongoURI = r.cluster.TemporalAddress, r.cluster.MongoURI
	} else {
		ports, err := cluster.FreePorts(2)
		if err != nil {
			return err
		}
		temporalAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
		mongoURI = "mongodb://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])) + "/"
		r.servers = &cluster.Process{Name: "servers", Exe: r.cfg.Exe, Env: r.cfg.ChildEnv, Logs: logs, Ready: cluster.LogSays("Press Ctrl-C"),
			Args: []string{"dev", "--servers-only", "--temporal-port", strconv.Itoa(ports[0]), "--mongo-port", strconv.Itoa(ports[1]), "--data", data}}
		r.logf("starting the servers (Temporal %s, FerretDB %s, data in %s)", temporalAddr, mongoURI, data)
		if err := r.servers.Start(ctx, 5*time.Minute); err != nil {
			return err
		}
	}
	mongoAddr := strings.TrimSuffix(strings.TrimPrefix(mongoURI, "mongodb://"), "/")
	var err error
	if r.proxies, err = newProxies(temporalAddr, mongoAddr); err != nil {
		return err
	}

	secrets, err := cluster.NewSecrets()
	if err != nil {
		return err
	}
	if r.ring, err = codec.ParseKeyring(secrets.CodecKey); err != nil {
		return err
	}
	issuer, err := auth.NewIssuer([]byte(secrets.TokenSecret))
	if err != nil {
		return err
	}
	if r.keys, err = pseudonym.ParseKey(secrets.PersonKey); err != nil {
		return err
	}
	exe := r.cfg.Tuntas
	if exe == "" {
		exe = r.cfg.Exe
	}
	r.logf("starting 2 workers and 2 APIs")
	if r.tuntas, err = cluster.StartTuntas(ctx, cluster.TuntasConfig{Exe: exe, ChildEnv: r.cfg.ChildEnv, Logs: logs, Secrets: secrets,
		TemporalAddress: r.proxies.temporal.Listen, MongoURI: "mongodb://" + r.proxies.mongo.Listen + "/"}); err != nil {
		return err
	}
	r.workers, r.apis, r.urls, r.env = r.tuntas.Workers, r.tuntas.APIs, r.tuntas.URLs, r.tuntas.Env
	// The checks read the truth past the proxies: the run's own view must
	// not suffer the faults it injects.
	if r.temporal, err = client.DialContext(ctx, client.Options{HostPort: temporalAddr, Namespace: "default",
		DataConverter: codec.DataConverter(r.ring), FailureConverter: codec.FailureConverter(r.ring), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}); err != nil {
		return fmt.Errorf("dial temporal: %w", err)
	}
	if r.store, err = store.Connect(ctx, mongoURI, devDatabase); err != nil {
		return err
	}
	r.phones = newPhones(r.urls, issuer, r.stats)
	return nil
}

// close stops everything the run started, APIs and workers first.
func (r *run) close() {
	if r.temporal != nil {
		r.temporal.Close()
	}
	if r.store != nil {
		_ = r.store.Close(context.Background())
	}
	if r.tuntas != nil {
		r.tuntas.Close()
	}
	if r.proxies != nil {
		r.proxies.close()
	}
	if r.servers != nil {
		r.servers.Stop(30 * time.Second)
	}
	if r.cluster != nil {
		r.cluster.Close()
	}
}

// plan makes the run's households and counts its mix.
func (r *run) plan(rep *Report) {
	gen := synth.New(r.cfg.Seed, int(r.cfg.Seed%28))
	for i := range r.cfg.Households {
		h := &house{i: i, hh: gen.Household(i), plan: bench.PlanFor(i), acked: map[string]int{}}
		r.houses = append(r.houses, h)
		rep.Mix[h.plan.Kind]++
	}
}

// rng is the run's source of choices, from its seed.
func (r *run) rng(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(r.cfg.Seed, stream)) }
