package console

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strings"

	"github.com/tuntas-id/tuntas/internal/report"
)

// trend is one measure's line on the progress charts.
type trend struct {
	Key   string // catalogue key of its name
	Color string
	Dash  string
	value func(report.Point) int64
}

// trends are the lines each chart draws: the way to zero.
var trends = []trend{
	{"progress.people", "#b3261e", "", func(p report.Point) int64 { return p.StillExtremePeople }},
	{"progress.graduated", "#1b7f3b", "", func(p report.Point) int64 { return p.Graduated }},
	{"progress.excluded", "#5f6368", "6 3", func(p report.Point) int64 { return p.Excluded }},
	{"progress.overdue", "#b06000", "2 3", func(p report.Point) int64 { return p.Overdue }},
}

// chart is one area's drawn lines.
type chart struct {
	Code, Name string
	SVG        template.HTML
	// Last is the latest point, shown in words beside the picture.
	Last report.Point
}

// Chart geometry, in the SVG's own units.
const (
	chartW, chartH         = 320, 150
	padL, padR, padT, padB = 34, 8, 8, 20
)

// drawLines draws the trends of points (one per month) as an SVG: numbers
// and escaped month labels only, so the markup is safe to inline, and
// presentation attributes rather than style, which the console's
// Content-Security-Policy would refuse.
func drawLines(title string, months []string, points []report.Point) template.HTML {
	var top int64 = 1
	for _, p := range points {
		for _, t := range trends {
			top = max(top, t.value(p))
		}
	}
	x := func(i int) float64 {
		if len(points) < 2 {
			return float64(padL + (chartW-padL-padR)/2)
		}
		return float64(padL) + float64(i)*float64(chartW-padL-padR)/float64(len(points)-1)
	}
	y := func(v int64) float64 {
		return float64(padT) + float64(chartH-padT-padB)*(1-float64(v)/float64(top))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" class="trend">`, chartW, chartH, html.EscapeString(title))
	for _, v := range []int64{0, top / 2, top} {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd" stroke-width="1"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="9" text-anchor="end" fill="#555">%s</text>`, padL-4, y(v)+3, Num(v))
	}
	if len(months) > 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="9" fill="#555">%s</text>`, padL, chartH-6, html.EscapeString(months[0]))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="9" text-anchor="end" fill="#555">%s</text>`, chartW-padR, chartH-6, html.EscapeString(months[len(months)-1]))
	}
	for _, t := range trends {
		var pts []string
		for i, p := range points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(t.value(p))))
		}
		dash := ""
		if t.Dash != "" {
			dash = ` stroke-dasharray="` + t.Dash + `"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`, t.Color, dash, strings.Join(pts, " "))
		if n := len(points); n > 0 {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, x(n-1), y(t.value(points[n-1])), t.Color)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built above from numbers and escaped text only
}

// progressPage shows the monthly snapshots as lines: the person's region
// and each area under it (the province: each regency).
func (c *Console) progressPage(w http.ResponseWriter, r *http.Request) {
	lines, err := c.svc.Progress(r.Context(), caller(r))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := c.newPage(w, r, "progress.title")
	p.Nav = "dashboard"
	charts := make([]chart, 0, len(lines.Areas))
	for _, a := range lines.Areas {
		ch := chart{Code: a.Code, Name: a.Name, SVG: drawLines(a.Name, lines.Months, a.Points)}
		if n := len(a.Points); n > 0 {
			ch.Last = a.Points[n-1]
		}
		charts = append(charts, ch)
	}
	p.Data = map[string]any{"Lines": lines, "Charts": charts, "Trends": trends}
	c.render(w, r, "progress", p)
}
