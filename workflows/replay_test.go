package workflows_test

import (
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/workflows"
)

// TestReplayRecordedLifecycle replays the histories of a full lifecycle
// (open to graduated, across one continue-as-new) recorded from the
// embedded server. A change to the workflow that is not deterministic
// against them, or not guarded by workflow.GetVersion, fails here.
// Re-record with TUNTAS_RECORD_HISTORY (see cmd/tuntas/e2e_test.go) only
// when the old histories no longer matter.
func TestReplayRecordedLifecycle(t *testing.T) {
	key, err := os.ReadFile(filepath.Join("testdata", "codec.key"))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := codec.ParseKeyring(string(key))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "lifecycle-run*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("recorded histories: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			h, err := client.HistoryFromJSON(r, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: codec.DataConverter(ring)})
			if err != nil {
				t.Fatal(err)
			}
			replayer.RegisterWorkflow(workflows.Case)
			if err := replayer.ReplayWorkflowHistory(nil, h); err != nil {
				t.Fatalf("replay: %v", err)
			}
		})
	}
}
