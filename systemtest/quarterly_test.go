package systemtest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/report"
	"github.com/tuntas-id/tuntas/internal/store"
)

// TestQuarterlyReportCountsCasesWhereTheyStoodAtTheEnd builds three cases
// in Muara Muntai (64.02.01, Kutai Kartanegara), a regency no other test
// of the shared system uses (imports spread synthetic households over every
// kecamatan of Kutai Timur, and run beside this test), takes a cut,
// then moves two of them on: the report as at the cut counts them where
// they stood, the report of the whole day where they stand now. Both equal
// a count made here from the cases' timelines, the second also the
// dashboard, and the workbook holds the JSON's numbers.
func TestQuarterlyReportCountsCasesWhereTheyStoodAtTheEnd(t *testing.T) {
	const district, village = "64.02.01", "64.02.01.2001"
	p := tokens(t, sys)
	p.cw = sys.token(t, household.RoleCaseworker, district, "")
	p.village = sys.token(t, household.RoleVillageOfficer, village, "")
	p.verifier = sys.token(t, household.RoleVerifier, "64.02", "")
	p.supervisor = sys.token(t, household.RoleSupervisor, "64.02", "")
	p.dinsos = sys.token(t, household.RoleAgency, "64.02", household.AgencyDinsos)
	open := func() *lifecycle {
		var c household.Case
		body := openBody(nextKK(), village)
		sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, body, &c)
		return &lifecycle{t: t, s: sys, p: p, id: c.ID}
	}
	surveyed := func(l *lifecycle, monthly int64, headSex string) {
		survey := surveyBody(monthly)
		survey["survey"].(map[string]any)["members"] = []map[string]any{
			{"nik": nextNIK(), "name": "Kepala", "relation": "head", "birthDate": "1958-01-01", "sex": headSex, "education": "sd", "occupation": "farmer", "disability": true},
			{"nik": nextNIK(), "name": "Anak", "relation": "child", "birthDate": "2022-03-02", "sex": "M", "education": "none", "occupation": "none"},
		}
		l.do(p.cw, "/survey", survey)
		l.do(p.village, "/village-confirmation", map[string]any{"decision": "confirmed", "musdesDate": today, "musdesMinutes": "3/MUSDES/XII/2026"})
	}
	helped := open()
	surveyed(helped, 600_000, "F")
	helped.do(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	excluded := open()
	surveyed(excluded, 3_000_000, "M")
	excluded.do(p.verifier, "/verification", map[string]any{"outcome": "not_poor"})
	waiting := open()
	ids := []string{helped.id, excluded.id, waiting.id}

	muntai := func() store.Tally {
		var d store.Dashboard
		sys.must(t, http.StatusOK, http.MethodGet, "/v1/dashboard?district="+district, p.supervisor, nil, &d)
		return d.Totals
	}
	eventually(t, 30*time.Second, func() bool {
		d := muntai()
		return d.Cases == 3 && d.ExcludedNotPoor == 1 && d.ExtremePoorOpen == 1
	})
	// The store keeps times to the millisecond: the cut is one, and the
	// moves below start in a later one, so they fall strictly after it.
	cut := time.Now().Truncate(time.Millisecond)
	for !time.Now().Truncate(time.Millisecond).After(cut) {
		runtime.Gosched()
	}

	helped.do(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}})
	helped.do(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})
	helped.do(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "delivered"})
	helped.do(p.verifier, "/graduation", map[string]any{"notes": "usaha warung berjalan"})
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+waiting.id+"/escalations", p.supervisor, map[string]any{"level": "regency", "reason": "survey blocked by flooding"}, nil)
	eventually(t, 30*time.Second, func() bool {
		d := muntai()
		return d.Graduated == 1 && d.Escalated == 1
	})

	quarterly := func(query string) report.Report {
		var r report.Report
		sys.must(t, http.StatusOK, http.MethodGet, "/v1/reports/quarterly?region="+district+"&"+query, p.supervisor, nil, &r)
		return r
	}
	counts := func(r report.Report) map[report.Measure]report.Count {
		out := map[report.Measure]report.Count{}
		for _, row := range r.Households {
			out[row.Measure] = row.Count
		}
		return out
	}
	// byTimelines counts from each case's timeline and snapshot as the API
	// shows them: closed by a closed event before the end, verified by a
	// verified event, escalated by escalations not yet answered.
	byTimelines := func(end time.Time) map[report.Measure]int64 {
		n := map[report.Measure]int64{}
		for _, id := range ids {
			var c household.Case
			sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+id, p.supervisor, nil, &c)
			var tl struct {
				Events []household.Event `json:"events"`
			}
			sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+id+"/timeline", p.supervisor, nil, &tl)
			closed, verified, escalations, delivered := false, false, 0, 0
			for _, e := range tl.Events {
				if !e.At.Before(end) {
					continue
				}
				switch e.Type {
				case household.EventClosed:
					closed = true
				case household.EventVerified:
					verified = c.Verification != nil && c.Verification.Outcome == household.ExtremePoor
				case household.EventEscalated:
					escalations++
				case household.EventEscalationResolved:
					escalations--
				case household.EventInterventionUpdated:
					delivered++ // acknowledged, then delivered
				}
			}
			n[report.Listed]++
			if !closed {
				n[report.InProcess]++
			}
			if verified && !closed {
				n[report.StillExtreme]++
			}
			if closed && c.Outcome == household.OutcomeGraduated {
				n[report.Graduated]++
			}
			if closed && c.Outcome == household.OutcomeExcludedNotPoor {
				n[report.ExcludedNotPoor]++
			}
			if escalations > 0 && !closed {
				n[report.Escalated]++
			}
			if delivered == 2 {
				n["delivered"]++
			}
		}
		return n
	}
	check := func(name string, r report.Report, want map[report.Measure]int64) {
		t.Helper()
		got := counts(r)
		for _, m := range []report.Measure{report.Listed, report.InProcess, report.StillExtreme, report.Graduated, report.ExcludedNotPoor, report.Escalated} {
			if got[m].Households != want[m] {
				t.Errorf("%s: %s = %d, the timelines say %d", name, m, got[m].Households, want[m])
			}
		}
		if r.Programs[0].Program != household.ProgramPKH || r.Programs[0].Delivered != want["delivered"] {
			t.Errorf("%s: PKH delivered %d, the timelines say %d", name, r.Programs[0].Delivered, want["delivered"])
		}
	}

	atCut := quarterly("from=" + today + "&to=" + url.QueryEscape(cut.Format(time.RFC3339Nano)))
	check("as at the cut", atCut, byTimelines(cut))
	// A kecamatan's report hides its counts of 1 to 4 split by person:
	// the one female-headed household still extreme-poor, the two with a
	// member with a disability.
	if c := counts(atCut); c[report.StillExtreme].Households != 1 || c[report.Graduated].Households != 0 || c[report.Escalated].Households != 0 ||
		c[report.StillExtreme].HeadFemale != 0 || atCut.Suppressed["households.still_extreme_poor.headFemale"] != report.MarkSmall ||
		c[report.Listed].WithDisability != 0 || atCut.Suppressed["households.listed.withDisability"] != report.MarkSmall || c[report.Listed].People != 4 {
		t.Errorf("as at the cut the helped household is still extreme-poor and none is escalated, the small cells hidden: %+v %v", c, atCut.Suppressed)
	}
	whole := quarterly("from=" + today + "&to=" + today)
	check("the whole day", whole, byTimelines(time.Now().Add(time.Hour)))
	d := muntai()
	c := counts(whole)
	if c[report.Listed].Households != d.Cases || c[report.InProcess].Households != d.Open || c[report.Graduated].Households != d.Graduated ||
		c[report.Escalated].Households != d.Escalated || c[report.ExcludedNotPoor].Households != d.ExcludedNotPoor || c[report.GraduatedPeriod].Households != 1 {
		t.Errorf("the day's report %+v disagrees with the dashboard %+v", c, d)
	}

	raw := sys.must(t, http.StatusOK, http.MethodGet, "/v1/reports/quarterly?region="+district+"&format=xlsx&from="+today+"&to="+today, p.supervisor, nil, nil)
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for i, row := range whole.Households {
		if v, _ := x.GetCellValue("Rumah Tangga", fmt.Sprintf("C%d", i+2)); v != fmt.Sprint(row.Households) {
			t.Errorf("workbook %s = %s, JSON %d", row.Measure, v, row.Households)
		}
		if v, _ := x.GetCellValue("Rumah Tangga", fmt.Sprintf("G%d", i+2)); v != fmt.Sprint(row.WithDisability) &&
			v != whole.Suppressed["households."+string(row.Measure)+".withDisability"] {
			t.Errorf("workbook %s with a disability = %s, JSON %d, hidden as %q", row.Measure, v, row.WithDisability, whole.Suppressed["households."+string(row.Measure)+".withDisability"])
		}
	}
	if v, _ := x.GetCellValue("Rumah Tangga", "G2"); v != report.MarkSmall {
		t.Errorf("the workbook gives the two listed households with a disability as %q, want %s", v, report.MarkSmall)
	}
	if got, _ := sys.call(t, http.MethodGet, "/v1/reports/quarterly?region=64.01", p.supervisor, nil, nil); got != http.StatusUnprocessableEntity {
		t.Errorf("Kutai Timur's supervisor read Paser's report: %d", got)
	}
	if got, _ := sys.call(t, http.MethodGet, "/v1/reports/quarterly", p.cw, nil, nil); got != http.StatusForbidden {
		t.Errorf("a caseworker read the quarterly report: %d", got)
	}
}
