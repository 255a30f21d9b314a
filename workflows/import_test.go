package workflows_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/workflows"
)

// chunkStore serves the chunks of one import and records its progress
// and flags; chunk fail cannot be read, so the activity never succeeds
// for it. Row r's head has the NIK headOf(r); the rows of flaggedAtRead
// were flagged when the file was read.
type chunkStore struct {
	mu            sync.Mutex
	rows          map[int]int
	fail          int
	flaggedAtRead map[int]bool
	saved         []listimport.Progress
	flags         map[string]listimport.RowError
}

func (s *chunkStore) ImportChunk(_ context.Context, _ string, n int) ([]listimport.Row, error) {
	if n == s.fail {
		return nil, temporal.NewNonRetryableApplicationError("chunk lost", "test", nil)
	}
	rows := make([]listimport.Row, s.rows[n])
	for i := range rows {
		r := n*listimport.ChunkSize + i + 2
		rows[i] = listimport.Row{Row: r, Open: household.OpenInput{HeadNIK: headOf(r)}, Flagged: s.flaggedAtRead[r]}
	}
	return rows, nil
}

// AddRowFlags keeps one flag per import, row and column, as the store does.
func (s *chunkStore) AddRowFlags(_ context.Context, importID string, flags []listimport.RowError) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flags == nil {
		s.flags = map[string]listimport.RowError{}
	}
	for _, f := range flags {
		s.flags[fmt.Sprintf("%s/%d/%s", importID, f.Row, f.Field)] = f
	}
	return nil
}

func headOf(row int) string { return fmt.Sprintf("640801410175%04d", row) }

func (s *chunkStore) SaveImportProgress(_ context.Context, p listimport.Progress) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved = append(s.saved, p)
	return nil
}

// opener opens every case it is asked to but those already open, known
// by the request ID the importer derives from the import and the row. The
// case of a request in dups has the findings listed there.
type opener struct {
	alreadyOpen map[string]bool
	dups        map[string][]household.Duplicate
}

func (o opener) Open(_ context.Context, in household.OpenInput, _ household.Actor, requestID string) (household.Case, bool, error) {
	c := household.Case{ID: "case-" + requestID, HeadNIK: in.HeadNIK, Duplicates: o.dups[requestID]}
	return c, !o.alreadyOpen[requestID], nil
}

func TestImportOpensChunkByChunkAndCountsALostChunkAsFailed(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	st := &chunkStore{rows: map[int]int{0: 250, 1: 250, 2: 10}, fail: 1}
	env.RegisterActivity(&activities.Importer{Opener: opener{alreadyOpen: map[string]bool{"imp-1:2": true, "imp-1:503": true}}, Store: st, Concurrency: 4})
	p := listimport.Progress{ID: "imp-1", Status: listimport.Running, Valid: 510, Chunks: 3}
	env.ExecuteWorkflow(workflows.Import, workflows.ImportInput{Progress: p, Actor: household.Actor{Sub: "admin-1", Role: household.RoleAdmin, Region: "64"}})
	if !env.IsWorkflowCompleted() {
		t.Fatal("the import did not finish")
	}
	var got listimport.Progress
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if got.Status != listimport.Done || got.Opened != 258 || got.AlreadyOpen != 2 || got.Failed != 250 || got.ChunksDone != 3 {
		t.Fatalf("finished with %+v", got)
	}
	if len(st.saved) != 3 || st.saved[0].ChunksDone != 1 || st.saved[2].Status != listimport.Done {
		t.Fatalf("progress saved %d times: %+v", len(st.saved), st.saved)
	}
}

// TestImportFlagsARowWhoseHeadAnotherOpenCaseHolds: opening a case claims
// its head; when another open case holds them, the case comes back with
// an open finding it does not hold, and the row is flagged, naming the
// other case but not the NIK. A row flagged when the file was read is
// counted once; findings on other people, resolved ones and ones this
// case holds flag nothing.
func TestImportFlagsARowWhoseHeadAnotherOpenCaseHolds(t *testing.T) {
	heldElsewhere := func(row int) household.Duplicate {
		return household.Duplicate{ID: "dup-1", NIK: headOf(row), OtherCaseID: "case-other", OtherKK: "6408010101190009", Open: true}
	}
	resolved, held, member := heldElsewhere(6), heldElsewhere(7), heldElsewhere(8)
	resolved.Open = false
	held.Held = true
	member.NIK = "6408010202100002" // a member of the survey, not the head
	op := opener{
		alreadyOpen: map[string]bool{"imp-2:3": true},
		dups: map[string][]household.Duplicate{
			"imp-2:2":   {heldElsewhere(2)},
			"imp-2:3":   {heldElsewhere(3)}, // already open: flagged again
			"imp-2:4":   {heldElsewhere(4)}, // flagged when read too
			"imp-2:6":   {resolved},
			"imp-2:7":   {held},
			"imp-2:8":   {member},
			"imp-2:253": {heldElsewhere(253)},
		},
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	st := &chunkStore{rows: map[int]int{0: 250, 1: 10}, fail: -1, flaggedAtRead: map[int]bool{4: true, 5: true}}
	env.RegisterActivity(&activities.Importer{Opener: op, Store: st, Concurrency: 4})
	// Reading the file flagged lines 4 and 5.
	p := listimport.Progress{ID: "imp-2", Status: listimport.Running, Valid: 260, Chunks: 2, Flagged: 2}
	env.ExecuteWorkflow(workflows.Import, workflows.ImportInput{Progress: p, Actor: household.Actor{Sub: "admin-1", Role: household.RoleAdmin, Region: "64"}})
	var got listimport.Progress
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if got.Opened != 259 || got.AlreadyOpen != 1 || got.Flagged != 2+3 || got.Status != listimport.Done {
		t.Fatalf("finished with %+v, want 259 opened, 1 already open, 5 flagged", got)
	}
	var rows []int
	for _, f := range st.flags {
		rows = append(rows, f.Row)
		if f.ImportID != "imp-2" || f.Field != "head_nik" || !f.IsFlag() ||
			f.Message != "head is a member of another open case (case-other)" {
			t.Errorf("flag %+v", f)
		}
	}
	slices.Sort(rows)
	if !slices.Equal(rows, []int{2, 3, 4, 253}) {
		t.Errorf("flagged rows %v, want 2, 3, 4 and 253", rows)
	}
}
