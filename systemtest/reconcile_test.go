package systemtest

import (
	"context"
	"net/http"
	"testing"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/reconcile"
)

func TestReconcileRepairsADivergedSnapshotAndLeavesTheRestAlone(t *testing.T) {
	ctx := context.Background()
	p := tokens(t, sys)
	l := openCase(t, p, nextKK())
	l.toVerification(600_000)

	first, err := reconcile.Run(ctx, sys.Client, sys.Store)
	if err != nil {
		t.Fatal(err)
	}
	if first.Repaired != 0 || first.Checked == 0 {
		t.Fatalf("a healthy read model: %+v, want nothing repaired", first)
	}

	good, err := sys.Store.Case(ctx, l.id)
	if err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Stage, bad.Escalated = household.StageFollowUp, true
	if err := sys.Store.ReplaceCase(ctx, bad); err != nil {
		t.Fatal(err)
	}
	r, err := reconcile.Run(ctx, sys.Client, sys.Store)
	if err != nil {
		t.Fatal(err)
	}
	if r.Repaired != 1 || r.Checked < first.Checked {
		t.Fatalf("after corrupting one snapshot: %+v", r)
	}
	var fixed household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id, p.admin, nil, &fixed)
	if fixed.Stage != household.StageVerification || fixed.Escalated {
		t.Fatalf("reconciled snapshot: stage %s escalated %t", fixed.Stage, fixed.Escalated)
	}
}

func TestReconcileRepairsAClosedCaseAndNeverGoesBackwards(t *testing.T) {
	ctx := context.Background()
	p := tokens(t, sys)
	l := openCase(t, p, nextKK())
	closed := l.do(p.supervisor, "/close", map[string]any{"reason": "moved"})

	// A lost last projection: the snapshot still says open.
	snap, err := sys.Store.Case(ctx, l.id)
	if err != nil {
		t.Fatal(err)
	}
	lost := snap
	lost.Status, lost.Stage, lost.Outcome = household.StatusOpen, household.StageCollecting, ""
	if err := sys.Store.ReplaceCase(ctx, lost); err != nil {
		t.Fatal(err)
	}
	if _, err := reconcile.Run(ctx, sys.Client, sys.Store); err != nil {
		t.Fatal(err)
	}
	var fixed household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id, p.admin, nil, &fixed)
	if fixed.Status != household.StatusClosed || fixed.Outcome != household.OutcomeMoved || fixed.Version != closed.Version {
		t.Fatalf("the closed case was not repaired: %s/%s v%d", fixed.Status, fixed.Outcome, fixed.Version)
	}

	// A snapshot ahead of the workflow (as after a projection that landed
	// between reconcile's query and its read) is left as it is.
	ahead := snap
	ahead.Version = closed.Version + 5
	if err := sys.Store.ReplaceCase(ctx, ahead); err != nil {
		t.Fatal(err)
	}
	if _, err := reconcile.Run(ctx, sys.Client, sys.Store); err != nil {
		t.Fatal(err)
	}
	after, err := sys.Store.Case(ctx, l.id)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != ahead.Version {
		t.Fatalf("reconcile put an older state (v%d) over a newer snapshot (v%d)", after.Version, ahead.Version)
	}
}
