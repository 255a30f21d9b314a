package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
)

// update runs the action on the case in the path through the service
// and answers with the case after it.
func (s *Server) update(c *gin.Context, act household.Action, input func() (any, error)) {
	v, err := s.svc.Act(c.Request.Context(), caller(c), c.Param("id"), act, input)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// updateID names the workflow update after the request's Idempotency-Key,
// so that Temporal answers a retried update with the first one's outcome;
// "" lets the service choose one.
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
	s.update(c, household.ActSurvey, body[household.SurveyInput](c))
}

func (s *Server) villageConfirmation(c *gin.Context) {
	s.update(c, household.ActVillage, body[household.VillageInput](c))
}

func (s *Server) verification(c *gin.Context) {
	s.update(c, household.ActVerification, body[household.VerificationInput](c))
}

func (s *Server) graduation(c *gin.Context) {
	s.update(c, household.ActGraduate, body[household.GraduateInput](c))
}

func (s *Server) assignInterventions(c *gin.Context) {
	s.update(c, household.ActAssign, body[household.AssignInput](c))
}

// statusRequest is the body of an intervention status change; the
// intervention ID comes from the path.
type statusRequest struct {
	Status household.InterventionStatus `json:"status"`
	Notes  string                       `json:"notes,omitempty"`
}

func (s *Server) interventionStatus(c *gin.Context) {
	s.update(c, household.ActIntervention, func() (any, error) {
		var req statusRequest
		if err := decode(c, &req); err != nil {
			return nil, err
		}
		return household.InterventionInput{ID: c.Param("iid"), Status: req.Status, Notes: req.Notes}, nil
	})
}

func (s *Server) followUp(c *gin.Context) {
	s.update(c, household.ActFollowUp, body[household.FollowUpInput](c))
}

type resolutionRequest struct {
	Resolution string `json:"resolution"`
}

func (s *Server) resolveEscalation(c *gin.Context) {
	s.update(c, household.ActResolve, func() (any, error) {
		var req resolutionRequest
		if err := decode(c, &req); err != nil {
			return nil, err
		}
		return household.ResolveInput{ID: c.Param("eid"), Resolution: req.Resolution}, nil
	})
}

func (s *Server) duplicateResolution(c *gin.Context) {
	s.update(c, household.ActDuplicateResolution, body[household.DuplicateResolutionInput](c))
}

func (s *Server) closeCase(c *gin.Context) {
	s.update(c, household.ActClose, body[household.CloseInput](c))
}

// transferAnswerRequest is the body of the receiving region's answer to a
// transfer; the transfer's ID comes from the path.
type transferAnswerRequest struct {
	Decision household.TransferDecision `json:"decision"`
	// Reason is required to refuse.
	Reason string `json:"reason,omitempty"`
}

// transferCancelRequest is the body of the sender's withdrawal of a
// transfer; the transfer's ID comes from the path.
type transferCancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (s *Server) transfer(c *gin.Context) {
	s.update(c, household.ActTransfer, body[household.TransferInput](c))
}

func (s *Server) transferAnswer(c *gin.Context) {
	s.update(c, household.ActTransferAnswer, func() (any, error) {
		var req transferAnswerRequest
		if err := decode(c, &req); err != nil {
			return nil, err
		}
		return household.TransferAnswerInput{ID: c.Param("tid"), Decision: req.Decision, Reason: req.Reason}, nil
	})
}

func (s *Server) transferCancel(c *gin.Context) {
	s.update(c, household.ActTransferCancel, func() (any, error) {
		var req transferCancelRequest
		if err := decode(c, &req); err != nil {
			return nil, err
		}
		return household.TransferCancelInput{ID: c.Param("tid"), Reason: req.Reason}, nil
	})
}

// escalate raises the case in the path (see casework.Service.Escalate);
// the request's Idempotency-Key names the escalation.
func (s *Server) escalate(c *gin.Context) {
	out, err := s.svc.Escalate(c.Request.Context(), caller(c), c.Param("id"), idempotencyKey(c), func() (casework.EscalationRequest, error) {
		var req casework.EscalationRequest
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
