package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/household"
)

// maxReads bounds the answer of the reads of one case.
const maxReads = 1000

// CaseReads answers who read a household's data: the admin's answer to a
// household that asks.
type CaseReads struct {
	CaseID string     `json:"caseId"`
	Reads  []ReadView `json:"reads"`
}

// ReadView is one read of a household's data.
type ReadView struct {
	Sub  string         `json:"sub"`
	Role household.Role `json:"role"`
	// Route is the API route that read the data; a list page also gives
	// its filter and how many rows it showed.
	Route  string    `json:"route"`
	Filter string    `json:"filter,omitempty"`
	Rows   int       `json:"rows,omitempty"`
	At     time.Time `json:"at"`
}

func (s *Server) caseReads(c *gin.Context) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	reads, err := s.store.CaseAccesses(c.Request.Context(), cs.ID, maxReads)
	if err != nil {
		s.fail(c, fmt.Errorf("case reads: %w", err))
		return
	}
	out := CaseReads{CaseID: cs.ID, Reads: make([]ReadView, len(reads))}
	for i, r := range reads {
		out.Reads[i] = ReadView{Sub: r.Sub, Role: r.Role, Route: r.Route, Filter: r.Filter, Rows: r.Rows, At: r.At}
	}
	c.JSON(http.StatusOK, out)
}
