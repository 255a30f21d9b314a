package workflows

import (
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
)

// people is the typed nil through which the workflow names the activities
// that keep one person in one open case.
var people *activities.People

// SignalDuplicate carries a DuplicateNotice from another case.
const SignalDuplicate = "duplicate"

// Kinds of DuplicateNotice.
const (
	// NoticeFound tells the case holding a person that another case also
	// has them.
	NoticeFound = "found"
	// NoticeSettled tells the other case that a supervisor resolved the
	// finding on this one.
	NoticeSettled = "settled"
)

// DuplicateNotice is what one case tells another about a shared person.
// The NIK travels sealed, like every payload.
type DuplicateNotice struct {
	Kind        string                      `json:"kind"`
	NIK         string                      `json:"nik"`
	FromCaseID  string                      `json:"fromCaseId"`
	FromKK      string                      `json:"fromKk"`
	FromVillage string                      `json:"fromVillage"`
	Decision    household.DuplicateDecision `json:"decision,omitempty"`
	HeldByOther bool                        `json:"heldByOther,omitempty"`
}

// claim claims niks for the case and records a finding for each person
// another case holds, telling that case too. Released people are let go.
func (w *caseWorkflow) claim(ctx workflow.Context, niks, released []string) error {
	if len(released) > 0 {
		if err := w.write(ctx, people.ReleasePeople, activities.ReleaseInput{CaseID: w.c.ID, NIKs: released}, nil); err != nil {
			return err
		}
	}
	if len(niks) == 0 {
		return nil
	}
	var res activities.ClaimResult
	if err := w.write(ctx, people.ClaimPeople, activities.ClaimInput{CaseID: w.c.ID, KK: w.c.KK, Village: w.c.VillageCode, NIKs: niks}, &res); err != nil {
		return err
	}
	for _, h := range res.HeldElsewhere {
		events := w.c.RecordDuplicate(h.NIK, h.CaseID, h.KK, h.Village, false, workflow.Now(ctx))
		if len(events) == 0 {
			continue // known already
		}
		w.pending = append(w.pending, events...)
		w.tell(ctx, h.KK, DuplicateNotice{Kind: NoticeFound, NIK: h.NIK, FromCaseID: w.c.ID, FromKK: w.c.KK, FromVillage: w.c.VillageCode})
	}
	return nil
}

// ChangeHouseholdIDs is the change that made case workflow IDs keyed
// pseudonyms of the family card (WorkflowID) instead of the card's number
// (LegacyWorkflowID). A case that tells another about a shared person
// records it: before it, the notice went to the legacy ID alone.
const ChangeHouseholdIDs = "household-ids"

// pseudonymOptions bound the local activity that gives a card's pseudonym:
// it computes an HMAC and touches nothing.
var pseudonymOptions = workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second}

// tell signals family card kk's case; a case that has closed meanwhile has
// nothing left to hear, so a failure is logged, not returned. The case is
// found under its pseudonymous ID, or, opened before the change, under
// the legacy one.
func (w *caseWorkflow) tell(ctx workflow.Context, kk string, n DuplicateNotice) {
	logger := workflow.GetLogger(ctx)
	if workflow.GetVersion(ctx, ChangeHouseholdIDs, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
		var pseudonym string
		err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, pseudonymOptions), people.HouseholdPseudonym, kk).Get(ctx, &pseudonym)
		if err != nil {
			logger.Warn("duplicate notice not delivered", "case", w.c.ID, "kind", n.Kind, "error", err)
			return
		}
		err = workflow.SignalExternalWorkflow(ctx, householdPrefix+pseudonym, "", SignalDuplicate, n).Get(ctx, nil)
		if !errors.As(err, new(*temporal.UnknownExternalWorkflowExecutionError)) {
			if err != nil {
				logger.Warn("duplicate notice not delivered", "case", w.c.ID, "kind", n.Kind, "error", err)
			}
			return
		}
	}
	if err := workflow.SignalExternalWorkflow(ctx, LegacyWorkflowID(kk), "", SignalDuplicate, n).Get(ctx, nil); err != nil {
		logger.Warn("duplicate notice not delivered", "case", w.c.ID, "kind", n.Kind, "error", err)
	}
}

// hear applies another case's notice about a shared person.
func (w *caseWorkflow) hear(ctx workflow.Context, n DuplicateNotice) {
	now := workflow.Now(ctx)
	switch n.Kind {
	case NoticeFound:
		if slices.Contains(w.c.NIKs(), n.NIK) {
			w.pending = append(w.pending, w.c.RecordDuplicate(n.NIK, n.FromCaseID, n.FromKK, n.FromVillage, true, now)...)
		}
	case NoticeSettled:
		w.pending = append(w.pending, w.c.SettleDuplicate(n.NIK, n.FromCaseID, n.Decision, !n.HeldByOther, now)...)
	}
}

// recordSurvey applies a survey and remembers who the case held before,
// so that claimSurvey can let go of members who left it.
func (w *caseWorkflow) recordSurvey(c *household.Case, by household.Actor, in household.SurveyInput, t time.Time) []household.Event {
	w.heldBefore, w.draft = c.NIKs(), in.Draft
	return c.SubmitSurvey(by, in, t)
}

// claimSurvey claims the survey's people and releases those who left it.
func (w *caseWorkflow) claimSurvey(ctx workflow.Context) error {
	if w.draft {
		// A draft claims nobody: its answer would tell a caseworker which
		// NIKs an open case anywhere holds, and a member typed and removed
		// again would leave a finding on another case for good.
		return nil
	}
	now := w.c.NIKs()
	var released []string
	for _, nik := range w.heldBefore {
		if !slices.Contains(now, nik) {
			released = append(released, nik)
		}
	}
	return w.claim(ctx, now, released)
}

// recordResolution applies a supervisor's resolution of a possible
// duplicate and remembers it for settleResolution.
func (w *caseWorkflow) recordResolution(c *household.Case, by household.Actor, in household.DuplicateResolutionInput, t time.Time) []household.Event {
	w.resolved = in
	return c.ResolveDuplicate(by, in, t)
}

// settleResolution tells the other case and, after a split, gives the
// person to the case that keeps them.
func (w *caseWorkflow) settleResolution(ctx workflow.Context) error {
	in := w.resolved
	d, _ := w.c.Finding(in.ID) // recorded by recordResolution's check
	if in.Decision == household.DecisionSplit {
		holder := activities.AssignInput{CaseID: w.c.ID, KK: w.c.KK, Village: w.c.VillageCode, NIK: d.NIK}
		if in.Keep == household.KeepOther {
			holder = activities.AssignInput{CaseID: d.OtherCaseID, KK: d.OtherKK, Village: d.OtherVillage, NIK: d.NIK}
		}
		if err := w.write(ctx, people.AssignPerson, holder, nil); err != nil {
			return err
		}
	}
	w.tell(ctx, d.OtherKK, DuplicateNotice{Kind: NoticeSettled, NIK: d.NIK, FromCaseID: w.c.ID, FromKK: w.c.KK, FromVillage: w.c.VillageCode,
		Decision: in.Decision, HeldByOther: in.Decision == household.DecisionSplit && in.Keep == household.KeepThis})
	return nil
}
