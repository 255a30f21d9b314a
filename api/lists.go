package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
)

// The living list's routes: village proposals (usulan desa), objections
// (sanggah) and a village's list posted for them. Each adapts one call of
// the service, which checks role and region.

func listQuery(c *gin.Context) casework.ListQuery {
	return casework.ListQuery{Region: c.Query("region"), Status: c.Query("status"), CaseID: c.Query("case")}
}

func (s *Server) propose(c *gin.Context) {
	var in household.ProposalInput
	if err := decode(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.Propose(c.Request.Context(), caller(c), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/v1/proposals/"+v.ID)
	c.JSON(http.StatusCreated, v)
}

func (s *Server) proposals(c *gin.Context) {
	l, err := s.svc.Proposals(c.Request.Context(), caller(c), listQuery(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

func (s *Server) proposal(c *gin.Context) {
	v, _, err := s.svc.Proposal(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) screen(c *gin.Context) {
	var in household.ScreenInput
	if err := decode(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.Screen(c.Request.Context(), caller(c), c.Param("id"), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) object(c *gin.Context) {
	var in household.ObjectionInput
	if err := decode(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.Object(c.Request.Context(), caller(c), c.Param("id"), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/v1/objections/"+v.ID)
	c.JSON(http.StatusCreated, v)
}

func (s *Server) objections(c *gin.Context) {
	l, err := s.svc.Objections(c.Request.Context(), caller(c), listQuery(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

func (s *Server) objection(c *gin.Context) {
	v, _, err := s.svc.Objection(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) answerObjection(c *gin.Context) {
	var in household.AnswerInput
	if err := decode(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.Answer(c.Request.Context(), caller(c), c.Param("id"), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) publish(c *gin.Context) {
	var req casework.PublishRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.Publish(c.Request.Context(), caller(c), c.Param("code"), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, v)
}

func (s *Server) postedList(c *gin.Context) {
	l, err := s.svc.VillagePosting(c.Request.Context(), caller(c), c.Param("code"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}
