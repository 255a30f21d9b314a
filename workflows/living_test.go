package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/claims"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// livingWorld is what the proposal and objection workflows reach, in
// memory: the read model, the notifier, the claims and the case
// workflows (which family cards have an open case; the cases proposals
// open; the objections cases take).
type livingWorld struct {
	mu         sync.Mutex
	proposals  map[string]household.Proposal
	objections map[string]household.Objection
	notified   []activities.Notification
	heldKK     map[string]string // KK → case ID
	heldHeads  map[string]string // pseudonym → case ID
	opened     []household.OpenInput
	openedBy   []household.Actor
	// openAlready makes an opening find the KK open (a case opened since).
	openAlready bool
	upheld      []activities.UpholdRequest
	caseRefusal *household.Error
}

func newLivingWorld() *livingWorld {
	return &livingWorld{proposals: map[string]household.Proposal{}, objections: map[string]household.Objection{},
		heldKK: map[string]string{}, heldHeads: map[string]string{}}
}

func (l *livingWorld) SaveProposal(_ context.Context, p household.Proposal) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.proposals[p.ID]; !ok || old.Version <= p.Version {
		l.proposals[p.ID] = p
	}
	return nil
}

func (l *livingWorld) SaveObjection(_ context.Context, o household.Objection) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.objections[o.ID]; !ok || old.Version <= o.Version {
		l.objections[o.ID] = o
	}
	return nil
}

func (l *livingWorld) Notify(_ context.Context, n activities.Notification) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notified = append(l.notified, n)
	return nil
}

func (l *livingWorld) Holder(_ context.Context, person string) (claims.Claim, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.heldHeads[person]
	return claims.Claim{Person: person, CaseID: id, Village: "64.08.03.2001"}, ok, nil
}

func (l *livingWorld) HeldCase(_ context.Context, kk string) (string, string, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.heldKK[kk]
	return id, "64.08.01.2001", ok, nil
}

func (l *livingWorld) Open(_ context.Context, in household.OpenInput, by household.Actor, requestID string) (household.Case, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.openAlready {
		return household.Case{ID: "case-raced", VillageCode: in.VillageCode}, false, nil
	}
	l.opened = append(l.opened, in)
	l.openedBy = append(l.openedBy, by)
	return household.Case{ID: "case-" + requestID, VillageCode: in.VillageCode, Stage: household.StageCollecting}, true, nil
}

func (l *livingWorld) Uphold(_ context.Context, kk, caseID string, by household.Actor, in household.UpholdInput, updateID string) (household.Case, *household.Error, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.upheld = append(l.upheld, activities.UpholdRequest{KK: kk, CaseID: caseID, By: by, In: in})
	if l.caseRefusal != nil {
		return household.Case{}, l.caseRefusal, nil
	}
	return household.Case{ID: caseID, Stage: household.StageVerification}, nil, nil
}

// livingHarness drives one proposal or objection workflow.
type livingHarness struct {
	t     *testing.T
	suite testsuite.WorkflowTestSuite
	env   *testsuite.TestWorkflowEnvironment
	world *livingWorld
}

func newLivingHarness(t *testing.T, world *livingWorld) *livingHarness {
	h := &livingHarness{t: t, world: world}
	h.env = h.suite.NewTestWorkflowEnvironment()
	h.env.SetStartTime(testStart)
	h.env.RegisterWorkflow(workflows.Proposal)
	h.env.RegisterWorkflow(workflows.Objection)
	h.env.RegisterActivity(&activities.LivingList{Store: world, Notifier: world, Cases: world, Claims: world, Key: plainKey{}})
	return h
}

// update sends an update at d, its actor bound to the workflow's item and
// the update, as the client helpers bind it.
func (h *livingHarness) update(d time.Duration, item, name string, by household.Actor, in any) *result {
	r := &result{name: name}
	id := fmt.Sprintf("u-%d", updateSeq.Add(1))
	by.Case, by.Update = item, id
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept:   func() { r.accepted = true },
			OnReject:   func(err error) { r.err = err },
			OnComplete: func(_ any, err error) { r.err = err },
		}, by, in)
	}, d)
	return r
}

var (
	proposed = household.ProposalInput{KK: "6408010101209001", HeadNIK: "6408015506800003", HeadName: "Wati", VillageCode: "64.08.01.2001",
		Address: "RT 05, Senyiur", MusdesDate: "2026-11-01", MusdesMinutes: "7/MUSDES/XI/2026"}
	accept = household.ScreenInput{Decision: household.ScreenAccept}
)

func proposalInput() workflows.ProposalInput {
	return workflows.ProposalInput{ID: "usl-1", Proposal: proposed, Actor: village, Deadlines: household.DefaultDeadlines(), RequestID: "req-p"}
}

func (h *livingHarness) proposal() household.Proposal {
	h.t.Helper()
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("the proposal's workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("the proposal's workflow failed: %v", err)
	}
	var p household.Proposal
	if err := h.env.GetWorkflowResult(&p); err != nil {
		h.t.Fatal(err)
	}
	if stored := h.world.proposals[p.ID]; stored.Version != p.Version {
		h.t.Fatalf("read model at v%d, workflow at v%d", stored.Version, p.Version)
	}
	return p
}

func TestAnAcceptedProposalOpensItsCaseLinkedToIt(t *testing.T) {
	world := newLivingWorld()
	h := newLivingHarness(t, world)
	byOfficer := h.update(time.Hour, "usl-1", workflows.UpdateScreen, village, accept)
	elsewhere := h.update(2*time.Hour, "usl-1", workflows.UpdateScreen, household.Actor{Sub: "s", Role: household.RoleSupervisor, Region: "64.01"}, accept)
	forgedBinding := h.update(3*time.Hour, "usl-other", workflows.UpdateScreen, super, accept)
	screened := h.update(4*time.Hour, "usl-1", workflows.UpdateScreen, super, accept)
	// A second screening sent with the first is taken in while the first
	// opens the case, and refused once it has.
	again := h.update(4*time.Hour, "usl-1", workflows.UpdateScreen, super, household.ScreenInput{Decision: household.ScreenReject, Reason: "x"})
	h.env.ExecuteWorkflow(workflows.Proposal, proposalInput())
	p := h.proposal()
	mustReject(t, byOfficer, household.CodeForbidden)
	mustReject(t, elsewhere, household.CodeForbidden)
	mustReject(t, forgedBinding, household.CodeForbidden)
	mustAccept(t, screened)
	var app *temporal.ApplicationError
	if !errors.As(again.err, &app) || app.Type() != string(household.CodeConflict) {
		t.Errorf("a second screening: accepted=%t err=%v, want a conflict", again.accepted, again.err)
	}
	if p.Status != household.ProposalAccepted || p.CaseID != "case-proposal:usl-1" || p.ScreenedBy != super.Sub {
		t.Fatalf("accepted: %+v", p)
	}
	if len(world.opened) != 1 || world.opened[0].Proposal != "usl-1" || world.opened[0].Source != household.SourceVillageProposal ||
		world.opened[0].KK != proposed.KK || world.openedBy[0].Sub != super.Sub || world.openedBy[0].Case != "" {
		t.Fatalf("opened %+v by %+v", world.opened, world.openedBy)
	}
}

// TestAProposalOfAHouseholdInAnOpenCaseIsRefusedWithAFinding: at its own
// check (the head held by another case), and at its acceptance (a case of
// the family card opened meanwhile).
func TestAProposalOfAHouseholdInAnOpenCaseIsRefusedWithAFinding(t *testing.T) {
	world := newLivingWorld()
	world.heldHeads[plainKey{}.Of(proposed.HeadNIK)] = "case-9"
	h := newLivingHarness(t, world)
	late := h.update(time.Hour, "usl-1", workflows.UpdateScreen, super, accept)
	h.env.ExecuteWorkflow(workflows.Proposal, proposalInput())
	p := h.proposal()
	if p.Status != household.ProposalDuplicate || p.Finding == nil || p.Finding.By != household.HeldHead || p.Finding.CaseID != "case-9" ||
		p.ScreenedBy != village.Sub || len(world.opened) != 0 {
		t.Fatalf("refused at its own check: %+v, opened %v", p, world.opened)
	}
	if late.accepted && late.err == nil {
		t.Error("a refused proposal was screened")
	}

	world = newLivingWorld()
	world.openAlready = true
	h = newLivingHarness(t, world)
	h.update(time.Hour, "usl-1", workflows.UpdateScreen, super, accept)
	h.env.ExecuteWorkflow(workflows.Proposal, proposalInput())
	p = h.proposal()
	if p.Status != household.ProposalDuplicate || p.Finding == nil || p.Finding.By != household.HeldKK || p.Finding.CaseID != "case-raced" || p.ScreenedBy != super.Sub {
		t.Fatalf("refused at its acceptance: %+v", p)
	}
}

func TestAnUnscreenedProposalRemindsTheRegencyThenEscalatesToTheProvince(t *testing.T) {
	world := newLivingWorld()
	h := newLivingHarness(t, world)
	reject := h.update(30*24*time.Hour, "usl-1", workflows.UpdateScreen, super, household.ScreenInput{Decision: household.ScreenReject, Reason: "mampu"})
	h.env.ExecuteWorkflow(workflows.Proposal, proposalInput())
	p := h.proposal()
	mustAccept(t, reject)
	if p.Status != household.ProposalRejected || p.Reason != "mampu" || !p.Escalated {
		t.Fatalf("rejected after its deadlines: %+v", p)
	}
	if len(world.notified) != 2 || world.notified[0].To != household.RoleSupervisor || world.notified[0].Region != "64.08" ||
		!world.notified[0].At.Equal(testStart.Add(14*household.Day)) || world.notified[1].To != household.RoleProvince ||
		!world.notified[1].At.Equal(testStart.Add(28*household.Day)) || world.notified[0].CaseID != "usl-1" || world.notified[0].HeadName != "Wati" {
		t.Fatalf("notified %+v", world.notified)
	}
}

// caseOfObjection is what an objection needs of its case.
var caseOfObjection = household.Case{ID: "case-1", KK: "6408010101200001", HeadName: "Siti Aminah", VillageCode: "64.08.01.2001",
	DistrictCode: "64.08.01", RegencyCode: "64.08"}

func objectionInput() workflows.ObjectionInput {
	return workflows.ObjectionInput{ID: "sgh-1", Case: caseOfObjection, Objection: household.ObjectionInput{Relation: household.ObjectorNeighbour,
		Reason: household.ObjectNotPoor, Notes: "punya dua mobil"}, Actor: village, Deadlines: household.DefaultDeadlines(), RequestID: "req-o"}
}

func (h *livingHarness) objection() household.Objection {
	h.t.Helper()
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("the objection's workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("the objection's workflow failed: %v", err)
	}
	var o household.Objection
	if err := h.env.GetWorkflowResult(&o); err != nil {
		h.t.Fatal(err)
	}
	if stored := h.world.objections[o.ID]; stored.Version != o.Version {
		h.t.Fatalf("read model at v%d, workflow at v%d", stored.Version, o.Version)
	}
	return o
}

func TestAnObjectionUpheldByDinsosReachesItsCaseAndADismissedOneDoesNot(t *testing.T) {
	tests := []struct {
		decision household.AnswerDecision
		status   household.ObjectionStatus
		reaches  bool
	}{
		{household.AnswerUphold, household.ObjectionUpheld, true},
		{household.AnswerDismiss, household.ObjectionDismissed, false},
	}
	for _, tt := range tests {
		world := newLivingWorld()
		h := newLivingHarness(t, world)
		byRecorder := h.update(time.Hour, "sgh-1", workflows.UpdateAnswer, village, household.AnswerInput{Decision: tt.decision, Note: "x"})
		answered := h.update(2*24*time.Hour, "sgh-1", workflows.UpdateAnswer, super, household.AnswerInput{Decision: tt.decision, Note: "dicek di lapangan"})
		h.env.ExecuteWorkflow(workflows.Objection, objectionInput())
		o := h.objection()
		mustReject(t, byRecorder, household.CodeForbidden)
		mustAccept(t, answered)
		if o.Status != tt.status || o.AnsweredBy != super.Sub || len(world.notified) != 0 {
			t.Fatalf("%s: %+v, notified %v", tt.decision, o, world.notified)
		}
		if !tt.reaches {
			if len(world.upheld) != 0 || o.CaseStage != "" {
				t.Fatalf("a dismissed objection reached its case: %+v", world.upheld)
			}
			continue
		}
		if len(world.upheld) != 1 || world.upheld[0].By.Sub != super.Sub || world.upheld[0].By.Role != household.RoleSupervisor ||
			world.upheld[0].In.Lapsed || world.upheld[0].CaseID != "case-1" || world.upheld[0].KK != caseOfObjection.KK ||
			o.CaseStage != household.StageVerification {
			t.Fatalf("upheld: %+v, objection %+v", world.upheld, o)
		}
	}
}

func TestAnUnansweredObjectionIsUpheldAtItsDeadlineAndTheSupervisorsAreTold(t *testing.T) {
	world := newLivingWorld()
	h := newLivingHarness(t, world)
	var before household.Objection
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryObjection)
		if err == nil {
			err = v.Get(&before)
		}
		if err != nil {
			t.Error(err)
		}
	}, 14*24*time.Hour-time.Minute)
	h.env.ExecuteWorkflow(workflows.Objection, objectionInput())
	o := h.objection()
	if before.Status != household.ObjectionOpen {
		t.Fatalf("a minute before its deadline: %s", before.Status)
	}
	if o.Status != household.ObjectionLapsed || !o.AnsweredAt.Equal(testStart.Add(14*household.Day)) || o.CaseStage != household.StageVerification {
		t.Fatalf("at its deadline: %+v", o)
	}
	if len(world.upheld) != 1 || !world.upheld[0].In.Lapsed || world.upheld[0].By.Sub != village.Sub || world.upheld[0].By.Role != household.RoleVillageOfficer {
		t.Fatalf("upheld as %+v", world.upheld)
	}
	if len(world.notified) != 1 || world.notified[0].To != household.RoleSupervisor || world.notified[0].Region != "64.08" ||
		world.notified[0].CaseID != "sgh-1" || world.notified[0].Key != "ev_objection_lapsed" {
		t.Fatalf("notified %+v", world.notified)
	}
}

func TestAnObjectionWhoseCaseClosedSaysSo(t *testing.T) {
	world := newLivingWorld()
	m := household.Msgf("the case is no longer running")
	world.caseRefusal = &household.Error{Code: household.CodeConflict, Message: m.Text, Key: m.Key}
	h := newLivingHarness(t, world)
	h.update(time.Hour, "sgh-1", workflows.UpdateAnswer, super, household.AnswerInput{Decision: household.AnswerUphold, Note: "benar"})
	h.env.ExecuteWorkflow(workflows.Objection, objectionInput())
	o := h.objection()
	last := o.Events[len(o.Events)-1]
	if o.Status != household.ObjectionUpheld || !o.CaseRefused || last.Key != "not_running" {
		t.Fatalf("%+v, last event %+v", o, last)
	}
}

// TestACaseTakesAnUpheldObjectionBehindItsChange: the case workflow's new
// update sends a case in follow-up back to verification, records the
// change's version marker, and refuses the same objection again; the
// household then found not poor is excluded.
func TestACaseTakesAnUpheldObjectionBehindItsChange(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	steps := h.toFollowUp()
	in := household.UpholdInput{ID: "sgh-1", Reason: household.ObjectNotPoor, Relation: household.ObjectorNeighbour, RecordedAt: testStart,
		DueAt: testStart.Add(14 * household.Day), Note: "punya dua mobil"}
	byRecorder := h.updateArgs(6*step, workflows.UpdateUpholdObjection, village, in)
	upheld := h.updateArgs(7*step, workflows.UpdateUpholdObjection, super, in)
	twice := h.updateArgs(8*step, workflows.UpdateUpholdObjection, super, in)
	notPoor := h.update(9*step, workflows.UpdateVerification, verifier, household.VerificationInput{Outcome: household.NotPoor})
	closed, _ := h.run(openInput())
	mustAccept(t, append(steps, upheld, notPoor)...)
	mustReject(t, byRecorder, household.CodeForbidden)
	mustReject(t, twice, household.CodeConflict)
	if upheld.c.Stage != household.StageVerification || len(upheld.c.Objections) != 1 || upheld.c.Objections[0].Reverified != household.ExtremePoor {
		t.Fatalf("after the objection: %s %+v", upheld.c.Stage, upheld.c.Objections)
	}
	if closed.Outcome != household.OutcomeExcludedNotPoor {
		t.Fatalf("closed as %s", closed.Outcome)
	}
	var sawUpheld bool
	for _, e := range store.timeline(closed.ID) {
		sawUpheld = sawUpheld || (e.Type == household.EventObjectionUpheld && e.Ref == "sgh-1")
	}
	if !sawUpheld {
		t.Fatal("the timeline holds no upheld objection")
	}
}

// TestTheObjectionUpdateRunsOnlyBehindItsVersion: a worker replaying a
// history in which the update ran without the change's marker (as
// GetVersion answers DefaultVersion then) fails the task instead of
// applying it.
func TestTheObjectionUpdateRunsOnlyBehindItsVersion(t *testing.T) {
	h := newHarness(t, newMemStore())
	h.env.OnGetVersion(workflows.ChangeObjections, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.toFollowUp()
	h.updateArgs(6*step, workflows.UpdateUpholdObjection, super, household.UpholdInput{ID: "sgh-1", Reason: household.ObjectMoved,
		Relation: household.ObjectorRelative})
	h.env.ExecuteWorkflow(workflows.Case, openInput())
	var panicked *temporal.PanicError
	if err := h.env.GetWorkflowError(); !errors.As(err, &panicked) || !strings.Contains(err.Error(), "without the marker") {
		t.Fatalf("the update ran without its version: %v", err)
	}
}
