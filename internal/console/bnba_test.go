package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// villageOfTwo lists two open cases of Senyiur on one page.
type villageOfTwo struct {
	oneCase
	other    household.Case
	accesses []store.Access
}

func (v *villageOfTwo) List(context.Context, store.Filter) (store.Page, error) {
	return store.Page{Items: []store.Summary{store.SummaryOf(v.c), store.SummaryOf(v.other)}}, nil
}

func (v *villageOfTwo) Case(_ context.Context, id string) (household.Case, error) {
	if id == v.other.ID {
		return v.other, nil
	}
	return v.oneCase.Case(context.Background(), id)
}

func (v *villageOfTwo) RecordAccess(_ context.Context, a store.Access) error {
	v.accesses = append(v.accesses, a)
	return nil
}

func TestBNBAPagePrintsTheVillagesHouseholdsByRTWithSignatureLines(t *testing.T) {
	mk := func(id, name, address string) household.Case {
		return household.Case{ID: id, KK: "6408010101010001", HeadNIK: "6408014101850001", HeadName: name, Address: address,
			VillageCode: "64.08.01.2001", DistrictCode: "64.08.01", RegencyCode: "64.08", Stage: household.StageVillageReview,
			Status: household.StatusOpen, OpenedAt: time.Now()}
	}
	reads := &villageOfTwo{oneCase: oneCase{c: mk("c-1", "Siti", "RT 07")}, other: mk("c-2", "Rudi", "RT 02")}
	c, issuer := newTestConsoleWith(t, func(cfg *Config) {
		cfg.Service = casework.New(casework.Config{Store: reads})
		cfg.API = api.NewServer(api.Config{Service: cfg.Service, Verifier: cfg.DevIssuer.Verifier()})
	})
	tok, err := issuer.Issue(auth.Principal{Sub: "vo-1", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	session := cookieOf(signIn(t, c, "https://tuntas.test", tok, "/"), sessionCookie)
	req := httptest.NewRequest(http.MethodGet, "https://tuntas.test/villages/bnba", nil)
	req.AddCookie(session)
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("page: %d %s", rec.Code, body)
	}
	rudi, siti := strings.Index(body, "Rudi"), strings.Index(body, "Siti")
	if rudi < 0 || siti < 0 || rudi > siti {
		t.Errorf("RT 02 (Rudi) must come before RT 07 (Siti)")
	}
	for _, want := range []string{"Senyiur", "Muara Ancalong", "Kepala Desa", "Berita Acara Musyawarah Desa", "/static/report.css", "640801********01"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "6408010101010001") {
		t.Error("the printed list shows a whole KK or NIK")
	}
	if len(reads.accesses) != 1 || reads.accesses[0].Route != "console GET /villages/bnba" || len(reads.accesses[0].CaseIDs) != 2 {
		t.Errorf("recorded %+v", reads.accesses)
	}
}
