package activities_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
)

// rowsStore serves one chunk of n rows, numbered from 2 as in a file with
// a header.
type rowsStore struct{ n int }

func (s rowsStore) ImportChunk(context.Context, string, int) ([]listimport.Row, error) {
	rows := make([]listimport.Row, s.n)
	for i := range rows {
		rows[i] = listimport.Row{Row: i + 2}
	}
	return rows, nil
}

func (rowsStore) AddRowFlags(context.Context, string, []listimport.RowError) error { return nil }
func (rowsStore) SaveImportProgress(context.Context, listimport.Progress) error    { return nil }

// failingOpener opens the cases of the rows before failAt at once, fails
// row failAt, and holds the rows after it until their context ends, as a
// Temporal that stopped answering would; it counts the calls.
type failingOpener struct {
	failAt int
	calls  atomic.Int32
}

var errOpen = errors.New("temporal unavailable")

func (o *failingOpener) Open(ctx context.Context, _ household.OpenInput, _ household.Actor, requestID string) (household.Case, bool, error) {
	o.calls.Add(1)
	var row int
	if _, err := fmt.Sscanf(requestID[strings.LastIndex(requestID, ":")+1:], "%d", &row); err != nil {
		return household.Case{}, false, err
	}
	switch {
	case row < o.failAt:
		return household.Case{ID: "case-" + requestID}, true, nil
	case row == o.failAt:
		return household.Case{}, false, errOpen
	}
	<-ctx.Done()
	return household.Case{}, false, ctx.Err()
}

// TestOpenChunkStopsAtTheFirstRowThatFails: the chunk fails naming the row
// (it is retried whole, each row answering as it first did), the rows in
// flight are called off, and no further row is opened.
func TestOpenChunkStopsAtTheFirstRowThatFails(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	op := &failingOpener{failAt: 5}
	im := &activities.Importer{Opener: op, Store: rowsStore{n: 250}, Concurrency: 2}
	env.RegisterActivity(im)
	_, err := env.ExecuteActivity(im.OpenChunk, activities.ChunkInput{ImportID: "imp-1", Actor: household.Actor{Sub: "admin-1", Role: household.RoleAdmin, Region: "64"}})
	if err == nil || !strings.Contains(err.Error(), "row 5: "+errOpen.Error()) {
		t.Fatalf("OpenChunk = %v, want the failure of row 5", err)
	}
	// Rows 2 to 5, and at most the two in flight when row 5 failed.
	if calls := op.calls.Load(); calls > 6 {
		t.Fatalf("%d rows were sent to be opened, want at most 6", calls)
	}
}
