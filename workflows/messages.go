// Package workflows holds the household case workflow: one durable workflow
// per family card (KK) that moves the case through collecting, village
// review, verification, intervention and follow-up until it closes. Names
// of the workflow's messages live here beside their payloads.
package workflows

import (
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
)

// TaskQueue is where case workflows and their activities run.
const TaskQueue = "tuntas-cases"

// Households gives the keyed pseudonyms of family cards
// (pseudonym.Key.Household).
type Households interface {
	Household(kk string) string
}

// WorkflowID is the ID of the live case of a family card, one at a time:
// "household-" and the card's keyed pseudonym, so that the KK is nowhere
// Temporal shows it (the Web UI, the CLI, its logs and its visibility
// store all show workflow IDs in the clear).
func WorkflowID(h Households, kk string) string { return householdPrefix + h.Household(kk) }

// householdPrefix begins the workflow ID of every case.
const householdPrefix = "household-"

// LegacyWorkflowID is the ID of a case opened before workflow IDs were
// pseudonyms (ChangeHouseholdIDs): "household-" and the KK itself. Such a
// case keeps its ID for good, and the read model records it; it is
// reached by this form only where no ID was recorded.
func LegacyWorkflowID(kk string) string { return householdPrefix + kk }

// CaseWorkflowID is the workflow ID of a case of family card kk as the
// read model knows it: the ID its projection recorded, or, where none was
// recorded (a snapshot written before the change, of a case opened
// before it), the legacy form.
func CaseWorkflowID(recorded, kk string) string {
	if recorded != "" {
		return recorded
	}
	return LegacyWorkflowID(kk)
}

// Query, update and signal names.
const (
	QueryState = "state"

	// UpdateOpened is sent with the start (update-with-start) and carries
	// the opener's request ID; it answers once the case is in the read
	// model, with Created telling whether this request opened it.
	UpdateOpened = "opened"

	UpdateSurvey       = "survey"
	UpdateVillage      = "village-confirmation"
	UpdateVerification = "verification"
	UpdateAssign       = "assign-interventions"
	UpdateIntervention = "intervention-status"
	UpdateFollowUp     = "follow-up"
	UpdateGraduate     = "graduate"
	UpdateEscalate     = "escalate"
	UpdateResolve      = "resolve-escalation"
	UpdateClose        = "close"
	// UpdateDuplicateResolution resolves a possible duplicate.
	UpdateDuplicateResolution = "duplicate-resolution"
	// UpdateTransfer asks to move the household to another village,
	// UpdateTransferAnswer is the receiving region's answer and
	// UpdateTransferCancel the sender's withdrawal (see ChangeTransfer).
	UpdateTransfer       = "transfer-request"
	UpdateTransferAnswer = "transfer-answer"
	UpdateTransferCancel = "transfer-cancel"
)

// ChangeTransfer is the workflow.GetVersion change ID of transfers, the
// first change to the case workflow after the baseline: three updates and
// what an accepted move does besides the case's own state (its kecamatan
// and village search attributes, its people's claims). A history recorded
// before the change holds no transfer, since an update the worker has no
// handler for is refused before anything is written, so every baseline
// history replays as it ran (TestReplayRecordedLifecycle); a run records
// the version marker at its first transfer action, and a case that never
// moves records none. TransferVersion is the version the code runs.
const (
	ChangeTransfer  = "transfer"
	TransferVersion = 1
)

// ErrTypeRunEnding is the type of the rejection of an update that reached
// a run after it decided to end: nothing was applied, and the same update
// sent again reaches the next run. It is not a domain error.
const ErrTypeRunEnding = "RunEnding"

// ErrTypeAlreadyOpen is the type of the refusal of an open whose family
// card already has an open case; its details are an AlreadyOpen.
const ErrTypeAlreadyOpen = "AlreadyOpen"

// AlreadyOpen names the open case of a family card: its ID and village
// (to tell whether the opener may be told which case it is), nothing
// personal.
type AlreadyOpen struct {
	CaseID      string `json:"caseId"`
	VillageCode string `json:"villageCode"`
}

// Search attributes the case workflow keeps current, so the Temporal CLI
// and Web UI can filter cases (TuntasStage='verification').
var (
	AttrStage     = temporal.NewSearchAttributeKeyKeyword("TuntasStage")
	AttrDistrict  = temporal.NewSearchAttributeKeyKeyword("TuntasDistrict")
	AttrVillage   = temporal.NewSearchAttributeKeyKeyword("TuntasVillage")
	AttrEscalated = temporal.NewSearchAttributeKeyBool("TuntasEscalated")
)

// CaseInput starts a case, or continues one after continue-as-new.
type CaseInput struct {
	// Baseline is the workflow baseline the case was started at (Baseline);
	// a history without it was recorded before the baseline.
	Baseline  int                 `json:"baseline"`
	Open      household.OpenInput `json:"open"`
	Actor     household.Actor     `json:"actor"`
	Rules     household.Rules     `json:"rules"`
	Deadlines household.Deadlines `json:"deadlines"`
	// RequestID identifies the request that started the case.
	RequestID string `json:"requestId,omitempty"`
	// State is the case carried over from the previous run; nil on the first.
	State *household.Case `json:"state,omitempty"`
	// Applied are the IDs of the last updates the previous runs applied
	// (at most RememberedUpdates), so that a retry of one that reaches
	// this run is answered, not applied again.
	Applied []string `json:"applied,omitempty"`
}

// Baseline is the workflow code's baseline: the case workflow as it stood
// when Tuntas was first deployed, with no version branches. Every change
// to the workflow after it goes behind workflow.GetVersion with a replay
// test of a history recorded before the change. Histories from the
// prototype's development, before the baseline, are not run: their data
// directories must be started afresh (README).
const Baseline = 1

// ErrTypeBeforeBaseline is the type of the failure of a case started with
// an input from before Baseline.
const ErrTypeBeforeBaseline = "BeforeBaseline"

// RememberedUpdates is how many applied update IDs a case carries into
// its next run: more than a person's retries of recent actions need.
const RememberedUpdates = 32

// State is what QueryState returns.
type State struct {
	Case           household.Case `json:"case"`
	PendingActions []string       `json:"pendingActions"`
}

// OpenResult answers UpdateOpened.
type OpenResult struct {
	Case    household.Case `json:"case"`
	Created bool           `json:"created"`
}
