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

// update runs one workflow update for the case in the path and answers
// with the case after it. The case is looked up before the body is read,
// so a caller outside the case's region learns nothing from validation.
func (s *Server) update(c *gin.Context, name string, input func() (any, error)) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := input()
	if err != nil {
		s.fail(c, err)
		return
	}
	if cs.Status != household.StatusOpen {
		s.fail(c, newProblem(household.CodeConflict, "the case is closed ("+string(cs.Outcome)+")"))
		return
	}
	p := principal(c)
	out, err := s.callUpdate(c.Request.Context(), client.UpdateWorkflowOptions{
		WorkflowID:          workflows.WorkflowID(cs.KK),
		FirstExecutionRunID: cs.ID,
		UpdateName:          name,
		UpdateID:            updateID(c),
		Args:                []any{actor(p), in},
		WaitForStage:        client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		s.fail(c, temporalProblem(err))
		return
	}
	c.JSON(http.StatusOK, view(p, out, s.now()))
}

// updateRetries are the waits before sending again an update that reached
// a run as it ended (after a follow-up visit the case continues as new):
// nothing was applied, and the next run answers within moments.
var updateRetries = []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}

// callUpdate runs one update of a case and returns the case after it,
// sending it again while it reaches a run that is ending.
func (s *Server) callUpdate(ctx context.Context, opts client.UpdateWorkflowOptions) (household.Case, error) {
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
		(errors.As(err, &app) && (app.Type() == workflows.ErrTypeRunEnding || app.Type() == "UnprocessedUpdate"))
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
	s.update(c, workflows.UpdateSurvey, body[household.SurveyInput](c))
}

func (s *Server) villageConfirmation(c *gin.Context) {
	s.update(c, workflows.UpdateVillage, body[household.VillageInput](c))
}

func (s *Server) verification(c *gin.Context) {
	s.update(c, workflows.UpdateVerification, body[household.VerificationInput](c))
}

func (s *Server) graduation(c *gin.Context) {
	s.update(c, workflows.UpdateGraduate, body[household.GraduateInput](c))
}

func (s *Server) assignInterventions(c *gin.Context) {
	s.update(c, workflows.UpdateAssign, body[household.AssignInput](c))
}

// statusRequest is the body of an intervention status change; the
// intervention ID comes from the path.
type statusRequest struct {
	Status household.InterventionStatus `json:"status"`
	Notes  string                       `json:"notes,omitempty"`
}

func (s *Server) interventionStatus(c *gin.Context) {
	s.update(c, workflows.UpdateIntervention, func() (any, error) {
		var req statusRequest
		if err := decode(c, &req); err != nil {
			return nil, err
		}
		return household.InterventionInput{ID: c.Param("iid"), Status: req.Status, Notes: req.Notes}, nil
	})
}

func (s *Server) followUp(c *gin.Context) {
	s.update(c, workflows.UpdateFollowUp, body[household.FollowUpInput](c))
}

type resolutionRequest struct {
	Resolution string `json:"resolution"`
}

func (s *Server) resolveEscalation(c *gin.Context) {
	s.update(c, workflows.UpdateResolve, func() (any, error) {
		var req resolutionRequest
		if err := decode(c, &req); err != nil {
			return nil, err
		}
		return household.ResolveInput{ID: c.Param("eid"), Resolution: req.Resolution}, nil
	})
}

func (s *Server) duplicateResolution(c *gin.Context) {
	s.update(c, workflows.UpdateDuplicateResolution, body[household.DuplicateResolutionInput](c))
}

func (s *Server) closeCase(c *gin.Context) {
	s.update(c, workflows.UpdateClose, body[household.CloseInput](c))
}

type escalationRequest struct {
	Level  household.EscalationLevel `json:"level"`
	Reason string                    `json:"reason"`
}

// escalate sends the escalation as a signal (it comes from outside the
// case's own flow), then asks the case, by update, to answer once the
// signal is recorded in the read model.
func (s *Server) escalate(c *gin.Context) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req escalationRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	id := "esc-" + newRequestID()[:12]
	if key := idempotencyKey(c); key != "" {
		// A retry names the same escalation, which the case records once.
		id = "esc-" + key[:12]
	}
	in := household.EscalateInput{ID: id, Level: req.Level, Reason: req.Reason, Actor: actor(p)}
	// A retry whose first request was recorded skips the check (its own
	// escalation is the open one) and is answered by the case.
	if _, recorded := cs.Escalation(in.ID); !recorded {
		if err := cs.CheckEscalate(in); err != nil {
			s.fail(c, domainProblem(err))
			return
		}
	}
	ctx := c.Request.Context()
	wid := workflows.WorkflowID(cs.KK)
	if err := s.temporal.SignalWorkflow(ctx, wid, "", workflows.SignalEscalate, in); err != nil {
		s.fail(c, temporalProblem(err))
		return
	}
	out, err := s.callUpdate(ctx, client.UpdateWorkflowOptions{
		WorkflowID:          wid,
		FirstExecutionRunID: cs.ID,
		UpdateName:          workflows.UpdateEscalationRecorded,
		Args:                []any{in.ID},
		WaitForStage:        client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		s.fail(c, temporalProblem(err))
		return
	}
	c.Header("Location", "/v1/cases/"+cs.ID+"/escalations/"+in.ID)
	c.JSON(http.StatusCreated, EscalationCreated{EscalationID: in.ID, Case: view(p, out, s.now())})
}
