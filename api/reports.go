package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
)

func (s *Server) dashboard(c *gin.Context) {
	d, err := s.Dashboard(c.Request.Context(), caller(c), c.Query("district"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

// reportColumns are the CSV columns of the province report.
var reportColumns = []string{"district_code", "district_name", "cases", "open",
	"collecting", "village_review", "verification", "intervention", "follow_up",
	"graduated", "excluded_not_poor", "not_found", "not_extreme", "closed_other",
	"overdue", "escalated", "remaining_people"}

func reportRow(code, name string, t store.Tally) []string {
	closedOther := t.Cases - t.Open - t.Graduated - t.ExcludedNotPoor -
		t.ByOutcome[household.OutcomeNotFound] - t.ByOutcome[household.OutcomeNotExtreme]
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	return []string{code, name, n(t.Cases), n(t.Open),
		n(t.ByStage[household.StageCollecting]), n(t.ByStage[household.StageVillageReview]),
		n(t.ByStage[household.StageVerification]), n(t.ByStage[household.StageIntervention]),
		n(t.ByStage[household.StageFollowUp]),
		n(t.Graduated), n(t.ExcludedNotPoor), n(t.ByOutcome[household.OutcomeNotFound]),
		n(t.ByOutcome[household.OutcomeNotExtreme]), n(closedOther),
		n(t.Overdue), n(t.Escalated), n(t.RemainingPeople)}
}

// reportFormats are the formats the province report is given in.
var reportFormats = []string{"json", "csv"}

// provinceReport is the regency roll-up per kecamatan, as JSON or CSV
// (Accept: text/csv or ?format=csv). ?regency= narrows it to one regency.
func (s *Server) provinceReport(c *gin.Context) {
	if _, err := reportScope(principal(c), c.Query("regency")); err != nil {
		s.fail(c, err)
		return
	}
	format := c.Query("format")
	if format != "" && !slices.Contains(reportFormats, format) {
		s.fail(c, invalid(field("format", "must be csv or json")))
		return
	}
	r, err := s.ProvinceReport(c.Request.Context(), caller(c), c.Query("regency"), c.Request.URL.RawQuery)
	if err != nil {
		s.fail(c, err)
		return
	}
	if format == "csv" || (format == "" && strings.Contains(c.GetHeader("Accept"), "text/csv")) {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="`+ReportFileName(r.Scope)+`"`)
		c.Status(http.StatusOK)
		_ = WriteReportCSV(c.Writer, r)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) regions(c *gin.Context) {
	parent := c.DefaultQuery("parent", "64")
	r, ok := region.Lookup(parent)
	if !ok {
		s.fail(c, invalid(field("parent", "must be a region code of the registry")))
		return
	}
	c.JSON(http.StatusOK, Regions{Region: r, Children: region.Children(parent)})
}
