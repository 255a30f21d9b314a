package casework

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
)

// villageCases is a read model of a few cases that lists them page by page
// (two a page) within a filter's scope and village, and records reads.
type villageCases struct {
	ReadModel
	cases    []household.Case
	accesses []store.Access
}

func (v *villageCases) List(_ context.Context, f store.Filter) (store.Page, error) {
	var all []store.Summary
	for _, c := range v.cases {
		if region.Within(c.VillageCode, f.Scope) && c.VillageCode == f.Village && c.Status == f.Status && (f.Stage == "" || c.Stage == f.Stage) {
			all = append(all, store.SummaryOf(c))
		}
	}
	start := 0
	if f.Cursor != "" {
		start = int(f.Cursor[0] - '0')
	}
	end := min(start+2, len(all))
	page := store.Page{Items: all[start:end]}
	if end < len(all) {
		page.Next = string(rune('0' + end))
	}
	return page, nil
}

func (v *villageCases) Case(_ context.Context, id string) (household.Case, error) {
	for _, c := range v.cases {
		if c.ID == id {
			return c, nil
		}
	}
	return household.Case{}, store.ErrNotFound
}

func (v *villageCases) RecordAccess(_ context.Context, a store.Access) error {
	v.accesses = append(v.accesses, a)
	return nil
}

func TestVillageListIsOrderedByRTMaskedForTheRoleAndRecorded(t *testing.T) {
	at := func(id, address string) household.Case {
		c := openCase(id)
		c.Address = address
		return c
	}
	closed := at("c-9", "RT 01")
	closed.Status, closed.Stage = household.StatusClosed, household.StageClosed
	other := at("c-8", "RT 01")
	other.VillageCode = "64.08.01.2002"
	reads := &villageCases{cases: []household.Case{at("c-1", "Jl. Poros RT 12"), at("c-2", "RT 3, dekat masjid"), at("c-3", "Gang Damai"),
		at("c-4", "rt.003 / rw 1, Ujung"), at("c-5", "RT 01"), closed, other}}
	s := New(Config{Store: reads, Now: func() time.Time { return now }})
	for _, tt := range []struct {
		role      household.Role
		region    string
		wantKK    string
		wantCases string
	}{
		{household.RoleVillageOfficer, "64.08.01.2001", household.MaskNIK("6408010101200001"), "c-5 c-2 c-4 c-1 c-3"},
		{household.RoleSupervisor, "64.08", household.MaskNIK("6408010101200001"), "c-5 c-2 c-4 c-1 c-3"},
	} {
		who := Caller{Principal: auth.Principal{Sub: "p", Role: tt.role, Region: tt.region}, Route: "test"}
		l, err := s.VillageList(context.Background(), who, BNBAQuery{Village: "64.08.01.2001", Format: "print"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range l.Rows {
			ids = append(ids, r.CaseID)
			if r.KK != tt.wantKK {
				t.Errorf("%s sees KK %s, want %s", tt.role, r.KK, tt.wantKK)
			}
		}
		if strings.Join(ids, " ") != tt.wantCases {
			t.Errorf("%s: order %v, want %s", tt.role, ids, tt.wantCases)
		}
		a := reads.accesses[len(reads.accesses)-1]
		if a.Filter != "village=64.08.01.2001&format=print" || strings.Join(a.CaseIDs, " ") != "c-1 c-2 c-3 c-4 c-5" {
			t.Errorf("recorded %+v", a)
		}
		if l.Village.Name != "Senyiur" || l.District.Name != "Muara Ancalong" {
			t.Errorf("named %s, %s", l.Village.Name, l.District.Name)
		}
	}
	refused := []struct {
		role   household.Role
		region string
		q      BNBAQuery
	}{
		{household.RoleVillageOfficer, "64.08.01.2002", BNBAQuery{Village: "64.08.01.2001"}},
		{household.RoleAgency, "64.08", BNBAQuery{Village: "64.08.01.2001"}},
		{household.RoleProvince, "64", BNBAQuery{Village: "64.08.01.2001"}},
		{household.RoleSupervisor, "64.08", BNBAQuery{Village: "64.08.01"}},
		{household.RoleSupervisor, "64.08", BNBAQuery{Village: "64.08.01.2001", Stage: household.StageClosed}},
		{household.RoleSupervisor, "64.08", BNBAQuery{Village: "64.08.01.2001", Format: "xlsx"}},
	}
	for _, tt := range refused {
		who := Caller{Principal: auth.Principal{Sub: "p", Role: tt.role, Region: tt.region, Agency: household.AgencyDinsos}}
		if _, err := s.VillageList(context.Background(), who, tt.q); err == nil {
			t.Errorf("%s of %s read %+v", tt.role, tt.region, tt.q)
		}
	}
}

func TestVillageListAsCSVKeepsTheOrderAndTheMasks(t *testing.T) {
	c := openCase("c-1")
	c.Address = "RT 03, Senyiur"
	reads := &villageCases{cases: []household.Case{c}}
	s := New(Config{Store: reads, Now: func() time.Time { return now }})
	who := Caller{Principal: auth.Principal{Sub: "p", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"}, Route: "GET /v1/reports/bnba"}
	l, err := s.VillageList(context.Background(), who, BNBAQuery{Format: "csv", Stage: household.StageCollecting})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteBNBACSV(&b, l); err != nil {
		t.Fatal(err)
	}
	want := strings.Join(BNBAColumns, ",") + "\n1,64.08.01.2001,3,\"RT 03, Senyiur\"," + c.HeadName + "," + household.MaskNIK(c.HeadNIK) + "," +
		household.MaskNIK(c.KK) + ",0,collecting,,c-1\n"
	if b.String() != want {
		t.Errorf("CSV:\n%s\nwant\n%s", b.String(), want)
	}
	if a := reads.accesses[0]; a.Filter != "village=64.08.01.2001&stage=collecting&format=csv" || a.Route != "GET /v1/reports/bnba" {
		t.Errorf("recorded %+v", a)
	}
	if got := BNBAFileName(l); got != "bnba-6408012001-collecting.csv" {
		t.Errorf("file name %s", got)
	}
}
