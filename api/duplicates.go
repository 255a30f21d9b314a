package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/store"
)

// DuplicateList is a page of cases with possible duplicates to resolve.
type DuplicateList struct {
	Items      []DuplicateCase `json:"items"`
	NextCursor string          `json:"nextCursor"`
}

// DuplicateCase is one case and its open findings.
type DuplicateCase struct {
	Case     SummaryView     `json:"case"`
	Findings []DuplicateView `json:"findings"`
}

// duplicates lists the open possible duplicates in the caller's region,
// case by case, with the list's filters and paging.
func (s *Server) duplicates(c *gin.Context) {
	p := principal(c)
	f, err := listFilter(c, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	f.Duplicates = true
	cases, next, err := s.store.List(c.Request.Context(), f)
	if errors.Is(err, store.ErrBadCursor) {
		s.fail(c, invalid(field("cursor", "is not a cursor this API issued")))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	out := DuplicateList{Items: make([]DuplicateCase, 0, len(cases)), NextCursor: next}
	ids := make([]string, 0, len(cases))
	for _, sum := range cases {
		cs, err := s.store.Case(c.Request.Context(), sum.ID)
		if err != nil {
			s.fail(c, fmt.Errorf("duplicates of %s: %w", sum.ID, err))
			return
		}
		item := DuplicateCase{Case: listView(p, sum), Findings: []DuplicateView{}}
		for _, d := range view(p, cs, s.now()).Duplicates {
			if d.Open {
				item.Findings = append(item.Findings, d)
			}
		}
		out.Items = append(out.Items, item)
		ids = append(ids, sum.ID)
	}
	if err := s.audit(c, store.Access{CaseIDs: ids, Filter: c.Request.URL.RawQuery, Rows: len(ids)}); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}
