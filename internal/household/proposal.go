package household

import (
	"errors"
	"time"

	"github.com/tuntas-id/tuntas/internal/region"
)

// A village proposal (usulan desa) puts on the list a household the list
// missed: the village officer proposes it with the minutes of the village
// deliberation (musdes) that agreed, and Dinsos screens it. Accepted, a
// case opens in data collection linked to the proposal; rejected, the
// proposal keeps Dinsos's reason. A family card or head already in an open
// case is refused with a finding, as the case's own duplicate check does.

// ProposalStatus is where a proposal stands.
type ProposalStatus string

// Proposal statuses.
const (
	// ProposalScreening waits for Dinsos.
	ProposalScreening ProposalStatus = "screening"
	// ProposalAccepted opened a case (CaseID).
	ProposalAccepted ProposalStatus = "accepted"
	// ProposalRejected was refused by Dinsos with a reason.
	ProposalRejected ProposalStatus = "rejected"
	// ProposalDuplicate was refused because its family card or head is in
	// an open case (Finding).
	ProposalDuplicate ProposalStatus = "duplicate"
)

// ProposalStatuses lists every status.
var ProposalStatuses = []ProposalStatus{ProposalScreening, ProposalAccepted, ProposalRejected, ProposalDuplicate}

// ScreenDecision is Dinsos's answer to a proposal.
type ScreenDecision string

// Screening decisions.
const (
	ScreenAccept ScreenDecision = "accept"
	ScreenReject ScreenDecision = "reject"
)

// ScreenDecisions lists both decisions.
var ScreenDecisions = []ScreenDecision{ScreenAccept, ScreenReject}

// HeldBy is what of a proposed household another open case holds.
type HeldBy string

// What an open case may already hold.
const (
	HeldKK   HeldBy = "kk"
	HeldHead HeldBy = "head"
)

// HeldBys lists both.
var HeldBys = []HeldBy{HeldKK, HeldHead}

// ProposeRoles are the roles (besides admin) that propose a household;
// ScreenRoles those that screen a proposal for Dinsos.
var (
	ProposeRoles = []Role{RoleVillageOfficer}
	ScreenRoles  = []Role{RoleSupervisor}
)

// DefaultScreeningDays is Dinsos's time to screen a proposal when the
// deadlines name none.
const DefaultScreeningDays = 14

// ProposalInput is a village officer's proposal of a household.
type ProposalInput struct {
	KK          string `json:"kk"`
	HeadNIK     string `json:"headNik"`
	HeadName    string `json:"headName"`
	VillageCode string `json:"villageCode"`
	Address     string `json:"address"`
	// MusdesDate and MusdesMinutes are the village deliberation that
	// agreed to propose the household.
	MusdesDate    string `json:"musdesDate"`
	MusdesMinutes string `json:"musdesMinutes"`
	// Notes say why the household should be on the list.
	Notes string `json:"notes,omitempty"`
}

// Tidy is the input with its numbers reduced to their digits.
func (in ProposalInput) Tidy() ProposalInput {
	in.KK, in.HeadNIK = TidyNumber(in.KK), TidyNumber(in.HeadNIK)
	return in
}

// OpenInput is the case an accepted proposal id opens.
func (in ProposalInput) OpenInput(id string) OpenInput {
	return OpenInput{KK: in.KK, HeadNIK: in.HeadNIK, HeadName: in.HeadName, VillageCode: in.VillageCode,
		Address: in.Address, Source: SourceVillageProposal, Proposal: id}
}

// Validate checks a proposal by a person whose region is scope, on day
// now (on the village's clock): the household as an opening checks it, a
// musdes not in the future, its minutes and the notes.
func (in ProposalInput) Validate(scope string, now time.Time) error {
	var fe FieldErrors
	_ = errors.As(in.OpenInput("proposal").Validate(scope), &fe)
	if _, err := ParseDate(in.MusdesDate); err != nil {
		fe.Add("musdesDate", "%v", err)
	} else if in.MusdesDate > day(now) {
		fe.Add("musdesDate", "must not be in the future")
	}
	fe.Text("musdesMinutes", in.MusdesMinutes, MaxMinutes)
	fe.OptionalNote("notes", in.Notes)
	return fe.Err()
}

// ScreenInput is Dinsos's answer to a proposal.
type ScreenInput struct {
	Decision ScreenDecision `json:"decision"`
	// Reason is required for a rejection.
	Reason string `json:"reason,omitempty"`
}

// Validate checks what the input carries, whatever the proposal.
func (in ScreenInput) Validate(time.Time) error {
	var fe FieldErrors
	Enum(&fe, "decision", in.Decision, ScreenDecisions)
	if in.Decision == ScreenReject {
		fe.Note("reason", in.Reason)
	} else {
		fe.OptionalNote("reason", in.Reason)
	}
	return fe.Err()
}

// ProposalFinding is why a proposal was refused: another open case holds
// its family card or its head.
type ProposalFinding struct {
	By     HeldBy `json:"by"`
	CaseID string `json:"caseId"`
	// VillageCode is where that case lies: only who may read it is told
	// which case it is.
	VillageCode string    `json:"villageCode"`
	At          time.Time `json:"at"`
}

// Proposal is a village's proposal and how Dinsos answered it.
type Proposal struct {
	ID            string         `json:"id"`
	KK            string         `json:"kk"`
	HeadNIK       string         `json:"headNik"`
	HeadName      string         `json:"headName"`
	VillageCode   string         `json:"villageCode"`
	DistrictCode  string         `json:"districtCode"`
	RegencyCode   string         `json:"regencyCode"`
	Address       string         `json:"address"`
	MusdesDate    string         `json:"musdesDate"`
	MusdesMinutes string         `json:"musdesMinutes"`
	Notes         string         `json:"notes,omitempty"`
	ProposedBy    string         `json:"proposedBy"`
	ProposedAt    time.Time      `json:"proposedAt"`
	Status        ProposalStatus `json:"status"`
	// ScreenedBy, ScreenedAt and Reason are Dinsos's answer; a refusal as
	// a duplicate names who asked (the proposer, when the proposal's own
	// check found the household; the screener, when its acceptance did).
	ScreenedBy string    `json:"screenedBy,omitempty"`
	ScreenedAt time.Time `json:"screenedAt,omitzero"`
	Reason     string    `json:"reason,omitempty"`
	// Finding names the open case that holds the household, when refused.
	Finding *ProposalFinding `json:"finding,omitempty"`
	// CaseID is the case the accepted proposal opened.
	CaseID string `json:"caseId,omitempty"`

	// Deadline is when Dinsos must have screened it: past it a reminder
	// goes to the regency's supervisors, and at EscalateAt (twice the
	// deadline) the proposal escalates to the province, as a case's stage
	// does.
	Deadline   time.Time `json:"deadline,omitzero"`
	EscalateAt time.Time `json:"escalateAt,omitzero"`
	Reminded   bool      `json:"reminded,omitempty"`
	Overdue    bool      `json:"overdue"`
	Escalated  bool      `json:"escalated"`

	// Events are the proposal's timeline (a handful at most).
	Events    []Event   `json:"events"`
	Version   int64     `json:"version"`
	Seq       int64     `json:"seq"`
	UpdatedAt time.Time `json:"updatedAt"`
	Deadlines Deadlines `json:"deadlines"`
}

// Proposal event types.
const (
	EventProposed         = "proposed"
	EventProposalAccepted = "proposal_accepted"
	EventProposalRejected = "proposal_rejected"
	EventProposalRefused  = "proposal_refused"
)

// Propose records in as proposal id by a, to be screened within the
// deadlines' ScreeningDays.
func Propose(id string, in ProposalInput, a Actor, d Deadlines, now time.Time) (*Proposal, []Event) {
	p := &Proposal{ID: id, KK: in.KK, HeadNIK: in.HeadNIK, HeadName: in.HeadName, VillageCode: in.VillageCode,
		DistrictCode: region.Ancestor(in.VillageCode, region.District), RegencyCode: region.Ancestor(in.VillageCode, region.Regency),
		Address: in.Address, MusdesDate: in.MusdesDate, MusdesMinutes: in.MusdesMinutes, Notes: in.Notes,
		ProposedBy: a.Sub, ProposedAt: now, Status: ProposalScreening, Deadlines: d, Events: []Event{}}
	days := d.ScreeningDays
	if days <= 0 {
		days = DefaultScreeningDays
	}
	p.Deadline, p.EscalateAt = now.Add(d.Days(days)), now.Add(2*d.Days(days))
	return p, p.commit(now, p.event(now, a, EventProposed, "proposed by the village, musdes %s", in.MusdesMinutes))
}

// Opening is the case the accepted proposal opens.
func (p *Proposal) Opening() OpenInput {
	return OpenInput{KK: p.KK, HeadNIK: p.HeadNIK, HeadName: p.HeadName, VillageCode: p.VillageCode, Address: p.Address,
		Source: SourceVillageProposal, Proposal: p.ID}
}

// Local is t on the proposal's village clock.
func (p *Proposal) Local(t time.Time) time.Time { return t.In(region.Zone(p.VillageCode)) }

// MayScreen reports whether a may screen the proposal now.
func (p *Proposal) MayScreen(a Actor) bool { return p.gateScreen(a) == nil }

func (p *Proposal) gateScreen(a Actor) error {
	if a.Role != RoleAdmin && !OneOf(a.Role, ScreenRoles) {
		return Errorf(CodeForbidden, "%s needs role %v", act("screening a proposal"), ScreenRoles)
	}
	if !region.Within(p.VillageCode, a.Region) {
		return Errorf(CodeForbidden, "the proposal lies outside region %s", a.Region)
	}
	if p.Status != ProposalScreening {
		return Errorf(CodeConflict, "the proposal is already answered (%s)", p.Status)
	}
	return nil
}

// CheckScreen answers whether a may screen the proposal with in.
func (p *Proposal) CheckScreen(a Actor, in ScreenInput, now time.Time) error {
	if err := p.gateScreen(a); err != nil {
		return err
	}
	return in.Validate(now)
}

// Reject records Dinsos's rejection.
func (p *Proposal) Reject(a Actor, in ScreenInput, now time.Time) []Event {
	p.answer(a.Sub, ProposalRejected, now)
	p.Reason = in.Reason
	return p.commit(now, p.event(now, a, EventProposalRejected, "rejected by Dinsos: %s", in.Reason))
}

// Accept records that the proposal opened caseID.
func (p *Proposal) Accept(a Actor, caseID string, now time.Time) []Event {
	p.answer(a.Sub, ProposalAccepted, now)
	p.CaseID = caseID
	e := p.event(now, a, EventProposalAccepted, "accepted; case %s opened", caseID)
	e.Ref = caseID
	return p.commit(now, e)
}

// Refuse records that another open case holds the household: the
// proposal ends as a duplicate. by is who asked (the proposer at the
// proposal's own check, or the screener at acceptance).
func (p *Proposal) Refuse(a Actor, f ProposalFinding, now time.Time) []Event {
	p.answer(a.Sub, ProposalDuplicate, now)
	f.At = now
	p.Finding = &f
	e := p.event(now, a, EventProposalRefused, "refused: the %s is already in an open case", f.By)
	e.Ref = f.CaseID
	return p.commit(now, e)
}

func (p *Proposal) answer(by string, s ProposalStatus, now time.Time) {
	p.Status, p.ScreenedBy, p.ScreenedAt = s, by, now
	p.Deadline, p.EscalateAt, p.Reminded, p.Overdue = time.Time{}, time.Time{}, false, false
}

// NextWake is when the proposal's deadline rules next fire, or zero.
func (p *Proposal) NextWake() time.Time {
	if p.Status != ProposalScreening {
		return time.Time{}
	}
	if !p.Reminded {
		return p.Deadline
	}
	return p.EscalateAt
}

// Tick applies the deadline rules at now: past the deadline a reminder
// (the proposal is overdue), at twice the deadline an escalation to the
// province. Their events are addressed as ProposalNotice says.
func (p *Proposal) Tick(now time.Time) []Event {
	if p.Status != ProposalScreening {
		return nil
	}
	var events []Event
	if !p.Reminded && !p.Deadline.IsZero() && !now.Before(p.Deadline) {
		p.Reminded, p.Overdue = true, true
		events = append(events, p.event(now, System, EventReminder, "screening deadline %s passed", day(p.Local(p.Deadline))))
	}
	if !p.EscalateAt.IsZero() && !now.Before(p.EscalateAt) {
		p.EscalateAt, p.Escalated = time.Time{}, true
		events = append(events, p.event(now, System, EventEscalated, "screening is twice past its deadline"))
	}
	if len(events) == 0 {
		return nil
	}
	return p.commit(now, events...)
}

// ProposalNotice is who an event of the proposal is told to: a reminder
// to the regency's supervisors, an escalation to the province; ok is
// false for the others.
func (p *Proposal) ProposalNotice(e Event) (to Role, scope string, ok bool) {
	switch e.Type {
	case EventReminder:
		return RoleSupervisor, p.RegencyCode, true
	case EventEscalated:
		return RoleProvince, region.Ancestor(p.VillageCode, region.Province), true
	}
	return "", "", false
}

func (p *Proposal) event(now time.Time, by Actor, typ, format string, args ...any) Event {
	p.Seq++
	m := Msgf(format, args...)
	return Event{CaseID: p.ID, Seq: p.Seq, At: now, Type: typ, Actor: by.Sub, Role: by.Role, Summary: m.Text, Key: m.Key, Args: m.Args}
}

func (p *Proposal) commit(now time.Time, events ...Event) []Event {
	p.Version++
	p.UpdatedAt = now
	p.Events = append(p.Events, events...)
	return events
}
