package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/store"
)

// DuplicateList is a page of cases with possible duplicates to resolve.
type DuplicateList struct {
	Items      []DuplicateCase `json:"items"`
	NextCursor string          `json:"nextCursor"`
	// AsOf is when the read model was read.
	AsOf time.Time `json:"asOf"`
}

// DuplicateCase is one case and its open findings.
type DuplicateCase struct {
	Case     SummaryView     `json:"case"`
	Findings []DuplicateView `json:"findings"`
}

// Duplicates is one page of the cases within who's scope with possible
// duplicates to resolve, with the list's filters (rawQuery) and paging,
// masked for their role; the page is recorded like a list.
func (s *Server) Duplicates(ctx context.Context, who Caller, rawQuery string) (DuplicateList, error) {
	page, err := s.listPage(ctx, who, rawQuery, true)
	if err != nil {
		return DuplicateList{}, err
	}
	cases := page.Items
	out := DuplicateList{Items: make([]DuplicateCase, 0, len(cases)), NextCursor: page.Next, AsOf: page.AsOf}
	ids := make([]string, 0, len(cases))
	for _, sum := range cases {
		cs, err := s.store.Case(ctx, sum.ID)
		if err != nil {
			return DuplicateList{}, fmt.Errorf("duplicates of %s: %w", sum.ID, err)
		}
		item := DuplicateCase{Case: listView(who.Principal, sum), Findings: []DuplicateView{}}
		for _, d := range view(who.Principal, cs, s.now()).Duplicates {
			if d.Open {
				item.Findings = append(item.Findings, d)
			}
		}
		out.Items = append(out.Items, item)
		ids = append(ids, sum.ID)
	}
	if err := s.record(ctx, who, store.Access{CaseIDs: ids, Filter: rawQuery, Rows: len(ids)}); err != nil {
		return DuplicateList{}, err
	}
	return out, nil
}

func (s *Server) duplicates(c *gin.Context) {
	l, err := s.Duplicates(c.Request.Context(), caller(c), c.Request.URL.RawQuery)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}
