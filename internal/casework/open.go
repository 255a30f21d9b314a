package casework

import (
	"context"
	"errors"

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

// Open opens a case for req on behalf of who. A family card with an open
// case is a conflict that names the case only to a caller who may see it.
func (s *Service) Open(ctx context.Context, who Caller, req OpenRequest) (CaseView, error) {
	p := who.Principal
	if !p.Can(household.RoleCaseworker) {
		return CaseView{}, errRole()
	}
	req.KK, req.HeadNIK = household.TidyNumber(req.KK), household.TidyNumber(req.HeadNIK)
	if err := req.Validate(p.Region); err != nil {
		return CaseView{}, domainError(err)
	}
	out, err := s.open(ctx, p, req, who.UpdateID)
	if err != nil {
		return CaseView{}, err
	}
	if !out.Created {
		// Name the open case only to a caller who may see it: to anyone
		// else the family card's case, and where it lies, are not theirs.
		if !p.Sees(out.Case.VillageCode) {
			return CaseView{}, refuse(household.CodeConflict, "this family card already has an open case outside your region")
		}
		e := refusef(household.CodeConflict, "family card %s already has an open case %s", req.KK, out.Case.ID)
		e.CaseID = out.Case.ID
		return CaseView{}, e
	}
	return ViewCase(p, out.Case, s.now()), nil
}

// open starts the case workflow for req on behalf of p. The request ID
// is the update ID of a keyed request, so that a retry of an open whose
// answer was lost is told it opened the case, not that the family card
// already has one.
func (s *Service) open(ctx context.Context, p auth.Principal, req OpenRequest, updateID string) (workflows.OpenResult, error) {
	requestID := updateID
	if requestID == "" {
		requestID = newRequestID()
	}
	// The open is an update of the card's case, paced like the others.
	leave, err := s.updates.enter(ctx, workflows.WorkflowID(s.households, req.KK))
	if err != nil {
		return workflows.OpenResult{}, temporalError(err)
	}
	defer leave()
	out, err := workflows.Open(ctx, s.temporal, s.households, workflows.CaseInput{
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
		return workflows.OpenResult{}, refuse(household.CodeConflict, "this family card's last case ended abnormally; an administrator must look at it before it is opened again")
	case err != nil:
		return workflows.OpenResult{}, temporalError(err)
	}
	return out, nil
}
