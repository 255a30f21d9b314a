package casework

import (
	"context"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// EscalationRequest raises a case to the regency or the province.
type EscalationRequest struct {
	Level  household.EscalationLevel `json:"level"`
	Reason string                    `json:"reason"`
}

// Escalate raises the case by one update, answered once the read model
// holds the escalation. key, when not empty, names the escalation (and,
// without who.UpdateID, its update), so that a retry is recorded once;
// input is read only once the case is found for who.
func (s *Service) Escalate(ctx context.Context, who Caller, id, key string, input func() (EscalationRequest, error)) (EscalationCreated, error) {
	p := who.Principal
	if !p.Can(household.ActEscalate.Roles()...) {
		return EscalationCreated{}, errRole()
	}
	cs, err := s.readCase(ctx, p, id)
	if err != nil {
		return EscalationCreated{}, err
	}
	req, err := input()
	if err != nil {
		return EscalationCreated{}, err
	}
	eid := "esc-" + newRequestID()[:12]
	if key != "" {
		eid = "esc-" + key[:12]
	}
	by := actor(p)
	by.Case, by.Update = cs.ID, who.UpdateID
	if by.Update == "" {
		by.Update = "u-" + eid
	}
	in := household.EscalateInput{ID: eid, Level: req.Level, Reason: req.Reason, Actor: by}
	// A retry whose first request was recorded skips the check (its own
	// escalation is the open one) and is answered by the case.
	if _, recorded := cs.Escalation(in.ID); !recorded {
		if err := cs.CheckEscalate(in); err != nil {
			return EscalationCreated{}, domainError(err)
		}
	}
	out, err := s.callUpdate(ctx, client.UpdateWorkflowOptions{
		WorkflowID:          workflows.CaseWorkflowID(cs.WorkflowID, cs.KK),
		FirstExecutionRunID: cs.ID,
		UpdateName:          workflows.UpdateEscalate,
		UpdateID:            by.Update,
		Args:                []any{by, in},
		WaitForStage:        client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return EscalationCreated{}, temporalError(err)
	}
	return EscalationCreated{EscalationID: in.ID, Case: ViewCase(p, out, s.now())}, nil
}
