package systemtest

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/chaos"
	"github.com/tuntas-id/tuntas/internal/devcommand"
)

// A few dozen households under one fault of each kind: nothing is lost,
// duplicated or stuck, and the outages answer as they must. The run's
// children are this test binary acting as tuntas-dev (see TestMain).
func TestChaosSmall(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var progress lockedBuffer
	start := time.Now()
	// The data and logs stay for a look when the run fails.
	dir, err := os.MkdirTemp("", "tuntas-chaos-small-")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := chaos.Run(ctx, chaos.Config{Exe: exe, ChildEnv: childEnv, Dir: dir, Seed: 1,
		Households: 20, People: 6, Baseline: 4, FaultSpan: 0.5, Cut: 3 * time.Second, Pause: time.Second, ServerKills: 2, Progress: &progress})
	var out bytes.Buffer
	devcommand.PrintChaos(&out, rep)
	if err != nil {
		t.Fatalf("chaos run: %v\n%s\n%s", err, progress.String(), out.String())
	}
	if !rep.Passed() {
		t.Fatalf("chaos run failed:\n%s\n%s", progress.String(), out.String())
	}
	_ = os.RemoveAll(dir)
	t.Logf("chaos run in %v:\n%s", time.Since(start).Round(time.Second), out.String())
}
