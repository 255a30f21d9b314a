package workflows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/workflows"
)

// TestReplayRecordedLifecycle replays the recorded histories of the
// workflow baseline and of each change since: full lifecycles (open to
// graduated, across runs that Temporal asked to continue as new). A change
// to the workflow that is not deterministic against them, or not guarded
// by workflow.GetVersion, fails here. Each set has the codec key that
// opens its payloads. Record a set with
// TUNTAS_RECORD_HISTORY=$PWD/workflows/testdata/baseline-N go test
// ./systemtest -run ThreeHouseholds; the transfer change's (a household
// that moves, ChangeTransfer) with
// TUNTAS_RECORD_TRANSFER_HISTORY=$PWD/workflows/testdata/transfer-N go test
// ./systemtest -run MovesFromMuaraAncalong. Keep every set recorded since
// the baseline while cases it describes may still be running.
func TestReplayRecordedLifecycle(t *testing.T) {
	var keys []string
	for _, set := range []string{"baseline-*.key", "transfer-*.key"} {
		found, err := filepath.Glob(filepath.Join("testdata", set))
		if err != nil || len(found) == 0 {
			t.Fatalf("recorded histories %s: %v %v", set, found, err)
		}
		keys = append(keys, found...)
	}
	for _, keyFile := range keys {
		tag := strings.TrimSuffix(keyFile, ".key")
		ring := readKeyring(t, keyFile)
		files, err := filepath.Glob(tag + "-run*.json")
		if err != nil || len(files) < 2 {
			t.Fatalf("%s: recorded runs %v %v", tag, files, err)
		}
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) { replay(t, f, ring) })
		}
	}
}

// TestReplayAHistoryThatTookAnObjection replays the recorded life of a
// case that took an upheld objection (the change ChangeObjections, the
// first after the baseline): open, walked to follow-up, sent back to
// verification by the objection, excluded as not poor. Record it with
// TUNTAS_RECORD_OBJECTION_HISTORY=$PWD/workflows/testdata/objection-1
// go test ./systemtest -run TestAnUpheldObjection.
func TestReplayAHistoryThatTookAnObjection(t *testing.T) {
	ring := readKeyring(t, filepath.Join("testdata", "objection-1.key"))
	files, err := filepath.Glob(filepath.Join("testdata", "objection-1-run*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("recorded runs %v %v", files, err)
	}
	var updates, markers int
	for _, f := range files {
		h := readHistory(t, f)
		for _, e := range h.GetEvents() {
			if e.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName() == workflows.UpdateUpholdObjection {
				updates++
			}
			if e.GetMarkerRecordedEventAttributes().GetMarkerName() == "Version" {
				markers++
			}
		}
		t.Run(filepath.Base(f), func(t *testing.T) { replay(t, f, ring) })
	}
	if updates != 1 || markers != 1 {
		t.Fatalf("the recorded histories hold %d objection updates and %d version markers, want one of each", updates, markers)
	}
}

// TestAHistoryFromBeforeTheBaselineIsRefusedWithItsCause replays a run
// recorded during the prototype's development, before the baseline: the
// worker refuses it with a message that names the cause and the remedy,
// instead of a nondeterminism error or running it as something else.
func TestAHistoryFromBeforeTheBaselineIsRefusedWithItsCause(t *testing.T) {
	ring := readKeyring(t, filepath.Join("testdata", "before-baseline.key"))
	err := replayHistory(readHistory(t, filepath.Join("testdata", "before-baseline-run1.json")), ring)
	if err == nil || !strings.Contains(err.Error(), "before workflow baseline") || !strings.Contains(err.Error(), "start the data directory afresh") {
		t.Fatalf("replay of a pre-baseline history: %v", err)
	}
}

func replay(t *testing.T, file string, ring *codec.Keyring) {
	if err := replayHistory(readHistory(t, file), ring); err != nil {
		t.Fatalf("replay: %v", err)
	}
}

// readKeyring reads the codec key that opens a recorded set's payloads.
func readKeyring(t *testing.T, file string) *codec.Keyring {
	t.Helper()
	key, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := codec.ParseKeyring(string(key))
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// readHistory reads one recorded run.
func readHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	r, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := client.HistoryFromJSON(r, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// replayHistory replays h against the case workflow as it is now, with
// the converters of the workers, opening payloads and failures with ring.
func replayHistory(h *historypb.History, ring *codec.Keyring) error {
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter: codec.DataConverter(ring), FailureConverter: codec.FailureConverter(ring)})
	if err != nil {
		return err
	}
	replayer.RegisterWorkflow(workflows.Case)
	return replayer.ReplayWorkflowHistory(nil, h)
}

// TestReplayTheLivingListsWorkflows replays the recorded life of a village
// proposal (proposed, accepted, its case opened) and of an objection
// (recorded, upheld, handed to its case): from their first deployment on,
// a change to either workflow is versioned like the case's. Record them
// with TUNTAS_RECORD_LIVING_HISTORY=$PWD/workflows/testdata/living-1
// go test ./systemtest -run 'TestAVillageProposalBecomesACase|TestAnUpheldObjection'.
func TestReplayTheLivingListsWorkflows(t *testing.T) {
	ring := readKeyring(t, filepath.Join("testdata", "living-1.key"))
	for _, tt := range []struct {
		file     string
		workflow any
	}{
		{"living-1-proposal.json", workflows.Proposal},
		{"living-1-objection.json", workflows.Objection},
	} {
		t.Run(tt.file, func(t *testing.T) {
			replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: codec.DataConverter(ring)})
			if err != nil {
				t.Fatal(err)
			}
			replayer.RegisterWorkflow(tt.workflow)
			if err := replayer.ReplayWorkflowHistory(nil, readHistory(t, filepath.Join("testdata", tt.file))); err != nil {
				t.Fatalf("replay: %v", err)
			}
		})
	}
}

// TestReplayNoticesSentBeforeTheIDsChanged replays two cases recorded
// before workflow IDs were pseudonyms (workflows.ChangeHouseholdIDs): one
// told the other about a shared person and about its resolution, by
// signals to household-<KK>. The case as it is now must send them the same
// way when it replays such a history. Recorded with the code of
// a88dc87 (the systemtest's householdWith, a split, both closed).
func TestReplayNoticesSentBeforeTheIDsChanged(t *testing.T) {
	ring := readKeyring(t, filepath.Join("testdata", "notice-before-ids.key"))
	signals := 0
	for _, name := range []string{"a", "b"} {
		f := filepath.Join("testdata", "notice-before-ids-"+name+"-run1.json")
		h := readHistory(t, f)
		for _, e := range h.GetEvents() {
			if a := e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes(); a != nil {
				if id := a.GetWorkflowExecution().GetWorkflowId(); !strings.HasPrefix(id, "household-64") {
					t.Fatalf("%s: a notice to %s, not to a case's legacy ID", f, id)
				}
				signals++
			}
		}
		t.Run(filepath.Base(f), func(t *testing.T) { replay(t, f, ring) })
	}
	if signals != 2 {
		t.Fatalf("the recorded histories send %d notices, want the finding's and the resolution's", signals)
	}
}
