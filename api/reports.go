package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

func (s *Server) dashboard(c *gin.Context) {
	d, err := s.svc.Dashboard(c.Request.Context(), caller(c), c.Query("district"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

// provinceReport is the regency roll-up per kecamatan, as JSON or CSV
// (Accept: text/csv or ?format=csv). ?regency= narrows it to one regency.
func (s *Server) provinceReport(c *gin.Context) {
	q := casework.ReportQuery{Regency: c.Query("regency"), Format: c.Query("format")}
	r, err := s.svc.ProvinceReport(c.Request.Context(), caller(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	if q.Format == "csv" || (q.Format == "" && strings.Contains(c.GetHeader("Accept"), "text/csv")) {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="`+casework.ReportFileName(r.Scope)+`"`)
		c.Status(http.StatusOK)
		_ = casework.WriteReportCSV(c.Writer, r)
		return
	}
	c.JSON(http.StatusOK, r)
}

// Regions is a region of the registry and the regions directly under it.
type Regions struct {
	Region   region.Region   `json:"region"`
	Children []region.Region `json:"children"`
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

// villageList is a village's by-name-by-address list for its musdes
// (?village=, the caller's own village by default; ?stage=), as JSON or
// CSV (Accept: text/csv or ?format=csv), masked for the caller's role as
// the console's printed list is, and on the record of reads with every
// case it shows.
func (s *Server) villageList(c *gin.Context) {
	format := c.Query("format")
	if format == "" && strings.Contains(c.GetHeader("Accept"), "text/csv") {
		format = "csv"
	}
	if format != "" && !slices.Contains(casework.BNBADownloads, format) {
		s.fail(c, invalid(household.NewFieldError("format", "must be one of %v", casework.BNBADownloads)))
		return
	}
	q := casework.BNBAQuery{Village: c.Query("village"), Stage: household.Stage(c.Query("stage")), Format: format}
	l, err := s.svc.VillageList(c.Request.Context(), caller(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	if format == "csv" {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="`+casework.BNBAFileName(l)+`"`)
		c.Status(http.StatusOK)
		_ = casework.WriteBNBACSV(c.Writer, l)
		return
	}
	c.JSON(http.StatusOK, l)
}
