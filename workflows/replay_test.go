package workflows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/workflows"
)

// TestReplayRecordedLifecycle replays the recorded histories of full
// lifecycles (open to graduated, across one continue-as-new), one set per
// workflow version that ran in service: lifecycle-v0 projects with regular
// activities, lifecycle-v1 with local ones, lifecycle-v2 also carries the
// IDs of applied updates into the next run (two visits, three runs) and
// claims its people, lifecycle-v3 is the lean run (leanVersion: one
// version marker a run, people claimed by local activity, one deadline
// timer), lifecycle-v4 notifies within its projections (notifyVersion).
// A change that is not
// deterministic against any of them, or not guarded by workflow.GetVersion,
// fails here. Each set has the codec key that opens its payloads. Record a
// new set with TUNTAS_RECORD_HISTORY=$PWD/workflows/testdata/lifecycle-vN
// go test ./cmd/tuntas -run ThreeHouseholds; never delete an old one while
// such cases may still be running.
func TestReplayRecordedLifecycle(t *testing.T) {
	keys, err := filepath.Glob(filepath.Join("testdata", "lifecycle-*.key"))
	if err != nil || len(keys) == 0 {
		t.Fatalf("recorded histories: %v %v", keys, err)
	}
	for _, keyFile := range keys {
		tag := strings.TrimSuffix(keyFile, ".key")
		key, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		ring, err := codec.ParseKeyring(string(key))
		if err != nil {
			t.Fatal(err)
		}
		files, err := filepath.Glob(tag + "-run*.json")
		if err != nil || len(files) < 2 {
			t.Fatalf("%s: recorded runs %v %v", tag, files, err)
		}
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) { replay(t, f, ring) })
		}
	}
}

func replay(t *testing.T, file string, ring *codec.Keyring) {
	r, err := os.Open(file)
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
}
