package household

import (
	"strings"
	"time"
)

// Case is one household's case: the state a workflow carries and the
// snapshot the read model stores. Its methods are the lifecycle rules: each
// Check* answers whether an action fits (without changing anything) and the
// matching method applies it, returning the events it caused.
type Case struct {
	ID           string    `json:"id"`
	KK           string    `json:"kk"`
	HeadNIK      string    `json:"headNik"`
	HeadName     string    `json:"headName"`
	VillageCode  string    `json:"villageCode"`
	DistrictCode string    `json:"districtCode"`
	RegencyCode  string    `json:"regencyCode"`
	Address      string    `json:"address"`
	Source       Source    `json:"source"`
	Desil        int       `json:"desil,omitempty"`
	OpenedBy     string    `json:"openedBy"`
	OpenedAt     time.Time `json:"openedAt"`
	// Proposal is the village proposal the case was opened from, if any.
	Proposal string `json:"proposal,omitempty"`

	Stage      Stage     `json:"stage"`
	Status     Status    `json:"status"`
	Outcome    Outcome   `json:"outcome,omitempty"`
	CloseNote  string    `json:"closeNote,omitempty"`
	ClosedAt   time.Time `json:"closedAt,omitzero"`
	StageSince time.Time `json:"stageSince"`

	// Deadline is when the current stage's owner must act; past it a
	// reminder is recorded and the case is overdue, and at EscalateAt the
	// case escalates to the regency by itself. Zero when nothing is due.
	Deadline   time.Time `json:"deadline,omitzero"`
	EscalateAt time.Time `json:"escalateAt,omitzero"`
	Reminded   bool      `json:"reminded,omitempty"`
	Overdue    bool      `json:"overdue"`

	// Drafts counts the survey's draft saves (bounded by MaxDrafts).
	Drafts int `json:"drafts,omitempty"`

	Survey         *Survey         `json:"survey,omitempty"`
	Recommendation *Recommendation `json:"recommendation,omitempty"`
	Village        *VillageReview  `json:"village,omitempty"`
	Verification   *Verification   `json:"verification,omitempty"`
	Interventions  []Intervention  `json:"interventions,omitempty"`
	FollowUp       FollowUpState   `json:"followUp"`
	Escalations    []Escalation    `json:"escalations,omitempty"`
	Escalated      bool            `json:"escalated"`
	// Duplicates are the possible duplicates found for its people.
	Duplicates []Duplicate `json:"duplicates,omitempty"`
	// Transfers are the household's moves to another village, asked for
	// and answered; at most one is pending.
	Transfers []Transfer `json:"transfers,omitempty"`
	// Objections are the objections (sanggah) upheld against the
	// household, each of which sent it to verification again.
	Objections []ObjectionRef `json:"objections,omitempty"`

	// Version grows with every change; Seq numbers the events.
	Version   int64     `json:"version"`
	Seq       int64     `json:"seq"`
	UpdatedAt time.Time `json:"updatedAt"`

	Rules     Rules     `json:"rules"`
	Deadlines Deadlines `json:"deadlines"`

	// WorkflowID is the ID of the case's workflow in Temporal, which the
	// projection records in the read model (the workflow's own state does
	// not carry it): where actions on the case are sent. Never in JSON, so
	// neither a payload nor an answer carries it.
	WorkflowID string `json:"-" bson:"workflowId,omitempty"`
}

// Event is one line of a case's timeline.
type Event struct {
	CaseID  string    `json:"caseId"`
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`
	Role    Role      `json:"role"`
	Stage   Stage     `json:"stage"`
	Summary string    `json:"summary,omitempty"`
	// Key and Args say the summary in a reader's language (see Msg).
	Key  string `json:"key,omitempty"`
	Args []Arg  `json:"args,omitempty"`
	// Ref is the escalation or intervention the event concerns, if any.
	Ref string `json:"ref,omitempty"`
	// Evidence is the photo and position a survey or visit carried.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Event types.
const (
	EventOpened                = "opened"
	EventSurveySaved           = "survey_saved"
	EventSurveySubmitted       = "survey_submitted"
	EventVillageConfirmed      = "village_confirmed"
	EventVillageRejected       = "village_rejected"
	EventVerified              = "verified"
	EventInterventionsAssigned = "interventions_assigned"
	EventInterventionUpdated   = "intervention_updated"
	EventFollowUpRecorded      = "follow_up_recorded"
	EventGraduated             = "graduated"
	EventEscalated             = "escalated"
	EventEscalationResolved    = "escalation_resolved"
	EventReminder              = "reminder"
	EventClosed                = "closed"
	EventTransferRequested     = "transfer_requested"
	EventTransferAccepted      = "transfer_accepted"
	EventTransferRefused       = "transfer_refused"
	EventTransferCancelled     = "transfer_cancelled"
	// EventObjectionUpheld: an objection against the household was upheld
	// (by Dinsos, or by its deadline); Ref is the objection.
	EventObjectionUpheld = "objection_upheld"
)

// Open starts a case at collecting.
func Open(in OpenInput, by Actor, rules Rules, deadlines Deadlines, now time.Time) (*Case, []Event) {
	parts := strings.Split(in.VillageCode, ".")
	c := &Case{
		ID: in.ID, KK: in.KK, HeadNIK: in.HeadNIK, HeadName: in.HeadName,
		VillageCode: in.VillageCode, Address: in.Address, Source: in.Source, Desil: in.Desil,
		OpenedBy: by.Sub, OpenedAt: now, Status: StatusOpen, Rules: rules, Deadlines: deadlines, Proposal: in.Proposal,
	}
	if len(parts) == 4 {
		c.RegencyCode = strings.Join(parts[:2], ".")
		c.DistrictCode = strings.Join(parts[:3], ".")
	}
	c.enter(StageCollecting, now)
	c.Version, c.UpdatedAt = 1, now
	if in.Proposal != "" {
		e := c.event(now, by, EventOpened, "case opened from village proposal %s", in.Proposal)
		e.Ref = in.Proposal
		return c, []Event{e}
	}
	return c, []Event{c.event(now, by, EventOpened, "case opened from %s", in.Source)}
}

// enter moves to stage and sets its deadline.
func (c *Case) enter(s Stage, now time.Time) {
	c.Stage, c.StageSince = s, now
	days := map[Stage]int{
		StageCollecting:    c.Deadlines.CollectingDays,
		StageVillageReview: c.Deadlines.VillageReviewDays,
		StageVerification:  c.Deadlines.VerificationDays,
		StageIntervention:  c.Deadlines.AssignDays,
	}[s]
	c.setDeadline(now, days)
	if s == StageFollowUp {
		c.FollowUp.NextDue = now.Add(c.Deadlines.Days(c.Deadlines.FollowUpDays))
	}
}

// setDeadline gives the owner days from now, and twice that before the

func (c *Case) close(now time.Time, by Actor, o Outcome, note string) Event {
	c.Stage, c.Status, c.Outcome, c.CloseNote, c.ClosedAt, c.StageSince = StageClosed, StatusClosed, o, note, now, now
	c.setDeadline(now, 0)
	c.endTransfer(by, now)
	c.FollowUp.NextDue = time.Time{}
	return c.event(now, by, EventClosed, "closed: %s", o)
}

// event records the next event; its summary is a template and its
// arguments (see Msg).
func (c *Case) event(now time.Time, by Actor, typ, format string, args ...any) Event {
	c.Seq++
	m := Msgf(format, args...)
	return Event{CaseID: c.ID, Seq: c.Seq, At: now, Type: typ, Actor: by.Sub, Role: by.Role, Stage: c.Stage,
		Summary: m.Text, Key: m.Key, Args: m.Args}
}

// commit bumps the version after a change.
func (c *Case) commit(now time.Time, events ...Event) []Event {
	c.Version++
	c.UpdatedAt = now
	return events
}
