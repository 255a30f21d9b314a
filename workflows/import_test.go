package workflows_test

import (
	"context"
	"sync"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/workflows"
)

// chunkStore serves the chunks of one import and records its progress;
// chunk fail cannot be read, so the activity never succeeds for it.
type chunkStore struct {
	mu    sync.Mutex
	rows  map[int]int
	fail  int
	saved []listimport.Progress
}

func (s *chunkStore) ImportChunk(_ context.Context, _ string, n int) ([]listimport.Row, error) {
	if n == s.fail {
		return nil, temporal.NewNonRetryableApplicationError("chunk lost", "test", nil)
	}
	rows := make([]listimport.Row, s.rows[n])
	for i := range rows {
		rows[i].Row = n*listimport.ChunkSize + i + 2
	}
	return rows, nil
}

func (s *chunkStore) SaveImportProgress(_ context.Context, p listimport.Progress) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved = append(s.saved, p)
	return nil
}

// opener opens every case it is asked to but those already open, known
// by the request ID the importer derives from the import and the row.
type opener struct{ alreadyOpen map[string]bool }

func (o opener) Open(_ context.Context, _ household.OpenInput, _ household.Actor, requestID string) (bool, error) {
	return !o.alreadyOpen[requestID], nil
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
