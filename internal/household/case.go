package household

import (
	"errors"
	"fmt"
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

	Survey         *Survey         `json:"survey,omitempty"`
	Recommendation *Recommendation `json:"recommendation,omitempty"`
	Village        *VillageReview  `json:"village,omitempty"`
	Verification   *Verification   `json:"verification,omitempty"`
	Interventions  []Intervention  `json:"interventions,omitempty"`
	FollowUp       FollowUpState   `json:"followUp"`
	Escalations    []Escalation    `json:"escalations,omitempty"`
	Escalated      bool            `json:"escalated"`

	// Version grows with every change; Seq numbers the events.
	Version   int64     `json:"version"`
	Seq       int64     `json:"seq"`
	UpdatedAt time.Time `json:"updatedAt"`

	Rules     Rules     `json:"rules"`
	Deadlines Deadlines `json:"deadlines"`
}

// Deadlines are the days each stage's owner has to act.
type Deadlines struct {
	CollectingDays    int `json:"collectingDays"`
	VillageReviewDays int `json:"villageReviewDays"`
	VerificationDays  int `json:"verificationDays"`
	// AssignDays is the supervisor's time to assign interventions.
	AssignDays int `json:"assignDays"`
	// AcknowledgeDays is an agency's time to acknowledge an assignment.
	AcknowledgeDays int `json:"acknowledgeDays"`
	// FollowUpDays is the interval between monitoring visits; a visit is
	// overdue FollowUpGraceDays after it was due.
	FollowUpDays      int `json:"followUpDays"`
	FollowUpGraceDays int `json:"followUpGraceDays"`
	// DayLength is how long one deadline day lasts: 24h in service; `tuntas
	// bench` and demos shorten it by configuration. Zero means 24h.
	DayLength time.Duration `json:"dayLength,omitempty"`
}

// Days converts n deadline days to a duration.
func (d Deadlines) Days(n int) time.Duration {
	unit := d.DayLength
	if unit <= 0 {
		unit = Day
	}
	return time.Duration(n) * unit
}

// DefaultDeadlines are 14/14/21/14 days, visits every 30 days with 14 days' grace.
func DefaultDeadlines() Deadlines {
	return Deadlines{CollectingDays: 14, VillageReviewDays: 14, VerificationDays: 21, AssignDays: 14,
		AcknowledgeDays: 14, FollowUpDays: 30, FollowUpGraceDays: 14}
}

// Day is the length of a deadline day in service.
const Day = 24 * time.Hour

// VillageReview is the village's answer.
type VillageReview struct {
	Decision      VillageDecision `json:"decision"`
	Reason        Outcome         `json:"reason,omitempty"`
	MusdesDate    string          `json:"musdesDate"`
	MusdesMinutes string          `json:"musdesMinutes"`
	By            string          `json:"by"`
	At            time.Time       `json:"at"`
}

// Verification is the verifier's finding.
type Verification struct {
	Outcome VerificationOutcome `json:"outcome"`
	Notes   string              `json:"notes,omitempty"`
	// AgreesWithRecommendation is false where the verifier overrode the rules.
	AgreesWithRecommendation bool      `json:"agreesWithRecommendation"`
	By                       string    `json:"by"`
	At                       time.Time `json:"at"`
}

// Intervention is a program assigned to an agency.
type Intervention struct {
	ID         string             `json:"id"`
	Program    Program            `json:"program"`
	Agency     string             `json:"agency"`
	Status     InterventionStatus `json:"status"`
	Notes      string             `json:"notes,omitempty"`
	AssignedBy string             `json:"assignedBy"`
	AssignedAt time.Time          `json:"assignedAt"`
	UpdatedAt  time.Time          `json:"updatedAt"`
}

// FollowUpState tracks monitoring visits.
type FollowUpState struct {
	NextDue          time.Time `json:"nextDue,omitzero"`
	Visits           int       `json:"visits"`
	ConsecutiveAbove int       `json:"consecutiveAbove"`
	Last             *Visit    `json:"last,omitempty"`
	// Cycle counts the workflow runs (continue-as-new) of this case.
	Cycle int `json:"cycle"`
}

// Visit is one monitoring visit.
type Visit struct {
	VisitDate          string    `json:"visitDate"`
	MonthlyExpenditure int64     `json:"monthlyExpenditure"`
	AboveLine          bool      `json:"aboveLine"`
	Notes              string    `json:"notes,omitempty"`
	By                 string    `json:"by"`
	At                 time.Time `json:"at"`
}

// Escalation is a case raised to the regency or the province.
type Escalation struct {
	ID         string          `json:"id"`
	Level      EscalationLevel `json:"level"`
	Reason     string          `json:"reason"`
	By         string          `json:"by"`
	At         time.Time       `json:"at"`
	Open       bool            `json:"open"`
	Resolution string          `json:"resolution,omitempty"`
	ResolvedBy string          `json:"resolvedBy,omitempty"`
	ResolvedAt time.Time       `json:"resolvedAt,omitzero"`
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
	// Ref is the escalation or intervention the event concerns, if any.
	Ref string `json:"ref,omitempty"`
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
)

// Actor is who performs an action.
type Actor struct {
	Sub    string `json:"sub"`
	Role   Role   `json:"role"`
	Region string `json:"region"`
	Agency string `json:"agency,omitempty"`
}

// System is the actor of the deadline rules.
var System = Actor{Sub: "tuntas", Role: RoleSystem}

// Rejection errors. Errors of these kinds reach the API's caller with their
// message: ErrStage as a conflict, ErrForbidden as forbidden, FieldErrors as
// unprocessable.
var (
	ErrStage     = errors.New("action does not fit the case's stage")
	ErrForbidden = errors.New("actor may not perform this action")
	ErrNotFound  = errors.New("no such item in the case")
)

func stageErr(c *Case, action string) error {
	return fmt.Errorf("%w: %s is not possible while the case is %s", ErrStage, action, c.Stage)
}

// may checks the actor's role and region scope.
func (c *Case) may(a Actor, action string, roles ...Role) error {
	if a.Role == RoleSystem {
		return nil
	}
	if a.Role != RoleAdmin && !OneOf(a.Role, roles) {
		return fmt.Errorf("%w: %s needs role %v", ErrForbidden, action, roles)
	}
	if a.Region == "" || !(c.VillageCode == a.Region || strings.HasPrefix(c.VillageCode, a.Region+".")) {
		return fmt.Errorf("%w: case lies outside region %s", ErrForbidden, a.Region)
	}
	return nil
}

func (c *Case) inStage(action string, stages ...Stage) error {
	if !OneOf(c.Stage, stages) {
		return stageErr(c, action)
	}
	return nil
}

// OpenInput opens a case.
type OpenInput struct {
	ID          string `json:"id"`
	KK          string `json:"kk"`
	HeadNIK     string `json:"headNik"`
	HeadName    string `json:"headName"`
	VillageCode string `json:"villageCode"`
	Address     string `json:"address"`
	Source      Source `json:"source"`
	Desil       int    `json:"desil,omitempty"`
}

// Open starts a case at collecting.
func Open(in OpenInput, by Actor, rules Rules, deadlines Deadlines, now time.Time) (*Case, []Event) {
	parts := strings.Split(in.VillageCode, ".")
	c := &Case{
		ID: in.ID, KK: in.KK, HeadNIK: in.HeadNIK, HeadName: in.HeadName,
		VillageCode: in.VillageCode, Address: in.Address, Source: in.Source, Desil: in.Desil,
		OpenedBy: by.Sub, OpenedAt: now, Status: StatusOpen, Rules: rules, Deadlines: deadlines,
	}
	if len(parts) == 4 {
		c.RegencyCode = strings.Join(parts[:2], ".")
		c.DistrictCode = strings.Join(parts[:3], ".")
	}
	c.enter(StageCollecting, now)
	c.Version, c.UpdatedAt = 1, now
	return c, []Event{c.event(now, by, EventOpened, "case opened from "+string(in.Source))}
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
// case escalates by itself; days 0 clears the deadline.
func (c *Case) setDeadline(now time.Time, days int) {
	c.Reminded, c.Overdue = false, false
	c.Deadline, c.EscalateAt = time.Time{}, time.Time{}
	if days > 0 {
		d := c.Deadlines.Days(days)
		c.Deadline, c.EscalateAt = now.Add(d), now.Add(2*d)
	}
}

func (c *Case) close(now time.Time, by Actor, o Outcome, note string) Event {
	c.Stage, c.Status, c.Outcome, c.CloseNote, c.ClosedAt, c.StageSince = StageClosed, StatusClosed, o, note, now, now
	c.setDeadline(now, 0)
	c.FollowUp.NextDue = time.Time{}
	return c.event(now, by, EventClosed, "closed: "+string(o))
}

func (c *Case) event(now time.Time, by Actor, typ, summary string) Event {
	c.Seq++
	return Event{CaseID: c.ID, Seq: c.Seq, At: now, Type: typ, Actor: by.Sub, Role: by.Role, Stage: c.Stage, Summary: summary}
}

// commit bumps the version after a change.
func (c *Case) commit(now time.Time, events ...Event) []Event {
	c.Version++
	c.UpdatedAt = now
	return events
}

// SurveyInput submits or saves the household survey.
type SurveyInput struct {
	Survey Survey `json:"survey"`
	// Draft keeps the case collecting so the survey can be resubmitted;
	// otherwise the case moves on to village review.
	Draft bool `json:"draft,omitempty"`
}

// CheckSurvey answers whether a may submit in.
func (c *Case) CheckSurvey(a Actor, in SurveyInput, now time.Time) error {
	if err := c.may(a, "survey", RoleCaseworker); err != nil {
		return err
	}
	if err := c.inStage("survey", StageCollecting); err != nil {
		return err
	}
	return in.Survey.Validate(now)
}

// SubmitSurvey records the survey and its recommendation.
func (c *Case) SubmitSurvey(a Actor, in SurveyInput, now time.Time) []Event {
	s := in.Survey
	rec := c.Rules.Recommend(s, now)
	c.Survey, c.Recommendation = &s, &rec
	summary := fmt.Sprintf("%d members, recommendation %s", len(s.Members), rec.Outcome)
	if in.Draft {
		return c.commit(now, c.event(now, a, EventSurveySaved, summary))
	}
	e := c.event(now, a, EventSurveySubmitted, summary)
	c.enter(StageVillageReview, now)
	return c.commit(now, e)
}

// VillageInput is the village's decision after musdes.
type VillageInput struct {
	Decision      VillageDecision `json:"decision"`
	Reason        Outcome         `json:"reason,omitempty"`
	MusdesDate    string          `json:"musdesDate"`
	MusdesMinutes string          `json:"musdesMinutes"`
}

// Validate checks the input on day now.
func (in VillageInput) Validate(now time.Time) error {
	var fe FieldErrors
	Enum(&fe, "decision", in.Decision, []VillageDecision{VillageConfirmed, VillageRejected})
	switch {
	case in.Decision == VillageRejected:
		Enum(&fe, "reason", in.Reason, RejectionReasons)
	case in.Reason != "":
		fe.Add("reason", "must be empty when the household is confirmed")
	}
	if d, err := ParseDate(in.MusdesDate); err != nil {
		fe.Add("musdesDate", "%v", err)
	} else if d.After(now) {
		fe.Add("musdesDate", "must not be in the future")
	}
	if strings.TrimSpace(in.MusdesMinutes) == "" || len(in.MusdesMinutes) > 100 {
		fe.Add("musdesMinutes", "must be the minutes number, 1 to 100 characters")
	}
	return fe.Err()
}

// CheckVillage answers whether a may record in.
func (c *Case) CheckVillage(a Actor, in VillageInput, now time.Time) error {
	if err := c.may(a, "village confirmation", RoleVillageOfficer); err != nil {
		return err
	}
	if err := c.inStage("village confirmation", StageVillageReview); err != nil {
		return err
	}
	return in.Validate(now)
}

// ConfirmByVillage records the decision; a rejection closes the case.
func (c *Case) ConfirmByVillage(a Actor, in VillageInput, now time.Time) []Event {
	c.Village = &VillageReview{Decision: in.Decision, Reason: in.Reason, MusdesDate: in.MusdesDate,
		MusdesMinutes: in.MusdesMinutes, By: a.Sub, At: now}
	if in.Decision == VillageConfirmed {
		e := c.event(now, a, EventVillageConfirmed, "musdes "+in.MusdesMinutes)
		c.enter(StageVerification, now)
		return c.commit(now, e)
	}
	e := c.event(now, a, EventVillageRejected, "rejected: "+string(in.Reason))
	return c.commit(now, e, c.close(now, a, in.Reason, "village rejection, musdes "+in.MusdesMinutes))
}

// VerificationInput is the verifier's finding.
type VerificationInput struct {
	Outcome VerificationOutcome `json:"outcome"`
	Notes   string              `json:"notes,omitempty"`
}

// CheckVerification answers whether a may record in.
func (c *Case) CheckVerification(a Actor, in VerificationInput) error {
	if err := c.may(a, "verification", RoleVerifier); err != nil {
		return err
	}
	if err := c.inStage("verification", StageVerification); err != nil {
		return err
	}
	var fe FieldErrors
	Enum(&fe, "outcome", in.Outcome, VerificationOutcomes)
	if len(in.Notes) > 2000 {
		fe.Add("notes", "at most 2000 characters")
	}
	return fe.Err()
}

// RecordVerification records the finding; anything but extreme_poor closes the case.
func (c *Case) RecordVerification(a Actor, in VerificationInput, now time.Time) []Event {
	agrees := c.Recommendation != nil && c.Recommendation.Outcome == in.Outcome
	c.Verification = &Verification{Outcome: in.Outcome, Notes: in.Notes, AgreesWithRecommendation: agrees, By: a.Sub, At: now}
	summary := "outcome " + string(in.Outcome)
	if !agrees {
		summary += " (differs from the recommendation)"
	}
	e := c.event(now, a, EventVerified, summary)
	if o, closes := in.Outcome.ClosingOutcome(); closes {
		return c.commit(now, e, c.close(now, a, o, "verification: "+string(in.Outcome)))
	}
	c.enter(StageIntervention, now)
	return c.commit(now, e)
}

// Assignment is one program given to one agency.
type Assignment struct {
	Program Program `json:"program"`
	Agency  string  `json:"agency"`
}

// AssignInput assigns programs.
type AssignInput struct {
	Interventions []Assignment `json:"interventions"`
}

// CheckAssign answers whether a may assign in.
func (c *Case) CheckAssign(a Actor, in AssignInput) error {
	if err := c.may(a, "assigning interventions", RoleSupervisor); err != nil {
		return err
	}
	if err := c.inStage("assigning interventions", StageIntervention, StageFollowUp); err != nil {
		return err
	}
	var fe FieldErrors
	if len(in.Interventions) == 0 || len(in.Interventions) > len(Programs) {
		fe.Add("interventions", "must list 1 to %d programs", len(Programs))
	}
	for i, as := range in.Interventions {
		p := fmt.Sprintf("interventions[%d].", i)
		Enum(&fe, p+"program", as.Program, Programs)
		if !OneOf(as.Agency, Agencies) {
			fe.Add(p+"agency", "must be one of %v", Agencies)
		}
		for _, iv := range c.Interventions {
			if iv.Program == as.Program && iv.Status != InterventionDeclined {
				fe.Add(p+"program", "%s is already assigned to %s", as.Program, iv.Agency)
			}
		}
		for _, other := range in.Interventions[:i] {
			if other.Program == as.Program {
				fe.Add(p+"program", "listed twice")
			}
		}
	}
	return fe.Err()
}

// AssignInterventions adds the interventions; agencies now have
// AcknowledgeDays to acknowledge.
func (c *Case) AssignInterventions(a Actor, in AssignInput, now time.Time) []Event {
	names := make([]string, 0, len(in.Interventions))
	for _, as := range in.Interventions {
		c.Interventions = append(c.Interventions, Intervention{
			ID: fmt.Sprintf("iv-%d", len(c.Interventions)+1), Program: as.Program, Agency: as.Agency,
			Status: InterventionAssigned, AssignedBy: a.Sub, AssignedAt: now, UpdatedAt: now,
		})
		names = append(names, string(as.Program)+"→"+as.Agency)
	}
	if c.Stage == StageIntervention {
		c.setDeadline(now, c.Deadlines.AcknowledgeDays)
	}
	return c.commit(now, c.event(now, a, EventInterventionsAssigned, strings.Join(names, ", ")))
}

// InterventionInput moves an intervention on.
type InterventionInput struct {
	ID     string             `json:"id"`
	Status InterventionStatus `json:"status"`
	Notes  string             `json:"notes,omitempty"`
}

func (c *Case) intervention(id string) int {
	for i := range c.Interventions {
		if c.Interventions[i].ID == id {
			return i
		}
	}
	return -1
}

// CheckIntervention answers whether a may move the intervention; an agency
// may move only its own.
func (c *Case) CheckIntervention(a Actor, in InterventionInput) error {
	if err := c.may(a, "intervention status", RoleAgency); err != nil {
		return err
	}
	if err := c.inStage("intervention status", StageIntervention, StageFollowUp); err != nil {
		return err
	}
	i := c.intervention(in.ID)
	if i < 0 {
		return fmt.Errorf("%w: intervention %q", ErrNotFound, in.ID)
	}
	iv := c.Interventions[i]
	if a.Role == RoleAgency && iv.Agency != a.Agency {
		return fmt.Errorf("%w: intervention %s belongs to %s", ErrNotFound, in.ID, iv.Agency)
	}
	var fe FieldErrors
	Enum(&fe, "status", in.Status, []InterventionStatus{InterventionAcknowledged, InterventionDelivered, InterventionDeclined})
	if len(in.Notes) > 2000 {
		fe.Add("notes", "at most 2000 characters")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if !iv.Status.CanMove(in.Status) {
		return fmt.Errorf("%w: intervention %s cannot go from %s to %s", ErrStage, in.ID, iv.Status, in.Status)
	}
	return nil
}

// UpdateIntervention applies the status; the first acknowledgement moves
// the case to follow-up.
func (c *Case) UpdateIntervention(a Actor, in InterventionInput, now time.Time) []Event {
	i := c.intervention(in.ID)
	iv := &c.Interventions[i]
	iv.Status, iv.Notes, iv.UpdatedAt = in.Status, in.Notes, now
	e := c.event(now, a, EventInterventionUpdated, fmt.Sprintf("%s (%s) %s", iv.ID, iv.Program, in.Status))
	e.Ref = iv.ID
	if c.Stage == StageIntervention && in.Status == InterventionAcknowledged {
		c.enter(StageFollowUp, now)
	}
	return c.commit(now, e)
}

// FollowUpInput is a monitoring visit.
type FollowUpInput struct {
	VisitDate          string `json:"visitDate"`
	MonthlyExpenditure int64  `json:"monthlyExpenditure"`
	Notes              string `json:"notes,omitempty"`
}

// CheckFollowUp answers whether a may record the visit.
func (c *Case) CheckFollowUp(a Actor, in FollowUpInput, now time.Time) error {
	if err := c.may(a, "follow-up visit", RoleCaseworker); err != nil {
		return err
	}
	if err := c.inStage("follow-up visit", StageFollowUp); err != nil {
		return err
	}
	var fe FieldErrors
	if d, err := ParseDate(in.VisitDate); err != nil {
		fe.Add("visitDate", "%v", err)
	} else if d.After(now) {
		fe.Add("visitDate", "must not be in the future")
	} else if c.FollowUp.Last != nil && in.VisitDate < c.FollowUp.Last.VisitDate {
		fe.Add("visitDate", "must not be before the previous visit (%s)", c.FollowUp.Last.VisitDate)
	}
	fe.Money("monthlyExpenditure", in.MonthlyExpenditure)
	if len(in.Notes) > 2000 {
		fe.Add("notes", "at most 2000 characters")
	}
	return fe.Err()
}

// RecordFollowUp records the visit; two consecutive visits above the
// extreme-poverty line graduate the household.
func (c *Case) RecordFollowUp(a Actor, in FollowUpInput, now time.Time) []Event {
	members := int64(1)
	if c.Survey != nil && len(c.Survey.Members) > 0 {
		members = int64(len(c.Survey.Members))
	}
	above := !c.Rules.Below(in.MonthlyExpenditure, members, c.Rules.ExtremeLine)
	c.FollowUp.Visits++
	if above {
		c.FollowUp.ConsecutiveAbove++
	} else {
		c.FollowUp.ConsecutiveAbove = 0
	}
	c.FollowUp.Last = &Visit{VisitDate: in.VisitDate, MonthlyExpenditure: in.MonthlyExpenditure, AboveLine: above, Notes: in.Notes, By: a.Sub, At: now}
	c.FollowUp.NextDue = now.Add(c.Deadlines.Days(c.Deadlines.FollowUpDays))
	c.Reminded, c.Overdue = false, false
	e := c.event(now, a, EventFollowUpRecorded, fmt.Sprintf("visit %d, above line: %t", c.FollowUp.Visits, above))
	if c.FollowUp.ConsecutiveAbove >= 2 {
		g := c.event(now, a, EventGraduated, "two consecutive visits above the line")
		return c.commit(now, e, g, c.close(now, a, OutcomeGraduated, "two consecutive visits above the line"))
	}
	return c.commit(now, e)
}

// GraduateInput is a verifier's graduation decision.
type GraduateInput struct {
	Notes string `json:"notes"`
}

// CheckGraduate answers whether a may graduate the household.
func (c *Case) CheckGraduate(a Actor, in GraduateInput) error {
	if err := c.may(a, "graduation", RoleVerifier); err != nil {
		return err
	}
	if err := c.inStage("graduation", StageFollowUp); err != nil {
		return err
	}
	if strings.TrimSpace(in.Notes) == "" || len(in.Notes) > 2000 {
		return FieldErrors{{Field: "notes", Message: "the decision needs a reason, 1 to 2000 characters"}}
	}
	return nil
}

// Graduate closes the case as graduated by decision.
func (c *Case) Graduate(a Actor, in GraduateInput, now time.Time) []Event {
	g := c.event(now, a, EventGraduated, "verifier's decision")
	return c.commit(now, g, c.close(now, a, OutcomeGraduated, in.Notes))
}

// EscalateInput raises the case.
type EscalateInput struct {
	// ID is chosen by the sender so that a repeated signal adds nothing.
	ID     string          `json:"id"`
	Level  EscalationLevel `json:"level"`
	Reason string          `json:"reason"`
	Actor  Actor           `json:"actor"`
}

// CheckEscalate answers whether the escalation may be recorded.
func (c *Case) CheckEscalate(in EscalateInput) error {
	if err := c.may(in.Actor, "escalation", RoleSupervisor, RoleProvince); err != nil {
		return err
	}
	if c.Status != StatusOpen {
		return stageErr(c, "escalation")
	}
	var fe FieldErrors
	if in.ID == "" || len(in.ID) > 64 {
		fe.Add("id", "must be 1 to 64 characters")
	}
	Enum(&fe, "level", in.Level, []EscalationLevel{EscalateRegency, EscalateProvince})
	if strings.TrimSpace(in.Reason) == "" || len(in.Reason) > 2000 {
		fe.Add("reason", "must be 1 to 2000 characters")
	}
	return fe.Err()
}

// Escalation returns the escalation with that ID.
func (c *Case) Escalation(id string) (Escalation, bool) {
	for _, e := range c.Escalations {
		if e.ID == id {
			return e, true
		}
	}
	return Escalation{}, false
}

// Escalate records the escalation.
func (c *Case) Escalate(in EscalateInput, now time.Time) []Event {
	c.Escalations = append(c.Escalations, Escalation{ID: in.ID, Level: in.Level, Reason: in.Reason, By: in.Actor.Sub, At: now, Open: true})
	c.Escalated = true
	e := c.event(now, in.Actor, EventEscalated, fmt.Sprintf("%s to %s: %s", in.ID, in.Level, in.Reason))
	e.Ref = in.ID
	return c.commit(now, e)
}

// ResolveInput answers an escalation.
type ResolveInput struct {
	ID         string `json:"id"`
	Resolution string `json:"resolution"`
}

// CheckResolve answers whether a may resolve the escalation: the province
// any, a supervisor those at regency level.
func (c *Case) CheckResolve(a Actor, in ResolveInput) error {
	if err := c.may(a, "resolving an escalation", RoleProvince, RoleSupervisor); err != nil {
		return err
	}
	for _, e := range c.Escalations {
		if e.ID != in.ID {
			continue
		}
		if !e.Open {
			return fmt.Errorf("%w: escalation %s is already resolved", ErrStage, in.ID)
		}
		if a.Role == RoleSupervisor && e.Level == EscalateProvince {
			return fmt.Errorf("%w: a province escalation is answered by the province", ErrForbidden)
		}
		if strings.TrimSpace(in.Resolution) == "" || len(in.Resolution) > 2000 {
			return FieldErrors{{Field: "resolution", Message: "must be 1 to 2000 characters"}}
		}
		return nil
	}
	return fmt.Errorf("%w: escalation %q", ErrNotFound, in.ID)
}

// ResolveEscalation answers the escalation.
func (c *Case) ResolveEscalation(a Actor, in ResolveInput, now time.Time) []Event {
	open := false
	for i := range c.Escalations {
		e := &c.Escalations[i]
		if e.ID == in.ID {
			e.Open, e.Resolution, e.ResolvedBy, e.ResolvedAt = false, in.Resolution, a.Sub, now
		}
		open = open || e.Open
	}
	c.Escalated = open
	e := c.event(now, a, EventEscalationResolved, in.ID+" resolved")
	e.Ref = in.ID
	return c.commit(now, e)
}

// CloseInput closes the case.
type CloseInput struct {
	Reason Outcome `json:"reason"`
	Notes  string  `json:"notes,omitempty"`
}

// CheckClose answers whether a may close the case.
func (c *Case) CheckClose(a Actor, in CloseInput) error {
	if err := c.may(a, "closing", RoleSupervisor); err != nil {
		return err
	}
	if c.Status != StatusOpen {
		return stageErr(c, "closing")
	}
	var fe FieldErrors
	Enum(&fe, "reason", in.Reason, CloseReasons)
	if len(in.Notes) > 2000 {
		fe.Add("notes", "at most 2000 characters")
	}
	return fe.Err()
}

// Close ends the case with the reason as its outcome.
func (c *Case) Close(a Actor, in CloseInput, now time.Time) []Event {
	return c.commit(now, c.close(now, a, in.Reason, in.Notes))
}

// NextWake is the next moment a deadline rule may fire, or zero if none.
func (c *Case) NextWake() time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if c.Status != StatusOpen {
		return next
	}
	if !c.Reminded {
		consider(c.Deadline)
	}
	consider(c.EscalateAt)
	if c.Stage == StageFollowUp {
		if !c.Reminded {
			consider(c.FollowUp.NextDue)
		}
		if !c.Overdue {
			consider(c.followUpOverdueAt())
		}
	}
	return next
}

func (c *Case) followUpOverdueAt() time.Time {
	if c.FollowUp.NextDue.IsZero() {
		return time.Time{}
	}
	return c.FollowUp.NextDue.Add(c.Deadlines.Days(c.Deadlines.FollowUpGraceDays))
}

// Tick applies the deadline rules at now: a reminder once the deadline has
// passed, and at twice the deadline an automatic escalation to the regency.
// In follow-up, a missed visit reminds, then marks the case overdue.
func (c *Case) Tick(now time.Time) []Event {
	if c.Status != StatusOpen {
		return nil
	}
	var events []Event
	if !c.Deadline.IsZero() && !now.Before(c.Deadline) && !c.Reminded {
		c.Reminded, c.Overdue = true, true
		events = append(events, c.event(now, System, EventReminder, fmt.Sprintf("%s deadline %s passed", c.Stage, c.Deadline.Format(time.DateOnly))))
	}
	if !c.EscalateAt.IsZero() && !now.Before(c.EscalateAt) {
		id := fmt.Sprintf("auto-%s-%d", c.Stage, c.Seq+1)
		c.EscalateAt = time.Time{}
		c.Escalations = append(c.Escalations, Escalation{ID: id, Level: EscalateRegency,
			Reason: fmt.Sprintf("%s is twice past its deadline", c.Stage), By: System.Sub, At: now, Open: true})
		c.Escalated = true
		e := c.event(now, System, EventEscalated, id+" to regency: deadline missed twice over")
		e.Ref = id
		events = append(events, e)
	}
	if c.Stage == StageFollowUp && !c.FollowUp.NextDue.IsZero() {
		if !now.Before(c.FollowUp.NextDue) && !c.Reminded {
			c.Reminded = true
			events = append(events, c.event(now, System, EventReminder, "follow-up visit due "+c.FollowUp.NextDue.Format(time.DateOnly)))
		}
		if !now.Before(c.followUpOverdueAt()) && !c.Overdue {
			c.Overdue = true
			events = append(events, c.event(now, System, EventReminder, "follow-up visit overdue"))
		}
	}
	if len(events) == 0 {
		return nil
	}
	return c.commit(now, events...)
}

// PendingActions names what the case waits for.
func (c *Case) PendingActions() []string {
	switch c.Stage {
	case StageCollecting:
		return []string{"caseworker: submit the household survey"}
	case StageVillageReview:
		return []string{"village_officer: confirm or reject after musdes"}
	case StageVerification:
		return []string{"verifier: record the field verification"}
	case StageIntervention:
		var out []string
		for _, iv := range c.Interventions {
			if iv.Status == InterventionAssigned {
				out = append(out, "agency "+iv.Agency+": acknowledge "+iv.ID)
			}
		}
		if len(out) == 0 {
			out = append(out, "supervisor: assign interventions")
		}
		return out
	case StageFollowUp:
		return []string{"caseworker: follow-up visit due " + c.FollowUp.NextDue.Format(time.DateOnly)}
	}
	return nil
}
