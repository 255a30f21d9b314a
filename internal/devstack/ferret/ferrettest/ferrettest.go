// Package ferrettest gives a package's tests one embedded FerretDB and each
// test a database of its own on it, set up as `tuntas-dev dev` sets up its
// own.
package ferrettest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret"
)

var (
	server    *ferret.Server
	databases atomic.Int64
)

// Main starts the package's FerretDB, runs its tests and stops it. A
// package's TestMain is os.Exit(ferrettest.Main(m)).
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tuntas-ferret-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if server, err = ferret.Start(ferret.Options{Dir: dir}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer server.Stop()
	return m.Run()
}

// URI is the package's FerretDB; Main must be running.
func URI() string { return server.URI }

// Name is a fresh database name for the test, valid for FerretDB.
func Name(t *testing.T) string {
	name := fmt.Sprintf("t%03d_%s", databases.Add(1), strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name()))
	return name[:min(len(name), 63)]
}

// Database connects to a fresh database for the test; the client leaves
// when the test ends (FerretDB gives clients still connected seconds to
// leave when it stops).
func Database(t *testing.T) *mongo.Database {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(server.URI).SetTimeout(15 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client.Database(Name(t))
}

// IndexIDs gives the database's collections, created by then, the SQLite
// _id index FerretDB's lookups need (see ferret.Server.IndexIDs).
func IndexIDs(t testing.TB, database string) {
	t.Helper()
	if err := server.IndexIDs(context.Background(), database); err != nil {
		t.Fatal(err)
	}
}
