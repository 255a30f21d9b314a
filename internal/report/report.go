// Package report owns the quarterly extreme-poverty report a regency hands
// upward (laporan triwulan, Inpres 4/2022): its counts as at the end of a
// period, computed from the cases' facts (household.Facts.At) and never
// from where the cases stand today, its tables, and its files (CSV and an
// Excel workbook with headers in Bahasa Indonesia).
package report

import (
	"slices"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Period is the span a report covers: from Start (inclusive) to End
// (exclusive); "as at the end" is just before End.
type Period struct {
	// From and To are the first and last days, YYYY-MM-DD on the region's
	// clock; To is End's day when End is an instant within a day.
	From  string    `json:"from"`
	To    string    `json:"to"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// PeriodRule names what is wrong with a period's bound.
type PeriodRule int

// Period rules.
const (
	PeriodRequired  PeriodRule = iota + 1 // a bound is missing
	PeriodMalformed                       // neither a date nor an RFC 3339 time
	PeriodReversed                        // to before from
	PeriodTooLong                         // more than five years
)

// PeriodError says which bound (from or to) breaks which rule.
type PeriodError struct {
	Field string
	Rule  PeriodRule
}

func (e *PeriodError) Error() string {
	words := map[PeriodRule]string{PeriodRequired: "is required (YYYY-MM-DD)", PeriodMalformed: "must be a date YYYY-MM-DD or an RFC 3339 time",
		PeriodReversed: "must not be before from", PeriodTooLong: "a period spans at most five years"}
	return e.Field + ": " + words[e.Rule]
}

// ParsePeriod reads from and to for a region: each a date (YYYY-MM-DD,
// whole days on the region's clock) or an RFC 3339 instant (an exact cut,
// say the moment a quarter's books closed).
func ParsePeriod(scope, from, to string) (Period, error) {
	zone := region.Zone(scope)
	start, rule := parseBound(from, zone, false)
	if rule != 0 {
		return Period{}, &PeriodError{"from", rule}
	}
	end, rule := parseBound(to, zone, true)
	if rule != 0 {
		return Period{}, &PeriodError{"to", rule}
	}
	if !start.Before(end) {
		return Period{}, &PeriodError{"to", PeriodReversed}
	}
	if end.Sub(start) > 5*366*24*time.Hour {
		return Period{}, &PeriodError{"to", PeriodTooLong}
	}
	return Period{From: start.In(zone).Format(time.DateOnly), To: end.Add(-time.Nanosecond).In(zone).Format(time.DateOnly),
		Start: start.UTC(), End: end.UTC()}, nil
}

func parseBound(s string, zone *time.Location, end bool) (time.Time, PeriodRule) {
	if s == "" {
		return time.Time{}, PeriodRequired
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, zone); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, 0
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, 0
	}
	return time.Time{}, PeriodMalformed
}

// Quarter is the calendar quarter holding day t on the region's clock.
func Quarter(scope string, t time.Time) (from, to string) {
	l := t.In(region.Zone(scope))
	first := time.Date(l.Year(), ((l.Month()-1)/3)*3+1, 1, 0, 0, 0, 0, l.Location())
	return first.Format(time.DateOnly), first.AddDate(0, 3, -1).Format(time.DateOnly)
}

// Count is a number of households, split by the sex of the household's
// head and by whether a member lives with a disability, with the people
// those households hold.
type Count struct {
	Households int64 `json:"households"`
	HeadMale   int64 `json:"headMale"`
	HeadFemale int64 `json:"headFemale"`
	// HeadUnknown are households whose head no submitted survey names yet.
	HeadUnknown int64 `json:"headUnknown"`
	// WithDisability are households with a member living with a disability.
	WithDisability int64 `json:"withDisability"`
	// People are the members of these households' submitted surveys.
	People int64 `json:"people"`
}

func (c *Count) add(h hh) {
	c.Households++
	switch h.headSex {
	case household.Male:
		c.HeadMale++
	case household.Female:
		c.HeadFemale++
	default:
		c.HeadUnknown++
	}
	if h.disability {
		c.WithDisability++
	}
	c.People += int64(len(h.people))
}

// Measure names a household count of the report.
type Measure string

// Measures, in the order the report shows them.
const (
	Listed           Measure = "listed"
	InProcess        Measure = "in_process"
	Proposed         Measure = "proposed"
	VerifiedExtreme  Measure = "verified_extreme_poor"
	Added            Measure = "added"
	ExcludedNotPoor  Measure = "excluded_not_poor"
	ExcludedInPeriod Measure = "excluded_in_period"
	Graduated        Measure = "graduated"
	GraduatedPeriod  Measure = "graduated_in_period"
	StillExtreme     Measure = "still_extreme_poor"
	ClosedOther      Measure = "closed_other"
	Overdue          Measure = "overdue"
	Escalated        Measure = "escalated"
)

// Measures lists every measure in report order.
var Measures = []Measure{Listed, InProcess, Proposed, VerifiedExtreme, Added, ExcludedNotPoor, ExcludedInPeriod,
	Graduated, GraduatedPeriod, StillExtreme, ClosedOther, Overdue, Escalated}

// Row is one measure's count.
type Row struct {
	Measure Measure `json:"measure"`
	Label   string  `json:"label"`
	Count
}

// PeopleRow counts people of one age group (age on the period's last day).
type PeopleRow struct {
	AgeGroup   household.AgeGroup `json:"ageGroup"`
	Male       int64              `json:"male"`
	Female     int64              `json:"female"`
	Disability int64              `json:"disability"`
	Total      int64              `json:"total"`
}

// People are the people of a group of households by age group.
type People struct {
	// Of is the measure whose households' people these are.
	Of   Measure     `json:"of"`
	Rows []PeopleRow `json:"rows"`
}

// Help counts interventions of a program or a strategy: assigned and
// delivered by the end and during the period, declined by the end, and
// the households that received a delivery by the head's sex.
type Help struct {
	Assigned            int64 `json:"assigned"`
	AssignedInPeriod    int64 `json:"assignedInPeriod"`
	Delivered           int64 `json:"delivered"`
	DeliveredInPeriod   int64 `json:"deliveredInPeriod"`
	Declined            int64 `json:"declined"`
	DeliveredHeadMale   int64 `json:"deliveredHeadMale"`
	DeliveredHeadFemale int64 `json:"deliveredHeadFemale"`
}

func (h *Help) add(o Help) {
	h.Assigned += o.Assigned
	h.AssignedInPeriod += o.AssignedInPeriod
	h.Delivered += o.Delivered
	h.DeliveredInPeriod += o.DeliveredInPeriod
	h.Declined += o.Declined
	h.DeliveredHeadMale += o.DeliveredHeadMale
	h.DeliveredHeadFemale += o.DeliveredHeadFemale
}

// ProgramRow is one program's interventions.
type ProgramRow struct {
	Program  household.Program  `json:"program"`
	Strategy household.Strategy `json:"strategy"`
	Help
}

// StrategyRow is one strategy's interventions.
type StrategyRow struct {
	Strategy household.Strategy `json:"strategy"`
	Help
}

// Area is one region under the report's scope, with the main counts.
type Area struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Counts are the households of each measure (no splits).
	Counts map[Measure]int64 `json:"counts"`
	// StillExtremePeople are the people of households still extreme-poor.
	StillExtremePeople int64 `json:"stillExtremePeople"`
}

// Report is the quarterly report of a scope.
type Report struct {
	Scope       string    `json:"scope"`
	ScopeName   string    `json:"scopeName"`
	RegencyName string    `json:"regencyName,omitempty"`
	Period      Period    `json:"period"`
	GeneratedAt time.Time `json:"generatedAt"`
	// Cases is how many cases the scope held at all (any time).
	Cases      int64         `json:"cases"`
	Households []Row         `json:"households"`
	People     []People      `json:"people"`
	Programs   []ProgramRow  `json:"programs"`
	Strategies []StrategyRow `json:"strategies"`
	// AreaLevel is the level of Areas: kecamatan under a regency, villages
	// under a kecamatan, regencies under the province.
	AreaLevel region.Level `json:"areaLevel,omitempty"`
	Areas     []Area       `json:"areas"`
	// Proposals are the village proposals of the period, when the server
	// keeps them (see CountProposals).
	Proposals *VillageProposals `json:"proposals,omitempty"`
	// Suppressed names the cells not given, each with its mark (MarkSmall
	// or MarkHidden): below the regency, counts split by person from 1 to
	// 4 and the cells that would give them back (suppress.go). Their
	// numbers here are 0. Keys are the JSON paths: households.<measure>.
	// headFemale, people.<measure>.<age band>.male,
	// programs.<program>.deliveredHeadFemale, strategies.<strategy>.….
	Suppressed map[string]string `json:"suppressed,omitempty"`
}

// hh is one household as the report counts it.
type hh struct {
	headSex    household.Sex
	disability bool
	people     []household.Person
}

// Build computes the report of scope over period from the facts of the
// cases within it, at generated. Everything as at the end is the cases'
// standing just before period.End; "during the period" is what holds at
// the end and did not at period.Start.
func Build(scope string, period Period, facts []household.Facts, generated time.Time) Report {
	r := Report{Scope: scope, Period: period, GeneratedAt: generated.UTC(), Cases: int64(len(facts))}
	if reg, ok := region.Lookup(scope); ok {
		r.ScopeName = reg.Name
		if reg.Level != region.Province {
			if rg, ok := region.Lookup(region.Ancestor(scope, region.Regency)); ok {
				r.RegencyName = rg.Name
			}
		}
		r.AreaLevel = childLevel(reg.Level)
	}
	counts := map[Measure]*Count{}
	for _, m := range Measures {
		counts[m] = &Count{}
	}
	peopleOf := map[Measure]map[household.AgeGroup]*PeopleRow{Listed: {}, StillExtreme: {}}
	for _, g := range peopleOf {
		for _, a := range household.AgeGroups {
			g[a] = &PeopleRow{AgeGroup: a}
		}
	}
	programs := map[household.Program]*Help{}
	for _, p := range household.Programs {
		programs[p] = &Help{}
	}
	areas := map[string]*Area{}
	day := period.To

	for _, f := range facts {
		end, start := f.At(period.End), f.At(period.Start)
		if !end.Known {
			continue
		}
		h := hh{}
		if end.Surveyed {
			h.headSex = f.HeadSex()
			h.people = f.People
			for _, p := range f.People {
				h.disability = h.disability || p.Disability
			}
		}
		in := measuresOf(end, start)
		area := r.area(areas, f)
		for _, m := range in {
			counts[m].add(h)
			area.Counts[m]++
			if g, ok := peopleOf[m]; ok {
				for _, p := range h.people {
					row := g[household.AgeGroupOn(p.BirthDate, day)]
					row.Total++
					switch p.Sex {
					case household.Male:
						row.Male++
					case household.Female:
						row.Female++
					}
					if p.Disability {
						row.Disability++
					}
				}
			}
		}
		if end.ExtremePoor() {
			area.StillExtremePeople += int64(len(h.people))
		}
		began := map[string]household.InterventionStatus{}
		for _, iv := range start.Interventions {
			began[iv.ID] = iv.Status
		}
		for _, iv := range end.Interventions {
			p := programs[iv.Program]
			if p == nil {
				continue
			}
			p.Assigned++
			before, had := began[iv.ID]
			if !had {
				p.AssignedInPeriod++
			}
			switch iv.Status {
			case household.InterventionDelivered:
				p.Delivered++
				if before != household.InterventionDelivered {
					p.DeliveredInPeriod++
				}
				switch h.headSex {
				case household.Male:
					p.DeliveredHeadMale++
				case household.Female:
					p.DeliveredHeadFemale++
				}
			case household.InterventionDeclined:
				p.Declined++
			}
		}
	}

	for _, m := range Measures {
		r.Households = append(r.Households, Row{Measure: m, Label: MeasureLabel[m], Count: *counts[m]})
	}
	for _, m := range []Measure{Listed, StillExtreme} {
		ps := People{Of: m}
		for _, a := range household.AgeGroups {
			ps.Rows = append(ps.Rows, *peopleOf[m][a])
		}
		r.People = append(r.People, ps)
	}
	strategies := map[household.Strategy]*Help{}
	for _, s := range household.Strategies {
		strategies[s] = &Help{}
	}
	for _, p := range household.Programs {
		s := household.ProgramStrategy[p]
		r.Programs = append(r.Programs, ProgramRow{Program: p, Strategy: s, Help: *programs[p]})
		strategies[s].add(*programs[p])
	}
	for _, s := range household.Strategies {
		r.Strategies = append(r.Strategies, StrategyRow{Strategy: s, Help: *strategies[s]})
	}
	codes := make([]string, 0, len(areas))
	for c := range areas {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	r.Areas = []Area{}
	for _, c := range codes {
		r.Areas = append(r.Areas, *areas[c])
	}
	return r
}

// measuresOf are the measures a case counts in, from its standing at the
// period's end and at its start.
func measuresOf(end, start household.Standing) []Measure {
	ms := []Measure{Listed}
	if end.Open {
		ms = append(ms, InProcess)
	}
	if !start.Known {
		ms = append(ms, Proposed)
	}
	if end.Verified == household.ExtremePoor {
		ms = append(ms, VerifiedExtreme)
		if start.Verified != household.ExtremePoor {
			ms = append(ms, Added)
		}
	}
	switch {
	case end.Open:
	case end.Outcome == household.OutcomeExcludedNotPoor:
		ms = append(ms, ExcludedNotPoor)
		if start.Open || !start.Known {
			ms = append(ms, ExcludedInPeriod)
		}
	case end.Outcome == household.OutcomeGraduated:
		ms = append(ms, Graduated)
		if start.Open || !start.Known {
			ms = append(ms, GraduatedPeriod)
		}
	default:
		ms = append(ms, ClosedOther)
	}
	if end.ExtremePoor() {
		ms = append(ms, StillExtreme)
	}
	if end.Overdue {
		ms = append(ms, Overdue)
	}
	if end.Escalated {
		ms = append(ms, Escalated)
	}
	return ms
}

func childLevel(l region.Level) region.Level {
	i := slices.Index(region.Levels, l)
	if i < 0 || i+1 >= len(region.Levels) {
		return ""
	}
	return region.Levels[i+1]
}

// area is the area under r's scope that f's case lies in.
func (r *Report) area(areas map[string]*Area, f household.Facts) *Area {
	code := r.Scope
	switch r.AreaLevel {
	case region.Regency:
		code = f.RegencyCode
	case region.District:
		code = f.DistrictCode
	case region.Village:
		code = f.VillageCode
	}
	a, ok := areas[code]
	if !ok {
		reg, _ := region.Lookup(code)
		a = &Area{Code: code, Name: reg.Name, Counts: map[Measure]int64{}}
		for _, m := range Measures {
			a.Counts[m] = 0
		}
		areas[code] = a
	}
	return a
}
