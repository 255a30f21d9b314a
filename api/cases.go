package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// OpenRequest opens a case.
type OpenRequest struct {
	KK          string           `json:"kk"`
	HeadNIK     string           `json:"headNik"`
	HeadName    string           `json:"headName"`
	VillageCode string           `json:"villageCode"`
	Address     string           `json:"address"`
	Source      household.Source `json:"source"`
	Desil       *int             `json:"desil,omitempty"`
}

// Validate checks the request for a caller whose region is scope with
// the domain's rules; a desil that is sent must be 1 to 10 (0 is how the
// domain says none was given).
func (r OpenRequest) Validate(scope string) error {
	var fe household.FieldErrors
	_ = errors.As(r.input().Validate(scope), &fe)
	if r.Desil != nil && *r.Desil == 0 {
		fe.Add("desil", "must be a decile from 1 to 10")
	}
	return fe.Err()
}

// input is the request as the domain's opening input.
func (r OpenRequest) input() household.OpenInput {
	desil := 0
	if r.Desil != nil {
		desil = *r.Desil
	}
	return household.OpenInput{KK: r.KK, HeadNIK: r.HeadNIK, HeadName: r.HeadName,
		VillageCode: r.VillageCode, Address: r.Address, Source: r.Source, Desil: desil}
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) openCase(c *gin.Context) {
	p := principal(c)
	var req OpenRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := req.Validate(p.Region); err != nil {
		s.fail(c, domainProblem(err))
		return
	}
	out, err := s.open(c.Request.Context(), p, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !out.Created {
		// Name the open case only to a caller who may see it: to anyone
		// else the family card's case, and where it lies, are not theirs.
		if !p.Sees(out.Case.VillageCode) {
			s.fail(c, newProblem(household.CodeConflict, "this family card already has an open case outside your region"))
			return
		}
		pe := newProblem(household.CodeConflict, "family card "+req.KK+" already has an open case "+out.Case.ID)
		pe.p.CaseID = out.Case.ID
		s.fail(c, pe)
		return
	}
	c.Header("Location", "/v1/cases/"+out.Case.ID)
	c.JSON(http.StatusCreated, view(p, out.Case, s.now()))
}

// open starts the case workflow for req on behalf of p.
func (s *Server) open(ctx context.Context, p auth.Principal, req OpenRequest) (workflows.OpenResult, error) {
	out, err := workflows.Open(ctx, s.temporal, workflows.CaseInput{
		Open:  req.input(),
		Actor: actor(p), Rules: s.rules, Deadlines: s.deadlines, RequestID: newRequestID(),
	})
	if err != nil {
		return workflows.OpenResult{}, temporalProblem(err)
	}
	return out, nil
}

// mayRead is the one rule of which cases a caller may read: those in
// their region, and for an agency only those holding one of its
// interventions (a CSR partner has no business with other households).
func mayRead(p auth.Principal, cs household.Case) bool {
	if p.Role == household.RoleAgency && !cs.HasAgency(p.Agency) {
		return false
	}
	return p.Sees(cs.VillageCode)
}

// loadCase reads a case the caller may see; a case outside the caller's
// region is answered exactly like a missing one.
func (s *Server) loadCase(c *gin.Context) (household.Case, error) {
	id := c.Param("id")
	if len(id) > 64 {
		return household.Case{}, newProblem(household.CodeNotFound, "no such case")
	}
	cs, err := s.store.Case(c.Request.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !mayRead(principal(c), cs)) {
		return household.Case{}, newProblem(household.CodeNotFound, "no such case")
	}
	if err != nil {
		return household.Case{}, fmt.Errorf("load case: %w", err)
	}
	return cs, nil
}

func (s *Server) getCase(c *gin.Context) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	if err := s.audit(c, store.Access{CaseID: cs.ID}); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, view(p, cs, s.now()))
}

func (s *Server) timeline(c *gin.Context) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.audit(c, store.Access{CaseID: cs.ID}); err != nil {
		s.fail(c, err)
		return
	}
	events, err := s.store.Timeline(c.Request.Context(), cs.ID, cs.Seq)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, Timeline{CaseID: cs.ID, Events: eventViews(events)})
}

// maxLimit bounds a list page.
const maxLimit = 200

func (s *Server) listCases(c *gin.Context) {
	p := principal(c)
	f, err := listFilter(c, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	cases, next, err := s.store.List(c.Request.Context(), f)
	if errors.Is(err, store.ErrBadCursor) {
		s.fail(c, invalid(field("cursor", "is not a cursor this API issued")))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]SummaryView, len(cases))
	ids := make([]string, len(cases))
	for i := range cases {
		items[i], ids[i] = listView(p, cases[i]), cases[i].ID
	}
	if err := s.audit(c, store.Access{CaseIDs: ids, Filter: c.Request.URL.RawQuery, Rows: len(items)}); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, CaseList{Items: items, NextCursor: next})
}

func listFilter(c *gin.Context, p auth.Principal) (store.Filter, error) {
	f := store.Filter{Scope: p.Region, Limit: 50, Cursor: c.Query("cursor")}
	if p.Role == household.RoleAgency {
		f.Agency = p.Agency
	}
	var fe household.FieldErrors
	scoped := func(name string, level region.Level) string {
		v := c.Query(name)
		if v == "" {
			return ""
		}
		if r, ok := region.Lookup(v); !ok || r.Level != level {
			fe.Add(name, "must be a %s code of the registry", level)
		} else if !region.Within(v, p.Region) && !region.Within(p.Region, v) {
			fe.Add(name, "lies outside your region %s", p.Region)
		}
		return v
	}
	f.District = scoped("district", region.District)
	f.Village = scoped("village", region.Village)
	if v := c.Query("stage"); v != "" {
		household.Enum(&fe, "stage", household.Stage(v), household.Stages)
		f.Stage = household.Stage(v)
	}
	if v := c.Query("status"); v != "" {
		household.Enum(&fe, "status", household.Status(v), household.Statuses)
		f.Status = household.Status(v)
	}
	if v := c.Query("outcome"); v != "" {
		household.Enum(&fe, "outcome", household.Outcome(v), household.Outcomes)
		f.Outcome = household.Outcome(v)
	}
	boolean := func(name string) *bool {
		v := c.Query(name)
		if v == "" {
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil || (v != "true" && v != "false") {
			fe.Add(name, "must be true or false")
			return nil
		}
		return &b
	}
	f.Escalated = boolean("escalated")
	f.Overdue = boolean("overdue")
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			fe.Add("limit", "must be a whole number from 1 to %d", maxLimit)
		}
		f.Limit = n
	}
	if len(f.Cursor) > 512 {
		fe.Add("cursor", "is not a cursor this API issued")
	}
	if err := fe.Err(); err != nil {
		return f, domainProblem(err)
	}
	return f, nil
}

// temporalProblem maps an error from a workflow call: the workflow's
// rejections keep their reason; a case that is no longer running is a
// conflict; a timeout is 504; anything else is internal.
func temporalProblem(err error) error {
	var (
		app         *temporal.ApplicationError
		notFound    *serviceerror.NotFound
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
	)
	switch {
	case errors.As(err, &app):
		code := household.Code(app.Type())
		if code == household.CodeInvalid {
			var fe []household.FieldError
			_ = app.Details(&fe)
			return invalid(fe...)
		}
		if household.OneOf(code, household.Codes) {
			return newProblem(code, app.Message())
		}
		switch app.Type() {
		case workflows.ErrTypeRunEnding, "UnprocessedUpdate", "AcceptedUpdateCompletedWorkflow":
			// The case's run ended around the update; the next one answers.
			return newProblem(codeUnavailable, "the case is starting its next cycle; retry in a moment")
		}
	case errors.As(err, &notFound):
		return newProblem(household.CodeConflict, "the case is no longer running")
	case errors.As(err, &unavailable), errors.As(err, new(*serviceerror.WorkflowNotReady)):
		return newProblem(codeUnavailable, "the workflow service is unavailable; retry later")
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &deadline):
		return newProblem(codeTimeout, "the case did not answer in time; retry later")
	}
	return fmt.Errorf("temporal: %w", err)
}
