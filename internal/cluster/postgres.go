package cluster

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresBinEnv names the directory of PostgreSQL's server binaries
// (initdb, postgres, pg_ctl) when they are not where Debian puts them.
const PostgresBinEnv = "TUNTAS_PG_BIN"

// PostgresUserEnv names the unprivileged user PostgreSQL runs as when this
// process is root (PostgreSQL refuses to); default nobody.
const PostgresUserEnv = "TUNTAS_PG_USER"

// ErrNoPostgres is returned by FindPostgres when no PostgreSQL server
// binaries are installed.
var ErrNoPostgres = errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres): apt-get install -y postgresql, or set " + PostgresBinEnv)

// FindPostgres returns the directory of PostgreSQL's server binaries:
// $TUNTAS_PG_BIN, else Debian's /usr/lib/postgresql/<version>/bin (15
// first, then the newest), else the directory of initdb on PATH.
func FindPostgres() (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
			if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv(PostgresBinEnv); dir != "" {
		if !has(dir) {
			return "", fmt.Errorf("%s=%s holds no initdb, pg_ctl and postgres", PostgresBinEnv, dir)
		}
		return dir, nil
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(versions, func(a, b string) int { return pgVersion(b) - pgVersion(a) })
	if i := slices.IndexFunc(versions, func(d string) bool { return pgVersion(d) == 15 }); i > 0 {
		versions[0], versions[i] = versions[i], versions[0]
	}
	for _, d := range versions {
		if has(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", ErrNoPostgres
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Postgres is a throwaway PostgreSQL cluster: its own data directory, a
// free loopback port, password sign-in, run as an unprivileged user when
// this process is root. Its postmaster is a child of this process, so it
// ends with it.
type Postgres struct {
	Bin  string
	Data string
	Port int
	// Superuser's password (user postgres).
	password string
	as       *syscall.Credential
	proc     *Process
	// removeOnStop is the directory made for the cluster when its user
	// could not reach the one asked for.
	removeOnStop string
}

// Settings of the throwaway cluster. Durable keeps fsync on, as
// production must; without it a kill of any process still loses nothing
// (the operating system keeps what was written), only a crash of the
// machine would.
type pgSettings struct {
	Durable bool
}

// startPostgres makes a cluster in dir/data (initdb) and starts it.
func startPostgres(ctx context.Context, dir, logs string, set pgSettings) (*Postgres, error) {
	bin, err := FindPostgres()
	if err != nil {
		return nil, err
	}
	pg := &Postgres{Bin: bin}
	if os.Geteuid() == 0 {
		if pg.as, err = unprivileged(); err != nil {
			return nil, err
		}
		if traversable(filepath.Dir(dir), pg.as.Uid) != nil {
			// Its user cannot reach dir (under a directory of root's
			// alone): the cluster lives in a directory of its own under
			// the system's temporary one, removed when it stops.
			if dir, err = os.MkdirTemp("", "tuntas-postgresql-"); err != nil {
				return nil, err
			}
			pg.removeOnStop = dir
			if err := traversable(filepath.Dir(dir), pg.as.Uid); err != nil {
				return nil, err
			}
		}
	}
	pg.Data = filepath.Join(dir, "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if pg.as != nil {
		if err := os.Chown(dir, int(pg.as.Uid), int(pg.as.Gid)); err != nil {
			return nil, fmt.Errorf("postgresql: hand %s to its user: %w", dir, err)
		}
	}
	secret := make([]byte, 16)
	if _, err := crand.Read(secret); err != nil {
		return nil, err
	}
	pg.password = hex.EncodeToString(secret)
	pwfile := filepath.Join(dir, "superuser.pw")
	if err := os.WriteFile(pwfile, []byte(pg.password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if pg.as != nil {
		if err := os.Chown(pwfile, int(pg.as.Uid), int(pg.as.Gid)); err != nil {
			return nil, err
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", pg.Data, "-U", "postgres", "--pwfile", pwfile,
		"--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: pg.as}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w: %s", err, Tail(string(out), 800))
	}
	_ = os.Remove(pwfile)
	ports, err := FreePorts(1)
	if err != nil {
		return nil, err
	}
	pg.Port = ports[0]
	fsync := "off"
	if set.Durable {
		fsync = "on"
	}
	pg.proc = &Process{Name: "postgresql", Exe: filepath.Join(bin, "postgres"), Logs: logs, As: pg.as, Dir: dir,
		Args: []string{"-D", pg.Data,
			"-c", "listen_addresses=127.0.0.1", "-c", "port=" + strconv.Itoa(pg.Port),
			// Its socket beside its data, not in /var/run/postgresql.
			"-c", "unix_socket_directories=" + dir,
			// Five Temporal processes keep up to 30 connections each (20 to
			// the executions' database, 10 to visibility's), FerretDB a pool.
			"-c", "max_connections=300",
			"-c", "fsync=" + fsync, "-c", "full_page_writes=" + fsync,
		},
		Ready: LogSays("database system is ready to accept connections")}
	// A log file the postmaster (another user) writes to is opened here,
	// before the switch of user, so it may live in a directory of root's.
	if err := pg.proc.Start(ctx, 2*time.Minute); err != nil {
		return nil, err
	}
	return pg, nil
}

// traversable checks that the user uid can reach what lies under dir:
// every directory from the root down to it lets others (or uid) pass.
func traversable(dir string, uid uint32) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := abs; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().Perm()&0o001 == 0 && (st == nil || st.Uid != uid) {
			return fmt.Errorf("postgresql runs as uid %d, which cannot pass through %s (mode %v)", uid, d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// unprivileged is the user PostgreSQL runs as when this process is root.
func unprivileged() (*syscall.Credential, error) {
	name := os.Getenv(PostgresUserEnv)
	if name == "" {
		name = "nobody"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("postgresql runs as an unprivileged user: %w (set %s)", err, PostgresUserEnv)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if uid == 0 {
		return nil, fmt.Errorf("%s=%s is root: postgresql refuses to run as root", PostgresUserEnv, name)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// Process is the postmaster.
func (pg *Postgres) Process() *Process { return pg.proc }

// Addr is the cluster's host:port.
func (pg *Postgres) Addr() string { return "127.0.0.1:" + strconv.Itoa(pg.Port) }

// URL is a connection URL for user to database.
func (pg *Postgres) URL(usr, password, database string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", usr, password, pg.Addr(), database)
}

// Superuser connects as the superuser to database.
func (pg *Postgres) Superuser(ctx context.Context, database string) (*pgx.Conn, error) {
	c, err := pgx.Connect(ctx, pg.URL("postgres", pg.password, database))
	if err != nil {
		return nil, fmt.Errorf("postgresql: connect to %s: %w", database, err)
	}
	return c, nil
}

// createRole creates a role that signs in with password; createdb lets it
// create databases (Temporal's schema tool creates its own).
func (pg *Postgres) createRole(ctx context.Context, name, password string, createdb bool) error {
	c, err := pg.Superuser(ctx, "postgres")
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	opts := "LOGIN"
	if createdb {
		opts += " CREATEDB"
	}
	// Role names and passwords are the launcher's own (hex), not input.
	if _, err := c.Exec(ctx, fmt.Sprintf("CREATE ROLE %s %s PASSWORD '%s'", pgx.Identifier{name}.Sanitize(), opts, password)); err != nil {
		return fmt.Errorf("postgresql: create role %s: %w", name, err)
	}
	return nil
}

// createDatabase creates database owned by owner.
func (pg *Postgres) createDatabase(ctx context.Context, name, owner string) error {
	c, err := pg.Superuser(ctx, "postgres")
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s OWNER %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{owner}.Sanitize())); err != nil {
		return fmt.Errorf("postgresql: create database %s: %w", name, err)
	}
	return nil
}

// DatabaseSizes is pg_database_size of every database but the templates.
func (pg *Postgres) DatabaseSizes(ctx context.Context) (map[string]int64, error) {
	c, err := pg.Superuser(ctx, "postgres")
	if err != nil {
		return nil, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	rows, err := c.Query(ctx, "SELECT datname, pg_database_size(datname) FROM pg_database WHERE NOT datistemplate")
	if err != nil {
		return nil, fmt.Errorf("postgresql: database sizes: %w", err)
	}
	sizes := map[string]int64{}
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			return nil, err
		}
		sizes[name] = size
	}
	return sizes, rows.Err()
}

// StopImmediate stops the cluster with `pg_ctl stop -m immediate`: every
// backend ends at once and nothing is flushed, so the next Start recovers
// from the WAL, as after a crash. The two make `pg_ctl restart -m
// immediate`, with the new postmaster kept a child of this process.
func (pg *Postgres) StopImmediate(ctx context.Context) error {
	if err := pg.ctl(ctx, "stop", "-m", "immediate"); err != nil {
		return err
	}
	pg.proc.Wait()
	return nil
}

// Start starts the cluster again on its data directory and port.
func (pg *Postgres) Start(ctx context.Context) error {
	return pg.proc.Start(ctx, 2*time.Minute)
}

// Stop shuts the cluster down (fast mode: clients are disconnected, the
// data flushed), killing it after a minute.
func (pg *Postgres) Stop() {
	if pg == nil || pg.proc == nil {
		return
	}
	pg.proc.Signal(syscall.SIGINT, time.Minute)
	if pg.removeOnStop != "" {
		_ = os.RemoveAll(pg.removeOnStop)
	}
}

// ctl runs pg_ctl on the cluster as its user.
func (pg *Postgres) ctl(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(pg.Bin, "pg_ctl"), append([]string{"-D", pg.Data, "-w", "-t", "60"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.as}
	cmd.Dir = filepath.Dir(pg.Data)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %s: %w: %s", strings.Join(args, " "), err, Tail(string(out), 500))
	}
	return nil
}
