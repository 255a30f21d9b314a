package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

func TestProposalsAndObjectionsMoveOnlyForwardAndListByRegion(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	officer := household.Actor{Sub: "vo", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"}
	sup := household.Actor{Sub: "sup", Role: household.RoleSupervisor, Region: "64.08"}
	in := household.ProposalInput{KK: "6408010101209001", HeadNIK: "6408015506800003", HeadName: "Wati", VillageCode: "64.08.01.2001",
		Address: "RT 5", MusdesDate: "2026-11-01", MusdesMinutes: "7"}
	p, _ := household.Propose("usl-a", in, officer, household.DefaultDeadlines(), at)
	first := *p
	p.Reject(sup, household.ScreenInput{Decision: household.ScreenReject, Reason: "tidak memenuhi"}, at.Add(time.Hour))
	if err := st.SaveProposal(ctx, *p); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveProposal(ctx, first); err != nil { // a stale retry
		t.Fatal(err)
	}
	got, err := st.Proposal(ctx, "usl-a")
	if err != nil || got.Status != household.ProposalRejected || got.Version != p.Version || len(got.Events) != 2 {
		t.Fatalf("read back %+v %v", got, err)
	}
	other := in
	other.VillageCode = "64.08.03.2001"
	q, _ := household.Propose("usl-b", other, officer, household.DefaultDeadlines(), at.Add(2*time.Hour))
	if err := st.SaveProposal(ctx, *q); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		f    store.ListFilter
		want []string
	}{
		{store.ListFilter{Scope: "64.08"}, []string{"usl-b", "usl-a"}},
		{store.ListFilter{Scope: "64.08.01"}, []string{"usl-a"}},
		{store.ListFilter{Scope: "64.08", Status: string(household.ProposalScreening)}, []string{"usl-b"}},
		{store.ListFilter{Scope: "64.01"}, nil},
	} {
		ps, err := st.Proposals(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		if len(ids) != len(tt.want) || (len(ids) > 0 && ids[0] != tt.want[0]) {
			t.Errorf("%+v: %v, want %v", tt.f, ids, tt.want)
		}
	}
	if _, err := st.Proposal(ctx, "usl-none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing proposal: %v", err)
	}

	c := household.Case{ID: "case-1", KK: "6408010101200001", HeadName: "Siti", VillageCode: "64.08.01.2001", DistrictCode: "64.08.01", RegencyCode: "64.08"}
	o, _ := household.NewObjection("sgh-a", c, officer, household.ObjectionInput{Relation: household.ObjectorNeighbour, Reason: household.ObjectMoved},
		household.DefaultDeadlines(), at)
	if err := st.SaveObjection(ctx, *o); err != nil {
		t.Fatal(err)
	}
	os, err := st.Objections(ctx, store.ListFilter{Scope: "64.08.01.2001", CaseID: "case-1", Status: string(household.ObjectionOpen)})
	if err != nil || len(os) != 1 || os[0].ID != "sgh-a" {
		t.Fatalf("objections of the case: %+v %v", os, err)
	}
	if os, _ := st.Objections(ctx, store.ListFilter{CaseID: "case-2"}); len(os) != 0 {
		t.Fatalf("another case's objections: %+v", os)
	}
}
