// Package ferret runs FerretDB v1.24 (SQLite backend) inside the current
// process, speaking the MongoDB wire protocol on a loopback port, and gives
// its SQLite tables the _id index FerretDB's own lookups need. The dev stack
// runs it beside Temporal; the read model's tests run it alone. It imports
// nothing of Temporal, so a test binary that needs only MongoDB does not
// link the Temporal server.
package ferret

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite" // the driver FerretDB's SQLite backend uses
)

// Options configures Start. The zero value of each optional field is documented.
type Options struct {
	// Dir holds FerretDB's SQLite files, one per database. Required.
	Dir string
	// Host is the address to listen on; default 127.0.0.1.
	Host string
	// Port is the port to listen on; 0 picks a free port.
	Port int
	// Logger receives FerretDB's log; default discards it.
	Logger *slog.Logger
}

// ClientConns is how many connections a client of the URI opens at most
// (maxPoolSize). FerretDB gives each its own SQLite connection, and SQLite
// lets one of them write at a time: the others sleep in its busy handler,
// 1, 2, 5, then 10 ms and more, before they try again, while the CPU waits
// with them. Two connections, one writing while the other reads or waits
// its turn in the client, imported 4,000 rows at 79 cases/s where the
// driver's default of 100 gave 64 (one gave 74).
const ClientConns = 2

// Server is a running FerretDB.
type Server struct {
	// URI is a mongodb:// URI for the server, with the port it listens on
	// and ClientConns.
	URI string

	dir  string
	stop context.CancelFunc
	done chan struct{}
}

// Start runs FerretDB. It is listening when Start returns (connections
// made before it accepts them wait in the listen queue). Stop must be
// called to release the SQLite files.
func Start(opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("ferret: Dir is required")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("ferret: dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ferret: dir: %w", err)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))},
		Handler:  "sqlite",
		// synchronous(normal), as Temporal's SQLite here: in WAL mode a
		// commit is then not an fsync of its own. A killed process loses
		// nothing (the WAL is in the kernel's cache); a machine that loses
		// power may lose its last commits, never the database. FerretDB
		// leaves SQLite's default (full), an fsync per write.
		SQLiteURL: "file:" + dir + "/?_pragma=synchronous(normal)",
		Logger:    opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("ferret: %w", err)
	}
	uri, err := url.Parse(f.MongoDBURI())
	if err != nil {
		return nil, fmt.Errorf("ferret: uri: %w", err)
	}
	q := uri.Query()
	q.Set("maxPoolSize", strconv.Itoa(ClientConns))
	uri.RawQuery = q.Encode()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{URI: uri.String(), dir: dir, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = f.Run(ctx)
	}()
	return s, nil
}

// Stop shuts FerretDB down and returns once its files are closed. FerretDB
// gives clients still connected three seconds to leave, so disconnect them
// first. Calling Stop again does nothing.
func (s *Server) Stop() {
	if s == nil || s.stop == nil {
		return
	}
	s.stop()
	<-s.done
	s.stop = nil
}

// IndexIDs gives every collection of database an SQLite index on the
// expression FerretDB v1.24 filters _id with (_ferretdb_sjson->'$._id').
// FerretDB's own _id index is on a differently written expression that
// SQLite does not match, so without this every read or write by _id parses
// every document of the collection. FerretDB does not know these indexes;
// they live and go with their tables. Collections created later get theirs
// at the next call.
func (s *Server) IndexIDs(ctx context.Context, database string) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, database+".sqlite")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("ferret: open %s: %w", database, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return fmt.Errorf("ferret: list tables of %s: %w", database, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("ferret: list tables of %s: %w", database, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("ferret: list tables of %s: %w", database, err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_tuntas_id_path", t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("ferret: index %s: %w", t, err)
		}
	}
	return nil
}

// IDQueryPlan returns SQLite's plan for FerretDB's lookup by _id in
// collection of database, to check that IndexIDs took effect.
func (s *Server) IDQueryPlan(ctx context.Context, database, collection string) (string, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, database+".sqlite")+"?mode=ro")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var table string
	if err := db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table); err != nil {
		return "", fmt.Errorf("ferret: table of %s: %w", collection, err)
	}
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), `"x"`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; "), rows.Err()
}
