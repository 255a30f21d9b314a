package casework

import (
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// CaseView is a case as a person is shown it: the household, where the case
// stands and what happened, without the workflow's bookkeeping (rules,
// deadline settings, event sequence, reminder state).
type CaseView struct {
	ID           string            `json:"id"`
	KK           string            `json:"kk"`
	HeadNIK      string            `json:"headNik"`
	HeadName     string            `json:"headName"`
	VillageCode  string            `json:"villageCode"`
	DistrictCode string            `json:"districtCode"`
	RegencyCode  string            `json:"regencyCode"`
	Address      string            `json:"address"`
	Source       household.Source  `json:"source"`
	Desil        int               `json:"desil,omitempty"`
	OpenedBy     string            `json:"openedBy"`
	OpenedAt     time.Time         `json:"openedAt"`
	Stage        household.Stage   `json:"stage"`
	Status       household.Status  `json:"status"`
	Outcome      household.Outcome `json:"outcome,omitempty"`
	CloseNote    string            `json:"closeNote,omitempty"`
	ClosedAt     time.Time         `json:"closedAt,omitzero"`
	StageSince   time.Time         `json:"stageSince"`
	Deadline     time.Time         `json:"deadline,omitzero"`
	EscalateAt   time.Time         `json:"escalateAt,omitzero"`
	Overdue      bool              `json:"overdue"`

	Survey         *SurveyView               `json:"survey,omitempty"`
	Recommendation *household.Recommendation `json:"recommendation,omitempty"`
	Village        *household.VillageReview  `json:"village,omitempty"`
	Verification   *household.Verification   `json:"verification,omitempty"`
	Interventions  []household.Intervention  `json:"interventions,omitempty"`
	FollowUp       household.FollowUpState   `json:"followUp"`
	// NextCountableVisitAt is the earliest time a visit counts toward
	// graduation (visits count 21 days apart).
	NextCountableVisitAt time.Time              `json:"nextCountableVisitAt,omitzero"`
	Escalations          []household.Escalation `json:"escalations,omitempty"`
	Escalated            bool                   `json:"escalated"`
	// Duplicates are its possible duplicates: people another open case
	// also holds.
	Duplicates []DuplicateView `json:"duplicates,omitempty"`
	// Transfers are the household's moves to another village, asked for
	// and answered; at most one is pending.
	Transfers []household.Transfer `json:"transfers,omitempty"`
	// Proposal is the village proposal the case was opened from;
	// Objections the objections upheld against the household.
	Proposal       string                   `json:"proposal,omitempty"`
	Objections     []household.ObjectionRef `json:"objections,omitempty"`
	PendingActions []string                 `json:"pendingActions"`
	Version        int64                    `json:"version"`
	UpdatedAt      time.Time                `json:"updatedAt"`
}

// SurveyView is the household survey as shown.
type SurveyView struct {
	Members              []MemberView        `json:"members"`
	MonthlyExpenditure   int64               `json:"monthlyExpenditure"`
	MonthlyIncome        int64               `json:"monthlyIncome"`
	IncomeSources        []string            `json:"incomeSources,omitempty"`
	Housing              household.Housing   `json:"housing"`
	Assets               household.Assets    `json:"assets"`
	Programs             []household.Program `json:"programs,omitempty"`
	OtherHealthInsurance bool                `json:"otherHealthInsurance,omitempty"`
	// Evidence is the house's photo (by ID; GET …/photos/{id} shows it)
	// and the device's position at the survey.
	Evidence *household.Evidence `json:"evidence,omitempty"`
}

// MemberView is one member as shown.
type MemberView struct {
	NIK      string             `json:"nik"`
	Name     string             `json:"name"`
	Relation household.Relation `json:"relation"`
	// BirthDate is shown only to roles that see full NIKs; others see Age,
	// so that the masked digits (the birth date) cannot be recovered.
	BirthDate  string               `json:"birthDate,omitempty"`
	Age        int                  `json:"age"`
	Sex        household.Sex        `json:"sex"`
	Education  household.Education  `json:"education"`
	Occupation household.Occupation `json:"occupation"`
	Disability bool                 `json:"disability,omitempty"`
}

// SummaryView is one case in a list.
type SummaryView struct {
	ID           string            `json:"id"`
	KK           string            `json:"kk"`
	HeadNIK      string            `json:"headNik"`
	HeadName     string            `json:"headName"`
	VillageCode  string            `json:"villageCode"`
	DistrictCode string            `json:"districtCode"`
	RegencyCode  string            `json:"regencyCode"`
	Source       household.Source  `json:"source"`
	Stage        household.Stage   `json:"stage"`
	Status       household.Status  `json:"status"`
	Outcome      household.Outcome `json:"outcome,omitempty"`
	Overdue      bool              `json:"overdue"`
	Escalated    bool              `json:"escalated"`
	OpenedAt     time.Time         `json:"openedAt"`
	UpdatedAt    time.Time         `json:"updatedAt"`
	Deadline     time.Time         `json:"deadline,omitzero"`
	MemberCount  int               `json:"memberCount"`
	// OpenDuplicates counts the possible duplicates awaiting a supervisor.
	OpenDuplicates int   `json:"openDuplicates"`
	Version        int64 `json:"version"`
	// TransferTo is the village a pending transfer would move the case
	// to, and TransferDeadline when its answer is due.
	TransferTo       string    `json:"transferTo,omitempty"`
	TransferDeadline time.Time `json:"transferDeadline,omitzero"`
}

// DuplicateView is a possible duplicate as shown: the shared person's NIK
// masked like every NIK, and the other case named only to a caller who
// may read it.
type DuplicateView struct {
	ID  string `json:"id"`
	NIK string `json:"nik"`
	// OtherCaseID is empty when the other case lies outside the caller's
	// region.
	OtherCaseID string                      `json:"otherCaseId,omitempty"`
	Held        bool                        `json:"held"`
	Open        bool                        `json:"open"`
	Decision    household.DuplicateDecision `json:"decision,omitempty"`
	ResolvedBy  string                      `json:"resolvedBy,omitempty"`
	At          time.Time                   `json:"at"`
	ResolvedAt  time.Time                   `json:"resolvedAt,omitzero"`
}

// EventView is one line of a timeline.
type EventView struct {
	CaseID  string          `json:"caseId"`
	Seq     int64           `json:"seq"`
	At      time.Time       `json:"at"`
	Type    string          `json:"type"`
	Actor   string          `json:"actor"`
	Role    household.Role  `json:"role"`
	Stage   household.Stage `json:"stage"`
	Summary string          `json:"summary,omitempty"`
	Ref     string          `json:"ref,omitempty"`
	// Key and Args say the summary in a person's language (see
	// household.Msg).
	Key  string          `json:"key,omitempty"`
	Args []household.Arg `json:"args,omitempty"`
	// Evidence is the photo and position a survey or visit carried.
	Evidence *household.Evidence `json:"evidence,omitempty"`
}

// CaseList is one page of a case list; NextCursor is empty on the last page.
type CaseList struct {
	Items      []SummaryView `json:"items"`
	NextCursor string        `json:"nextCursor"`
	// AsOf is when the read model was read: every change written before
	// it is listed.
	AsOf time.Time `json:"asOf"`
}

// Timeline is a case's events, oldest first.
type Timeline struct {
	CaseID string      `json:"caseId"`
	Events []EventView `json:"events"`
}

// EscalationCreated answers an escalation with its ID and the case after it.
type EscalationCreated struct {
	EscalationID string   `json:"escalationId"`
	Case         CaseView `json:"case"`
}

// needsNIK are the roles that see full NIKs: those who collect, confirm
// and verify a household's identity.
var needsNIK = []household.Role{household.RoleCaseworker, household.RoleVillageOfficer, household.RoleVerifier, household.RoleAdmin}

// ViewCase is a case as p may see it in full: for roles that do not
// establish identity, NIKs and the KK masked and birth dates replaced by
// ages; possible duplicates p may not know of left out. now dates the ages.
func ViewCase(p auth.Principal, c household.Case, now time.Time) CaseView {
	mask := !household.OneOf(p.Role, needsNIK)
	v := CaseView{
		ID: c.ID, KK: c.KK, HeadNIK: c.HeadNIK, HeadName: c.HeadName,
		VillageCode: c.VillageCode, DistrictCode: c.DistrictCode, RegencyCode: c.RegencyCode,
		Address: c.Address, Source: c.Source, Desil: c.Desil, OpenedBy: c.OpenedBy, OpenedAt: c.OpenedAt,
		Stage: c.Stage, Status: c.Status, Outcome: c.Outcome, CloseNote: c.CloseNote, ClosedAt: c.ClosedAt,
		StageSince: c.StageSince, Deadline: c.Deadline, EscalateAt: c.EscalateAt, Overdue: c.Overdue,
		Recommendation: c.Recommendation, Village: c.Village, Verification: c.Verification,
		Interventions: c.Interventions, FollowUp: c.FollowUp, Escalations: c.Escalations, Escalated: c.Escalated, Transfers: c.Transfers,
		PendingActions: c.PendingActionsShowing(func(d household.Duplicate) bool { return showsDuplicate(p, d) }), Version: c.Version, UpdatedAt: c.UpdatedAt,
		NextCountableVisitAt: c.NextCountable(), Proposal: c.Proposal, Objections: c.Objections,
	}
	if v.PendingActions == nil {
		v.PendingActions = []string{}
	}
	if !p.Can(household.RoleSupervisor) {
		// A finding adds a version; to who does not resolve findings the
		// version counts the case's own changes only (see showsDuplicate).
		v.Version -= c.FindingCommits()
	}
	if mask {
		v.HeadNIK, v.KK = household.MaskNIK(v.HeadNIK), household.MaskNIK(v.KK)
	}
	for _, d := range c.Duplicates {
		if !showsDuplicate(p, d) {
			continue
		}
		dv := DuplicateView{ID: d.ID, NIK: d.NIK, Held: d.Held, Open: d.Open, Decision: d.Decision, ResolvedBy: d.ResolvedBy, At: d.At, ResolvedAt: d.ResolvedAt}
		if mask {
			dv.NIK = household.MaskNIK(dv.NIK)
		}
		if p.Role != household.RoleAgency && p.Sees(d.OtherVillage) {
			dv.OtherCaseID = d.OtherCaseID
		}
		v.Duplicates = append(v.Duplicates, dv)
	}
	if s := c.Survey; s != nil {
		sv := &SurveyView{MonthlyExpenditure: s.MonthlyExpenditure, MonthlyIncome: s.MonthlyIncome,
			IncomeSources: s.IncomeSources, Housing: s.Housing, Assets: s.Assets, Programs: s.Programs,
			OtherHealthInsurance: s.OtherHealthInsurance, Evidence: s.Evidence, Members: make([]MemberView, len(s.Members))}
		for i, m := range s.Members {
			mv := MemberView{NIK: m.NIK, Name: m.Name, Relation: m.Relation, BirthDate: m.BirthDate, Age: m.Age(now),
				Sex: m.Sex, Education: m.Education, Occupation: m.Occupation, Disability: m.Disability}
			if mask {
				mv.NIK, mv.BirthDate = household.MaskNIK(mv.NIK), ""
			}
			sv.Members[i] = mv
		}
		v.Survey = sv
	}
	return v
}

// showsDuplicate is whether p may know of a possible duplicate: one whose
// other case lies in p's region, or any, for those who resolve them (the
// supervisor, admin). To anyone else a finding about a case elsewhere
// would tell that a NIK they typed is held by an open case somewhere: an
// oracle across regions.
func showsDuplicate(p auth.Principal, d household.Duplicate) bool {
	return p.Can(household.RoleSupervisor) || p.Sees(d.OtherVillage)
}

// hiddenDuplicates are the IDs of c's possible duplicates p may not know of.
func hiddenDuplicates(p auth.Principal, c household.Case) map[string]bool {
	hidden := map[string]bool{}
	for _, d := range c.Duplicates {
		if !showsDuplicate(p, d) {
			hidden[d.ID] = true
		}
	}
	return hidden
}

// ViewSummary is a case summary as it appears in p's list: the NIK is
// masked except for the caseworker who works the case and admin.
func ViewSummary(p auth.Principal, s store.Summary) SummaryView {
	v := SummaryView{
		ID: s.ID, KK: s.KK, HeadNIK: s.HeadNIK, HeadName: s.HeadName,
		VillageCode: s.VillageCode, DistrictCode: s.DistrictCode, RegencyCode: s.RegencyCode,
		Source: s.Source, Stage: s.Stage, Status: s.Status, Outcome: s.Outcome, Overdue: s.Overdue,
		Escalated: s.Escalated, OpenedAt: s.OpenedAt, UpdatedAt: s.UpdatedAt, Deadline: s.Deadline,
		MemberCount: s.MemberCount, OpenDuplicates: s.OpenDuplicates, Version: s.Version,
		TransferTo: s.TransferTo, TransferDeadline: s.TransferDeadline,
	}
	if !p.Can(household.RoleSupervisor) {
		// The summary does not say where each finding's other case lies:
		// the findings, the people they leave out of the count and the
		// versions they made are for those who resolve them.
		v.OpenDuplicates, v.MemberCount, v.Version = 0, s.Surveyed, s.Version-s.FindingCommits
	}
	if p.Role != household.RoleCaseworker && p.Role != household.RoleAdmin {
		v.HeadNIK, v.KK = household.MaskNIK(v.HeadNIK), household.MaskNIK(v.KK)
	}
	return v
}

// ViewEvents are the events of c that p may see: not those of possible
// duplicates p may not know of (see showsDuplicate).
func ViewEvents(p auth.Principal, c household.Case, events []household.Event) []EventView {
	hidden := hiddenDuplicates(p, c)
	out := make([]EventView, 0, len(events))
	for _, e := range events {
		if (e.Type == household.EventPossibleDuplicate || e.Type == household.EventDuplicateResolved) && hidden[e.Ref] {
			continue
		}
		// Numbered among what p sees, so that no gap tells of a hidden one.
		out = append(out, EventView{CaseID: e.CaseID, Seq: int64(len(out) + 1), At: e.At, Type: e.Type, Actor: e.Actor, Role: e.Role, Stage: e.Stage, Summary: e.Summary, Ref: e.Ref,
			Key: e.Key, Args: e.Args, Evidence: e.Evidence})
	}
	return out
}
