package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/tuntas-id/tuntas/internal/claims"
)

// ClaimStore keeps which open case holds each person, by pseudonym
// (claims.Store in MongoDB).
type ClaimStore interface {
	// ClaimPerson claims the person unless another case holds them, and
	// returns the holder; the first claim wins, however many race.
	ClaimPerson(ctx context.Context, c claims.Claim) (claims.Claim, error)
	AssignPerson(ctx context.Context, c claims.Claim) error
	ReleasePeople(ctx context.Context, caseID string, persons []string) error
	// MovePeople sets the village of the people the case holds among
	// persons (the case moved there).
	MovePeople(ctx context.Context, caseID, village string, persons []string) error
}

// Pseudonymizer turns a NIK into the keyed pseudonym stored in its place,
// and a KK into the pseudonym its case's workflow ID is made of.
type Pseudonymizer interface {
	Of(nik string) string
	Household(kk string) string
}

// People are the side effects that keep one person in one open case,
// with their dependencies. NIKs reach them sealed in Temporal payloads and
// leave them only as pseudonyms.
type People struct {
	Claims ClaimStore
	Key    Pseudonymizer
	Now    func() time.Time
}

// ClaimInput claims a case's people.
type ClaimInput struct {
	CaseID  string   `json:"caseId"`
	KK      string   `json:"kk"`
	Village string   `json:"village"`
	NIKs    []string `json:"niks"`
}

// Holder is a person of the claiming case whom another case holds.
type Holder struct {
	NIK     string `json:"nik"`
	CaseID  string `json:"caseId"`
	KK      string `json:"kk"`
	Village string `json:"village"`
}

// ClaimResult lists the claimed people that other cases hold.
type ClaimResult struct {
	HeldElsewhere []Holder `json:"heldElsewhere,omitempty"`
}

// ClaimPeople claims each person for the case; a person another open case
// holds stays with it and is returned. Retried, it claims nothing twice.
func (p *People) ClaimPeople(ctx context.Context, in ClaimInput) (ClaimResult, error) {
	var out ClaimResult
	for _, nik := range in.NIKs {
		holder, err := p.Claims.ClaimPerson(ctx, claims.Claim{Person: p.Key.Of(nik), CaseID: in.CaseID, KK: in.KK, Village: in.Village, At: p.now()})
		if err != nil {
			return ClaimResult{}, fmt.Errorf("claim the people of case %s: %w", in.CaseID, err)
		}
		if holder.CaseID != in.CaseID {
			out.HeldElsewhere = append(out.HeldElsewhere, Holder{NIK: nik, CaseID: holder.CaseID, KK: holder.KK, Village: holder.Village})
		}
	}
	return out, nil
}

// AssignInput gives a person to a case after a split.
type AssignInput struct {
	CaseID  string `json:"caseId"`
	KK      string `json:"kk"`
	Village string `json:"village"`
	NIK     string `json:"nik"`
}

// AssignPerson makes the case the holder of the person.
func (p *People) AssignPerson(ctx context.Context, in AssignInput) error {
	if err := p.Claims.AssignPerson(ctx, claims.Claim{Person: p.Key.Of(in.NIK), CaseID: in.CaseID, KK: in.KK, Village: in.Village, At: p.now()}); err != nil {
		return fmt.Errorf("assign a person to case %s: %w", in.CaseID, err)
	}
	return nil
}

// ReleaseInput lets go of people a case no longer holds (it closed, or
// they left its survey).
type ReleaseInput struct {
	CaseID string   `json:"caseId"`
	NIKs   []string `json:"niks"`
}

// ReleasePeople releases the people the case holds among NIKs.
func (p *People) ReleasePeople(ctx context.Context, in ReleaseInput) error {
	persons := make([]string, len(in.NIKs))
	for i, nik := range in.NIKs {
		persons[i] = p.Key.Of(nik)
	}
	if err := p.Claims.ReleasePeople(ctx, in.CaseID, persons); err != nil {
		return fmt.Errorf("release the people of case %s: %w", in.CaseID, err)
	}
	return nil
}

// MoveInput takes a case's people to the village it moved to.
type MoveInput struct {
	CaseID  string   `json:"caseId"`
	Village string   `json:"village"`
	NIKs    []string `json:"niks"`
}

// MovePeople records that the people the case holds among NIKs now live
// in its new village, so that a case meeting one of them names it by
// where it now lies.
func (p *People) MovePeople(ctx context.Context, in MoveInput) error {
	persons := make([]string, len(in.NIKs))
	for i, nik := range in.NIKs {
		persons[i] = p.Key.Of(nik)
	}
	if err := p.Claims.MovePeople(ctx, in.CaseID, in.Village, persons); err != nil {
		return fmt.Errorf("move the people of case %s: %w", in.CaseID, err)
	}
	return nil
}

func (p *People) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// HouseholdPseudonym is the keyed pseudonym of family card kk, of which
// its case's workflow ID is made: a case telling another about a shared
// person learns it here, since the workflow holds no key.
func (p *People) HouseholdPseudonym(_ context.Context, kk string) (string, error) {
	return p.Key.Household(kk), nil
}
