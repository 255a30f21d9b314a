package console

import (
	"net/http"
	"slices"

	"github.com/tuntas-id/tuntas/internal/casework"
)

// provincePage is the province's escalation queue across its region and
// the roll-up report with its CSV download.
func (c *Console) provincePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	who := caller(r)
	rep, err := c.svc.ProvinceReport(ctx, who, casework.ReportQuery{Regency: r.URL.Query().Get("regency")})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	l, err := c.svc.ListCases(ctx, who, escalatedOpen)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	slices.SortStableFunc(l.Items, urgency)
	p := c.newPage(w, r, "province.title")
	p.Nav = "province"
	p.Data = map[string]any{"Report": rep, "Queue": l.Items, "More": l.NextCursor != ""}
	c.render(w, r, "province", p)
}

// provinceCSV downloads the report, as GET /v1/reports/province?format=csv.
func (c *Console) provinceCSV(w http.ResponseWriter, r *http.Request) {
	rep, err := c.svc.ProvinceReport(r.Context(), caller(r), casework.ReportQuery{Regency: r.URL.Query().Get("regency"), Format: "csv"})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+casework.ReportFileName(rep.Scope)+`"`)
	_ = casework.WriteReportCSV(w, rep)
}
