package main

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
