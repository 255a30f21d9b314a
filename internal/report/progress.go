package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Point is one region's counts as at the end of a month (or, for the
// month not yet over, as at when it was taken): a point of the lines that
// show the way to zero extreme poverty.
type Point struct {
	Region string `json:"region" bson:"region"`
	// Month is YYYY-MM on the region's clock.
	Month string `json:"month" bson:"month"`
	// At is the moment counted: the month's end, or TakenAt if earlier.
	At      time.Time `json:"at" bson:"at"`
	TakenAt time.Time `json:"takenAt" bson:"takenAt"`
	// Partial is set for a month not over when it was taken.
	Partial bool `json:"partial,omitempty" bson:"partial,omitempty"`

	Households int64 `json:"households" bson:"households"`
	InProcess  int64 `json:"inProcess" bson:"inProcess"`
	// StillExtreme are households verified extreme-poor whose case is
	// open; StillExtremePeople the people they hold.
	StillExtreme       int64 `json:"stillExtreme" bson:"stillExtreme"`
	StillExtremePeople int64 `json:"stillExtremePeople" bson:"stillExtremePeople"`
	Graduated          int64 `json:"graduated" bson:"graduated"`
	Excluded           int64 `json:"excluded" bson:"excluded"`
	Overdue            int64 `json:"overdue" bson:"overdue"`
}

// ID names the point: one per region and month, so that taking a month
// again replaces it.
func (p Point) ID() string { return p.Month + "/" + p.Region }

// MonthOf is the month (YYYY-MM) holding t on scope's clock.
func MonthOf(scope string, t time.Time) string { return t.In(region.Zone(scope)).Format("2006-01") }

// MonthEnd is the first instant after month (YYYY-MM) on scope's clock.
func MonthEnd(scope, month string) (time.Time, error) {
	m, err := time.ParseInLocation("2006-01", month, region.Zone(scope))
	if err != nil {
		return time.Time{}, fmt.Errorf("report: month %q: %w", month, err)
	}
	return m.AddDate(0, 1, 0), nil
}

// Months are the months from first through last (YYYY-MM), at most max
// of them, the latest kept.
func Months(first, last string, max int) []string {
	f, err1 := time.Parse("2006-01", first)
	l, err2 := time.Parse("2006-01", last)
	if err1 != nil || err2 != nil || l.Before(f) {
		return nil
	}
	var out []string
	for m := l; !m.Before(f) && len(out) < max; m = m.AddDate(0, -1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	slices.Reverse(out)
	return out
}

// FirstMonth is the month of the earliest opening among facts on scope's
// clock, "" when there is none.
func FirstMonth(scope string, facts []household.Facts) string {
	var first time.Time
	for _, f := range facts {
		for _, m := range f.Marks {
			if m.Type == household.EventOpened && (first.IsZero() || m.At.Before(first)) {
				first = m.At
			}
		}
	}
	if first.IsZero() {
		return ""
	}
	return MonthOf(scope, first)
}

// Points counts month for every province, regency and kecamatan holding a
// case among facts, as at the month's end, or as at taken while the month
// is not over. scope names the clock.
func Points(scope, month string, facts []household.Facts, taken time.Time) ([]Point, error) {
	end, err := MonthEnd(scope, month)
	if err != nil {
		return nil, err
	}
	at, partial := end, false
	if taken.Before(end) {
		at, partial = taken, true
	}
	byRegion := map[string]*Point{}
	add := func(code string, s household.Standing, people int64) {
		if code == "" {
			return
		}
		p, ok := byRegion[code]
		if !ok {
			p = &Point{Region: code, Month: month, At: at.UTC(), TakenAt: taken.UTC(), Partial: partial}
			byRegion[code] = p
		}
		p.Households++
		if s.Open {
			p.InProcess++
		}
		if s.ExtremePoor() {
			p.StillExtreme++
			p.StillExtremePeople += people
		}
		if s.Overdue {
			p.Overdue++
		}
		switch {
		case s.Open:
		case s.Outcome == household.OutcomeGraduated:
			p.Graduated++
		case s.Outcome == household.OutcomeExcludedNotPoor:
			p.Excluded++
		}
	}
	for _, f := range facts {
		s := f.At(at)
		if !s.Known {
			continue
		}
		var people int64
		if s.Surveyed {
			people = int64(len(f.People))
		}
		add(region.Ancestor(f.VillageCode, region.Province), s, people)
		add(f.RegencyCode, s, people)
		add(f.DistrictCode, s, people)
	}
	out := make([]Point, 0, len(byRegion))
	for _, p := range byRegion {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Point) int { return strings.Compare(a.Region, b.Region) })
	return out, nil
}
