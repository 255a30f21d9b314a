package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/imports"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/internal/pseudonym"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// fakeTemporal is the workflow service as the handlers use it: updates,
// update-with-start, signals, starts and the health check answer with what the
// test sets; any other method of client.Client panics on the nil embedded
// interface, so a handler that starts to call one fails loudly.
type fakeTemporal struct {
	client.Client

	// rpcErr fails every call the way the service or the transport does
	// (unavailable, a deadline, anything unexpected).
	rpcErr error
	// answer is the workflow's result of an update (a household.Case) or
	// of an open (a workflows.OpenResult); rejection is its refusal, an
	// error as the workflow returns it.
	answer    any
	rejection error
	// endingRuns answers the first updates as a run that is ending does.
	endingRuns int
	// described are the workflows a describe finds, by ID; any other is
	// not found (a family card without a case opened before workflow IDs
	// were pseudonyms).
	described map[string]*workflowpb.WorkflowExecutionInfo

	mu    sync.Mutex
	calls []call
}

// call is one request the API sent to Temporal.
type call struct {
	kind       string // "update", "signal", "open" or "start"
	name       string // the update or signal name
	workflowID string
	runID      string
	args       []any
}

var _ client.Client = (*fakeTemporal)(nil)

func (f *fakeTemporal) record(c call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// sent returns the calls made so far.
func (f *fakeTemporal) sent() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.record(call{kind: "update", name: opts.UpdateName, workflowID: opts.WorkflowID, runID: opts.FirstExecutionRunID, args: opts.Args})
	if f.rpcErr != nil {
		return nil, f.rpcErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.endingRuns > 0 {
		f.endingRuns--
		return &fakeUpdate{workflowID: opts.WorkflowID, rejection: temporal.NewApplicationError("the case is starting its next run; retry", workflows.ErrTypeRunEnding)}, nil
	}
	return &fakeUpdate{workflowID: opts.WorkflowID, answer: f.answer, rejection: f.rejection}, nil
}

// DescribeWorkflowExecution answers from described; it records no call:
// the calls are what the API asked the cases to do.
func (f *fakeTemporal) DescribeWorkflowExecution(_ context.Context, workflowID, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	if f.rpcErr != nil {
		return nil, f.rpcErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	info, ok := f.described[workflowID]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: info}, nil
}

func (f *fakeTemporal) SignalWorkflow(_ context.Context, workflowID, runID, name string, arg any) error {
	f.record(call{kind: "signal", name: name, workflowID: workflowID, runID: runID, args: []any{arg}})
	return f.rpcErr
}

// startOperation is the start half of an update-with-start; the fake never
// starts anything, so it only carries the options for the record.
type startOperation struct {
	opts client.StartWorkflowOptions
	args []any
}

func (startOperation) Get(context.Context) (client.WorkflowRun, error) {
	return nil, errors.New("fakeTemporal starts no workflow runs")
}

func (f *fakeTemporal) NewWithStartWorkflowOperation(opts client.StartWorkflowOptions, _ any, args ...any) client.WithStartWorkflowOperation {
	return startOperation{opts: opts, args: args}
}

func (f *fakeTemporal) UpdateWithStartWorkflow(_ context.Context, opts client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	start, _ := opts.StartWorkflowOperation.(startOperation)
	f.record(call{kind: "open", name: opts.UpdateOptions.UpdateName, workflowID: start.opts.ID, args: start.args})
	if f.rpcErr != nil {
		return nil, f.rpcErr
	}
	return &fakeUpdate{workflowID: start.opts.ID, answer: f.answer, rejection: f.rejection}, nil
}

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.record(call{kind: "start", workflowID: opts.ID, args: args})
	// The API does not use the run it gets back.
	return nil, f.rpcErr
}

func (f *fakeTemporal) CheckHealth(ctx context.Context, _ *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	// A call whose deadline has passed fails before it is sent, as gRPC's do.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.rpcErr != nil {
		return nil, f.rpcErr
	}
	return &client.CheckHealthResponse{}, nil
}

// fakeUpdate is a completed update. Its outcome crosses the same
// converters a real one does: the answer is encoded and decoded as a
// payload, the rejection as a Temporal failure, so ApplicationError
// details arrive encoded, as they do from a server.
type fakeUpdate struct {
	workflowID string
	answer     any
	rejection  error
}

func (u *fakeUpdate) WorkflowID() string { return u.workflowID }
func (u *fakeUpdate) RunID() string      { return "" }
func (u *fakeUpdate) UpdateID() string   { return "update-1" }

func (u *fakeUpdate) Get(_ context.Context, valuePtr any) error {
	if u.rejection != nil {
		fc := temporal.GetDefaultFailureConverter()
		return fc.FailureToError(fc.ErrorToFailure(u.rejection))
	}
	dc := converter.GetDefaultDataConverter()
	p, err := dc.ToPayload(u.answer)
	if err != nil {
		return err
	}
	return dc.FromPayload(p, valuePtr)
}

// fakeReadModel is the read model in memory: the cases it holds, the
// reads it records, and the last list filter and dashboard it was asked for.
type fakeReadModel struct {
	mu         sync.Mutex
	cases      map[string]household.Case
	events     map[string][]household.Event
	summaries  []store.Summary
	dashboard  store.Dashboard
	reads      []read
	accesses   []store.Access
	lastFilter store.Filter
	// lastDashboard is the scope and district of the last dashboard read.
	lastDashboard [2]string
	// fail, when set, is how every read of a case fails (an outage, …).
	fail error
	// ping, when set, answers Ping.
	ping func(context.Context) error
	// loads are the IDs of whole cases read (not summaries).
	loads []string
}

type read struct {
	caseID, sub string
	role        household.Role
}

var (
	_ casework.ReadModel = (*fakeReadModel)(nil)
	_ Pinger             = (*fakeReadModel)(nil)
)

// tally is a store.Tally as the store answers one: every stage and
// outcome present, set from the given counts.
func tally(t store.Tally) store.Tally {
	stages, outcomes := t.ByStage, t.ByOutcome
	t.ByStage, t.ByOutcome = map[household.Stage]int64{}, map[household.Outcome]int64{}
	for _, s := range household.Stages {
		t.ByStage[s] = stages[s]
	}
	for _, o := range household.Outcomes {
		t.ByOutcome[o] = outcomes[o]
	}
	return t
}

func newReadModel(cases ...household.Case) *fakeReadModel {
	m := &fakeReadModel{cases: map[string]household.Case{}, events: map[string][]household.Event{},
		dashboard: store.Dashboard{Districts: []store.DistrictTally{}, Totals: tally(store.Tally{})}}
	for _, c := range cases {
		m.cases[c.ID] = c
	}
	return m
}

func (m *fakeReadModel) Case(ctx context.Context, id string) (household.Case, error) {
	m.mu.Lock()
	m.loads = append(m.loads, id)
	m.mu.Unlock()
	return m.lookup(ctx, id)
}

func (m *fakeReadModel) lookup(_ context.Context, id string) (household.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return household.Case{}, fmt.Errorf("store: case %s: %w", id, m.fail)
	}
	c, ok := m.cases[id]
	if !ok {
		return household.Case{}, store.ErrNotFound
	}
	return c, nil
}

func (m *fakeReadModel) Summary(ctx context.Context, id string) (store.Summary, error) {
	c, err := m.lookup(ctx, id)
	if err != nil {
		return store.Summary{}, err
	}
	return store.SummaryOf(c), nil
}

func (m *fakeReadModel) List(_ context.Context, f store.Filter) (store.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastFilter = f
	if f.Cursor != "" {
		return store.Page{}, store.ErrBadCursor // it issues no cursors
	}
	return store.Page{Items: m.summaries, AsOf: time.Now()}, nil
}

func (m *fakeReadModel) Timeline(_ context.Context, caseID string, _ int64) ([]household.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.events[caseID], nil
}

// RecordAccess keeps the reads of one case (full reads and timelines);
// list pages are kept apart in accesses.
func (m *fakeReadModel) RecordAccess(_ context.Context, a store.Access) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.accesses = append(m.accesses, a)
	if a.CaseID != "" && a.Route == "GET /v1/cases/:id" {
		m.reads = append(m.reads, read{a.CaseID, a.Sub, a.Role})
	}
	return nil
}

func (m *fakeReadModel) CaseAccesses(_ context.Context, caseID string, limit int) ([]store.Access, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Access
	for i := len(m.accesses) - 1; i >= 0 && len(out) < limit; i-- {
		if a := m.accesses[i]; a.CaseID == caseID || slices.Contains(a.CaseIDs, caseID) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *fakeReadModel) Dashboard(_ context.Context, scope, district string) (store.Dashboard, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastDashboard = [2]string{scope, district}
	return m.dashboard, nil
}

func (m *fakeReadModel) Ping(ctx context.Context) error {
	if m.ping != nil {
		return m.ping(ctx)
	}
	return nil
}

func (m *fakeReadModel) recorded() []read {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]read(nil), m.reads...)
}

// fakeImports keeps uploaded lists in memory.
type fakeImports struct {
	mu       sync.Mutex
	chunks   map[string][][]listimport.Row
	errs     []listimport.RowError
	progress map[string]listimport.Progress
}

var _ casework.ImportStore = (*fakeImports)(nil)

func newImports() *fakeImports {
	return &fakeImports{chunks: map[string][][]listimport.Row{}, progress: map[string]listimport.Progress{}}
}

func (f *fakeImports) SaveImportChunk(_ context.Context, importID string, n int, rows []listimport.Row) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n != len(f.chunks[importID]) {
		return errors.New("chunks out of order")
	}
	f.chunks[importID] = append(f.chunks[importID], append([]listimport.Row(nil), rows...))
	return nil
}

func (f *fakeImports) AddRowErrors(_ context.Context, errs []listimport.RowError) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, errs...)
	return nil
}

func (f *fakeImports) SaveImportProgress(_ context.Context, p listimport.Progress) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.progress[p.ID] = p
	return nil
}

func (f *fakeImports) Import(_ context.Context, id string) (listimport.Progress, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.progress[id]
	if !ok {
		return listimport.Progress{}, imports.ErrNotFound
	}
	return p, nil
}

func (f *fakeImports) RowErrors(_ context.Context, importID string, limit int) ([]listimport.RowError, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []listimport.RowError{}
	for _, e := range f.errs {
		if e.ImportID == importID && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// now is the API's clock in these tests; ages are counted on it.
var now = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// handlerTest is an API on fakes, with a token for anyone.
type handlerTest struct {
	t        *testing.T
	temporal *fakeTemporal
	reads    *fakeReadModel
	imports  *fakeImports
	issuer   *auth.Issuer
	svc      *casework.Service
	h        http.Handler
}

func newHandlerTest(t *testing.T, cases ...household.Case) *handlerTest {
	t.Helper()
	return newHandlerTestWith(t, func(*casework.Config) {}, cases...)
}

// newHandlerTestWith is newHandlerTest with the service's configuration
// changed by set.
func newHandlerTestWith(t *testing.T, set func(*casework.Config), cases ...household.Case) *handlerTest {
	t.Helper()
	issuer, err := auth.NewIssuer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	ht := &handlerTest{t: t, temporal: &fakeTemporal{}, reads: newReadModel(cases...), imports: newImports(), issuer: issuer}
	cfg := casework.Config{Temporal: ht.temporal, Households: testKeys, Store: ht.reads, Imports: ht.imports, Now: func() time.Time { return now }}
	set(&cfg)
	ht.svc = casework.New(cfg)
	ht.h = New(Config{Service: ht.svc, Temporal: ht.temporal, Store: ht.reads, Verifier: issuer.Verifier(),
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	return ht
}

// token is a bearer token of role in region (and agency, for role agency).
func (ht *handlerTest) token(role household.Role, region string, agency ...string) string {
	ht.t.Helper()
	p := auth.Principal{Sub: string(role) + "@" + region, Role: role, Region: region}
	if len(agency) > 0 {
		p.Sub, p.Agency = agency[0]+"@"+region, agency[0]
	}
	tok, err := ht.issuer.Issue(p, time.Hour, time.Now())
	if err != nil {
		ht.t.Fatal(err)
	}
	return tok
}

// do sends a request with a JSON body (nil for none).
func (ht *handlerTest) do(method, path, token string, body any) *httptest.ResponseRecorder {
	ht.t.Helper()
	var r io.Reader
	contentType := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			ht.t.Fatal(err)
		}
		r, contentType = strings.NewReader(string(b)), "application/json"
	}
	return serve(ht.t, ht.h, method, path, token, contentType, r)
}

// problemOf decodes a problem+json answer, failing the test if it is not one.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, rec.Body)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("not a problem document: %v: %s", err, rec.Body)
	}
	if p.Status != rec.Code || p.RequestID == "" || p.RequestID != rec.Header().Get("X-Request-ID") {
		t.Fatalf("problem %+v does not match status %d and request ID %q", p, rec.Code, rec.Header().Get("X-Request-ID"))
	}
	return p
}

// Cases of the tests, in Senyiur, Muara Ancalong (64.08.01.2001).
const (
	senyiur  = "64.08.01.2001"
	caseKK   = "6408010101200001"
	headNIK  = "6408014101850001"
	childNIK = "6408010203100002"
)

// testKeys key the pseudonyms of the tests' family cards.
var testKeys = func() *pseudonym.Key {
	k, err := pseudonym.ParseKey("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
	if err != nil {
		panic(err)
	}
	return k
}()

// openCase is a case in collecting, as the read model holds it: with the
// ID of its workflow, which its projection recorded.
func openCase(id string) household.Case {
	c, _ := household.Open(household.OpenInput{ID: id, KK: caseKK, HeadNIK: headNIK, HeadName: "Siti Aminah",
		VillageCode: senyiur, Address: "RT 03", Source: household.SourceP3KE},
		household.Actor{Sub: "cw-1", Role: household.RoleCaseworker, Region: "64.08.01"},
		household.DefaultRules(), household.DefaultDeadlines(), now.Add(-72*time.Hour))
	c.WorkflowID = workflows.WorkflowID(testKeys, caseKK)
	return *c
}

// surveyedCase is a case in intervention with a two-member survey and
// dinsos's intervention iv-1.
func surveyedCase(id string) household.Case {
	c := openCase(id)
	c.Stage = household.StageIntervention
	c.Survey = &household.Survey{
		Members: []household.Member{
			{NIK: headNIK, Name: "Siti Aminah", Relation: household.RelationHead, BirthDate: "1985-01-01", Sex: household.Female, Education: household.EduPrimary, Occupation: household.OccFarmer},
			{NIK: childNIK, Name: "Rudi", Relation: household.RelationChild, BirthDate: "2010-03-02", Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccStudent},
		},
		MonthlyExpenditure: 600_000,
		Housing:            household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"},
	}
	c.Interventions = []household.Intervention{{ID: "iv-1", Program: household.ProgramPKH, Agency: household.AgencyDinsos, Status: household.InterventionAssigned}}
	return c
}
