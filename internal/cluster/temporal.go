package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tuntas-id/tuntas/deploy"
)

// Temporal's databases, as the image's DBNAME and VISIBILITY_DBNAME
// default them.
const (
	temporalDB   = "temporal"
	visibilityDB = "temporal_visibility"
	temporalUser = "temporal"
)

// Namespace is the namespace the cluster creates, with Retention, as
// docker-compose.yml's DEFAULT_NAMESPACE_RETENTION does.
const (
	Namespace = "default"
	Retention = 720 * time.Hour
)

// setUpTemporalSchemas creates Temporal's two databases and their schemas
// with Temporal's own SQL tool, as its admin-tools image does: create the
// database, set up the versioning tables, then update to the newest
// version of the schema embedded in the tool.
func (s *Servers) setUpTemporalSchemas(ctx context.Context) error {
	for _, db := range []struct{ name, schema string }{
		{temporalDB, "postgresql/v12/temporal"},
		{visibilityDB, "postgresql/v12/visibility"},
	} {
		for _, step := range [][]string{
			{"create-database"},
			{"setup-schema", "--version", "0.0"},
			{"update-schema", "--schema-name", db.schema},
		} {
			args := append([]string{"--plugin", "postgres12", "--endpoint", "127.0.0.1", "--port", strconv.Itoa(s.Postgres.Port),
				"--user", temporalUser, "--password", s.temporalPassword, "--database", db.name}, step...)
			cmd := exec.CommandContext(ctx, s.cfg.Bin.SQLTool, args...)
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("temporal-sql-tool %s on %s: %w: %s", step[0], db.name, err, Tail(string(out), 800))
			}
		}
	}
	return nil
}

// temporalPorts are the ports of one Temporal service process.
type temporalPorts struct{ grpc, membership int }

// startTemporal starts Temporal's services as separate processes of the
// server binary, each configured by the environment keys the
// temporalio/server image takes (the server's embedded configuration
// template reads them): one frontend, s.cfg.HistoryHosts history hosts,
// one matching, one internal worker. They find each other through the
// database (the cluster_membership table).
func (s *Servers) startTemporal(ctx context.Context) error {
	dir := filepath.Join(s.cfg.Dir, "temporal")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	dynamic := filepath.Join(dir, "dynamicconfig.yaml")
	if err := os.WriteFile(dynamic, deploy.TemporalDynamicConfig, 0o600); err != nil {
		return err
	}
	n := 3 + s.cfg.HistoryHosts
	ports, err := freeLowPorts(2*n + 1)
	if err != nil {
		return err
	}
	at := func(i int) temporalPorts { return temporalPorts{grpc: ports[2*i], membership: ports[2*i+1]} }
	frontend, matching, worker := at(0), at(1), at(2)
	frontendHTTP := ports[2*n]
	s.TemporalAddress = "127.0.0.1:" + strconv.Itoa(frontend.grpc)
	logLevel := s.cfg.TemporalLogLevel
	if logLevel == "" {
		logLevel = "warn"
	}
	common := []string{
		"DB=postgres12",
		"DB_PORT=" + strconv.Itoa(s.Postgres.Port),
		"POSTGRES_SEEDS=127.0.0.1",
		"POSTGRES_USER=" + temporalUser,
		"POSTGRES_PWD=" + s.temporalPassword,
		"DBNAME=" + temporalDB,
		"VISIBILITY_DBNAME=" + visibilityDB,
		"NUM_HISTORY_SHARDS=" + strconv.Itoa(s.cfg.Shards),
		"BIND_ON_IP=127.0.0.1",
		"TEMPORAL_BROADCAST_ADDRESS=127.0.0.1",
		"FRONTEND_GRPC_PORT=" + strconv.Itoa(frontend.grpc),
		"FRONTEND_MEMBERSHIP_PORT=" + strconv.Itoa(frontend.membership),
		"FRONTEND_HTTP_PORT=" + strconv.Itoa(frontendHTTP),
		"MATCHING_GRPC_PORT=" + strconv.Itoa(matching.grpc),
		"MATCHING_MEMBERSHIP_PORT=" + strconv.Itoa(matching.membership),
		"WORKER_GRPC_PORT=" + strconv.Itoa(worker.grpc),
		"WORKER_MEMBERSHIP_PORT=" + strconv.Itoa(worker.membership),
		"DYNAMIC_CONFIG_FILE_PATH=" + dynamic,
		"LOG_LEVEL=" + logLevel,
	}
	service := func(name, svc string, p temporalPorts, extra ...string) *Process {
		return &Process{Name: name, Exe: s.cfg.Bin.TemporalServer, Dir: dir, Logs: s.logs,
			Args: []string{"--allow-no-auth", "start", "--service", svc},
			Env:  append(append(append([]string{}, s.cfg.ChildEnv...), common...), extra...),
			// A service is up once its gRPC port answers; the cluster is
			// up once the frontend takes the namespace (see below).
			Ready: Listening("127.0.0.1:" + strconv.Itoa(p.grpc))}
	}
	s.Frontend = service("temporal-frontend", "frontend", frontend)
	for i := range s.cfg.HistoryHosts {
		p := at(3 + i)
		s.History = append(s.History, service(fmt.Sprintf("temporal-history%d", i+1), "history", p,
			"HISTORY_GRPC_PORT="+strconv.Itoa(p.grpc), "HISTORY_MEMBERSHIP_PORT="+strconv.Itoa(p.membership)))
	}
	s.Matching = service("temporal-matching", "matching", matching)
	s.Worker = service("temporal-worker", "worker", worker)
	// History first: it owns the shards everything else waits on.
	for _, p := range s.TemporalProcesses() {
		s.logf("starting %s", p.Name)
		if err := p.Start(ctx, 3*time.Minute); err != nil {
			return err
		}
	}
	return s.ensureNamespace(ctx)
}

// TemporalProcesses are Temporal's service processes: history hosts
// first, then matching, the frontend and the internal worker.
func (s *Servers) TemporalProcesses() []*Process {
	var ps []*Process
	ps = append(ps, s.History...)
	return append(ps, s.Matching, s.Frontend, s.Worker)
}

// ensureNamespace registers Namespace with Retention, unless it exists,
// and waits until the frontend describes it.
func (s *Servers) ensureNamespace(ctx context.Context) error {
	nc, err := client.NewNamespaceClient(client.Options{HostPort: s.TemporalAddress,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return fmt.Errorf("temporal: %w", err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	registered := false
	for {
		if !registered {
			err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: Namespace,
				WorkflowExecutionRetentionPeriod: durationpb.New(Retention)})
			var exists *serviceerror.NamespaceAlreadyExists
			registered = err == nil || errors.As(err, &exists)
		}
		if registered {
			if _, err = nc.Describe(ctx, Namespace); err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("temporal: namespace %s: %w (last: %v)", Namespace, ctx.Err(), err)
		case <-tick.C:
		}
	}
}
