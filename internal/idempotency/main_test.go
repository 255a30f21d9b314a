package idempotency_test

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
	"github.com/tuntas-id/tuntas/internal/idempotency"
)

// ferretDB is the one embedded FerretDB of the package's tests; each test
// gets a database of its own on it (see newStore).
var ferretDB *ferret.Server

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tuntas-idempotency-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ferretDB, err = ferret.Start(ferret.Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	ferretDB.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var databases atomic.Int64

// newStore returns the answers of a fresh database, set up as `tuntas dev`
// sets up its own: the collection, then the SQLite _id index.
func newStore(t *testing.T) *idempotency.Store {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("t%03d_%s", databases.Add(1), strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name()))
	name = name[:min(len(name), 63)]
	client, err := mongo.Connect(options.Client().ApplyURI(ferretDB.URI).SetTimeout(15 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	// FerretDB gives clients still connected seconds to leave when it stops.
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	st := idempotency.New(client.Database(name))
	if err := st.EnsureCollection(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ferretDB.IndexIDs(ctx, name); err != nil {
		t.Fatal(err)
	}
	return st
}
