package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// update runs the action on the case in the path through the service
// and answers with the case after it.
func (s *Server) update(c *gin.Context, act Action, input func() (any, error)) {
	v, err := s.Act(c.Request.Context(), caller(c), c.Param("id"), act, input)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// updateRetries are the waits before sending again an update that reached
// a run as it ended (after a follow-up visit the case continues as new):
// nothing was applied, and the next run answers within moments.
var updateRetries = []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}

// callUpdate runs one update of a case and returns the case after it,
// sending it again while it reaches a run that is ending.
func (s *Server) callUpdate(ctx context.Context, opts client.UpdateWorkflowOptions) (household.Case, error) {
	leave, err := s.updates.enter(ctx, opts.WorkflowID)
	if err != nil {
		return household.Case{}, err
	}
	defer leave()
	for attempt := 0; ; attempt++ {
		var out household.Case
		h, err := s.temporal.UpdateWorkflow(ctx, opts)
		if err == nil {
			err = h.Get(ctx, &out)
		}
		if err == nil || !runEnding(err) || attempt == len(updateRetries) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return household.Case{}, ctx.Err()
		case <-time.After(updateRetries[attempt]):
		}
	}
}

// Types of the failures the Temporal server gives an update whose run
// ended around it (go.temporal.io/server service/history/workflow/update).
const (
	// failUnprocessedUpdate: the worker completed the run's task without
	// taking the update in; nothing was applied.
	failUnprocessedUpdate = "UnprocessedUpdate"
	// failAcceptedUpdateCompletedWorkflow: the update was accepted but the
	// run completed first.
	failAcceptedUpdateCompletedWorkflow = "AcceptedUpdateCompletedWorkflow"
)

// runEnding reports whether err says the update was not applied because
// the run it reached was ending: refused by the run itself, left
// unprocessed by the worker as the run completed, or lost with a workflow
// task the server failed (a run that tries to continue as new while an
// update arrives has its task failed and retried).
func runEnding(err error) bool {
	var (
		app      *temporal.ApplicationError
		notReady *serviceerror.WorkflowNotReady
	)
	return errors.As(err, &notReady) ||
		(errors.As(err, &app) && (app.Type() == workflows.ErrTypeRunEnding || app.Type() == failUnprocessedUpdate))
}

// updateID names the workflow update after the request's Idempotency-Key,
// so that Temporal answers a retried update with the first one's outcome;
// "" lets the SDK choose one.
func updateID(c *gin.Context) string {
	if key := idempotencyKey(c); key != "" {
		return "idem-" + key[:40]
	}
	return ""
}

// body returns a reader of the request body as T, for update.
func body[T any](c *gin.Context) func() (any, error) {
	return func() (any, error) {
		var in T
		if err := decode(c, &in); err != nil {
			return nil, err
		}
		return in, nil
	}
}

func (s *Server) survey(c *gin.Context) {
	s.update(c, ActSurvey, body[household.SurveyInput](c))
}

func (s *Server) villageConfirmation(c *gin.Context) {
	s.update(c, ActVillage, body[household.VillageInput](c))
}

func (s *Server) verification(c *gin.Context) {
	s.update(c, ActVerification, body[household.VerificationInput](c))
}

func (s *Server) graduation(c *gin.Context) {
	s.update(c, ActGraduation, body[household.GraduateInput](c))
}

func (s *Server) assignInterventions(c *gin.Context) {
	s.update(c, ActAssign, body[household.AssignInput](c))
}

// statusRequest is the body of an intervention status change; the
// intervention ID comes from the path.
type statusRequest struct {
	Status household.InterventionStatus `json:"status"`
	Notes  string                       `json:"notes,omitempty"`
}

func (s *Server) interventionStatus(c *gin.Context) {
	s.update(c, ActIntervention, func() (any, error) {
		var req statusRequest
		if err := decode(c, &req); err != nil {
			return nil, err
		}
		return household.InterventionInput{ID: c.Param("iid"), Status: req.Status, Notes: req.Notes}, nil
	})
}

func (s *Server) followUp(c *gin.Context) {
	s.update(c, ActFollowUp, body[household.FollowUpInput](c))
}

type resolutionRequest struct {
	Resolution string `json:"resolution"`
}

func (s *Server) resolveEscalation(c *gin.Context) {
	s.update(c, ActResolve, func() (any, error) {
		var req resolutionRequest
		if err := decode(c, &req); err != nil {
			return nil, err
		}
		return household.ResolveInput{ID: c.Param("eid"), Resolution: req.Resolution}, nil
	})
}

func (s *Server) duplicateResolution(c *gin.Context) {
	s.update(c, ActDuplicate, body[household.DuplicateResolutionInput](c))
}

func (s *Server) closeCase(c *gin.Context) {
	s.update(c, ActClose, body[household.CloseInput](c))
}

// escalate raises the case in the path (see Escalate).
func (s *Server) escalate(c *gin.Context) {
	key := idempotencyKey(c)
	out, err := s.Escalate(c.Request.Context(), caller(c), c.Param("id"), key, func() (EscalationRequest, error) {
		var req EscalationRequest
		err := decode(c, &req)
		return req, err
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/v1/cases/"+out.Case.ID+"/escalations/"+out.EscalationID)
	c.JSON(http.StatusCreated, out)
}
