package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/casework"
)

func (s *Server) openCase(c *gin.Context) {
	var req casework.OpenRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.Open(c.Request.Context(), caller(c), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/v1/cases/"+v.ID)
	c.JSON(http.StatusCreated, v)
}

func (s *Server) getCase(c *gin.Context) {
	v, _, err := s.svc.Case(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) timeline(c *gin.Context) {
	tl, err := s.svc.Timeline(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, tl)
}

// listFilter reads the list's query parameters into the service's filter;
// a parameter it cannot use is answered as a field error, with the rest.
func listFilter(c *gin.Context) (casework.Filter, error) {
	return casework.ParseFilter(c.Request.URL.Query(), principal(c).Region)
}

func (s *Server) listCases(c *gin.Context) {
	f, err := listFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	l, err := s.svc.ListCases(c.Request.Context(), caller(c), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

func (s *Server) duplicates(c *gin.Context) {
	f, err := listFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	l, err := s.svc.Duplicates(c.Request.Context(), caller(c), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

func (s *Server) caseReads(c *gin.Context) {
	r, err := s.svc.Reads(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
