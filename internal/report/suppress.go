package report

import (
	"slices"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Small cells. Below the regency (a kecamatan, a village) a count of
// households split by the head's sex or by disability, of people by age
// group, sex or disability, or of deliveries by the head's sex, can be
// one household that the neighbours recognise: "the one female-headed
// household graduated in Senyiur this quarter". Such a report hides every
// such count from 1 to MinCell-1, shown as "<5" (the threshold rule of
// statistical disclosure control: agencies require at least three or five
// units in a published cell; Tuntas takes five, the stricter, as the
// households of one village are few and known to each other), and then
// hides further cells (complementary suppression) so that no hidden count
// can be worked back from what is shown:
//
//   - within the report, no sum it shows (the head's sexes of a row add up
//     to its households; listed = in process + the three ways of closing;
//     an age band's men and women make its people, the bands the people
//     column; a strategy's deliveries are its programs') holds exactly
//     one hidden cell;
//   - among the reports of its siblings (the kecamatan of one regency, the
//     villages of one kecamatan), whose cells add up to their parent's,
//     no cell is hidden in exactly one of them.
//
// A hidden cell's number is 0 in the JSON and its mark in Suppressed;
// the files and the page show the mark. A hidden cell under five shows
// "<5" whether it was hidden for itself or for another (so a 0 hidden
// beside a 1 does not tell which is which); one of five or more shows
// "x". Not protected: differences between reports of different periods
// or levels (a quarter's listed minus the last quarter's; a kecamatan's
// hidden cell against its villages' cells). The totals of households and
// people per measure, interventions per program and every area's counts
// are not split by person and are shown whole. The village's BNBA list is
// by name by design and not a table of counts: it is masked by role
// instead (casework.VillageList).
const MinCell = 5

// Marks of a hidden cell.
const (
	MarkSmall  = "<5" // its number is under MinCell
	MarkHidden = "x"  // hidden so that a small one cannot be worked back
)

// Hidden is a cell a table does not give: its mark.
type Hidden string

func (h Hidden) String() string { return string(h) }

// Protected reports whether reports of scope hide small cells: those of a
// kecamatan or a village.
func Protected(scope string) bool {
	reg, ok := region.Lookup(scope)
	return ok && (reg.Level == region.District || reg.Level == region.Village)
}

// FactsScope is the region whose facts Quarterly needs for a report of
// scope: scope itself, or below the regency its parent, whose other
// children's reports the hidden cells must also stand against.
func FactsScope(scope string) string {
	if Protected(scope) {
		return region.ParentCode(scope)
	}
	return scope
}

// Quarterly is the report of scope as it is handed out: Build over the
// facts within scope, and below the regency its small cells hidden.
// facts must cover FactsScope(scope); those outside it are left out.
func Quarterly(scope string, period Period, facts []household.Facts, generated time.Time) Report {
	if !Protected(scope) {
		return Build(scope, period, within(facts, scope), generated)
	}
	parent := region.ParentCode(scope)
	var family []*Report
	var own *Report
	for _, sib := range region.Children(parent) {
		r := Build(sib.Code, period, within(facts, sib.Code), generated)
		family = append(family, &r)
		if sib.Code == scope {
			own = &r
		}
	}
	if own == nil { // not in the registry's tree: alone
		r := Build(scope, period, within(facts, scope), generated)
		own, family = &r, []*Report{&r}
	}
	protect(family)
	return *own
}

// within are the facts of cases within scope.
func within(facts []household.Facts, scope string) []household.Facts {
	var out []household.Facts
	for _, f := range facts {
		if region.Within(f.VillageCode, scope) {
			out = append(out, f)
		}
	}
	return out
}

// cells are the report's counts split by person (by the head's sex, by
// disability, by age group or sex of people), by key: the counts a small
// cell may hide.
func (r *Report) cells() map[string]*int64 {
	out := map[string]*int64{}
	for i := range r.Households {
		c := &r.Households[i]
		k := "households." + string(c.Measure) + "."
		out[k+"headMale"], out[k+"headFemale"], out[k+"headUnknown"], out[k+"withDisability"] = &c.HeadMale, &c.HeadFemale, &c.HeadUnknown, &c.WithDisability
	}
	for _, g := range r.People {
		for i := range g.Rows {
			row := &g.Rows[i]
			k := "people." + string(g.Of) + "." + string(row.AgeGroup) + "."
			out[k+"male"], out[k+"female"], out[k+"disability"], out[k+"total"] = &row.Male, &row.Female, &row.Disability, &row.Total
		}
	}
	for i := range r.Programs {
		p := &r.Programs[i]
		k := "programs." + string(p.Program) + "."
		out[k+"deliveredHeadMale"], out[k+"deliveredHeadFemale"] = &p.DeliveredHeadMale, &p.DeliveredHeadFemale
	}
	for i := range r.Strategies {
		s := &r.Strategies[i]
		k := "strategies." + string(s.Strategy) + "."
		out[k+"deliveredHeadMale"], out[k+"deliveredHeadFemale"] = &s.DeliveredHeadMale, &s.DeliveredHeadFemale
	}
	return out
}

// sums are the groups of cells the report's own numbers tie together:
// given every cell of a group but one (and the totals shown beside them),
// the one left is worked out.
func sums() [][]string {
	var out [][]string
	heads := []string{"headMale", "headFemale", "headUnknown"}
	for _, m := range Measures {
		var g []string
		for _, h := range heads {
			g = append(g, "households."+string(m)+"."+h)
		}
		out = append(out, g) // the households of a measure
	}
	for _, col := range append(heads, "withDisability") {
		g := []string{"households." + string(Listed) + "." + col}
		for _, m := range []Measure{InProcess, ExcludedNotPoor, Graduated, ClosedOther} {
			g = append(g, "households."+string(m)+"."+col)
		}
		out = append(out, g) // listed: open, or closed one of three ways
	}
	for _, of := range []Measure{Listed, StillExtreme} {
		var bands []string
		for _, a := range household.AgeGroups {
			k := "people." + string(of) + "." + string(a) + "."
			out = append(out, []string{k + "male", k + "female", k + "total"}) // a band's people
			bands = append(bands, k+"total")
		}
		out = append(out, bands) // the people column of the measure
	}
	deliveries := []string{"deliveredHeadMale", "deliveredHeadFemale"}
	for _, p := range household.Programs {
		out = append(out, []string{"programs." + string(p) + "." + deliveries[0], "programs." + string(p) + "." + deliveries[1]})
	}
	for _, s := range household.Strategies {
		out = append(out, []string{"strategies." + string(s) + "." + deliveries[0], "strategies." + string(s) + "." + deliveries[1]})
		for _, d := range deliveries {
			g := []string{"strategies." + string(s) + "." + d}
			for _, p := range household.Programs {
				if household.ProgramStrategy[p] == s {
					g = append(g, "programs."+string(p)+"."+d)
				}
			}
			out = append(out, g) // a strategy is the sum of its programs
		}
	}
	return out
}

// protect hides the small cells of every report of a family of siblings,
// and the cells that keep them from being worked back, the same way
// whichever sibling is asked for; then gives each report its marks.
func protect(family []*Report) {
	cells := make([]map[string]*int64, len(family))
	hidden := make([]map[string]bool, len(family))
	var keys []string
	for i, r := range family {
		cells[i], hidden[i] = r.cells(), map[string]bool{}
		for k, v := range cells[i] {
			if *v > 0 && *v < MinCell {
				hidden[i][k] = true
			}
			if i == 0 {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys) // the same choices every time
	groups := sums()
	// hideBeside hides another of the cells given when exactly one of
	// them is hidden, and reports whether it did.
	type at struct {
		report int
		key    string
	}
	hideBeside := func(group []at) bool {
		n := 0
		for _, c := range group {
			if hidden[c.report][c.key] {
				n++
			}
		}
		if n != 1 {
			return false
		}
		// better: a non-zero count before a zero (it leaves a wider
		// range), then the smaller.
		better := func(p, b int64) bool {
			if (p > 0) != (b > 0) {
				return p > 0
			}
			return p < b
		}
		best := -1
		for i, c := range group {
			p, ok := cells[c.report][c.key]
			if !ok || hidden[c.report][c.key] {
				continue
			}
			if best < 0 || better(*p, *cells[group[best].report][group[best].key]) {
				best = i
			}
		}
		if best < 0 {
			return false
		}
		hidden[group[best].report][group[best].key] = true
		return true
	}
	for changed := true; changed; {
		changed = false
		for i := range family {
			for _, g := range groups {
				group := make([]at, len(g))
				for j, k := range g {
					group[j] = at{i, k}
				}
				changed = hideBeside(group) || changed
			}
		}
		if len(family) > 1 {
			for _, k := range keys {
				group := make([]at, len(family))
				for i := range family {
					group[i] = at{i, k}
				}
				changed = hideBeside(group) || changed
			}
		}
	}
	for i, r := range family {
		if len(hidden[i]) == 0 {
			continue
		}
		r.Suppressed = map[string]string{}
		for k := range hidden[i] {
			p := cells[i][k]
			r.Suppressed[k] = MarkHidden
			if *p < MinCell {
				r.Suppressed[k] = MarkSmall
			}
			*p = 0
		}
	}
}

// hiddenAt is the mark of the cell key of r, or "" when it is given.
func (r Report) hiddenAt(key string) Hidden {
	return Hidden(r.Suppressed[key])
}

// cell is what a table shows of the count v at key: v, or its mark.
func (r Report) cell(key string, v int64) any {
	if h := r.hiddenAt(key); h != "" {
		return h
	}
	return v
}

// suppressionNote explains the marks, for the heading of a report that
// hides cells.
func (r Report) suppressionNote() string {
	if len(r.Suppressed) == 0 {
		return ""
	}
	return strings.Join([]string{
		MarkSmall + ": kurang dari lima, dirahasiakan agar rumah tangga tidak dapat dikenali",
		MarkHidden + ": dirahasiakan agar sel kecil tidak dapat dihitung dari jumlahnya",
	}, "; ")
}
