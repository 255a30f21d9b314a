package console

import (
	"bytes"
	"net/http"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
)

// quarterlyQuery reads the report's query from the page's URL.
func quarterlyQuery(r *http.Request, format string) casework.QuarterlyQuery {
	q := r.URL.Query()
	return casework.QuarterlyQuery{From: q.Get("from"), To: q.Get("to"), Region: q.Get("region"), Format: format}
}

// quarterlyPage is the quarterly report as a page laid out for A4 paper
// (the print stylesheet), with its downloads. Showing it is recorded as a
// print: the page is what gets printed.
func (c *Console) quarterlyPage(w http.ResponseWriter, r *http.Request) {
	q := quarterlyQuery(r, "print")
	rep, err := c.svc.QuarterlyReport(r.Context(), caller(r), q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := c.newPage(w, r, "quarterly.title")
	p.Nav = "quarterly"
	p.Form = r.URL.Query()
	u, _ := userFrom(r.Context())
	p.Data = map[string]any{"Report": rep, "Tables": rep.Tables(), "Heading": rep.Heading(),
		"Regions": reportRegions(u.Region), "Query": downloadQuery(rep)}
	c.render(w, r, "quarterly", p)
}

// downloadQuery is the query that downloads exactly the report shown.
func downloadQuery(rep report.Report) string {
	return "?from=" + rep.Period.From + "&to=" + rep.Period.To + "&region=" + rep.Scope
}

// reportRegions are the regions a person may choose on the page: their own
// and those one level under it.
func reportRegions(scope string) []region.Region {
	own, ok := region.Lookup(scope)
	if !ok {
		return nil
	}
	return append([]region.Region{own}, region.Children(scope)...)
}

// quarterlyCSV and quarterlyXLSX download the report, as
// GET /v1/reports/quarterly does.
func (c *Console) quarterlyCSV(w http.ResponseWriter, r *http.Request) {
	rep, err := c.svc.QuarterlyReport(r.Context(), caller(r), quarterlyQuery(r, "csv"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+report.FileName(rep, "csv")+`"`)
	_ = report.WriteCSV(w, rep)
}

func (c *Console) quarterlyXLSX(w http.ResponseWriter, r *http.Request) {
	rep, err := c.svc.QuarterlyReport(r.Context(), caller(r), quarterlyQuery(r, "xlsx"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, rep); err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+report.FileName(rep, "xlsx")+`"`)
	_, _ = w.Write(buf.Bytes())
}
