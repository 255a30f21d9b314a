package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
)

// splitCells are the counts of a report split by person, by the JSON
// path Suppressed names them with.
func splitCells(r report.Report) map[string]int64 {
	out := map[string]int64{}
	for _, row := range r.Households {
		k := "households." + string(row.Measure) + "."
		out[k+"headMale"], out[k+"headFemale"], out[k+"headUnknown"], out[k+"withDisability"] = row.HeadMale, row.HeadFemale, row.HeadUnknown, row.WithDisability
	}
	for _, g := range r.People {
		for _, row := range g.Rows {
			k := "people." + string(g.Of) + "." + string(row.AgeGroup) + "."
			out[k+"male"], out[k+"female"], out[k+"disability"], out[k+"total"] = row.Male, row.Female, row.Disability, row.Total
		}
	}
	for _, p := range r.Programs {
		k := "programs." + string(p.Program) + "."
		out[k+"deliveredHeadMale"], out[k+"deliveredHeadFemale"] = p.DeliveredHeadMale, p.DeliveredHeadFemale
	}
	for _, s := range r.Strategies {
		k := "strategies." + string(s.Strategy) + "."
		out[k+"deliveredHeadMale"], out[k+"deliveredHeadFemale"] = s.DeliveredHeadMale, s.DeliveredHeadFemale
	}
	return out
}

// tiedSums are the sums a reader could subtract within one report, written
// out here from the tables as a reader sees them (not from the package's
// own list): each names its cells split by person.
func tiedSums() [][]string {
	var out [][]string
	for _, m := range report.Measures {
		k := "households." + string(m) + "."
		out = append(out, []string{k + "headMale", k + "headFemale", k + "headUnknown"})
	}
	for _, col := range []string{"headMale", "headFemale", "headUnknown", "withDisability"} {
		out = append(out, []string{"households.listed." + col, "households.in_process." + col, "households.excluded_not_poor." + col,
			"households.graduated." + col, "households.closed_other." + col})
	}
	for _, of := range []string{"listed", "still_extreme_poor"} {
		var bands []string
		for _, a := range household.AgeGroups {
			k := "people." + of + "." + string(a) + "."
			out = append(out, []string{k + "male", k + "female", k + "total"})
			bands = append(bands, k+"total")
		}
		out = append(out, bands)
	}
	for _, p := range household.Programs {
		out = append(out, []string{"programs." + string(p) + ".deliveredHeadMale", "programs." + string(p) + ".deliveredHeadFemale"})
	}
	for _, s := range household.Strategies {
		for _, d := range []string{"deliveredHeadMale", "deliveredHeadFemale"} {
			g := []string{"strategies." + string(s) + "." + d}
			for _, p := range household.Programs {
				if household.ProgramStrategy[p] == s {
					g = append(g, "programs."+string(p)+"."+d)
				}
			}
			out = append(out, g)
		}
	}
	return out
}

// TestSmallCellsBelowTheRegencyCannotBeWorkedBack builds the report of
// every kecamatan of Kutai Timur and of every village of two of them from
// 300 walked cases, and checks what a reader of those reports could do:
// every count split by person from 1 to 4 is hidden; no sum of a report
// has exactly one cell hidden; no cell is hidden in exactly one of a
// family of siblings (whose cells add up to their parent's); every cell
// shown is the true count; a hidden cell is 0 in the JSON and marked "<5"
// when under five, "x" otherwise. The regency's own report hides nothing.
func TestSmallCellsBelowTheRegencyCannotBeWorkedBack(t *testing.T) {
	ls := population(300)
	facts := make([]household.Facts, len(ls))
	for i, l := range ls {
		facts[i] = l.facts()
	}
	p, err := report.ParsePeriod("64.08", "2026-07-01", "2026-09-30")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 2, 1, 0, 0, 0, time.UTC)
	if r := report.Quarterly("64.08", p, facts, at); len(r.Suppressed) != 0 {
		t.Fatalf("the regency's report hides %d cells", len(r.Suppressed))
	}
	families := [][]string{}
	for _, parent := range []string{"64.08", "64.08.01", "64.08.03"} {
		var codes []string
		for _, c := range region.Children(parent) {
			codes = append(codes, c.Code)
		}
		families = append(families, codes)
	}
	hiddenSome := 0
	for _, family := range families {
		hiddenIn := map[string]int{}
		for _, code := range family {
			truth := splitCells(report.Build(code, p, within(facts, code), at))
			r := report.Quarterly(code, p, facts, at)
			shown := splitCells(r)
			for k, v := range truth {
				mark, hidden := r.Suppressed[k]
				switch {
				case v > 0 && v < report.MinCell && !hidden:
					t.Errorf("%s: %s = %d is shown", code, k, v)
				case hidden && shown[k] != 0:
					t.Errorf("%s: %s is hidden but the JSON gives %d", code, k, shown[k])
				case hidden && v < report.MinCell && mark != report.MarkSmall, hidden && v >= report.MinCell && mark != report.MarkHidden:
					t.Errorf("%s: %s = %d is marked %q", code, k, v, mark)
				case !hidden && shown[k] != v:
					t.Errorf("%s: %s shows %d, the count is %d", code, k, shown[k], v)
				}
				if hidden {
					hiddenIn[k]++
					hiddenSome++
				}
			}
			for _, sum := range tiedSums() {
				n := 0
				for _, k := range sum {
					if _, ok := r.Suppressed[k]; ok {
						n++
					}
				}
				if n == 1 {
					t.Errorf("%s: the sum %v hides one cell only", code, sum)
				}
			}
		}
		for k, n := range hiddenIn {
			if n == 1 {
				t.Errorf("%s is hidden in one of %v only: their parent's count gives it back", k, family)
			}
		}
	}
	if hiddenSome == 0 {
		t.Fatal("no cell was hidden: the population tests nothing")
	}
}

func within(facts []household.Facts, scope string) []household.Facts {
	var out []household.Facts
	for _, f := range facts {
		if region.Within(f.VillageCode, scope) {
			out = append(out, f)
		}
	}
	return out
}

// TestAHiddenCellIsHiddenInEveryFormat: the JSON, the page's tables, the
// CSV and the workbook of a kecamatan's report show the same marks in the
// same places, say what they mean, and give no number for them.
func TestAHiddenCellIsHiddenInEveryFormat(t *testing.T) {
	ls := population(120)
	facts := make([]household.Facts, len(ls))
	for i, l := range ls {
		facts[i] = l.facts()
	}
	p, err := report.ParsePeriod("64.08.03", "2026-07-01", "2026-09-30")
	if err != nil {
		t.Fatal(err)
	}
	r := report.Quarterly("64.08.03", p, facts, time.Date(2026, 10, 2, 1, 0, 0, 0, time.UTC))
	if len(r.Suppressed) == 0 {
		t.Fatal("the kecamatan's report hides nothing")
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(raw, &back); err != nil || len(back.Suppressed) != len(r.Suppressed) {
		t.Fatalf("the JSON's suppressed cells: %v, %d of %d", err, len(back.Suppressed), len(r.Suppressed))
	}

	marks := 0
	tables := r.Tables()
	for _, tbl := range tables {
		for _, row := range tbl.Rows {
			for _, c := range row {
				if h, ok := c.(report.Hidden); ok {
					if h != report.MarkSmall && h != report.MarkHidden {
						t.Errorf("table %s shows the mark %q", tbl.Name, h)
					}
					marks++
				}
			}
		}
	}
	if marks != len(r.Suppressed) {
		t.Fatalf("the tables show %d marks, the report hides %d cells", marks, len(r.Suppressed))
	}
	note := ""
	for _, line := range r.Heading() {
		if line[0] == "Catatan" {
			note = line[1]
		}
	}
	if !strings.Contains(note, "<5: kurang dari lima") || !strings.Contains(note, "x: dirahasiakan") {
		t.Errorf("the heading does not explain the marks: %q", note)
	}

	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	records, err := csvRecords(buf.String())
	if err != nil {
		t.Fatal(err)
	}
	csvMarks := 0
	for _, rec := range records {
		for _, c := range rec {
			if c == report.MarkSmall || c == report.MarkHidden {
				csvMarks++
			}
		}
	}
	if csvMarks != marks {
		t.Errorf("the CSV shows %d marks, the tables %d", csvMarks, marks)
	}

	buf.Reset()
	if err := report.WriteXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, tbl := range tables {
		for i, row := range tbl.Rows {
			for j, c := range row {
				h, ok := c.(report.Hidden)
				if !ok {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
				got, _ := x.GetCellValue(tbl.Name, cell)
				typ, _ := x.GetCellType(tbl.Name, cell)
				if got != string(h) || typ == excelize.CellTypeNumber {
					t.Errorf("%s!%s = %q (type %v), want the mark %q as text", tbl.Name, cell, got, typ, h)
				}
			}
		}
	}
}

func csvRecords(text string) ([][]string, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	return recs, nil
}
