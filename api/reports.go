package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/casework"
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
