package household

import (
	"time"

	"github.com/tuntas-id/tuntas/internal/region"
)

// An objection (sanggah) is a resident's word against a household on the
// village's published list, recorded by the village officer or a
// caseworker. Dinsos answers each within ObjectionDays (14): upheld, the
// case goes to verification again with the objection attached; dismissed,
// nothing changes. An objection Dinsos leaves unanswered is upheld by its
// deadline (docs/living-list.md states the rule and its source), and the
// case's supervisors are told.

// ObjectionReason is why a resident objects.
type ObjectionReason string

// Objection reasons.
const (
	ObjectNotPoor   ObjectionReason = "not_poor"
	ObjectMoved     ObjectionReason = "moved"
	ObjectDeceased  ObjectionReason = "deceased"
	ObjectDuplicate ObjectionReason = "duplicate"
	ObjectOther     ObjectionReason = "other"
)

// ObjectionReasons lists every reason.
var ObjectionReasons = []ObjectionReason{ObjectNotPoor, ObjectMoved, ObjectDeceased, ObjectDuplicate, ObjectOther}

// ObjectorRelation is who the objector is to the household.
type ObjectorRelation string

// Objector relations.
const (
	ObjectorNeighbour ObjectorRelation = "neighbour"
	ObjectorRelative  ObjectorRelation = "relative"
	// ObjectorCommunityLeader is an RT or RW head, or a figure of the
	// community.
	ObjectorCommunityLeader ObjectorRelation = "community_leader"
	// ObjectorHousehold is the household itself.
	ObjectorHousehold ObjectorRelation = "household"
	ObjectorOther     ObjectorRelation = "other"
)

// ObjectorRelations lists every relation.
var ObjectorRelations = []ObjectorRelation{ObjectorNeighbour, ObjectorRelative, ObjectorCommunityLeader, ObjectorHousehold, ObjectorOther}

// ObjectionStatus is where an objection stands.
type ObjectionStatus string

// Objection statuses.
const (
	ObjectionOpen      ObjectionStatus = "open"
	ObjectionUpheld    ObjectionStatus = "upheld"
	ObjectionDismissed ObjectionStatus = "dismissed"
	// ObjectionLapsed was left unanswered to its deadline and is upheld by it.
	ObjectionLapsed ObjectionStatus = "lapsed"
)

// ObjectionStatuses lists every status.
var ObjectionStatuses = []ObjectionStatus{ObjectionOpen, ObjectionUpheld, ObjectionDismissed, ObjectionLapsed}

// AnswerDecision is Dinsos's answer to an objection.
type AnswerDecision string

// Answers.
const (
	AnswerUphold  AnswerDecision = "uphold"
	AnswerDismiss AnswerDecision = "dismiss"
)

// AnswerDecisions lists both answers.
var AnswerDecisions = []AnswerDecision{AnswerUphold, AnswerDismiss}

// ObjectRoles are the roles (besides admin) that record an objection;
// AnswerRoles those that answer one for Dinsos.
var (
	ObjectRoles = []Role{RoleVillageOfficer, RoleCaseworker}
	AnswerRoles = []Role{RoleSupervisor}
)

// DefaultObjectionDays is Dinsos's time to answer an objection when the
// deadlines name none: 14 days, as Kemensos's objection channel gives.
const DefaultObjectionDays = 14

// MaxObjections bounds the objections a case keeps upheld.
const MaxObjections = 20

// ObjectionInput is an objection as it is recorded.
type ObjectionInput struct {
	Relation ObjectorRelation `json:"relation"`
	Reason   ObjectionReason  `json:"reason"`
	// Notes say what the objector reports; required when the reason is
	// other.
	Notes string `json:"notes,omitempty"`
	// Evidence is an optional photo of the house (uploaded to the case
	// first) and the position where it was taken.
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Validate checks what the input carries, whatever the case.
func (in ObjectionInput) Validate(time.Time) error {
	var fe FieldErrors
	Enum(&fe, "relation", in.Relation, ObjectorRelations)
	Enum(&fe, "reason", in.Reason, ObjectionReasons)
	if in.Reason == ObjectOther {
		fe.Note("notes", in.Notes)
	} else {
		fe.OptionalNote("notes", in.Notes)
	}
	in.Evidence.check(&fe, "evidence.")
	return fe.Err()
}

// MayObject reports whether a may record an objection against the case.
func (c *Case) MayObject(a Actor) bool { return c.gateObject(a) == nil }

func (c *Case) gateObject(a Actor) error {
	if err := c.may(a, "recording an objection", ObjectRoles...); err != nil {
		return err
	}
	if c.Status != StatusOpen {
		return stageErr(c, "recording an objection")
	}
	return nil
}

// CheckObject answers whether a may record in against the case.
func (c *Case) CheckObject(a Actor, in ObjectionInput, now time.Time) error {
	if err := c.gateObject(a); err != nil {
		return err
	}
	return in.Validate(now)
}

// Objection is an objection against a household on the list, and its
// answer.
type Objection struct {
	ID           string           `json:"id"`
	CaseID       string           `json:"caseId"`
	KK           string           `json:"kk"`
	HeadName     string           `json:"headName"`
	VillageCode  string           `json:"villageCode"`
	DistrictCode string           `json:"districtCode"`
	RegencyCode  string           `json:"regencyCode"`
	Relation     ObjectorRelation `json:"relation"`
	Reason       ObjectionReason  `json:"reason"`
	Notes        string           `json:"notes,omitempty"`
	Evidence     *Evidence        `json:"evidence,omitempty"`
	// Recorder is who recorded it: the objection stands in their name
	// when Dinsos lets its deadline pass.
	Recorder   Actor           `json:"recorder"`
	RecordedAt time.Time       `json:"recordedAt"`
	Status     ObjectionStatus `json:"status"`
	// DueAt is when Dinsos must have answered.
	DueAt      time.Time `json:"dueAt"`
	AnsweredBy string    `json:"answeredBy,omitempty"`
	AnsweredAt time.Time `json:"answeredAt,omitzero"`
	Answer     string    `json:"answer,omitempty"`
	// Answerer is who answered, as the case is told (their role and
	// region too).
	Answerer Actor `json:"answerer,omitzero"`
	// CaseStage is the case's stage once an upheld objection reached it;
	// CaseRefused that the case could not take it (it had closed).
	CaseStage   Stage `json:"caseStage,omitempty"`
	CaseRefused bool  `json:"caseRefused,omitempty"`

	Events    []Event   `json:"events"`
	Version   int64     `json:"version"`
	Seq       int64     `json:"seq"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Objection event types.
const (
	EventObjected             = "objected"
	EventObjectionAnswered    = "objection_answered"
	EventObjectionLapsed      = "objection_lapsed"
	EventObjectionReachedCase = "objection_reached_case"
)

// NewObjection records in against c as objection id by a, to be answered
// within the deadlines' ObjectionDays.
func NewObjection(id string, c Case, a Actor, in ObjectionInput, d Deadlines, now time.Time) (*Objection, []Event) {
	o := &Objection{ID: id, CaseID: c.ID, KK: c.KK, HeadName: c.HeadName, VillageCode: c.VillageCode,
		DistrictCode: c.DistrictCode, RegencyCode: c.RegencyCode, Relation: in.Relation, Reason: in.Reason, Notes: in.Notes,
		Evidence: evidenceOf(in.Evidence), Recorder: Actor{Sub: a.Sub, Role: a.Role, Region: a.Region}, RecordedAt: now,
		Status: ObjectionOpen, Events: []Event{}}
	days := d.ObjectionDays
	if days <= 0 {
		days = DefaultObjectionDays
	}
	o.DueAt = now.Add(d.Days(days))
	e := o.event(now, a, EventObjected, "objection recorded: %s (objector: %s)", in.Reason, in.Relation)
	e.Evidence = o.Evidence
	return o, o.commit(now, e)
}

// AnswerInput is Dinsos's answer to an objection.
type AnswerInput struct {
	Decision AnswerDecision `json:"decision"`
	// Note says what Dinsos found; required.
	Note string `json:"note"`
}

// Validate checks what the input carries, whatever the objection.
func (in AnswerInput) Validate(time.Time) error {
	var fe FieldErrors
	Enum(&fe, "decision", in.Decision, AnswerDecisions)
	fe.Note("note", in.Note)
	return fe.Err()
}

// MayAnswer reports whether a may answer the objection now.
func (o *Objection) MayAnswer(a Actor) bool { return o.gateAnswer(a) == nil }

func (o *Objection) gateAnswer(a Actor) error {
	if a.Role != RoleAdmin && !OneOf(a.Role, AnswerRoles) {
		return Errorf(CodeForbidden, "%s needs role %v", act("answering an objection"), AnswerRoles)
	}
	if !region.Within(o.VillageCode, a.Region) {
		return Errorf(CodeForbidden, "the objection lies outside region %s", a.Region)
	}
	if o.Status != ObjectionOpen {
		return Errorf(CodeConflict, "the objection is already answered (%s)", o.Status)
	}
	return nil
}

// CheckAnswer answers whether a may answer the objection with in.
func (o *Objection) CheckAnswer(a Actor, in AnswerInput, now time.Time) error {
	if err := o.gateAnswer(a); err != nil {
		return err
	}
	return in.Validate(now)
}

// AnswerWith records Dinsos's answer.
func (o *Objection) AnswerWith(a Actor, in AnswerInput, now time.Time) []Event {
	o.Status = ObjectionDismissed
	if in.Decision == AnswerUphold {
		o.Status = ObjectionUpheld
	}
	o.AnsweredBy, o.AnsweredAt, o.Answer = a.Sub, now, in.Note
	o.Answerer = Actor{Sub: a.Sub, Role: a.Role, Region: a.Region}
	return o.commit(now, o.event(now, a, EventObjectionAnswered, "answered by Dinsos: %s", o.Status))
}

// Lapse upholds an objection Dinsos left unanswered to its deadline.
func (o *Objection) Lapse(now time.Time) []Event {
	if o.Status != ObjectionOpen || now.Before(o.DueAt) {
		return nil
	}
	o.Status, o.AnsweredAt = ObjectionLapsed, now
	return o.commit(now, o.event(now, System, EventObjectionLapsed, "unanswered by its deadline %s: upheld", day(o.Local(o.DueAt))))
}

// Upheld reports whether the objection stands against the household.
func (o *Objection) Upheld() bool { return o.Status == ObjectionUpheld || o.Status == ObjectionLapsed }

// Uphold is the objection as its case takes it, by whom: the supervisor
// who upheld it, or, lapsed, the person who recorded it.
func (o *Objection) Uphold() (Actor, UpholdInput) {
	in := UpholdInput{ID: o.ID, Reason: o.Reason, Relation: o.Relation, RecordedAt: o.RecordedAt, DueAt: o.DueAt,
		Lapsed: o.Status == ObjectionLapsed, Note: o.Answer}
	if in.Lapsed {
		return o.Recorder, in
	}
	return o.Answerer, in
}

// Reached records what the upheld objection did to its case: the stage it
// left the case in.
func (o *Objection) Reached(stage Stage, now time.Time) []Event {
	o.CaseStage = stage
	return o.commit(now, o.event(now, System, EventObjectionReachedCase, "the case is now %s", stage))
}

// Refused records that the case did not take the upheld objection, in the
// case's own words (it had closed, say).
func (o *Objection) Refused(why Error, now time.Time) []Event {
	o.CaseRefused = true
	o.Seq++
	e := Event{CaseID: o.ID, Seq: o.Seq, At: now, Type: EventObjectionReachedCase, Actor: System.Sub, Role: System.Role,
		Summary: why.Message, Key: why.Key, Args: why.Args}
	return o.commit(now, e)
}

// NextWake is the objection's deadline while it is open, else zero.
func (o *Objection) NextWake() time.Time {
	if o.Status != ObjectionOpen {
		return time.Time{}
	}
	return o.DueAt
}

// Local is t on the objection's village clock.
func (o *Objection) Local(t time.Time) time.Time { return t.In(region.Zone(o.VillageCode)) }

func (o *Objection) event(now time.Time, by Actor, typ, format string, args ...any) Event {
	o.Seq++
	m := Msgf(format, args...)
	return Event{CaseID: o.ID, Seq: o.Seq, At: now, Type: typ, Actor: by.Sub, Role: by.Role, Summary: m.Text, Key: m.Key, Args: m.Args}
}

func (o *Objection) commit(now time.Time, events ...Event) []Event {
	o.Version++
	o.UpdatedAt = now
	o.Events = append(o.Events, events...)
	return events
}

// UpholdInput is an upheld objection as its case takes it.
type UpholdInput struct {
	ID         string           `json:"id"`
	Reason     ObjectionReason  `json:"reason"`
	Relation   ObjectorRelation `json:"relation"`
	RecordedAt time.Time        `json:"recordedAt"`
	DueAt      time.Time        `json:"dueAt"`
	// Lapsed is an objection upheld by its deadline, unanswered.
	Lapsed bool   `json:"lapsed,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Validate checks what the input carries, whatever the case.
func (in UpholdInput) Validate(time.Time) error {
	var fe FieldErrors
	if err := validID("id", in.ID); err != nil {
		fe = append(fe, err.(FieldErrors)...)
	}
	Enum(&fe, "reason", in.Reason, ObjectionReasons)
	Enum(&fe, "relation", in.Relation, ObjectorRelations)
	fe.OptionalNote("note", in.Note)
	return fe.Err()
}

// ObjectionRef is an upheld objection as its case keeps it.
type ObjectionRef struct {
	ID         string           `json:"id"`
	Reason     ObjectionReason  `json:"reason"`
	Relation   ObjectorRelation `json:"relation"`
	RecordedAt time.Time        `json:"recordedAt"`
	Lapsed     bool             `json:"lapsed,omitempty"`
	Note       string           `json:"note,omitempty"`
	UpheldAt   time.Time        `json:"upheldAt"`
	By         string           `json:"by"`
	// Reverified is the verification finding the objection set aside when
	// it sent the case back to verification ("" when the case had not
	// been verified yet).
	Reverified VerificationOutcome `json:"reverified,omitempty"`
}

// CheckUphold answers whether a may attach the upheld objection in to the
// case: a supervisor who upheld it, or, once its deadline has passed
// unanswered, the person who recorded it; once per objection.
func (c *Case) CheckUphold(a Actor, in UpholdInput, now time.Time) error {
	roles := AnswerRoles
	if in.Lapsed {
		roles = ObjectRoles
	}
	if err := c.may(a, "upholding an objection", roles...); err != nil {
		return err
	}
	if in.Lapsed && now.Before(in.DueAt) {
		return Errorf(CodeConflict, "objection %s is not yet past its deadline", in.ID)
	}
	if c.Status != StatusOpen {
		return stageErr(c, "upholding an objection")
	}
	for _, o := range c.Objections {
		if o.ID == in.ID {
			return Errorf(CodeConflict, "objection %s is already upheld on this case", in.ID)
		}
	}
	if len(c.Objections) >= MaxObjections {
		return Errorf(CodeConflict, "the case holds %d upheld objections, the most it records", MaxObjections)
	}
	if err := c.roomFor("upholding an objection", 1); err != nil {
		return err
	}
	return in.Validate(now)
}

// UpholdObjection attaches the upheld objection; a case already verified
// (in intervention or follow-up) goes to verification again, and its
// visits start counting toward graduation afresh.
func (c *Case) UpholdObjection(a Actor, in UpholdInput, now time.Time) []Event {
	ref := ObjectionRef{ID: in.ID, Reason: in.Reason, Relation: in.Relation, RecordedAt: in.RecordedAt, Lapsed: in.Lapsed,
		Note: in.Note, UpheldAt: now, By: a.Sub}
	var e Event
	switch {
	case c.Stage == StageIntervention || c.Stage == StageFollowUp:
		if c.Verification != nil {
			ref.Reverified = c.Verification.Outcome
		}
		c.FollowUp.NextDue, c.FollowUp.ConsecutiveAbove, c.FollowUp.CountedDate, c.FollowUp.CountedAt = time.Time{}, 0, "", time.Time{}
		e = c.event(now, a, EventObjectionUpheld, "objection %s upheld (%s): the household is verified again", in.ID, in.Reason)
		c.enter(StageVerification, now)
	default:
		e = c.event(now, a, EventObjectionUpheld, "objection %s upheld (%s): verification will weigh it", in.ID, in.Reason)
	}
	e.Ref = in.ID
	c.Objections = append(c.Objections, ref)
	return c.commit(now, e)
}
