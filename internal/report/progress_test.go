package report_test

import (
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/report"
)

// TestMonthlyPointsAreTheReportAsAtEachMonthsEnd: a month's point of a
// region counts what the quarterly report of that region says as at the
// month's end, and the province's point is the sum of its kecamatan's.
func TestMonthlyPointsAreTheReportAsAtEachMonthsEnd(t *testing.T) {
	ls := population(300)
	facts := make([]household.Facts, len(ls))
	for i, l := range ls {
		facts[i] = l.facts()
	}
	first := report.FirstMonth("64", facts)
	months := report.Months(first, "2026-12", 36)
	if first != "2026-01" || len(months) != 12 {
		t.Fatalf("months %s … %v", first, months)
	}
	taken := time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)
	for _, m := range months {
		points, err := report.Points("64", m, facts, taken)
		if err != nil {
			t.Fatal(err)
		}
		byRegion := map[string]report.Point{}
		var districts report.Point
		for _, p := range points {
			byRegion[p.Region] = p
			if len(p.Region) == 8 {
				districts.Households += p.Households
				districts.StillExtremePeople += p.StillExtremePeople
			}
		}
		prov := byRegion["64"]
		if prov.Households != districts.Households || prov.StillExtremePeople != districts.StillExtremePeople || prov != withRegion(byRegion["64.08"], "64") {
			t.Errorf("%s: the province %+v is not the sum of its kecamatan %+v", m, prov, districts)
		}
		if prov.Partial != (m == "2026-12") {
			t.Errorf("%s: partial %v", m, prov.Partial)
		}
		end, _ := report.MonthEnd("64", m)
		if prov.Partial {
			end = taken
		}
		p := report.Period{Start: end.Add(-time.Hour), End: end, From: m + "-01", To: m + "-28"}
		r := report.Build("64.08", p, facts, taken)
		want := map[report.Measure]int64{}
		for _, row := range r.Households {
			want[row.Measure] = row.Households
		}
		kt := byRegion["64.08"]
		if kt.Households != want[report.Listed] || kt.InProcess != want[report.InProcess] || kt.StillExtreme != want[report.StillExtreme] ||
			kt.Graduated != want[report.Graduated] || kt.Excluded != want[report.ExcludedNotPoor] || kt.Overdue != want[report.Overdue] {
			t.Errorf("%s: point %+v, report %v", m, kt, want)
		}
	}
}

func withRegion(p report.Point, code string) report.Point {
	p.Region = code
	return p
}
