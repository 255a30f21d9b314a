package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// update runs one workflow update for the case in the path and answers
// with the case after it.
func (s *Server) update(c *gin.Context, name string, input any) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if cs.Status != household.StatusOpen {
		s.fail(c, newProblem(http.StatusConflict, "the case is closed ("+string(cs.Outcome)+")"))
		return
	}
	p := principal(c)
	h, err := s.temporal.UpdateWorkflow(c.Request.Context(), client.UpdateWorkflowOptions{
		WorkflowID:          workflows.WorkflowID(cs.KK),
		FirstExecutionRunID: cs.ID,
		UpdateName:          name,
		Args:                []any{actor(p), input},
		WaitForStage:        client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		s.fail(c, temporalProblem(err))
		return
	}
	var out household.Case
	if err := h.Get(c.Request.Context(), &out); err != nil {
		s.fail(c, temporalProblem(err))
		return
	}
	c.JSON(http.StatusOK, view(p, out))
}

// decodeAndUpdate decodes the body into T and runs the update with it.
func decodeAndUpdate[T any](s *Server, c *gin.Context, name string, prepare func(*T)) {
	var in T
	if err := decode(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	if prepare != nil {
		prepare(&in)
	}
	s.update(c, name, in)
}

func (s *Server) survey(c *gin.Context) {
	decodeAndUpdate[household.SurveyInput](s, c, workflows.UpdateSurvey, nil)
}

func (s *Server) villageConfirmation(c *gin.Context) {
	decodeAndUpdate[household.VillageInput](s, c, workflows.UpdateVillage, nil)
}

func (s *Server) verification(c *gin.Context) {
	decodeAndUpdate[household.VerificationInput](s, c, workflows.UpdateVerification, nil)
}

func (s *Server) graduation(c *gin.Context) {
	decodeAndUpdate[household.GraduateInput](s, c, workflows.UpdateGraduate, nil)
}

func (s *Server) assignInterventions(c *gin.Context) {
	decodeAndUpdate[household.AssignInput](s, c, workflows.UpdateAssign, nil)
}

// statusRequest is the body of an intervention status change; the
// intervention ID comes from the path.
type statusRequest struct {
	Status household.InterventionStatus `json:"status"`
	Notes  string                       `json:"notes,omitempty"`
}

func (s *Server) interventionStatus(c *gin.Context) {
	var req statusRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	s.update(c, workflows.UpdateIntervention, household.InterventionInput{ID: c.Param("iid"), Status: req.Status, Notes: req.Notes})
}

func (s *Server) followUp(c *gin.Context) {
	decodeAndUpdate[household.FollowUpInput](s, c, workflows.UpdateFollowUp, nil)
}

type resolutionRequest struct {
	Resolution string `json:"resolution"`
}

func (s *Server) resolveEscalation(c *gin.Context) {
	var req resolutionRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	s.update(c, workflows.UpdateResolve, household.ResolveInput{ID: c.Param("eid"), Resolution: req.Resolution})
}

func (s *Server) closeCase(c *gin.Context) {
	decodeAndUpdate[household.CloseInput](s, c, workflows.UpdateClose, nil)
}

type escalationRequest struct {
	Level  household.EscalationLevel `json:"level"`
	Reason string                    `json:"reason"`
}

// escalate sends the escalation as a signal (it comes from outside the
// case's own flow), then reads the case back through the workflow query,
// which sees the signal.
func (s *Server) escalate(c *gin.Context) {
	var req escalationRequest
	if err := decode(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	in := household.EscalateInput{ID: "esc-" + newRequestID()[:12], Level: req.Level, Reason: req.Reason, Actor: actor(p)}
	if err := cs.CheckEscalate(in); err != nil {
		s.fail(c, domainProblem(err))
		return
	}
	ctx := c.Request.Context()
	wid := workflows.WorkflowID(cs.KK)
	if err := s.temporal.SignalWorkflow(ctx, wid, "", workflows.SignalEscalate, in); err != nil {
		s.fail(c, temporalProblem(err))
		return
	}
	v, err := s.temporal.QueryWorkflow(ctx, wid, "", workflows.QueryState)
	if err != nil {
		s.fail(c, temporalProblem(err))
		return
	}
	var st workflows.State
	if err := v.Get(&st); err != nil {
		s.fail(c, fmt.Errorf("decode state: %w", err))
		return
	}
	c.Header("Location", "/v1/cases/"+cs.ID+"/escalations/"+in.ID)
	c.JSON(http.StatusCreated, gin.H{"escalationId": in.ID, "case": view(p, st.Case)})
}
