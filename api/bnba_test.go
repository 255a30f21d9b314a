package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

func TestVillageListIsMaskedScopedRecordedAndDownloadedAsCSV(t *testing.T) {
	c := surveyedCase("c-1")
	ht := newHandlerTestWith(t, func(*casework.Config) {}, c)
	ht.reads.summaries = []store.Summary{store.SummaryOf(c)}
	officer := ht.token(household.RoleVillageOfficer, senyiur)

	rec := ht.do(http.MethodGet, "/v1/reports/bnba", officer, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("= %d: %s", rec.Code, rec.Body)
	}
	var l casework.BNBA
	if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	if l.Village.Code != senyiur || len(l.Rows) != 1 || l.Rows[0].KK != household.MaskNIK(caseKK) || l.Rows[0].HeadNIK != household.MaskNIK(headNIK) ||
		l.Rows[0].HeadName != "Siti Aminah" || l.Rows[0].Members != 2 || l.Rows[0].RT != 3 {
		t.Errorf("the village officer's list: %+v", l)
	}
	if strings.Contains(rec.Body.String(), caseKK) || strings.Contains(rec.Body.String(), headNIK) {
		t.Errorf("the list gives a KK or NIK whole: %s", rec.Body)
	}

	cw := ht.token(household.RoleCaseworker, "64.08.01")
	req := httptest.NewRequest(http.MethodGet, "/v1/reports/bnba?village="+senyiur+"&stage=intervention", nil)
	req.Header.Set("Authorization", "Bearer "+cw)
	req.Header.Set("Accept", "text/csv")
	rec = httptest.NewRecorder()
	ht.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Disposition"), "bnba-6408012001-intervention.csv") {
		t.Fatalf("CSV = %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(casework.BNBAColumns, ",") || rows[1][6] != household.MaskNIK(caseKK) || rows[1][4] != "Siti Aminah" {
		t.Errorf("CSV rows: %q", rows)
	}

	var recorded []string
	for _, a := range ht.reads.accesses {
		if a.Route == "GET /v1/reports/bnba" {
			recorded = append(recorded, a.Filter+" "+strings.Join(a.CaseIDs, ","))
		}
	}
	want := "village=" + senyiur + "&format=json c-1 | village=" + senyiur + "&stage=intervention&format=csv c-1"
	if strings.Join(recorded, " | ") != want {
		t.Errorf("recorded %q, want %q", recorded, want)
	}

	sup := ht.token(household.RoleSupervisor, "64.08")
	for _, tt := range []struct {
		token, query string
		want         int
	}{
		{ht.token(household.RoleAgency, "64.08", household.AgencyDinsos), "?village=" + senyiur, http.StatusForbidden},
		{ht.token(household.RoleProvince, "64"), "?village=" + senyiur, http.StatusForbidden},
		{ht.token(household.RoleVerifier, "64.08"), "?village=" + senyiur, http.StatusForbidden},
		{ht.token(household.RoleVillageOfficer, "64.08.01.2002"), "?village=" + senyiur, http.StatusUnprocessableEntity},
		{ht.token(household.RoleCaseworker, "64.08.03"), "?village=" + senyiur, http.StatusUnprocessableEntity},
		{sup, "", http.StatusUnprocessableEntity}, // a regency is no village
		{sup, "?village=64.01.01.2009", http.StatusUnprocessableEntity},
		{sup, "?village=" + senyiur + "&stage=closed", http.StatusUnprocessableEntity},
		{sup, "?village=" + senyiur + "&format=xlsx", http.StatusUnprocessableEntity},
		{sup, "?village=" + senyiur + "&format=print", http.StatusUnprocessableEntity},
		{sup, "?village=" + senyiur, http.StatusOK},
	} {
		if rec := ht.do(http.MethodGet, "/v1/reports/bnba"+tt.query, tt.token, nil); rec.Code != tt.want {
			t.Errorf("%s = %d, want %d: %s", tt.query, rec.Code, tt.want, rec.Body)
		}
	}
}
