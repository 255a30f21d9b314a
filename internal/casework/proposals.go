package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// Lists is the read model of village proposals and objections
// (store.Store), which their workflows write.
type Lists interface {
	Proposal(ctx context.Context, id string) (household.Proposal, error)
	Proposals(ctx context.Context, f store.ListFilter) ([]household.Proposal, error)
	Objection(ctx context.Context, id string) (household.Objection, error)
	Objections(ctx context.Context, f store.ListFilter) ([]household.Objection, error)
}

var _ Lists = (*store.Store)(nil)

// listReaders may read proposals and objections in their region (admin
// too): those who propose, record, screen, answer and verify. An agency
// holds no household's list.
var listReaders = []household.Role{household.RoleVillageOfficer, household.RoleCaseworker, household.RoleVerifier,
	household.RoleSupervisor, household.RoleProvince}

// ListReaders are the roles (besides admin) that read proposals and
// objections.
func ListReaders() []household.Role { return slices.Clone(listReaders) }

// ItemEvent is one line of a proposal's or an objection's own timeline.
type ItemEvent struct {
	Seq     int64          `json:"seq"`
	At      time.Time      `json:"at"`
	Type    string         `json:"type"`
	Actor   string         `json:"actor"`
	Role    household.Role `json:"role"`
	Summary string         `json:"summary,omitempty"`
	// Ref is the case the event names, when the reader may know of it.
	Ref string `json:"ref,omitempty"`
	// Key and Args say the summary in a person's language.
	Key  string          `json:"key,omitempty"`
	Args []household.Arg `json:"args,omitempty"`
}

// ProposalView is a village proposal as a person is shown it.
type ProposalView struct {
	ID            string                   `json:"id"`
	KK            string                   `json:"kk"`
	HeadNIK       string                   `json:"headNik"`
	HeadName      string                   `json:"headName"`
	VillageCode   string                   `json:"villageCode"`
	DistrictCode  string                   `json:"districtCode"`
	RegencyCode   string                   `json:"regencyCode"`
	Address       string                   `json:"address"`
	MusdesDate    string                   `json:"musdesDate"`
	MusdesMinutes string                   `json:"musdesMinutes"`
	Notes         string                   `json:"notes,omitempty"`
	ProposedBy    string                   `json:"proposedBy"`
	ProposedAt    time.Time                `json:"proposedAt"`
	Status        household.ProposalStatus `json:"status"`
	ScreenedBy    string                   `json:"screenedBy,omitempty"`
	ScreenedAt    time.Time                `json:"screenedAt,omitzero"`
	Reason        string                   `json:"reason,omitempty"`
	// Finding says what another open case holds; its case is named only
	// to who may read it.
	Finding *FindingView `json:"finding,omitempty"`
	// CaseID is the case an accepted proposal opened.
	CaseID    string      `json:"caseId,omitempty"`
	Deadline  time.Time   `json:"deadline,omitzero"`
	Overdue   bool        `json:"overdue"`
	Escalated bool        `json:"escalated"`
	Events    []ItemEvent `json:"events"`
	Version   int64       `json:"version"`
}

// FindingView is why a proposal was refused.
type FindingView struct {
	By household.HeldBy `json:"by"`
	// CaseID is empty when the case lies outside the reader's region.
	CaseID string `json:"caseId,omitempty"`
}

// ProposalList is the proposals a person may read, newest first.
type ProposalList struct {
	Items []ProposalView `json:"items"`
}

// ViewProposal is pr as p may see it: the KK and the head's NIK masked for
// roles that do not establish identity, a finding's case named only to who
// may read it.
func ViewProposal(p auth.Principal, pr household.Proposal) ProposalView {
	v := ProposalView{ID: pr.ID, KK: pr.KK, HeadNIK: pr.HeadNIK, HeadName: pr.HeadName, VillageCode: pr.VillageCode,
		DistrictCode: pr.DistrictCode, RegencyCode: pr.RegencyCode, Address: pr.Address, MusdesDate: pr.MusdesDate,
		MusdesMinutes: pr.MusdesMinutes, Notes: pr.Notes, ProposedBy: pr.ProposedBy, ProposedAt: pr.ProposedAt, Status: pr.Status,
		ScreenedBy: pr.ScreenedBy, ScreenedAt: pr.ScreenedAt, Reason: pr.Reason, CaseID: pr.CaseID, Deadline: pr.Deadline,
		Overdue: pr.Overdue, Escalated: pr.Escalated, Version: pr.Version, Events: []ItemEvent{}}
	if !household.OneOf(p.Role, needsNIK) {
		v.KK, v.HeadNIK = household.MaskNIK(v.KK), household.MaskNIK(v.HeadNIK)
	}
	hidden := ""
	if f := pr.Finding; f != nil {
		v.Finding = &FindingView{By: f.By}
		if p.Sees(f.VillageCode) {
			v.Finding.CaseID = f.CaseID
		} else {
			hidden = f.CaseID
		}
	}
	for _, e := range pr.Events {
		v.Events = append(v.Events, itemEvent(e, hidden))
	}
	return v
}

// itemEvent is e as shown, without a Ref that names hidden.
func itemEvent(e household.Event, hidden string) ItemEvent {
	ref := e.Ref
	if hidden != "" && ref == hidden {
		ref = ""
	}
	return ItemEvent{Seq: e.Seq, At: e.At, Type: e.Type, Actor: e.Actor, Role: e.Role, Summary: e.Summary, Ref: ref, Key: e.Key, Args: e.Args}
}

// errLists answers on a server without the read model of the living list.
func errLists() error {
	return refuse(CodeUnavailable, "village proposals and objections are not available on this server")
}

// itemID is the ID of a new proposal or objection: drawn from the update
// ID when the request names one (an Idempotency-Key, a form's nonce), so
// that a retry reaches the same workflow, and at random otherwise.
func itemID(prefix string, who Caller) string {
	if who.UpdateID == "" {
		return prefix + newRequestID()[:16]
	}
	sum := sha256.Sum256([]byte(who.Sub + "\x00" + prefix + "\x00" + who.UpdateID))
	return prefix + hex.EncodeToString(sum[:8])
}

// updateName is the update ID of an answer: the request's, or a fresh one.
func updateName(who Caller) string {
	if who.UpdateID != "" {
		return who.UpdateID
	}
	return "u-" + newRequestID()
}

// Propose records a village officer's proposal of a household the list
// missed; its workflow checks at once whether an open case holds the
// family card or the head (the proposal is then refused with a finding).
func (s *Service) Propose(ctx context.Context, who Caller, in household.ProposalInput) (ProposalView, error) {
	p := who.Principal
	if !p.Can(household.ProposeRoles...) {
		return ProposalView{}, errRole()
	}
	if s.lists == nil {
		return ProposalView{}, errLists()
	}
	in = in.Tidy()
	if err := in.Validate(p.Region, s.now().In(region.Zone(p.Region))); err != nil {
		return ProposalView{}, domainError(err)
	}
	id := itemID("usl-", who)
	pr, err := workflows.Propose(ctx, s.temporal, workflows.ProposalInput{ID: id, Proposal: in, Actor: actor(p),
		Deadlines: s.deadlines, RequestID: id})
	if errors.Is(err, workflows.ErrProposalEnded) {
		pr, err = s.lists.Proposal(ctx, id)
	}
	if err != nil {
		return ProposalView{}, temporalError(err)
	}
	return ViewProposal(p, pr), nil
}

// readProposal reads a proposal the caller may see; one outside their
// region is answered as a missing one.
func (s *Service) readProposal(ctx context.Context, p auth.Principal, id string) (household.Proposal, error) {
	if s.lists == nil {
		return household.Proposal{}, errLists()
	}
	none := refuse(household.CodeNotFound, "no such proposal")
	if len(id) > household.MaxID {
		return household.Proposal{}, none
	}
	pr, err := s.lists.Proposal(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.Sees(pr.VillageCode)) {
		return household.Proposal{}, none
	}
	if err != nil {
		return household.Proposal{}, fmt.Errorf("read proposal: %w", err)
	}
	return pr, nil
}

// Proposal is one proposal as who may see it, and whether they may screen
// it now; the read is recorded.
func (s *Service) Proposal(ctx context.Context, who Caller, id string) (ProposalView, bool, error) {
	p := who.Principal
	if !p.Can(listReaders...) {
		return ProposalView{}, false, errRole()
	}
	pr, err := s.readProposal(ctx, p, id)
	if err != nil {
		return ProposalView{}, false, err
	}
	if err := s.record(ctx, who, store.Access{CaseID: pr.ID}); err != nil {
		return ProposalView{}, false, err
	}
	return ViewProposal(p, pr), pr.MayScreen(actor(p)), nil
}

// ListQuery selects proposals or objections: a village (or kecamatan)
// within the caller's region, a status, and for objections a case.
type ListQuery struct {
	Region string
	Status string
	CaseID string
}

func (q ListQuery) filter() string {
	var parts []string
	for _, kv := range [][2]string{{"region", q.Region}, {"status", q.Status}, {"case", q.CaseID}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, "&")
}

// listScope is the region a list query reads, checked against p's.
func listScope(p auth.Principal, q ListQuery, statuses []string) (string, error) {
	scope := p.Region
	if q.Region != "" {
		if _, ok := region.Lookup(q.Region); !ok {
			return "", invalid(household.NewFieldError("region", "must be a region code of the registry"))
		}
		if !region.Within(q.Region, p.Region) {
			return "", invalid(household.NewFieldError("region", "lies outside your region %s", p.Region))
		}
		scope = q.Region
	}
	if q.Status != "" && !slices.Contains(statuses, q.Status) {
		return "", invalid(household.NewFieldError("status", "must be one of %v", statuses))
	}
	if len(q.CaseID) > household.MaxID {
		return "", invalid(household.NewFieldError("case", "must be 1 to %d characters", household.MaxID))
	}
	return scope, nil
}

// Proposals lists the proposals in who's region (or the part of it q
// names), newest first; the list is recorded with the proposals it shows.
func (s *Service) Proposals(ctx context.Context, who Caller, q ListQuery) (ProposalList, error) {
	p := who.Principal
	if !p.Can(listReaders...) {
		return ProposalList{}, errRole()
	}
	if s.lists == nil {
		return ProposalList{}, errLists()
	}
	scope, err := listScope(p, q, stringsOf(household.ProposalStatuses))
	if err != nil {
		return ProposalList{}, err
	}
	ps, err := s.lists.Proposals(ctx, store.ListFilter{Scope: scope, Status: q.Status})
	if err != nil {
		return ProposalList{}, err
	}
	out := ProposalList{Items: make([]ProposalView, len(ps))}
	ids := make([]string, len(ps))
	for i, pr := range ps {
		out.Items[i], ids[i] = ViewProposal(p, pr), pr.ID
	}
	if err := s.record(ctx, who, store.Access{CaseIDs: ids, Filter: q.filter(), Rows: len(ids)}); err != nil {
		return ProposalList{}, err
	}
	return out, nil
}

// Screen is Dinsos's answer to a proposal: accept (a case opens in data
// collection, linked to the proposal) or reject with a reason.
func (s *Service) Screen(ctx context.Context, who Caller, id string, in household.ScreenInput) (ProposalView, error) {
	p := who.Principal
	if !p.Can(household.ScreenRoles...) {
		return ProposalView{}, errRole()
	}
	pr, err := s.readProposal(ctx, p, id)
	if err != nil {
		return ProposalView{}, err
	}
	if err := in.Validate(s.now()); err != nil {
		return ProposalView{}, domainError(err)
	}
	out, err := workflows.Screen(ctx, s.temporal, pr.ID, actor(p), in, updateName(who))
	if err != nil {
		return ProposalView{}, itemError(err, "the proposal is already answered (%s)", pr.Status)
	}
	return ViewProposal(p, out), nil
}

// itemError maps an error of a proposal's or an objection's workflow: one
// whose workflow has ended is answered with the words given (its status);
// the rest as a case's errors are.
func itemError(err error, ended string, status any) error {
	mapped := temporalError(err)
	var e *Error
	if errors.As(mapped, &e) && e.Key == household.MessageKey("the case is no longer running") {
		return refusef(household.CodeConflict, ended, status)
	}
	return mapped
}

func stringsOf[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
