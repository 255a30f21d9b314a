package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
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
	var req OpenRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.Open(c.Request.Context(), caller(c), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/v1/cases/"+v.ID)
	c.JSON(http.StatusCreated, v)
}

// open starts the case workflow for req on behalf of p. The request ID
// is the update ID of a keyed request, so that a retry of an open whose
// answer was lost is told it opened the case (201), not that the family
// card already has one (409).
func (s *Server) open(ctx context.Context, p auth.Principal, req OpenRequest, updateID string) (workflows.OpenResult, error) {
	requestID := updateID
	if requestID == "" {
		requestID = newRequestID()
	}
	// The open is an update of the card's case, paced like the others.
	leave, err := s.updates.enter(ctx, workflows.WorkflowID(req.KK))
	if err != nil {
		return workflows.OpenResult{}, temporalProblem(err)
	}
	defer leave()
	out, err := workflows.Open(ctx, s.temporal, workflows.CaseInput{
		Open:  req.input(),
		Actor: actor(p), Rules: s.rules, Deadlines: s.deadlines, RequestID: requestID,
	})
	var halted *workflows.HaltedError
	switch {
	case errors.As(err, &halted):
		// Named only to a caller who may see it, like an open case.
		if sum, serr := s.store.Summary(ctx, halted.CaseID); serr == nil && p.Sees(sum.VillageCode) {
			return workflows.OpenResult{}, errHalted(halted.CaseID)
		}
		return workflows.OpenResult{}, newProblem(household.CodeConflict, "this family card's last case ended abnormally; an administrator must look at it before it is opened again")
	case err != nil:
		return workflows.OpenResult{}, temporalProblem(err)
	}
	return out, nil
}

// mayRead is the one rule of which cases a caller may read: those in
// their region, and for an agency only those holding one of its
// interventions (a CSR partner has no business with other households).
func mayRead(p auth.Principal, cs household.Case) bool {
	return maySee(p, cs.VillageCode, cs.HasAgency(p.Agency))
}

// maySee is mayRead on what it needs: the case's village, and whether the
// caller's agency holds an intervention of it.
func maySee(p auth.Principal, village string, agencyHolds bool) bool {
	if p.Role == household.RoleAgency && !agencyHolds {
		return false
	}
	return p.Sees(village)
}

// loadCase reads the case in the path for the caller (see readCase).
func (s *Server) loadCase(c *gin.Context) (household.Case, error) {
	return s.readCase(c.Request.Context(), principal(c), c.Param("id"))
}

func (s *Server) getCase(c *gin.Context) {
	v, _, err := s.Case(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) timeline(c *gin.Context) {
	tl, err := s.Timeline(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, tl)
}

// maxLimit bounds a list page.
const maxLimit = 200

func (s *Server) listCases(c *gin.Context) {
	l, err := s.ListCases(c.Request.Context(), caller(c), c.Request.URL.RawQuery)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
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
		case workflows.ErrTypeRunEnding, failUnprocessedUpdate, failAcceptedUpdateCompletedWorkflow:
			// The case's run ended around the update; the next one answers.
			return newProblem(codeUnavailable, "the case is starting its next cycle; retry in a moment")
		}
	case errors.As(err, &notFound):
		return newProblem(household.CodeConflict, "the case is no longer running")
	case errors.As(err, &unavailable), errors.As(err, new(*serviceerror.WorkflowNotReady)),
		errors.As(err, new(*serviceerror.ResourceExhausted)), errors.As(err, new(*serviceerror.FailedPrecondition)):
		// A limit of Temporal's (requests, updates of a run) is a moment's
		// refusal, not an internal error.
		return newProblem(codeUnavailable, "the workflow service is unavailable; retry later")
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &deadline):
		return newProblem(codeTimeout, "the case did not answer in time; retry later")
	}
	return fmt.Errorf("temporal: %w", err)
}
