package claims_test

import (
	"context"
	"os"
	"testing"

	"github.com/tuntas-id/tuntas/internal/claims"
	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
)

func TestMain(m *testing.M) { os.Exit(ferrettest.Main(m)) }

// newStore returns the claims of a fresh database, set up as `tuntas-dev dev`
// sets up its own: the collection, then the SQLite _id index.
func newStore(t *testing.T) *claims.Store {
	t.Helper()
	db := ferrettest.Database(t)
	st := claims.New(db)
	if err := st.EnsureCollection(context.Background()); err != nil {
		t.Fatal(err)
	}
	ferrettest.IndexIDs(t, db.Name())
	return st
}
