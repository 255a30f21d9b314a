package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/claims"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// testCase is the case ID of every test run: the workflow takes its first
// run ID, which the test environment leaves empty. The actors are bound to
// it, as the API binds each actor to the case it acts on.
const testCase = ""

var (
	cw       = household.Actor{Sub: "cw-1", Role: household.RoleCaseworker, Region: "64.08.01", Case: testCase}
	cwOther  = household.Actor{Sub: "cw-2", Role: household.RoleCaseworker, Region: "64.08.03", Case: testCase}
	village  = household.Actor{Sub: "vo-1", Role: household.RoleVillageOfficer, Region: "64.08.01.2001", Case: testCase}
	verifier = household.Actor{Sub: "ver-1", Role: household.RoleVerifier, Region: "64.08", Case: testCase}
	super    = household.Actor{Sub: "sup-1", Role: household.RoleSupervisor, Region: "64.08", Case: testCase}
	dinsos   = household.Actor{Sub: "dinsos-1", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyDinsos, Case: testCase}
	baznas   = household.Actor{Sub: "baznas-1", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyBaznas, Case: testCase}
	province = household.Actor{Sub: "prov-1", Role: household.RoleProvince, Region: "64", Case: testCase}
)

func openInput() workflows.CaseInput {
	return workflows.CaseInput{
		Baseline: workflows.Baseline,
		Open: household.OpenInput{KK: "6408010101200001", HeadNIK: "6408014101850001", HeadName: "Siti Aminah",
			VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE, Desil: 1},
		Actor: cw, Rules: household.DefaultRules(), Deadlines: household.DefaultDeadlines(), RequestID: "req-1",
	}
}

// survey returns a two-person household spending monthly rupiah a month.
func survey(monthly int64) household.SurveyInput {
	return household.SurveyInput{Survey: household.Survey{
		Members: []household.Member{
			{NIK: "6408014101850001", Name: "Siti Aminah", Relation: household.RelationHead, BirthDate: "1985-01-01", Sex: household.Female, Education: household.EduPrimary, Occupation: household.OccFarmer},
			{NIK: "6408010203100002", Name: "Rudi", Relation: household.RelationChild, BirthDate: "2010-03-02", Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccStudent},
		},
		MonthlyExpenditure: monthly, MonthlyIncome: monthly,
		Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"},
		Assets:  household.Assets{LandAreaM2: 200, Motorbikes: 1},
	}}
}

var (
	extremePoorSurvey = survey(600_000) // 10,000 per capita per day
	confirm           = household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: "2026-11-02", MusdesMinutes: "12/MUSDES/2026"}
	extremePoor       = household.VerificationInput{Outcome: household.ExtremePoor, Notes: "visited"}
	assignPKH         = household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramPKH, Agency: household.AgencyDinsos}}}
	ackPKH            = household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged}
	visitAbove        = household.FollowUpInput{VisitDate: "2026-11-02", MonthlyExpenditure: 900_000} // 15,000 a day
	visitBelow        = household.FollowUpInput{VisitDate: "2026-11-02", MonthlyExpenditure: 600_000}
	closeMoved        = household.CloseInput{Reason: household.OutcomeMoved}
)

// memStore is an in-memory read model that enforces what the real store
// promises: a snapshot only moves forward, an event is stored once.
type memStore struct {
	mu       sync.Mutex
	cases    map[string]household.Case
	events   map[string]map[int64]household.Event
	notified []activities.Notification
	stale    int
	claims   map[string]claims.Claim
}

func newMemStore() *memStore {
	return &memStore{cases: map[string]household.Case{}, events: map[string]map[int64]household.Event{}, claims: map[string]claims.Claim{}}
}

// ClaimPerson, AssignPerson and ReleasePeople keep claims in memory, first
// claim wins, as the store does.
func (m *memStore) ClaimPerson(_ context.Context, c claims.Claim) (claims.Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if held, ok := m.claims[c.Person]; ok {
		return held, nil
	}
	m.claims[c.Person] = c
	return c, nil
}

func (m *memStore) AssignPerson(_ context.Context, c claims.Claim) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims[c.Person] = c
	return nil
}

func (m *memStore) ReleasePeople(_ context.Context, caseID string, persons []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range persons {
		if m.claims[p].CaseID == caseID {
			delete(m.claims, p)
		}
	}
	return nil
}

func (m *memStore) MovePeople(_ context.Context, caseID, village string, persons []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range persons {
		if c, ok := m.claims[p]; ok && c.CaseID == caseID {
			c.Village = village
			m.claims[p] = c
		}
	}
	return nil
}

// plainKey is a pseudonymizer for tests: the person is the NIK, marked.
type plainKey struct{}

func (plainKey) Of(nik string) string { return "p:" + nik }

// Household marks the KK, so a test sees which form of ID a notice went to.
func (plainKey) Household(kk string) string { return "h" + kk }

func (m *memStore) SaveCase(_ context.Context, c household.Case) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.cases[c.ID]; ok && old.Version >= c.Version {
		m.stale++
		return nil
	}
	m.cases[c.ID] = c
	return nil
}

func (m *memStore) AppendEvents(_ context.Context, events []household.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range events {
		if m.events[e.CaseID] == nil {
			m.events[e.CaseID] = map[int64]household.Event{}
		}
		if _, dup := m.events[e.CaseID][e.Seq]; !dup {
			m.events[e.CaseID][e.Seq] = e
		}
	}
	return nil
}

func (m *memStore) Notify(_ context.Context, n activities.Notification) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notified = append(m.notified, n)
	return nil
}

func (m *memStore) only(t *testing.T) household.Case {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.cases) != 1 {
		t.Fatalf("read model holds %d cases, want 1", len(m.cases))
	}
	for _, c := range m.cases {
		return c
	}
	return household.Case{}
}

func (m *memStore) timeline(id string) []household.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []household.Event
	for _, e := range m.events[id] {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// result is what one scripted update ended with.
type result struct {
	name     string
	accepted bool
	err      error
	c        household.Case
}

// updateSeq numbers the updates of every run of every test.
var updateSeq atomic.Int64

// harness drives one run of the case workflow in the test environment.
type harness struct {
	t     *testing.T
	suite testsuite.WorkflowTestSuite
	env   *testsuite.TestWorkflowEnvironment
	store *memStore
	steps int
	res   []*result
}

func newHarness(t *testing.T, store *memStore) *harness {
	h := &harness{t: t, store: store}
	h.env = h.suite.NewTestWorkflowEnvironment()
	h.env.SetStartTime(testStart)
	h.env.RegisterWorkflow(workflows.Case)
	h.env.RegisterActivity(&activities.Activities{Store: store, Notifier: store})
	h.env.RegisterActivity(&activities.People{Claims: store, Key: plainKey{}})
	return h
}

// testStart is when every test run starts, so that the dates of musdes
// and visits are fixed: 2 November 2026, 08:00 UTC.
var testStart = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// renew has Temporal suggest continue-as-new at d, as the server does
// when a run's history grows long.
func (h *harness) renew(d time.Duration) { h.at(d, func() { h.env.SetContinueAsNewSuggested(true) }) }

// at schedules fn d after the start of the run.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// update schedules an actor's action at d and returns where its result will be.
func (h *harness) update(d time.Duration, name string, by household.Actor, in any) *result {
	return h.updateArgs(d, name, by, in)
}

// updateArgs schedules an update with any arguments.
func (h *harness) updateArgs(d time.Duration, name string, args ...any) *result {
	// Update IDs are unique across runs, as the API's are: a case
	// remembers the IDs its earlier runs applied.
	return h.updateWithID(d, fmt.Sprintf("u-%d", updateSeq.Add(1)), name, args...)
}

// updateWithID schedules an update with the given ID, as a client that
// retries it with the same Idempotency-Key sends it.
func (h *harness) updateWithID(d time.Duration, id, name string, args ...any) *result {
	r := &result{name: name}
	h.res = append(h.res, r)
	h.steps++
	if by, ok := args[0].(household.Actor); ok && by.Update == "" {
		by.Update = id // bound to this update, as the API binds it
		args = append([]any{by}, args[1:]...)
	}
	h.at(d, func() {
		h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() { r.accepted = true },
			OnReject: func(err error) { r.err = err },
			OnComplete: func(v any, err error) {
				if err != nil {
					r.err = err
					return
				}
				decodeInto(h.t, v, &r.c)
			},
		}, args...)
	})
	return r
}

func decodeInto(t *testing.T, v any, out any) {
	t.Helper()
	switch x := v.(type) {
	case converter.EncodedValue:
		if err := x.Get(out); err != nil {
			t.Fatal(err)
		}
	case *commonpb.Payloads:
		if err := converter.GetDefaultDataConverter().FromPayloads(x, out); err != nil {
			t.Fatal(err)
		}
	case household.Case:
		*out.(*household.Case) = x
	default:
		t.Fatalf("unexpected update result type %T", v)
	}
}

// state queries the live state at d into out.
func (h *harness) state(d time.Duration, out *workflows.State) {
	h.at(d, func() {
		v, err := h.env.QueryWorkflow(workflows.QueryState)
		if err != nil {
			h.t.Errorf("query at %v: %v", d, err)
			return
		}
		if err := v.Get(out); err != nil {
			h.t.Errorf("decode state: %v", err)
		}
	})
}

// run executes the workflow and returns the closed case, or the input of
// the next run after continue-as-new.
func (h *harness) run(in workflows.CaseInput) (household.Case, *workflows.CaseInput) {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.Case, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if errors.As(err, &can) {
		var next workflows.CaseInput
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			h.t.Fatal(err)
		}
		return household.Case{}, &next
	}
	if err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var c household.Case
	if err := h.env.GetWorkflowResult(&c); err != nil {
		h.t.Fatal(err)
	}
	return c, nil
}

func mustAccept(t *testing.T, rs ...*result) {
	t.Helper()
	for _, r := range rs {
		if !r.accepted || r.err != nil {
			t.Errorf("%s: accepted=%t err=%v, want accepted", r.name, r.accepted, r.err)
		}
	}
}

func mustReject(t *testing.T, r *result, errType household.Code) {
	t.Helper()
	var app *temporal.ApplicationError
	if r.accepted || !errors.As(r.err, &app) || app.Type() != string(errType) {
		t.Errorf("%s: accepted=%t err=%v, want rejection of type %s", r.name, r.accepted, r.err, errType)
	}
}

const step = time.Hour

// toFollowUp scripts the way from open to follow-up, one step an hour.
func (h *harness) toFollowUp() []*result {
	return []*result{
		h.update(1*step, workflows.UpdateSurvey, cw, extremePoorSurvey),
		h.update(2*step, workflows.UpdateVillage, village, confirm),
		h.update(3*step, workflows.UpdateVerification, verifier, extremePoor),
		h.update(4*step, workflows.UpdateAssign, super, assignPKH),
		h.update(5*step, workflows.UpdateIntervention, dinsos, ackPKH),
	}
}

func TestHouseholdGraduatesAfterTwoVisitsAboveTheLineAcrossContinueAsNew(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	steps := h.toFollowUp()
	first := h.update(6*step, workflows.UpdateFollowUp, cw, visitAbove)
	var live workflows.State
	h.state(7*step, &live)
	h.renew(8 * step)
	_, next := h.run(openInput())
	mustAccept(t, append(steps, first)...)
	if live.Case.Version != first.c.Version {
		t.Fatal("a follow-up visit ended the run; only Temporal's suggestion should")
	}
	if next == nil {
		t.Fatal("the run did not continue as new when Temporal suggested it")
	}
	if got := first.c; got.Stage != household.StageFollowUp || got.FollowUp.ConsecutiveAbove != 1 {
		t.Fatalf("after one visit: stage %s, consecutive %d", got.Stage, got.FollowUp.ConsecutiveAbove)
	}
	if next.State == nil || next.State.Version != store.only(t).Version || next.Baseline != workflows.Baseline {
		t.Fatal("continue-as-new did not carry the projected state and the baseline")
	}

	h2 := newHarness(t, store)
	second := h2.update(30*24*time.Hour, workflows.UpdateFollowUp, cw, household.FollowUpInput{VisitDate: "2026-12-02", MonthlyExpenditure: 900_000})
	closed, again := h2.run(*next)
	mustAccept(t, second)
	if again != nil {
		t.Fatal("the graduating visit continued as new instead of closing")
	}
	if closed.Outcome != household.OutcomeGraduated || closed.Status != household.StatusClosed || closed.FollowUp.Visits != 2 {
		t.Fatalf("closed with outcome %q status %q after %d visits", closed.Outcome, closed.Status, closed.FollowUp.Visits)
	}
	stored := store.only(t)
	if stored.Version != closed.Version || stored.Outcome != household.OutcomeGraduated {
		t.Fatalf("read model at v%d %q, workflow at v%d", stored.Version, stored.Outcome, closed.Version)
	}
	events := store.timeline(closed.ID)
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("timeline has a gap: position %d holds seq %d", i, e.Seq)
		}
	}
	if last := events[len(events)-1]; last.Type != household.EventClosed {
		t.Fatalf("last event %q, want closed", last.Type)
	}
}

// TestVisitsCloserThanTheGapDoNotGraduate: two visits above the line on
// one day, or a visit dated before the case reached follow-up, must not
// graduate a household; the same household graduates once a second visit
// comes VisitGapDays (21) after the first.
func TestVisitsCloserThanTheGapDoNotGraduate(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	steps := h.toFollowUp()
	backdated := h.update(6*step, workflows.UpdateFollowUp, cw, household.FollowUpInput{VisitDate: "2026-11-01", MonthlyExpenditure: 900_000})
	first := h.update(7*step, workflows.UpdateFollowUp, cw, visitAbove)
	sameDay := h.update(8*step, workflows.UpdateFollowUp, cw, visitAbove)
	later := h.update(21*24*time.Hour, workflows.UpdateFollowUp, cw, household.FollowUpInput{VisitDate: "2026-11-23", MonthlyExpenditure: 900_000})
	closed, _ := h.run(openInput())
	mustAccept(t, append(steps, first, sameDay, later)...)
	mustReject(t, backdated, household.CodeInvalid)
	if sameDay.c.Status != household.StatusOpen || sameDay.c.FollowUp.ConsecutiveAbove != 1 {
		t.Fatalf("a second visit on the same day graduated the household: %+v", sameDay.c.FollowUp)
	}
	if closed.Outcome != household.OutcomeGraduated {
		t.Fatalf("a visit 21 days after the first did not graduate: %s %+v", closed.Status, closed.FollowUp)
	}
}

func TestMusdesBeforeTheCaseIsRefused(t *testing.T) {
	h := newHarness(t, newMemStore())
	h.update(step, workflows.UpdateSurvey, cw, extremePoorSurvey)
	early := h.update(2*step, workflows.UpdateVillage, village, household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: "2026-11-01", MusdesMinutes: "1/M"})
	h.update(3*step, workflows.UpdateClose, super, closeMoved)
	h.run(openInput())
	mustReject(t, early, household.CodeInvalid)
}

func TestVisitBelowTheLineResetsTheCount(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	h.toFollowUp()
	below := h.update(6*step, workflows.UpdateFollowUp, cw, visitBelow)
	h.update(7*step, workflows.UpdateClose, super, closeMoved)
	h.run(openInput())
	mustAccept(t, below)
	if f := below.c.FollowUp; f.ConsecutiveAbove != 0 || f.Visits != 1 {
		t.Fatalf("after a visit below the line: %+v", f)
	}
}

func TestActionsOutOfStageRoleOrRegionAreRejectedBeforeAnythingIsWritten(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	tests := []struct {
		name    string
		update  string
		by      household.Actor
		in      any
		errType household.Code
	}{
		{"village confirmation while collecting", workflows.UpdateVillage, village, confirm, household.CodeConflict},
		{"verification while collecting", workflows.UpdateVerification, verifier, extremePoor, household.CodeConflict},
		{"assignment while collecting", workflows.UpdateAssign, super, assignPKH, household.CodeConflict},
		{"follow-up while collecting", workflows.UpdateFollowUp, cw, visitAbove, household.CodeConflict},
		{"graduation while collecting", workflows.UpdateGraduate, verifier, household.GraduateInput{Notes: "x"}, household.CodeConflict},
		{"survey by a village officer", workflows.UpdateSurvey, village, extremePoorSurvey, household.CodeForbidden},
		{"survey by another kecamatan's caseworker", workflows.UpdateSurvey, cwOther, extremePoorSurvey, household.CodeForbidden},
		{"close by a caseworker", workflows.UpdateClose, cw, closeMoved, household.CodeForbidden},
		{"survey without members", workflows.UpdateSurvey, cw, household.SurveyInput{}, household.CodeInvalid},
		{"close with an unknown reason", workflows.UpdateClose, super, household.CloseInput{Reason: "bored"}, household.CodeInvalid},
		{"resolving an unknown escalation", workflows.UpdateResolve, province, household.ResolveInput{ID: "nope", Resolution: "x"}, household.CodeNotFound},
	}
	results := make([]*result, len(tests))
	for i, tt := range tests {
		results[i] = h.update(time.Duration(i+1)*step, tt.update, tt.by, tt.in)
	}
	closeIt := h.update(time.Duration(len(tests)+1)*step, workflows.UpdateClose, super, closeMoved)
	closed, _ := h.run(openInput())
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { mustReject(t, results[i], tt.errType) })
	}
	mustAccept(t, closeIt)
	// Open (v1) and close (v2) are the only changes.
	if closed.Version != 2 || len(store.timeline(closed.ID)) != 2 {
		t.Fatalf("rejected actions changed the case: version %d, %d events", closed.Version, len(store.timeline(closed.ID)))
	}
}

func TestInvalidSurveyNamesTheFields(t *testing.T) {
	h := newHarness(t, newMemStore())
	bad := extremePoorSurvey
	bad.Survey.Members = append([]household.Member(nil), bad.Survey.Members...)
	bad.Survey.Members[1].NIK = "123"
	bad.Survey.MonthlyExpenditure = -1
	r := h.update(step, workflows.UpdateSurvey, cw, bad)
	h.update(2*step, workflows.UpdateClose, super, closeMoved)
	h.run(openInput())
	var app *temporal.ApplicationError
	if !errors.As(r.err, &app) {
		t.Fatalf("want an application error, got %v", r.err)
	}
	var fields []household.FieldError
	if err := app.Details(&fields); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range fields {
		got[f.Field] = true
	}
	for _, want := range []string{"members[1].nik", "monthlyExpenditure"} {
		if !got[want] {
			t.Errorf("field errors %v do not name %s", fields, want)
		}
	}
}

func TestDraftSurveyKeepsCollectingAndCanBeResubmitted(t *testing.T) {
	h := newHarness(t, newMemStore())
	draft := extremePoorSurvey
	draft.Draft = true
	first := h.update(step, workflows.UpdateSurvey, cw, draft)
	second := h.update(2*step, workflows.UpdateSurvey, cw, extremePoorSurvey)
	h.update(3*step, workflows.UpdateClose, super, closeMoved)
	h.run(openInput())
	mustAccept(t, first, second)
	if first.c.Stage != household.StageCollecting || second.c.Stage != household.StageVillageReview {
		t.Fatalf("draft left stage %s, final submission %s", first.c.Stage, second.c.Stage)
	}
}

func TestVillageRejectionClosesWithItsReason(t *testing.T) {
	for _, reason := range household.RejectionReasons {
		t.Run(string(reason), func(t *testing.T) {
			h := newHarness(t, newMemStore())
			h.update(step, workflows.UpdateSurvey, cw, extremePoorSurvey)
			r := h.update(2*step, workflows.UpdateVillage, village, household.VillageInput{
				Decision: household.VillageRejected, Reason: reason, MusdesDate: "2026-11-02", MusdesMinutes: "7/MUSDES"})
			closed, _ := h.run(openInput())
			mustAccept(t, r)
			if closed.Outcome != reason || closed.Village.Decision != household.VillageRejected {
				t.Fatalf("outcome %q, want %q", closed.Outcome, reason)
			}
		})
	}
}

func TestVerificationOutcomes(t *testing.T) {
	tests := []struct {
		outcome household.VerificationOutcome
		closes  household.Outcome
		agrees  bool
	}{
		{household.NotPoor, household.OutcomeExcludedNotPoor, false},
		{household.NotFound, household.OutcomeNotFound, false},
		{household.Poor, household.OutcomeNotExtreme, false},
		{household.ExtremePoor, "", true},
	}
	for _, tt := range tests {
		t.Run(string(tt.outcome), func(t *testing.T) {
			h := newHarness(t, newMemStore())
			h.update(step, workflows.UpdateSurvey, cw, extremePoorSurvey)
			h.update(2*step, workflows.UpdateVillage, village, confirm)
			r := h.update(3*step, workflows.UpdateVerification, verifier, household.VerificationInput{Outcome: tt.outcome})
			if tt.closes == "" {
				h.update(4*step, workflows.UpdateClose, super, household.CloseInput{Reason: household.OutcomeWithdrawn})
			}
			closed, _ := h.run(openInput())
			mustAccept(t, r)
			if r.c.Verification.AgreesWithRecommendation != tt.agrees {
				t.Errorf("agrees = %t, want %t", r.c.Verification.AgreesWithRecommendation, tt.agrees)
			}
			if tt.closes == "" {
				if r.c.Stage != household.StageIntervention {
					t.Errorf("extreme_poor moved to %s, want intervention", r.c.Stage)
				}
				return
			}
			if closed.Outcome != tt.closes {
				t.Errorf("outcome %q, want %q", closed.Outcome, tt.closes)
			}
		})
	}
}

func TestCloseWithEachReasonAtEachStage(t *testing.T) {
	stages := []struct {
		stage household.Stage
		steps int // actions of toFollowUp to run first
	}{
		{household.StageCollecting, 0}, {household.StageVillageReview, 1}, {household.StageVerification, 2},
		{household.StageIntervention, 3}, {household.StageFollowUp, 5},
	}
	for _, st := range stages {
		for _, reason := range household.CloseReasons {
			t.Run(string(st.stage)+"/"+string(reason), func(t *testing.T) {
				h := newHarness(t, newMemStore())
				script := []struct {
					name string
					by   household.Actor
					in   any
				}{
					{workflows.UpdateSurvey, cw, extremePoorSurvey}, {workflows.UpdateVillage, village, confirm},
					{workflows.UpdateVerification, verifier, extremePoor}, {workflows.UpdateAssign, super, assignPKH},
					{workflows.UpdateIntervention, dinsos, ackPKH},
				}
				for i, s := range script[:st.steps] {
					h.update(time.Duration(i+1)*step, s.name, s.by, s.in)
				}
				r := h.update(time.Duration(st.steps+1)*step, workflows.UpdateClose, super, household.CloseInput{Reason: reason, Notes: "n"})
				closed, _ := h.run(openInput())
				mustAccept(t, r)
				if r.c.Stage != household.StageClosed || closed.Outcome != reason {
					t.Fatalf("closed from %s with %q: got stage %s outcome %q", st.stage, reason, r.c.Stage, closed.Outcome)
				}
			})
		}
	}
}

func TestInterventionsMoveOnlyByTheirAgencyAndInOrder(t *testing.T) {
	h := newHarness(t, newMemStore())
	h.update(1*step, workflows.UpdateSurvey, cw, extremePoorSurvey)
	h.update(2*step, workflows.UpdateVillage, village, confirm)
	h.update(3*step, workflows.UpdateVerification, verifier, extremePoor)
	assign := h.update(4*step, workflows.UpdateAssign, super, household.AssignInput{Interventions: []household.Assignment{
		{Program: household.ProgramPKH, Agency: household.AgencyDinsos}, {Program: household.ProgramCSR, Agency: household.AgencyBaznas}}})
	twice := h.update(5*step, workflows.UpdateAssign, super, assignPKH)
	otherAgency := h.update(6*step, workflows.UpdateIntervention, baznas, ackPKH)
	deliverFirst := h.update(7*step, workflows.UpdateIntervention, dinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionDelivered})
	declined := h.update(8*step, workflows.UpdateIntervention, baznas, household.InterventionInput{ID: "iv-2", Status: household.InterventionDeclined})
	ack := h.update(9*step, workflows.UpdateIntervention, dinsos, ackPKH)
	delivered := h.update(10*step, workflows.UpdateIntervention, dinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionDelivered})
	h.update(11*step, workflows.UpdateClose, super, closeMoved)
	h.run(openInput())
	mustAccept(t, assign, declined, ack, delivered)
	mustReject(t, twice, household.CodeInvalid)
	mustReject(t, otherAgency, household.CodeNotFound)
	mustReject(t, deliverFirst, household.CodeConflict)
	if declined.c.Stage != household.StageIntervention {
		t.Errorf("a declined intervention moved the case to %s", declined.c.Stage)
	}
	if ack.c.Stage != household.StageFollowUp {
		t.Errorf("acknowledgement left the case in %s, want follow_up", ack.c.Stage)
	}
}

func TestEscalationToProvinceAndResolutionAtEachStage(t *testing.T) {
	for n, stage := range []household.Stage{household.StageCollecting, household.StageVillageReview, household.StageVerification, household.StageIntervention, household.StageFollowUp} {
		t.Run(string(stage), func(t *testing.T) {
			h := newHarness(t, newMemStore())
			h.toFollowUp()
			// toFollowUp scheduled five actions an hour apart; escalate
			// between them, once the case is in the stage under test.
			at := time.Duration([]int{0, 1, 2, 3, 5}[n])*step + 30*time.Minute
			esc := household.EscalateInput{ID: "esc-1", Level: household.EscalateProvince, Reason: "no program fits"}
			escalate := h.updateWithID(at, "u-esc", workflows.UpdateEscalate, super, esc)
			repeated := h.updateWithID(at+time.Minute, "u-esc", workflows.UpdateEscalate, super, esc) // the same update again: no effect
			var escalated workflows.State
			h.state(at+2*time.Minute, &escalated)
			bySupervisor := h.update(at+3*time.Minute, workflows.UpdateResolve, super, household.ResolveInput{ID: "esc-1", Resolution: "x"})
			resolved := h.update(at+4*time.Minute, workflows.UpdateResolve, province, household.ResolveInput{ID: "esc-1", Resolution: "provincial BLT"})
			again := h.update(at+5*time.Minute, workflows.UpdateResolve, province, household.ResolveInput{ID: "esc-1", Resolution: "again"})
			h.update(10*step, workflows.UpdateClose, super, closeMoved)
			h.run(openInput())
			if escalated.Case.Stage != stage || !escalated.Case.Escalated || len(escalated.Case.Escalations) != 1 {
				t.Fatalf("after the escalation: stage %s escalated %t with %d escalations", escalated.Case.Stage, escalated.Case.Escalated, len(escalated.Case.Escalations))
			}
			mustAccept(t, escalate, repeated)
			mustReject(t, bySupervisor, household.CodeForbidden)
			mustAccept(t, resolved)
			mustReject(t, again, household.CodeConflict)
			if resolved.c.Escalated || resolved.c.Escalations[0].Resolution != "provincial BLT" {
				t.Fatalf("after resolution: escalated %t, %+v", resolved.c.Escalated, resolved.c.Escalations[0])
			}
		})
	}
}

func TestMissedDeadlineRemindsThenEscalatesToTheRegency(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	day := 24 * time.Hour
	var before, reminded, escalated workflows.State
	h.state(13*day, &before)
	h.state(15*day, &reminded)
	h.state(29*day, &escalated)
	h.update(30*day, workflows.UpdateClose, super, closeMoved)
	var regular []string
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		regular = append(regular, info.ActivityType.Name)
	})
	closed, _ := h.run(openInput())
	if len(regular) != 0 {
		// Each wake writes its notification with its projection, inside
		// the workflow task the deadline's timer started.
		t.Errorf("regular activities %v, want none: the deadline's wakes notify within the projection", regular)
	}
	if before.Case.Overdue || before.Case.Reminded {
		t.Fatal("the case was overdue before its deadline")
	}
	if !reminded.Case.Overdue || reminded.Case.Escalated {
		t.Fatalf("at 15 days: overdue %t escalated %t, want overdue only", reminded.Case.Overdue, reminded.Case.Escalated)
	}
	if !escalated.Case.Escalated || escalated.Case.Escalations[0].Level != household.EscalateRegency || escalated.Case.Escalations[0].By != household.System.Sub {
		t.Fatalf("at 29 days: %+v", escalated.Case.Escalations)
	}
	var types []string
	for _, e := range store.timeline(closed.ID) {
		types = append(types, e.Type)
	}
	want := []string{household.EventOpened, household.EventReminder, household.EventEscalated, household.EventClosed}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("timeline %v, want %v", types, want)
	}
	if len(store.notified) != 2 || store.notified[0].To != household.RoleCaseworker || store.notified[1].To != household.RoleSupervisor {
		t.Fatalf("notifications %+v, want the caseworker, then the supervisor", store.notified)
	}
}

func TestMissedFollowUpVisitRemindsThenMarksOverdue(t *testing.T) {
	h := newHarness(t, newMemStore())
	h.toFollowUp()
	day := 24 * time.Hour
	var due, overdue workflows.State
	h.state(5*step+31*day, &due)
	h.state(5*step+45*day, &overdue)
	h.update(5*step+46*day, workflows.UpdateClose, super, closeMoved)
	h.run(openInput())
	if !due.Case.Reminded || due.Case.Overdue {
		t.Fatalf("one day after the visit was due: reminded %t overdue %t", due.Case.Reminded, due.Case.Overdue)
	}
	if !overdue.Case.Overdue {
		t.Fatal("fifteen days after the visit was due the case is not overdue")
	}
}

func TestVerifierMayGraduateDuringFollowUp(t *testing.T) {
	h := newHarness(t, newMemStore())
	h.toFollowUp()
	noReason := h.update(6*step, workflows.UpdateGraduate, verifier, household.GraduateInput{})
	g := h.update(7*step, workflows.UpdateGraduate, verifier, household.GraduateInput{Notes: "steady wage from job training"})
	closed, _ := h.run(openInput())
	mustReject(t, noReason, household.CodeInvalid)
	mustAccept(t, g)
	if closed.Outcome != household.OutcomeGraduated {
		t.Fatalf("outcome %q", closed.Outcome)
	}
}

func TestOpenedUpdateTellsTheCreatorApart(t *testing.T) {
	h := newHarness(t, newMemStore())
	var mine, theirs workflows.OpenResult
	for _, c := range []struct {
		id  string
		out *workflows.OpenResult
	}{{"req-1", &mine}, {"req-2", &theirs}} {
		h.at(time.Minute, func() {
			h.env.UpdateWorkflow(workflows.UpdateOpened, c.id, &testsuite.TestUpdateCallback{
				OnComplete: func(v any, err error) {
					if err != nil {
						t.Error(err)
						return
					}
					switch x := v.(type) {
					case workflows.OpenResult:
						*c.out = x
					default:
						var pl *commonpb.Payloads
						pl, _ = v.(*commonpb.Payloads)
						_ = converter.GetDefaultDataConverter().FromPayloads(pl, c.out)
					}
				},
			}, c.id)
		})
	}
	h.update(step, workflows.UpdateClose, super, closeMoved)
	h.run(openInput())
	if !mine.Created || theirs.Created || mine.Case.Version < 1 {
		t.Fatalf("creator %+v, other %+v", mine.Created, theirs.Created)
	}
}

func TestEscalationIsOneUpdateThatAnswersWithTheProjectedCaseOrItsRefusal(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	ok := h.update(step, workflows.UpdateEscalate, super, household.EscalateInput{ID: "esc-ok", Level: household.EscalateRegency, Reason: "r"})
	// The actor inside the input is not who escalates: the update's is.
	bad := h.update(step+time.Minute, workflows.UpdateEscalate, cw, household.EscalateInput{ID: "esc-bad", Level: household.EscalateRegency, Reason: "r", Actor: super})
	var projected household.Case
	h.at(step+2*time.Minute, func() { projected = store.only(t) })
	h.update(2*step, workflows.UpdateClose, super, closeMoved)
	h.run(openInput())
	mustAccept(t, ok)
	if e, found := ok.c.Escalation("esc-ok"); !found || !e.Open || e.By != super.Sub {
		t.Fatalf("recorded escalation missing from %+v", ok.c.Escalations)
	}
	if projected.Version != ok.c.Version {
		t.Fatalf("answered at v%d before the read model held it (v%d)", ok.c.Version, projected.Version)
	}
	mustReject(t, bad, household.CodeForbidden)
}

// TestACasePushedToEveryCapStillAnswersAndCloses saves the survey as a
// draft to its bound, escalates and answers to the bound of escalations
// with notes of the longest length, then checks that the case refuses
// more of each, still answers its query, and still closes.
func TestACasePushedToEveryCapStillAnswersAndCloses(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	long := strings.Repeat("ü", household.MaxNote) // 2,000 characters, 4,000 bytes
	draft := extremePoorSurvey
	draft.Draft = true
	at := time.Duration(0)
	next := func() time.Duration { at += time.Minute; return at }
	var drafts []*result
	for range household.MaxDrafts {
		drafts = append(drafts, h.update(next(), workflows.UpdateSurvey, cw, draft))
	}
	oneDraftTooMany := h.update(next(), workflows.UpdateSurvey, cw, draft)
	var resolves, escalations []*result
	var dup *result
	for i := range household.MaxEscalations {
		id := fmt.Sprintf("esc-%d", i)
		escalations = append(escalations, h.update(next(), workflows.UpdateEscalate, super, household.EscalateInput{ID: id, Level: household.EscalateRegency, Reason: long}))
		if i == 0 {
			// A second regency escalation while the first is open is refused.
			dup = h.update(next(), workflows.UpdateEscalate, super, household.EscalateInput{ID: "esc-dup", Level: household.EscalateRegency, Reason: "again"})
		}
		resolves = append(resolves, h.update(next(), workflows.UpdateResolve, super, household.ResolveInput{ID: id, Resolution: long}))
	}
	over := h.update(next(), workflows.UpdateEscalate, province, household.EscalateInput{ID: "esc-over", Level: household.EscalateProvince, Reason: "one more"})
	var live workflows.State
	h.state(next(), &live)
	closed := h.update(next(), workflows.UpdateClose, super, household.CloseInput{Reason: household.OutcomeWithdrawn, Notes: long})
	c, again := h.run(openInput())
	if again != nil {
		t.Fatalf("the case continued as new instead of closing")
	}
	mustAccept(t, append(append(append(drafts, escalations...), resolves...), closed)...)
	mustReject(t, oneDraftTooMany, household.CodeConflict)
	mustReject(t, over, household.CodeConflict)
	mustReject(t, dup, household.CodeConflict)
	if live.Case.Drafts != household.MaxDrafts || len(live.Case.Escalations) != household.MaxEscalations {
		t.Fatalf("the query answered drafts %d, escalations %d", live.Case.Drafts, len(live.Case.Escalations))
	}
	if c.Status != household.StatusClosed || c.Outcome != household.OutcomeWithdrawn {
		t.Fatalf("the case at its caps ended %s/%s", c.Status, c.Outcome)
	}
	if stored := store.only(t); stored.Version != c.Version {
		t.Fatalf("read model at v%d, workflow at v%d", stored.Version, c.Version)
	}
}

// TestAMessageBoundToAnotherCaseOrUpdateIsRefused: a sealed actor copied
// from one case's history carries that case and update; sent to another
// case, or as another update, it is refused before anything is recorded.
func TestAMessageBoundToAnotherCaseOrUpdateIsRefused(t *testing.T) {
	h := newHarness(t, newMemStore())
	other := super
	other.Case = "another-case"
	replayed := super
	replayed.Update = "u-copied-from-elsewhere"
	toOther := h.update(step, workflows.UpdateClose, other, closeMoved)
	asAnother := h.update(2*step, workflows.UpdateClose, replayed, closeMoved)
	escalated := h.update(3*step, workflows.UpdateEscalate, other, household.EscalateInput{ID: "esc-x", Level: household.EscalateRegency, Reason: "r"})
	closed := h.update(5*step, workflows.UpdateClose, super, closeMoved)
	c, _ := h.run(openInput())
	mustReject(t, toOther, household.CodeForbidden)
	mustReject(t, asAnother, household.CodeForbidden)
	mustReject(t, escalated, household.CodeForbidden)
	mustAccept(t, closed)
	if len(c.Escalations) != 0 || c.Outcome != household.OutcomeMoved {
		t.Fatalf("the case took a foreign message: escalations %v, outcome %s", c.Escalations, c.Outcome)
	}
}

// An intervention's missed acknowledgement reminds the agencies that hold
// one, not every agency of the regency; a case waiting for its
// interventions to be assigned reminds its supervisor.
func TestInterventionRemindersGoToTheAgenciesThatHoldThem(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name     string
		assign   *household.AssignInput
		to       household.Role
		agencies []string
	}{
		{"assigned, not acknowledged", &household.AssignInput{Interventions: []household.Assignment{
			{Program: household.ProgramPKH, Agency: household.AgencyDinsos}, {Program: household.ProgramCSR, Agency: household.AgencyBaznas}}},
			household.RoleAgency, []string{household.AgencyDinsos, household.AgencyBaznas}},
		{"nothing assigned", nil, household.RoleSupervisor, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore()
			h := newHarness(t, store)
			h.update(1*step, workflows.UpdateSurvey, cw, extremePoorSurvey)
			h.update(2*step, workflows.UpdateVillage, village, confirm)
			h.update(3*step, workflows.UpdateVerification, verifier, extremePoor)
			if tt.assign != nil {
				h.update(4*step, workflows.UpdateAssign, super, *tt.assign)
			}
			h.update(16*day, workflows.UpdateClose, super, closeMoved)
			h.run(openInput())
			var got []activities.Notification
			for _, n := range store.notified {
				if n.To == household.RoleAgency || (n.To == household.RoleSupervisor && strings.Contains(n.Message, "intervention")) {
					got = append(got, n)
				}
			}
			if len(got) != 1 || got[0].To != tt.to || !slices.Equal(got[0].Agencies, tt.agencies) {
				t.Fatalf("intervention reminders %+v, want one to %s %v", got, tt.to, tt.agencies)
			}
		})
	}
}

// A draft survey claims nobody, so its answer tells nothing of who another
// case holds and a member removed before the survey leaves no finding; the
// submitted survey claims its people.
func TestADraftClaimsNobodyTheSubmittedSurveyDoes(t *testing.T) {
	store := newMemStore()
	far := claims.Claim{Person: plainKey{}.Of("6408010203100002"), CaseID: "run-far", KK: "6408030101190009", Village: "64.08.03.2001"}
	store.claims[far.Person] = far
	h := newHarness(t, store)
	// The case tells the other case of the shared person.
	h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, workflows.SignalDuplicate, mock.Anything).Return(nil)
	draft := extremePoorSurvey
	draft.Draft = true
	saved := h.update(step, workflows.UpdateSurvey, cw, draft)
	submitted := h.update(2*step, workflows.UpdateSurvey, cw, extremePoorSurvey)
	h.update(3*step, workflows.UpdateClose, super, closeMoved)
	h.run(openInput())
	mustAccept(t, saved, submitted)
	if len(saved.c.Duplicates) > 0 {
		t.Fatalf("the draft found duplicates %+v", saved.c.Duplicates)
	}
	if len(submitted.c.Duplicates) != 1 || submitted.c.Duplicates[0].OtherCaseID != "run-far" {
		t.Fatalf("the submitted survey found %+v, want the person held by run-far", submitted.c.Duplicates)
	}
}

// A case tells another about a shared person under the other's
// pseudonymous workflow ID; where no case lives there (one opened before
// workflow IDs were pseudonyms), under the legacy ID, the KK.
func TestANoticeReachesTheOtherCaseUnderEitherFormOfItsID(t *testing.T) {
	const farKK = "6408030101190009"
	tests := []struct {
		name       string
		underAlias bool // the other case lives under the pseudonymous ID
		want       []string
	}{
		{"opened since the change", true, []string{"household-h" + farKK}},
		{"opened before the change", false, []string{"household-h" + farKK, "household-" + farKK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore()
			far := claims.Claim{Person: plainKey{}.Of("6408010203100002"), CaseID: "run-far", KK: farKK, Village: "64.08.03.2001"}
			store.claims[far.Person] = far
			h := newHarness(t, store)
			var (
				mu   sync.Mutex
				sent []string
			)
			h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", workflows.SignalDuplicate, mock.Anything).Return(
				func(_, workflowID, _, _ string, _ any) error {
					mu.Lock()
					defer mu.Unlock()
					sent = append(sent, workflowID)
					if workflowID == workflows.LegacyWorkflowID(farKK) || tt.underAlias {
						return nil
					}
					return &temporal.UnknownExternalWorkflowExecutionError{}
				})
			submitted := h.update(step, workflows.UpdateSurvey, cw, extremePoorSurvey)
			h.update(2*step, workflows.UpdateClose, super, closeMoved)
			h.run(openInput())
			mustAccept(t, submitted)
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(sent, tt.want) {
				t.Fatalf("the notice went to %v, want %v", sent, tt.want)
			}
		})
	}
}

// A case whose input predates the baseline (a client from before it) is
// failed at once with a message that says so, not run as if it were new.
func TestACaseFromBeforeTheBaselineFailsSayingSo(t *testing.T) {
	h := newHarness(t, newMemStore())
	in := openInput()
	in.Baseline = 0
	h.env.ExecuteWorkflow(workflows.Case, in)
	var app *temporal.ApplicationError
	err := h.env.GetWorkflowError()
	if !errors.As(err, &app) || app.Type() != workflows.ErrTypeBeforeBaseline || !strings.Contains(app.Error(), "start the data directory afresh") {
		t.Fatalf("a pre-baseline input ended with %v", err)
	}
}
