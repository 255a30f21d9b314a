package console

import (
	"net/http"
	"net/url"
	"sort"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
)

// area is one row of the dashboard: a kecamatan, or for the province a
// regency (its kecamatan summed), with the list filter its numbers link to.
type area struct {
	Code, Name string
	// District is the kecamatan the numbers filter the list by ("" for a
	// regency: the list is then the person's whole scope).
	District string
	Tally    store.Tally
}

// bar is one bar of a chart: a link to the cases it counts, its length
// drawn by a small SVG (a style attribute would need 'unsafe-inline').
type bar struct {
	Label string
	Value int64
	// Width is the bar's length out of chartWidth.
	Width int
	Href  string
}

// chartWidth is the length of the longest bar, the width of the bars' SVG
// viewBox.
const chartWidth = 220

// dashboardPage shows the funnel, overdue, escalations, extreme-poor still
// open, graduations, exclusions and progress to zero of the person's
// region, per kecamatan (per regency for the province), from the same
// counts as GET /v1/dashboard.
func (c *Console) dashboardPage(w http.ResponseWriter, r *http.Request) {
	who := caller(r)
	d, err := c.svc.Dashboard(r.Context(), who, r.URL.Query().Get("district"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	areas := make([]area, 0, len(d.Districts))
	if region.Level(levelOf(who.Region)) == region.Province {
		byRegency := map[string]*area{}
		for _, dt := range d.Districts {
			code := region.ParentCode(dt.Code)
			a, ok := byRegency[code]
			if !ok {
				a = &area{Code: code, Name: regionName(code), Tally: zeroTally()}
				byRegency[code] = a
			}
			addTally(&a.Tally, dt.Tally)
		}
		for _, a := range byRegency {
			areas = append(areas, *a)
		}
		sort.Slice(areas, func(i, j int) bool { return areas[i].Code < areas[j].Code })
	} else {
		for _, dt := range d.Districts {
			areas = append(areas, area{Code: dt.Code, Name: dt.Name, District: dt.Code, Tally: dt.Tally})
		}
	}
	var maxOpen int64 = 1
	for _, a := range areas {
		maxOpen = max(maxOpen, a.Tally.Open)
	}
	bars := make([]bar, len(areas))
	for i, a := range areas {
		bars[i] = bar{Label: a.Name, Value: a.Tally.Open, Width: int(a.Tally.Open * chartWidth / maxOpen),
			Href: "/cases?status=open"}
		if a.District != "" {
			bars[i].Href = "/cases?district=" + url.QueryEscape(a.District) + "&status=open"
		}
	}
	var maxStage int64 = 1
	for _, s := range household.Stages[:5] {
		maxStage = max(maxStage, d.Totals.ByStage[s])
	}
	p := c.newPage(w, r, "dashboard.title")
	funnel := make([]bar, 5)
	for i, s := range household.Stages[:5] {
		n := d.Totals.ByStage[s]
		funnel[i] = bar{Label: p.L.Enum("stage", s), Value: n, Width: int(n * chartWidth / maxStage),
			Href: "/cases?stage=" + string(s)}
	}
	p.Nav = "dashboard"
	p.Data = map[string]any{"D": d, "Areas": areas, "Bars": bars, "ChartWidth": chartWidth,
		"Funnel": funnel, "Stages": household.Stages[:5]}
	c.render(w, r, "dashboard", p)
}

func levelOf(code string) region.Level {
	r, _ := region.Lookup(code)
	return r.Level
}

func zeroTally() store.Tally {
	return store.Tally{ByStage: map[household.Stage]int64{}, ByOutcome: map[household.Outcome]int64{}}
}

func addTally(t *store.Tally, o store.Tally) {
	t.Cases += o.Cases
	t.Open += o.Open
	t.Overdue += o.Overdue
	t.Escalated += o.Escalated
	t.ExtremePoorOpen += o.ExtremePoorOpen
	t.Graduated += o.Graduated
	t.ExcludedNotPoor += o.ExcludedNotPoor
	t.RemainingPeople += o.RemainingPeople
	for k, v := range o.ByStage {
		t.ByStage[k] += v
	}
	for k, v := range o.ByOutcome {
		t.ByOutcome[k] += v
	}
}
