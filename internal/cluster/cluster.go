// Package cluster owns the production topology on one machine: a
// throwaway PostgreSQL cluster (Debian's postgresql package, run as an
// unprivileged user), Temporal's own server binary as separate service
// processes on it (one frontend, two history hosts, one matching, one
// internal worker, membership through the database, configured by the
// environment keys the temporalio/server image takes), FerretDB's own
// binary on the same PostgreSQL as the MongoDB endpoint, and `tuntas
// worker` and `tuntas api` processes configured by environment alone.
// `tuntas-dev cluster` starts it; the chaos run breaks it and the bench
// measures it. Every process is a child that ends with the launcher.
package cluster

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/pseudonym"
)

// Config sets up the servers.
type Config struct {
	// Dir holds PostgreSQL's data, FerretDB's state and every process's
	// log (under logs/). Required.
	Dir string
	// Bin are the built binaries (Build); TemporalServer, SQLTool and
	// FerretDB are required.
	Bin Binaries
	// HistoryHosts (default 2) share Shards history shards (default 16).
	HistoryHosts int
	Shards       int
	// WithoutFerretDB starts Temporal alone (the bench's engine floor
	// needs no MongoDB endpoint); WithoutTemporal starts FerretDB alone
	// (a test of the read model on PostgreSQL needs no Temporal).
	WithoutFerretDB bool
	WithoutTemporal bool
	// Durable keeps PostgreSQL's fsync on, as production must; off, a
	// killed process still loses nothing, only a crash of the machine
	// would.
	Durable bool
	// TemporalLogLevel is the Temporal services' LOG_LEVEL; default warn.
	TemporalLogLevel string
	// ChildEnv is added to every child's environment.
	ChildEnv []string
	// Progress receives a line per step; nil discards.
	Progress io.Writer
}

// Servers are the topology's servers: PostgreSQL, Temporal's services
// and FerretDB.
type Servers struct {
	Postgres *Postgres
	Frontend *Process
	History  []*Process
	Matching *Process
	Worker   *Process
	FerretDB *Process

	// TemporalAddress is the frontend's host:port; MongoURI FerretDB's.
	TemporalAddress string
	MongoURI        string

	cfg              Config
	logs             string
	temporalPassword string
}

// FerretDatabase is the PostgreSQL database FerretDB keeps the read model
// in (one PostgreSQL schema per MongoDB database).
const FerretDatabase = "ferretdb"

// StartServers starts PostgreSQL, creates Temporal's schemas, starts
// Temporal's services and, unless told not to, FerretDB; on error
// everything started is stopped again.
func StartServers(ctx context.Context, cfg Config) (_ *Servers, err error) {
	if cfg.Dir == "" || (cfg.Bin.TemporalServer == "" || cfg.Bin.SQLTool == "") && !cfg.WithoutTemporal || cfg.Bin.FerretDB == "" && !cfg.WithoutFerretDB {
		return nil, errors.New("cluster: Dir and the servers' binaries are required")
	}
	if cfg.HistoryHosts <= 0 {
		cfg.HistoryHosts = 2
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 16
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Dir, err = filepath.Abs(cfg.Dir); err != nil {
		return nil, err
	}
	s := &Servers{cfg: cfg, logs: filepath.Join(cfg.Dir, "logs")}
	if err := os.MkdirAll(s.logs, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// PostgreSQL runs as another user and must pass through Dir (if it
		// cannot reach it all the same, it lives elsewhere: startPostgres).
		if err := os.Chmod(cfg.Dir, 0o711); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Postgres, err = startPostgres(ctx, filepath.Join(cfg.Dir, "postgresql"), s.logs, pgSettings{Durable: cfg.Durable}); err != nil {
		return nil, err
	}
	s.logf("started PostgreSQL (data in %s)", s.Postgres.Data)
	if !cfg.WithoutTemporal {
		s.temporalPassword = randomHex()
		if err := s.Postgres.createRole(ctx, temporalUser, s.temporalPassword, true); err != nil {
			return nil, err
		}
		s.logf("creating Temporal's schemas with temporal-sql-tool")
		if err := s.setUpTemporalSchemas(ctx); err != nil {
			return nil, err
		}
		if err := s.startTemporal(ctx); err != nil {
			return nil, err
		}
	}
	if !cfg.WithoutFerretDB {
		if err := s.startFerretDB(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// startFerretDB starts FerretDB's own binary on its PostgreSQL backend,
// in a database and role of its own.
func (s *Servers) startFerretDB(ctx context.Context) error {
	password := randomHex()
	if err := s.Postgres.createRole(ctx, "ferretdb", password, false); err != nil {
		return err
	}
	if err := s.Postgres.createDatabase(ctx, FerretDatabase, "ferretdb"); err != nil {
		return err
	}
	ports, err := FreePorts(2)
	if err != nil {
		return err
	}
	state := filepath.Join(s.cfg.Dir, "ferretdb")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	s.MongoURI = "mongodb://" + addr + "/"
	s.FerretDB = &Process{Name: "ferretdb", Exe: s.cfg.Bin.FerretDB, Logs: s.logs, Env: s.cfg.ChildEnv,
		Args: []string{"--handler=postgresql", "--postgresql-url=" + s.Postgres.URL("ferretdb", password, FerretDatabase),
			"--listen-addr=" + addr, "--state-dir=" + state, "--debug-addr=127.0.0.1:" + strconv.Itoa(ports[1]),
			"--telemetry=disable", "--log-level=warn"},
		Ready: Listening(addr)}
	s.logf("starting FerretDB on PostgreSQL (%s)", addr)
	return s.FerretDB.Start(ctx, 2*time.Minute)
}

// Processes are every server process, PostgreSQL's postmaster first.
func (s *Servers) Processes() []*Process {
	var ps []*Process
	if s.Postgres != nil && s.Postgres.proc != nil {
		ps = append(ps, s.Postgres.proc)
	}
	for _, p := range s.TemporalProcesses() {
		if p != nil {
			ps = append(ps, p)
		}
	}
	if s.FerretDB != nil {
		ps = append(ps, s.FerretDB)
	}
	return ps
}

// Close stops FerretDB and Temporal's services, then PostgreSQL.
func (s *Servers) Close() {
	var wg sync.WaitGroup
	for _, p := range s.Processes() {
		if s.Postgres != nil && p == s.Postgres.proc {
			continue
		}
		wg.Go(func() { p.Stop(20 * time.Second) })
	}
	wg.Wait()
	s.Postgres.Stop()
}

// Logs is the directory of every process's log.
func (s *Servers) Logs() string { return s.logs }

func (s *Servers) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Progress, format+"\n", args...)
}

func randomHex() string {
	b := make([]byte, 16)
	if _, err := crand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

// Secrets are the keys a Tuntas deployment needs, made for one run.
type Secrets struct {
	CodecKey     string
	PersonKey    string
	TokenSecret  string
	DeviceSecret string
}

// NewSecrets makes fresh keys.
func NewSecrets() (Secrets, error) {
	codecKey, err := codec.NewKeySpec("k1")
	if err != nil {
		return Secrets{}, err
	}
	personKey, err := pseudonym.NewKeySpec()
	if err != nil {
		return Secrets{}, err
	}
	return Secrets{CodecKey: codecKey, PersonKey: personKey, TokenSecret: randomHex() + randomHex(),
		DeviceSecret: randomHex() + randomHex()}, nil
}

// TuntasConfig sets up the Tuntas processes.
type TuntasConfig struct {
	// Exe runs `Exe api` and `Exe worker`: the production binary, or one
	// with its commands (tuntas-dev, a test binary told so by ChildEnv).
	Exe      string
	ChildEnv []string
	// Workers and APIs are how many of each (default 2 and 2).
	Workers, APIs int
	// WorkerArgs and APIArgs follow the command's name.
	WorkerArgs, APIArgs []string
	// TemporalAddress and MongoURI are where the processes connect (the
	// servers', or proxies in front of them).
	TemporalAddress, MongoURI string
	Secrets                   Secrets
	// Logs is the directory of their logs.
	Logs string
}

// Tuntas are the api and worker processes.
type Tuntas struct {
	Workers []*Process
	APIs    []*Process
	// URLs are the APIs' base URLs, in the order of APIs.
	URLs []string
	// Env is the environment every process was given: what `tuntas
	// reconcile` needs to run against the same servers.
	Env []string
}

// Database is the MongoDB database of the read model.
const Database = "tuntas"

// StartTuntas starts the workers, then the APIs, each configured by
// environment alone, and waits until every API is ready.
func StartTuntas(ctx context.Context, cfg TuntasConfig) (_ *Tuntas, err error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.APIs <= 0 {
		cfg.APIs = 2
	}
	t := &Tuntas{}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	t.Env = append(append([]string{}, cfg.ChildEnv...),
		"TEMPORAL_ADDRESS="+cfg.TemporalAddress,
		"TEMPORAL_NAMESPACE="+Namespace,
		"MONGODB_URI="+cfg.MongoURI,
		"MONGODB_DATABASE="+Database,
		"TUNTAS_CODEC_KEY="+cfg.Secrets.CodecKey,
		"TUNTAS_PERSON_KEY="+cfg.Secrets.PersonKey,
		"TUNTAS_TOKEN_SECRET="+cfg.Secrets.TokenSecret,
		// One device secret for every api process, as production sets it:
		// a phone's outbox is opened by whichever answers.
		"TUNTAS_DEVICE_SECRET="+cfg.Secrets.DeviceSecret,
	)
	ports, err := FreePorts(cfg.APIs)
	if err != nil {
		return nil, err
	}
	for i := range cfg.Workers {
		t.Workers = append(t.Workers, &Process{Name: fmt.Sprintf("worker%d", i+1), Exe: cfg.Exe, Args: append([]string{"worker"}, cfg.WorkerArgs...),
			Env: t.Env, Logs: cfg.Logs, Ready: LogSays("worker running")})
	}
	for i := range cfg.APIs {
		addr := "127.0.0.1:" + strconv.Itoa(ports[i])
		url := "http://" + addr
		t.URLs = append(t.URLs, url)
		t.APIs = append(t.APIs, &Process{Name: fmt.Sprintf("api%d", i+1), Exe: cfg.Exe, Args: append([]string{"api"}, cfg.APIArgs...),
			Env: append(append([]string{}, t.Env...), "TUNTAS_HTTP_ADDR="+addr), Logs: cfg.Logs, Ready: Readyz(url)})
	}
	for _, p := range append(append([]*Process{}, t.Workers...), t.APIs...) {
		if err := p.Start(ctx, 3*time.Minute); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Close stops the APIs and the workers.
func (t *Tuntas) Close() {
	var wg sync.WaitGroup
	for _, p := range append(append([]*Process{}, t.APIs...), t.Workers...) {
		wg.Go(func() { p.Stop(20 * time.Second) })
	}
	wg.Wait()
}
