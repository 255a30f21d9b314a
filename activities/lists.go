package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/claims"
	"github.com/tuntas-id/tuntas/internal/household"
)

// The living list's side effects: the read model of village proposals and
// objections, asking whether an open case already holds a proposed
// household, opening the case of an accepted proposal, and handing an
// upheld objection to its case.

// ListStore is the read model of proposals and objections. Both writes
// must be idempotent: a retried or stale call changes nothing.
type ListStore interface {
	SaveProposal(ctx context.Context, p household.Proposal) error
	SaveObjection(ctx context.Context, o household.Objection) error
}

// HolderFinder asks which open case holds a person, claiming nobody
// (claims.Store).
type HolderFinder interface {
	Holder(ctx context.Context, person string) (claims.Claim, bool, error)
}

// CaseWorkflows are the case workflows as the living list reaches them.
type CaseWorkflows interface {
	CaseOpener
	// HeldCase is the case that holds a family card, if any: an open one,
	// or one that ended abnormally and waits for an administrator.
	HeldCase(ctx context.Context, kk string) (caseID, village string, held bool, err error)
	// Uphold hands an upheld objection to its case, the update named
	// updateID (a retry is answered, not applied twice). A refusal by the
	// case (closed, or full) is returned as refusal, with no error.
	Uphold(ctx context.Context, kk, caseID string, by household.Actor, in household.UpholdInput, updateID string) (c household.Case, refusal *household.Error, err error)
}

// LivingList are the proposal and objection workflows' side effects, with
// their dependencies.
type LivingList struct {
	Store    ListStore
	Notifier Notifier
	Cases    CaseWorkflows
	Claims   HolderFinder
	Key      Pseudonymizer
}

// ProposalProjection is a proposal as its read model should hold it, and
// the notifications its new events raise.
type ProposalProjection struct {
	Proposal      household.Proposal `json:"proposal"`
	Notifications []Notification     `json:"notifications,omitempty"`
}

// ProjectProposal writes the proposal, then hands over its notifications.
func (l *LivingList) ProjectProposal(ctx context.Context, p ProposalProjection) error {
	if err := l.Store.SaveProposal(ctx, p.Proposal); err != nil {
		return fmt.Errorf("project proposal %s v%d: %w", p.Proposal.ID, p.Proposal.Version, err)
	}
	return l.notify(ctx, p.Notifications)
}

// ObjectionProjection is an objection as its read model should hold it,
// and the notifications its new events raise.
type ObjectionProjection struct {
	Objection     household.Objection `json:"objection"`
	Notifications []Notification      `json:"notifications,omitempty"`
}

// ProjectObjection writes the objection, then hands over its notifications.
func (l *LivingList) ProjectObjection(ctx context.Context, p ObjectionProjection) error {
	if err := l.Store.SaveObjection(ctx, p.Objection); err != nil {
		return fmt.Errorf("project objection %s v%d: %w", p.Objection.ID, p.Objection.Version, err)
	}
	return l.notify(ctx, p.Notifications)
}

// notify hands over each notification as the case's projection does: one
// the notifier refuses for good is logged and passed over.
func (l *LivingList) notify(ctx context.Context, ns []Notification) error {
	for _, n := range ns {
		err := l.Notifier.Notify(ctx, n)
		var app *temporal.ApplicationError
		if errors.As(err, &app) && app.NonRetryable() {
			if activity.IsActivity(ctx) {
				activity.GetLogger(ctx).Warn("notification refused", "about", n.CaseID, "seq", n.Seq, "to", n.To, "error", err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("notify %s of %s: %w", n.To, n.CaseID, err)
		}
	}
	return nil
}

// HolderQuery asks whether an open case holds a proposed household.
type HolderQuery struct {
	KK      string `json:"kk"`
	HeadNIK string `json:"headNik"`
}

// HolderAnswer names the open case, if any (the family card's first).
type HolderAnswer struct {
	Finding *household.ProposalFinding `json:"finding,omitempty"`
}

// FindHolder asks whether a case holds the family card, then whether an
// open case holds the head (by the head's pseudonym), as the case's own
// claim of its head would find.
func (l *LivingList) FindHolder(ctx context.Context, q HolderQuery) (HolderAnswer, error) {
	caseID, village, held, err := l.Cases.HeldCase(ctx, q.KK)
	if err != nil {
		return HolderAnswer{}, fmt.Errorf("find the case of a proposed family card: %w", err)
	}
	if held {
		return HolderAnswer{Finding: &household.ProposalFinding{By: household.HeldKK, CaseID: caseID, VillageCode: village}}, nil
	}
	c, held, err := l.Claims.Holder(ctx, l.Key.Of(q.HeadNIK))
	if err != nil {
		return HolderAnswer{}, fmt.Errorf("find the case of a proposed head: %w", err)
	}
	if held {
		return HolderAnswer{Finding: &household.ProposalFinding{By: household.HeldHead, CaseID: c.CaseID, VillageCode: c.Village}}, nil
	}
	return HolderAnswer{}, nil
}

// OpenProposedInput opens an accepted proposal's case.
type OpenProposedInput struct {
	Open household.OpenInput `json:"open"`
	By   household.Actor     `json:"by"`
	// RequestID is the proposal's: the same proposal opens its case once.
	RequestID string `json:"requestId"`
}

// OpenProposedResult is the case the proposal opened; Created is false
// when the family card had an open case that this proposal did not open.
type OpenProposedResult struct {
	CaseID      string `json:"caseId"`
	VillageCode string `json:"villageCode"`
	Created     bool   `json:"created"`
}

// OpenProposed opens the case through the case workflow's own opening.
func (l *LivingList) OpenProposed(ctx context.Context, in OpenProposedInput) (OpenProposedResult, error) {
	c, created, err := l.Cases.Open(ctx, in.Open, in.By, in.RequestID)
	if err != nil {
		return OpenProposedResult{}, fmt.Errorf("open the case of proposal %s: %w", in.Open.Proposal, err)
	}
	return OpenProposedResult{CaseID: c.ID, VillageCode: c.VillageCode, Created: created}, nil
}

// UpholdRequest hands an upheld objection to its case.
type UpholdRequest struct {
	KK     string                `json:"kk"`
	CaseID string                `json:"caseId"`
	By     household.Actor       `json:"by"`
	In     household.UpholdInput `json:"in"`
}

// UpholdResult is what the case did: the stage it is now in, or why it
// refused.
type UpholdResult struct {
	Stage   household.Stage  `json:"stage,omitempty"`
	Refusal *household.Error `json:"refusal,omitempty"`
}

// UpholdOnCase hands the objection to its case, as the update named after
// the objection, so that a retry is answered rather than applied again.
func (l *LivingList) UpholdOnCase(ctx context.Context, r UpholdRequest) (UpholdResult, error) {
	c, refusal, err := l.Cases.Uphold(ctx, r.KK, r.CaseID, r.By, r.In, "objection-"+r.In.ID)
	if err != nil {
		return UpholdResult{}, fmt.Errorf("uphold objection %s on case %s: %w", r.In.ID, r.CaseID, err)
	}
	if refusal != nil {
		return UpholdResult{Refusal: refusal}, nil
	}
	return UpholdResult{Stage: c.Stage}, nil
}
