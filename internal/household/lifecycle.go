package household

// Stage is where a case is in its lifecycle.
type Stage string

// Stages, in order.
const (
	StageCollecting    Stage = "collecting"
	StageVillageReview Stage = "village_review"
	StageVerification  Stage = "verification"
	StageIntervention  Stage = "intervention"
	StageFollowUp      Stage = "follow_up"
	StageClosed        Stage = "closed"
)

// Stages lists every stage in lifecycle order.
var Stages = []Stage{StageCollecting, StageVillageReview, StageVerification, StageIntervention, StageFollowUp, StageClosed}

// Status is open until the case closes.
type Status string

// Statuses.
const (
	StatusOpen   Status = "open"
	StatusClosed Status = "closed"
	// StatusHalted is a case whose workflow ended abnormally (terminated,
	// failed, timed out): no action reaches it and its family card cannot
	// be opened again until a person has looked at it. Only the reconcile
	// command sets it, from what Temporal says of the workflow.
	StatusHalted Status = "halted"
)

// Statuses lists every status.
var Statuses = []Status{StatusOpen, StatusClosed, StatusHalted}

// Outcome is why a case closed.
type Outcome string

// Outcomes.
const (
	OutcomeGraduated       Outcome = "graduated"
	OutcomeExcludedNotPoor Outcome = "excluded_not_poor"
	OutcomeNotFound        Outcome = "not_found"
	OutcomeNotExtreme      Outcome = "not_extreme"
	OutcomeNotResident     Outcome = "not_resident"
	OutcomeMoved           Outcome = "moved"
	OutcomeDeceased        Outcome = "deceased"
	OutcomeDuplicate       Outcome = "duplicate"
	OutcomeWithdrawn       Outcome = "withdrawn"
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeGraduated, OutcomeExcludedNotPoor, OutcomeNotFound, OutcomeNotExtreme,
	OutcomeNotResident, OutcomeMoved, OutcomeDeceased, OutcomeDuplicate, OutcomeWithdrawn}

// Source is where a household came onto the list.
type Source string

// Sources.
const (
	SourceP3KE     Source = "p3ke"
	SourceDTSEN    Source = "dtsen"
	SourceReferral Source = "referral"
	SourceWalkIn   Source = "walk_in"
	// SourceVillageProposal is a household the village proposed (usulan
	// desa) and Dinsos accepted: only an accepted proposal opens a case
	// from it (see OpenInput.Proposal).
	SourceVillageProposal Source = "village_proposal"
)

// Sources lists every source.
var Sources = []Source{SourceP3KE, SourceDTSEN, SourceReferral, SourceWalkIn, SourceVillageProposal}

// OpenSources are the sources a person or an import opens a case from;
// a village proposal opens its case through its screening alone.
var OpenSources = []Source{SourceP3KE, SourceDTSEN, SourceReferral, SourceWalkIn}

// VillageDecision is the village's answer after musdes.
type VillageDecision string

// Village decisions.
const (
	VillageConfirmed VillageDecision = "confirmed"
	VillageRejected  VillageDecision = "rejected"
)

// VillageDecisions lists both decisions.
var VillageDecisions = []VillageDecision{VillageConfirmed, VillageRejected}

// RejectionReasons are the reasons a village may reject a household; each
// closes the case with the outcome of the same name.
var RejectionReasons = []Outcome{OutcomeNotResident, OutcomeMoved, OutcomeDeceased, OutcomeDuplicate}

// CloseReasons are the reasons a supervisor may close a case at any stage.
var CloseReasons = []Outcome{OutcomeMoved, OutcomeDeceased, OutcomeDuplicate, OutcomeWithdrawn}

// VerificationOutcome is Dinsos's field-verification finding.
type VerificationOutcome string

// Verification outcomes.
const (
	ExtremePoor VerificationOutcome = "extreme_poor"
	Poor        VerificationOutcome = "poor"
	NotPoor     VerificationOutcome = "not_poor"
	NotFound    VerificationOutcome = "not_found"
)

// VerificationOutcomes lists every verification outcome.
var VerificationOutcomes = []VerificationOutcome{ExtremePoor, Poor, NotPoor, NotFound}

// ClosingOutcome returns the outcome a verification finding closes the case
// with, and false for extreme_poor, which moves the case on to intervention.
func (v VerificationOutcome) ClosingOutcome() (Outcome, bool) {
	switch v {
	case NotPoor:
		return OutcomeExcludedNotPoor, true
	case NotFound:
		return OutcomeNotFound, true
	case Poor:
		return OutcomeNotExtreme, true
	}
	return "", false
}

// EscalationLevel is who an escalation goes to.
type EscalationLevel string

// Escalation levels.
const (
	EscalateRegency  EscalationLevel = "regency"
	EscalateProvince EscalationLevel = "province"
)

// EscalationLevels lists both levels.
var EscalationLevels = []EscalationLevel{EscalateRegency, EscalateProvince}

// InterventionStatus is an intervention's progress at its agency.
type InterventionStatus string

// Intervention statuses.
const (
	InterventionAssigned     InterventionStatus = "assigned"
	InterventionAcknowledged InterventionStatus = "acknowledged"
	InterventionDelivered    InterventionStatus = "delivered"
	InterventionDeclined     InterventionStatus = "declined"
	// InterventionMoved is an intervention the household's move ended:
	// its agency does not serve the village the household moved to, and
	// a supervisor assigns the program again.
	InterventionMoved InterventionStatus = "moved"
)

// InterventionStatuses lists every intervention status; ReportedStatuses
// are those an agency reports (assigned is where an assignment starts).
var (
	InterventionStatuses = []InterventionStatus{InterventionAssigned, InterventionAcknowledged, InterventionDelivered, InterventionDeclined, InterventionMoved}
	ReportedStatuses     = []InterventionStatus{InterventionAcknowledged, InterventionDelivered, InterventionDeclined}
)

// CanMove reports whether an intervention may go from s to next:
// assigned → acknowledged → delivered, and declined from assigned or acknowledged.
func (s InterventionStatus) CanMove(next InterventionStatus) bool {
	switch next {
	case InterventionAcknowledged:
		return s == InterventionAssigned
	case InterventionDelivered:
		return s == InterventionAcknowledged
	case InterventionDeclined:
		return s == InterventionAssigned || s == InterventionAcknowledged
	}
	return false
}

// Role is what a user does in the system.
type Role string

// Roles.
const (
	RoleCaseworker     Role = "caseworker"
	RoleVillageOfficer Role = "village_officer"
	RoleVerifier       Role = "verifier"
	RoleSupervisor     Role = "supervisor"
	RoleAgency         Role = "agency"
	RoleProvince       Role = "province"
	RoleAdmin          Role = "admin"
	// RoleSystem is the workflow itself (deadline rules).
	RoleSystem Role = "system"
)

// Roles lists the roles a person can hold.
var Roles = []Role{RoleCaseworker, RoleVillageOfficer, RoleVerifier, RoleSupervisor, RoleAgency, RoleProvince, RoleAdmin}

// OneOf reports whether v is one of set.
func OneOf[T comparable](v T, set []T) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}
