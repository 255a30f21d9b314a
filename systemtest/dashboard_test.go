package systemtest

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// TestDashboardAndProvinceReportCountMuaraBengkal builds three cases in
// Muara Bengkal (64.08.03), a kecamatan no other test uses, and reads the
// counts back through FerretDB's aggregation.
func TestDashboardAndProvinceReportCountMuaraBengkal(t *testing.T) {
	p := tokens(t, sys)
	p.cw = sys.token(t, household.RoleCaseworker, "64.08.03", "")
	p.village = sys.token(t, household.RoleVillageOfficer, "64.08.03.2001", "")
	open := func() *lifecycle {
		var c household.Case
		sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(nextKK(), "64.08.03.2001"), &c)
		return &lifecycle{t: t, s: sys, p: p, id: c.ID}
	}
	// Members no other case holds: a person held elsewhere counts there.
	toVerification := func(l *lifecycle, monthly int64) {
		survey := surveyBody(monthly)
		survey["survey"].(map[string]any)["members"] = []map[string]any{
			{"nik": nextNIK(), "name": "Kepala", "relation": "head", "birthDate": "1985-01-01", "sex": "F", "education": "sd", "occupation": "farmer"},
			{"nik": nextNIK(), "name": "Anak", "relation": "child", "birthDate": "2010-03-02", "sex": "M", "education": "sd", "occupation": "student"},
		}
		l.do(p.cw, "/survey", survey)
		l.do(p.village, "/village-confirmation", map[string]any{"decision": "confirmed", "musdesDate": today, "musdesMinutes": "12/MUSDES/XI/2026"})
	}
	excluded := open()
	toVerification(excluded, 3_000_000)
	excluded.do(p.verifier, "/verification", map[string]any{"outcome": "not_poor"})
	helped := open()
	toVerification(helped, 600_000)
	helped.do(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	waiting := open()
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+waiting.id+"/escalations", p.supervisor, map[string]any{"level": "regency", "reason": "survey blocked by flooding"}, nil)

	var d store.Dashboard
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/dashboard?district=64.08.03", p.supervisor, nil, &d)
	got := d.Totals
	if got.Cases != 3 || got.Open != 2 || got.ExcludedNotPoor != 1 || got.ExtremePoorOpen != 1 || got.Escalated != 1 ||
		got.ByStage[household.StageCollecting] != 1 || got.ByStage[household.StageIntervention] != 1 || got.ByStage[household.StageClosed] != 1 ||
		got.RemainingPeople != 2 {
		t.Fatalf("Muara Bengkal totals %+v", got)
	}
	if len(d.Districts) != 1 || d.Districts[0].Name != "Muara Bengkal" {
		t.Fatalf("districts %+v", d.Districts)
	}

	var whole store.Dashboard
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/dashboard", p.supervisor, nil, &whole)
	if whole.Progress.Population == 0 || whole.Progress.Listed < 3 || whole.Progress.RemainingHouseholds != whole.Totals.Open {
		t.Fatalf("regency progress %+v", whole.Progress)
	}

	if got, _ := sys.call(t, http.MethodGet, "/v1/dashboard?district=64.01.01", p.supervisor, nil, nil); got != http.StatusUnprocessableEntity {
		t.Fatalf("a supervisor of Kutai Timur read Paser's dashboard: %d", got)
	}

	raw := sys.must(t, http.StatusOK, http.MethodGet, "/v1/reports/province?regency=64.08&format=csv", p.province, nil, nil)
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]int{}
	for i, h := range rows[0] {
		header[h] = i
	}
	var bengkal []string
	for _, r := range rows[1:] {
		if r[0] == "64.08.03" {
			bengkal = r
		}
	}
	if bengkal == nil {
		t.Fatalf("no Muara Bengkal row in\n%s", raw)
	}
	for col, want := range map[string]string{"cases": "3", "open": "2", "excluded_not_poor": "1", "intervention": "1", "escalated": "1"} {
		if got := bengkal[header[col]]; got != want {
			t.Errorf("report %s = %s, want %s", col, got, want)
		}
	}
	if last := rows[len(rows)-1]; last[1] != "total" {
		t.Errorf("the report has no total row: %v", last)
	}
}
