// Package devstack runs the two servers Tuntas depends on inside the current
// process: a real Temporal server persisted to SQLite and FerretDB (SQLite
// backend) speaking the MongoDB wire protocol. It backs `tuntas-dev dev` and
// the integration tests; production runs against a Temporal cluster and
// MongoDB; the tuntas binary does not link it.
// FerretDB itself lives in the ferret subpackage, which tests that need only
// MongoDB use alone.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret"
)

// Options configures Start. The zero value of each optional field is documented.
type Options struct {
	// Dir holds all state: temporal.db, the FerretDB directory and logs. Required.
	Dir string
	// Host is the loopback address both servers bind to; default 127.0.0.1.
	Host string
	// TemporalPort is the frontend gRPC port; 0 picks a free port.
	TemporalPort int
	// MongoPort is FerretDB's port; 0 picks a free port.
	MongoPort int
	// Namespace is created (if missing) on every start; default "default".
	Namespace string
	// SearchAttributes are registered in the namespace on first creation.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Retention is how long Temporal keeps a closed workflow's history
	// before deleting it; default DefaultRetention. It is applied on every
	// start, so a data directory created under another retention takes
	// this one.
	Retention time.Duration
	// SuggestContinueAsNewAfter is the count of history events at which
	// Temporal asks a run to continue as new; the server's default (4,096)
	// when zero. Tests lower it to take cases through several runs.
	SuggestContinueAsNewAfter int
	// Logger receives FerretDB's log; default discards it. Temporal's own log
	// goes to Dir/temporal.log at warn level.
	Logger *slog.Logger
}

// Stack is a running pair of servers.
type Stack struct {
	// TemporalAddress is host:port of the Temporal frontend.
	TemporalAddress string
	// Namespace is the Temporal namespace that was ensured.
	Namespace string
	// MongoURI is a mongodb:// URI for FerretDB.
	MongoURI string

	temporal temporal.Server
	ferret   *ferret.Server
}

// Start brings up FerretDB and then Temporal. It returns once both accept
// connections. Stop must be called to release the SQLite files.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.Dir == "" {
		return nil, errors.New("devstack: Dir is required")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("devstack: data dir: %w", err)
	}
	f, err := ferret.Start(ferret.Options{Dir: filepath.Join(dir, "ferretdb"), Host: opts.Host, Port: opts.MongoPort, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	s := &Stack{Namespace: opts.Namespace, MongoURI: f.URI, ferret: f}
	if err := s.startTemporal(opts, dir); err != nil {
		f.Stop()
		return nil, err
	}
	if err := waitTCP(ctx, s.TemporalAddress); err != nil {
		s.Stop()
		return nil, err
	}
	if err := ensureRetention(ctx, s.TemporalAddress, opts.Namespace, opts.Retention); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop shuts Temporal down, then FerretDB.
func (s *Stack) Stop() {
	if s.temporal != nil {
		_ = s.temporal.Stop()
	}
	s.ferret.Stop()
}

func (s *Stack) startTemporal(opts Options, dir string) error {
	host := opts.Host
	frontendPort := opts.TemporalPort
	ports, err := freePorts(host, 5)
	if err != nil {
		return err
	}
	if frontendPort == 0 {
		frontendPort = ports[0]
	}
	s.TemporalAddress = net.JoinHostPort(host, strconv.Itoa(frontendPort))

	sqlCfg := sqliteConfig(filepath.Join(dir, TemporalDB))
	visCfg := sqliteConfig(filepath.Join(dir, VisibilityDB))
	_, err = os.Stat(sqlCfg.DatabaseName)
	fresh := errors.Is(err, os.ErrNotExist)
	if _, err := os.Stat(visCfg.DatabaseName); err != nil && !fresh {
		// A data directory made before visibility had its own file keeps
		// it in temporal.db.
		visCfg = sqlCfg
	}
	for _, c := range []*config.SQL{sqlCfg, visCfg} {
		if _, err := os.Stat(c.DatabaseName); errors.Is(err, os.ErrNotExist) {
			if err := sqliteschema.SetupSchema(c); err != nil {
				return fmt.Errorf("devstack: temporal schema: %w", err)
			}
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return fmt.Errorf("devstack: namespace: %w", err)
	}
	ns.Detail.Config.Retention = durationpb.New(opts.Retention)
	if err := sqliteschema.CreateNamespaces(sqlCfg, ns); err != nil {
		return fmt.Errorf("devstack: namespace: %w", err)
	}
	if fresh {
		// The namespace's columns are known only now, on first creation.
		if _, err := pruneVisibilityIndexes(context.Background(), visCfg.DatabaseName, ns.Detail.Config.CustomSearchAttributeAliases); err != nil {
			return err
		}
	}

	service := func(port, httpPort int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: host, HTTPPort: httpPort}}
	}
	cfg := &config.Config{
		Global: config.Global{Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host}},
		Persistence: config.Persistence{
			DefaultStore:     "sqlite",
			VisibilityStore:  "visibility",
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{"sqlite": {SQL: sqlCfg}, "visibility": {SQL: visCfg}},
		},
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             s.TemporalAddress,
				HTTPAddress:            net.JoinHostPort(host, strconv.Itoa(ports[1])),
				ClusterID:              "tuntas-dev",
			}},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": service(frontendPort, ports[1]),
			"history":  service(ports[2], 0),
			"matching": service(ports[3], 0),
			"worker":   service(ports[4], 0),
		},
		PublicClient: config.PublicClient{HostPort: s.TemporalAddress},
	}
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"

	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range cfg.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	logger := tlog.NewZapLogger(tlog.BuildZapLogger(tlog.Config{
		Level:      "warn",
		Format:     "json",
		OutputFile: filepath.Join(dir, "temporal.log"),
	}))
	// The namespace has its search attributes before the server starts,
	// so the server's cache of them may stay a cache: forcing a refresh on
	// every read (system.forceSearchAttributesCacheRefreshOnRead, meant for
	// tests of attribute changes) cost 2% of the CPU of a bench and 3.6% of
	// an import.
	dyn := dynamicconfig.StaticClient{
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8192,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 200,
		// A list names a family card once, but people open the same card
		// at once (50 in a test): beyond the default 10 updates in flight
		// per case, the SDK backs off on ResourceExhausted until requests
		// time out.
		dynamicconfig.WorkflowExecutionMaxInFlightUpdates.Key(): 100,
		// One matching host needs no task queue partitions: with the
		// default four, a task and a poll that land on different
		// partitions meet only after one is forwarded to the root, and a
		// task backlogged on a partition waits for a poll to land there.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
	if opts.SuggestContinueAsNewAfter > 0 {
		dyn[dynamicconfig.HistoryCountSuggestContinueAsNew.Key()] = opts.SuggestContinueAsNewAfter
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dyn),
	)
	if err != nil {
		return fmt.Errorf("devstack: temporal: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("devstack: temporal start: %w", err)
	}
	s.temporal = srv
	return nil
}

const clusterName = "active"

// The Temporal server's SQLite files in a data directory: its executions
// and, apart so that its writes do not wait on theirs, its visibility
// records.
const (
	TemporalDB   = "temporal.db"
	VisibilityDB = "visibility.db"
)

func sqliteConfig(file string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: file,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
			"busy_timeout": "10000",
		},
	}
}

// IndexIDs gives every collection of database the SQLite index FerretDB's
// lookups by _id need; see ferret.Server.IndexIDs. Collections created
// later get theirs at the next start.
func (s *Stack) IndexIDs(ctx context.Context, database string) error {
	return s.ferret.IndexIDs(ctx, database)
}

// IDQueryPlan returns SQLite's plan for FerretDB's lookup by _id in
// collection of database, to check that IndexIDs took effect.
func (s *Stack) IDQueryPlan(ctx context.Context, database, collection string) (string, error) {
	return s.ferret.IDQueryPlan(ctx, database, collection)
}

// freePorts reserves n distinct free TCP ports on host. The listeners are
// closed before returning, so a port can in theory be taken by another
// process before the server binds it; on a loopback dev machine that race is
// accepted.
func freePorts(host string, n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("devstack: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func waitTCP(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var d net.Dialer
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devstack: %s not reachable: %w", addr, err)
		case <-t.C:
		}
	}
}
