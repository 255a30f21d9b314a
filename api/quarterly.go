package api

import (
	"bytes"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/report"
)

// xlsxType is the media type of an Excel workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// quarterlyFormat is the format asked for: ?format= first, then Accept.
func quarterlyFormat(c *gin.Context) string {
	if f := c.Query("format"); f != "" {
		return f
	}
	accept := c.GetHeader("Accept")
	switch {
	case strings.Contains(accept, xlsxType):
		return "xlsx"
	case strings.Contains(accept, "text/csv"):
		return "csv"
	}
	return ""
}

// quarterlyReport is the quarterly report of ?region= (the caller's own
// by default) over ?from= to ?to= (the current quarter by default), as
// JSON, CSV or an Excel workbook.
func (s *Server) quarterlyReport(c *gin.Context) {
	format := quarterlyFormat(c)
	if format != "" && !slices.Contains(casework.QuarterlyDownloads, format) {
		s.fail(c, invalid(household.NewFieldError("format", "must be one of %v", casework.QuarterlyDownloads)))
		return
	}
	q := casework.QuarterlyQuery{From: c.Query("from"), To: c.Query("to"), Region: c.Query("region"), Format: format}
	r, err := s.svc.QuarterlyReport(c.Request.Context(), caller(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	switch format {
	case "csv":
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="`+report.FileName(r, "csv")+`"`)
		c.Status(http.StatusOK)
		_ = report.WriteCSV(c.Writer, r)
	case "xlsx":
		// Built whole first, so that a failure is still a problem+json.
		var buf bytes.Buffer
		if err := report.WriteXLSX(&buf, r); err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="`+report.FileName(r, "xlsx")+`"`)
		c.Data(http.StatusOK, xlsxType, buf.Bytes())
	default:
		c.JSON(http.StatusOK, r)
	}
}
