package idempotency_test

import (
	"context"
	"os"
	"testing"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/idempotency"
)

func TestMain(m *testing.M) { os.Exit(ferrettest.Main(m)) }

// newStore returns the answers of a fresh database, set up as `tuntas-dev dev`
// sets up its own: the collection, then the SQLite _id index.
func newStore(t *testing.T) *idempotency.Store {
	t.Helper()
	db := ferrettest.Database(t)
	st := idempotency.New(db)
	if err := st.EnsureCollection(context.Background()); err != nil {
		t.Fatal(err)
	}
	ferrettest.IndexIDs(t, db.Name())
	return st
}
