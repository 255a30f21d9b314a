package workflows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
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
// timer), lifecycle-v4 notifies within its projections (notifyVersion),
// lifecycle-v5 also hands its version to the runs it continues as, and
// lifecycle-v6 is told it when opened (no version marker at all).
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

func replay(t *testing.T, file string, ring *codec.Keyring) {
	if err := replayHistory(readHistory(t, file), codec.DataConverter(ring)); err != nil {
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

// replayHistory replays h against the case workflow as it is now.
func replayHistory(h *historypb.History, dc converter.DataConverter) error {
	replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc})
	if err != nil {
		return err
	}
	replayer.RegisterWorkflow(workflows.Case)
	return replayer.ReplayWorkflowHistory(nil, h)
}

// TestReplayOfARunAnOlderWorkerBegan: a case opened since notifyVersion
// is told its version (CaseInput.Version) and asks no GetVersion. In a
// deployment midway, a worker from before may run such a case first: it
// ignores the field, asks, and records a marker. A newer worker replaying
// that run must take it as recorded. Recorded runs are given a Version in
// their input here and replayed. Only deadline-v3 can tell the versions
// apart: a lean run (version 2) recorded by a worker from before
// notifyVersion, whose case missed its deadline before its survey and
// notified its reminder and escalation with a Notify activity each; read
// as version 3 it would carry them in the projection instead, and the
// replay fails (it does when the marker is not read on replay). The
// lifecycle sets have no deadline and replay alike at either version.
// Record deadline-v3 anew only from a worker of before notifyVersion.
func TestReplayOfARunAnOlderWorkerBegan(t *testing.T) {
	sets := []struct {
		tag  string
		runs []string
		// asRecorded replays the runs unchanged first, for a set that
		// TestReplayRecordedLifecycle does not replay.
		asRecorded bool
	}{
		{"deadline-v3", []string{"run1"}, true},
		{"lifecycle-v3", []string{"run1", "run2"}, false},
		{"lifecycle-v4", []string{"run1", "run2"}, false},
	}
	for _, set := range sets {
		ring := readKeyring(t, filepath.Join("testdata", set.tag+".key"))
		for _, run := range set.runs {
			file := filepath.Join("testdata", set.tag+"-"+run+".json")
			t.Run(set.tag+"-"+run, func(t *testing.T) {
				if set.asRecorded {
					replay(t, file, ring)
				}
				replayToldVersion(t, file, ring)
			})
		}
	}
}

func replayToldVersion(t *testing.T, file string, ring *codec.Keyring) {
	h := readHistory(t, file)
	markers := 0
	for _, e := range h.Events {
		if m := e.GetMarkerRecordedEventAttributes(); m != nil && m.MarkerName == "Version" {
			markers++
		}
	}
	if markers != 1 {
		t.Fatalf("%d version markers, want the one the run asked", markers)
	}
	dc := codec.DataConverter(ring)
	start := h.Events[0].GetWorkflowExecutionStartedEventAttributes()
	var in workflows.CaseInput
	if err := dc.FromPayloads(start.Input, &in); err != nil {
		t.Fatal(err)
	}
	if in.Version != 0 {
		t.Fatalf("input already says version %d", in.Version)
	}
	in.Version = 3 // notifyVersion, as Open tells a case now
	var err error
	if start.Input, err = dc.ToPayloads(in); err != nil {
		t.Fatal(err)
	}
	if err := replayHistory(h, dc); err != nil {
		t.Fatalf("replay with the version in the input: %v", err)
	}
}
