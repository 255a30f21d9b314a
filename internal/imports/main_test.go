package imports_test

import (
	"context"
	"os"
	"testing"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/imports"
)

func TestMain(m *testing.M) { os.Exit(ferrettest.Main(m)) }

// newStore returns the imports of a fresh database, set up as `tuntas-dev dev`
// sets up its own: collections and indexes, then the SQLite _id index.
func newStore(t *testing.T) *imports.Store {
	t.Helper()
	db := ferrettest.Database(t)
	st := imports.New(db)
	if err := st.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	ferrettest.IndexIDs(t, db.Name())
	return st
}
