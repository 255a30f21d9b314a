package api

import (
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// TestListQueryIsValidatedNamingTheParameter: a list query the API cannot
// answer as asked is 422 naming the parameter, never a silently wider list.
func TestListQueryIsValidatedNamingTheParameter(t *testing.T) {
	ht := newHandlerTest(t)
	sup := ht.token(household.RoleSupervisor, "64.08")
	tests := []struct {
		query string
		field string
	}{
		{"limit=0", "limit"},
		{"limit=201", "limit"},
		{"limit=ten", "limit"},
		{"stage=done", "stage"},
		{"status=pending", "status"},
		{"outcome=rich", "outcome"},
		{"escalated=yes", "escalated"},
		{"escalated=1", "escalated"},
		{"overdue=TRUE", "overdue"},
		{"district=64.01.01", "district"},      // a kecamatan of another regency
		{"district=64.08.01.2001", "district"}, // a village, not a kecamatan
		{"village=64.08.01", "village"},
		{"village=64.01.01.2009", "village"},
		{"cursor=garbage", "cursor"}, // not a cursor the store issued
		{"cursor=" + strings.Repeat("a", 513), "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := ht.do(http.MethodGet, "/v1/cases?"+tt.query, sup, nil)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("= %d, want 422: %s", rec.Code, rec.Body)
			}
			p := problemOf(t, rec)
			if !slices.ContainsFunc(p.Errors, func(fe household.FieldError) bool { return fe.Field == tt.field }) {
				t.Errorf("errors %+v do not name %s", p.Errors, tt.field)
			}
		})
	}

	rec := ht.do(http.MethodGet, "/v1/cases?district=64.08.01&village=64.08.01.2001&stage=collecting&status=open&outcome=graduated&escalated=false&overdue=true&limit=200", sup, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("a valid query = %d: %s", rec.Code, rec.Body)
	}
	f := ht.reads.lastFilter
	if f.Scope != "64.08" || f.District != "64.08.01" || f.Village != senyiur || f.Stage != household.StageCollecting ||
		f.Status != household.StatusOpen || f.Outcome != household.OutcomeGraduated ||
		f.Escalated == nil || *f.Escalated || f.Overdue == nil || !*f.Overdue || f.Limit != 200 {
		t.Errorf("the store was asked for %+v", f)
	}
	ht.do(http.MethodGet, "/v1/cases", sup, nil)
	if f := ht.reads.lastFilter; f.Limit != 50 || f.Escalated != nil || f.Overdue != nil {
		t.Errorf("an unfiltered list asked the store for %+v, want 50 of everything in scope", f)
	}
}

// TestDashboardIsScopedToTheCallersRegion: the dashboard counts the
// caller's region, or one kecamatan within it.
func TestDashboardIsScopedToTheCallersRegion(t *testing.T) {
	ht := newHandlerTest(t)
	sup := ht.token(household.RoleSupervisor, "64.08")
	tests := []struct {
		query  string
		status int
		scope  [2]string // what the store was asked for, on 200
	}{
		{"", http.StatusOK, [2]string{"64.08", ""}},
		{"?district=64.08.03", http.StatusOK, [2]string{"64.08", "64.08.03"}},
		{"?district=64.01.01", http.StatusUnprocessableEntity, [2]string{}},
		{"?district=64.08.03.2001", http.StatusUnprocessableEntity, [2]string{}},
	}
	for _, tt := range tests {
		ht.reads.lastDashboard = [2]string{}
		rec := ht.do(http.MethodGet, "/v1/dashboard"+tt.query, sup, nil)
		if rec.Code != tt.status || ht.reads.lastDashboard != tt.scope {
			t.Errorf("dashboard%s = %d reading %v, want %d reading %v: %s", tt.query, rec.Code, ht.reads.lastDashboard, tt.status, tt.scope, rec.Body)
		}
	}
	if rec := ht.do(http.MethodGet, "/v1/dashboard", ht.token(household.RoleCaseworker, "64.08.01"), nil); rec.Code != http.StatusForbidden {
		t.Errorf("a caseworker's dashboard = %d, want 403", rec.Code)
	}
}

// TestProvinceReportIsOneCSVRowPerKecamatanAndATotal reads a canned
// dashboard back as the province's CSV report.
func TestProvinceReportIsOneCSVRowPerKecamatanAndATotal(t *testing.T) {
	ht := newHandlerTest(t)
	bengkal := tally(store.Tally{Cases: 5, Open: 2, Overdue: 1, Escalated: 1, Graduated: 1, ExcludedNotPoor: 1, RemainingPeople: 4,
		ByStage:   map[household.Stage]int64{household.StageCollecting: 1, household.StageIntervention: 1, household.StageClosed: 3},
		ByOutcome: map[household.Outcome]int64{household.OutcomeGraduated: 1, household.OutcomeExcludedNotPoor: 1, household.OutcomeMoved: 1}})
	ht.reads.dashboard = store.Dashboard{Scope: "64.08", Totals: bengkal,
		Districts: []store.DistrictTally{{Code: "64.08.03", Name: "Muara Bengkal", Tally: bengkal}}}
	prov := ht.token(household.RoleProvince, "64")

	for _, how := range []struct {
		name   string
		query  string
		accept string
	}{{"format=csv", "&format=csv", ""}, {"Accept: text/csv", "", "text/csv"}} {
		t.Run(how.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/v1/reports/province?regency=64.08"+how.query, nil)
			req.Header.Set("Authorization", "Bearer "+prov)
			if how.accept != "" {
				req.Header.Set("Accept", how.accept)
			}
			rec := httptest.NewRecorder()
			ht.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
				!strings.Contains(rec.Header().Get("Content-Disposition"), "tuntas-report-6408.csv") {
				t.Fatalf("= %d %v: %s", rec.Code, rec.Header(), rec.Body)
			}
			if ht.reads.lastDashboard != [2]string{"64.08", ""} {
				t.Errorf("the store was asked for %v", ht.reads.lastDashboard)
			}
			rows, err := csv.NewReader(rec.Body).ReadAll()
			if err != nil || len(rows) != 3 {
				t.Fatalf("rows %v, %v; want a header, Muara Bengkal and the total", rows, err)
			}
			want := []string{"64.08.03", "Muara Bengkal", "5", "2", "1", "0", "0", "1", "0", "1", "1", "0", "0", "1", "1", "1", "4"}
			if !slices.Equal(rows[0], casework.ReportColumns) || !slices.Equal(rows[1], want) || rows[2][0] != "64.08" || rows[2][1] != "total" {
				t.Errorf("report\n%v\nwant the columns, then %v, then the total", rows, want)
			}
		})
	}
	for _, query := range []string{"?regency=64.08.03", "?regency=99", "?format=xml"} {
		if rec := ht.do(http.MethodGet, "/v1/reports/province"+query, prov, nil); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("report%s = %d, want 422", query, rec.Code)
		}
	}
	if rec := ht.do(http.MethodGet, "/v1/reports/province", prov, nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"districts"`) {
		t.Errorf("the JSON report = %d: %s", rec.Code, rec.Body)
	}
}
