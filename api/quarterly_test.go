package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/report"
)

// fakeFacts answers the facts of a scope from a list, keeping the scopes asked.
type fakeFacts struct {
	facts  []household.Facts
	scopes []string
}

func (f *fakeFacts) Facts(_ context.Context, scope string) ([]household.Facts, error) {
	f.scopes = append(f.scopes, scope)
	var out []household.Facts
	for _, x := range f.facts {
		if strings.HasPrefix(x.VillageCode+".", scope+".") {
			out = append(out, x)
		}
	}
	return out, nil
}

// openedFacts is a case in village opened at at, surveyed, with a head of sex.
func openedFacts(id, village string, at time.Time, sex household.Sex) household.Facts {
	return household.Facts{ID: id, VillageCode: village, DistrictCode: village[:8], RegencyCode: village[:5],
		People: []household.Person{{Head: true, BirthDate: "1950-01-01", Sex: sex}, {BirthDate: "2022-01-01", Sex: household.Male, Disability: true}},
		Marks:  []household.Mark{{Seq: 1, At: at, Type: household.EventOpened}, {Seq: 2, At: at.Add(time.Hour), Type: household.EventSurveySubmitted}}}
}

func TestQuarterlyReportIsScopedRecordedAndDownloadedAsCSVAndExcel(t *testing.T) {
	facts := &fakeFacts{facts: []household.Facts{
		openedFacts("a", "64.08.01.2001", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), household.Female),
		openedFacts("b", "64.08.03.2001", time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC), household.Male),
		openedFacts("c", "64.08.03.2001", time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), household.Male), // after the quarter
		openedFacts("p", "64.01.01.2009", time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC), household.Male),  // Paser
	}}
	ht := newHandlerTestWith(t, func(c *casework.Config) { c.Facts = facts })
	sup := ht.token(household.RoleSupervisor, "64.08")

	rec := ht.do(http.MethodGet, "/v1/reports/quarterly?from=2026-07-01&to=2026-09-30", sup, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("= %d: %s", rec.Code, rec.Body)
	}
	var r report.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Scope != "64.08" || r.Households[0].Measure != report.Listed || r.Households[0].Households != 2 ||
		r.Households[0].HeadFemale != 1 || r.Households[0].WithDisability != 2 || r.Households[0].People != 4 || len(r.Areas) != 2 {
		t.Errorf("report of Kutai Timur's third quarter: %+v", r.Households[0])
	}

	// CSV by Accept, Excel by format: the same first count.
	req := httptest.NewRequest(http.MethodGet, "/v1/reports/quarterly?from=2026-07-01&to=2026-09-30&region=64.08.03", nil)
	req.Header.Set("Authorization", "Bearer "+sup)
	req.Header.Set("Accept", "text/csv")
	rc := httptest.NewRecorder()
	ht.h.ServeHTTP(rc, req)
	if rc.Code != http.StatusOK || !strings.Contains(rc.Header().Get("Content-Disposition"), "laporan-triwulan-640803-2026-07-01-2026-09-30.csv") {
		t.Fatalf("CSV = %d %v", rc.Code, rc.Header())
	}
	cr := csv.NewReader(rc.Body)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// A kecamatan's report hides its small cells: the heading says so.
	if !strings.Contains(strings.Join(rows[1], " "), "Muara Bengkal") || rows[5][0] != "Catatan" || rows[8][0] != "listed" || rows[8][2] != "1" {
		t.Errorf("CSV of Muara Bengkal: %q", rows[:9])
	}
	rec = ht.do(http.MethodGet, "/v1/reports/quarterly?from=2026-07-01&to=2026-09-30&format=xlsx", sup, nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != xlsxType {
		t.Fatalf("xlsx = %d %v", rec.Code, rec.Header())
	}
	x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if v, _ := x.GetCellValue("Rumah Tangga", "C2"); v != "2" {
		t.Errorf("workbook's listed households = %q, want 2", v)
	}

	// Every read is on the record, with its query.
	var recorded []string
	for _, a := range ht.reads.accesses {
		if a.Route == "GET /v1/reports/quarterly" {
			recorded = append(recorded, a.Filter)
		}
	}
	want := []string{"from=2026-07-01&to=2026-09-30", "from=2026-07-01&to=2026-09-30&region=64.08.03&format=csv", "from=2026-07-01&to=2026-09-30&format=xlsx"}
	if strings.Join(recorded, " | ") != strings.Join(want, " | ") {
		t.Errorf("recorded %q, want %q", recorded, want)
	}

	// Role and region are checked; bad periods name their field.
	prov := ht.token(household.RoleProvince, "64")
	if rec := ht.do(http.MethodGet, "/v1/reports/quarterly?from=2026-07-01&to=2026-09-30", prov, nil); rec.Code != http.StatusOK ||
		!strings.Contains(rec.Body.String(), `"areaLevel":"regency"`) {
		t.Errorf("the province's report = %d: %.300s", rec.Code, rec.Body)
	}
	for _, tt := range []struct {
		token, query string
		want         int
	}{
		{ht.token(household.RoleCaseworker, "64.08.01"), "", http.StatusForbidden},
		{ht.token(household.RoleVillageOfficer, "64.08.01.2001"), "", http.StatusForbidden},
		{ht.token(household.RoleAgency, "64.08", household.AgencyDinsos), "", http.StatusForbidden},
		{sup, "?region=64.01", http.StatusUnprocessableEntity},
		{sup, "?region=64", http.StatusUnprocessableEntity},
		{sup, "?from=2026-09-30&to=2026-07-01", http.StatusUnprocessableEntity},
		{sup, "?from=2026-07-01", http.StatusUnprocessableEntity},
		{sup, "?format=print", http.StatusUnprocessableEntity},
		{sup, "", http.StatusOK}, // the current quarter
	} {
		if rec := ht.do(http.MethodGet, "/v1/reports/quarterly"+tt.query, tt.token, nil); rec.Code != tt.want {
			t.Errorf("%s = %d, want %d: %s", tt.query, rec.Code, tt.want, rec.Body)
		}
	}
}
