package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/reconcile"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// fakeWorkflows lists running case workflows in pages and answers their
// state query.
type fakeWorkflows struct {
	pages  [][]string // workflow IDs, page by page
	states map[string]household.Case
	failed map[string]error // query errors by workflow ID
	query  string           // the first visibility query asked
	// halted are the workflow IDs whose last run ended abnormally; the
	// query for them is the one that names ExecutionStatus 'Terminated'.
	halted []string
}

var _ reconcile.Workflows = (*fakeWorkflows)(nil)

func (f *fakeWorkflows) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	resp := &workflowservice.ListWorkflowExecutionsResponse{}
	if strings.Contains(req.GetQuery(), "'Terminated'") {
		for _, id := range f.halted {
			resp.Executions = append(resp.Executions, &workflowpb.WorkflowExecutionInfo{
				Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: "run-" + id},
				Status:    enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
			})
		}
		return resp, nil
	}
	f.query = req.GetQuery()
	page := 0
	if tok := req.GetNextPageToken(); len(tok) > 0 {
		fmt.Sscan(string(tok), &page)
	}
	if page >= len(f.pages) {
		return resp, nil
	}
	for _, id := range f.pages[page] {
		resp.Executions = append(resp.Executions, &workflowpb.WorkflowExecutionInfo{
			Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: "run-" + id},
		})
	}
	if page+1 < len(f.pages) {
		resp.NextPageToken = []byte(fmt.Sprint(page + 1))
	}
	return resp, nil
}

// DescribeWorkflowExecution names the case of a run: the ID of its first
// run.
func (f *fakeWorkflows) DescribeWorkflowExecution(_ context.Context, workflowID, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		FirstRunId: f.states[workflowID].ID,
		Status:     enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
	}}, nil
}

func (f *fakeWorkflows) QueryWorkflow(_ context.Context, workflowID, runID, queryType string, _ ...any) (converter.EncodedValue, error) {
	if queryType != workflows.QueryState || runID != "run-"+workflowID {
		return nil, fmt.Errorf("unexpected query %s of %s/%s", queryType, workflowID, runID)
	}
	if err := f.failed[workflowID]; err != nil {
		return nil, err
	}
	return state{workflows.State{Case: f.states[workflowID]}}, nil
}

// state is a query answer.
type state struct{ s workflows.State }

func (s state) HasValue() bool { return true }
func (s state) Get(ptr any) error {
	p, ok := ptr.(*workflows.State)
	if !ok {
		return fmt.Errorf("decode into %T", ptr)
	}
	*p = s.s
	return nil
}

// fakeSnapshots is the read model: snapshots as the store reads them
// back, and the writes reconcile made.
type fakeSnapshots struct {
	cases     map[string]household.Case
	readErr   error
	saved     []string
	replaced  []string
	written   map[string]household.Case // the last snapshot written, by ID
	writeErrs error
}

var _ reconcile.Snapshots = (*fakeSnapshots)(nil)

func (f *fakeSnapshots) Case(_ context.Context, id string) (household.Case, error) {
	if f.readErr != nil {
		return household.Case{}, f.readErr
	}
	c, ok := f.cases[id]
	if !ok {
		return household.Case{}, store.ErrNotFound
	}
	return c, nil
}

// RepairOlder writes only over a missing or older snapshot, as the store does.
func (f *fakeSnapshots) RepairOlder(_ context.Context, c household.Case) (bool, error) {
	if stored, ok := f.cases[c.ID]; ok && stored.Version >= c.Version {
		return false, f.writeErrs
	}
	f.saved = append(f.saved, c.ID)
	if f.writeErrs == nil {
		if f.written == nil {
			f.written = map[string]household.Case{}
		}
		f.written[c.ID] = c
	}
	return f.writeErrs == nil, f.writeErrs
}

// RepairCase writes only over a snapshot at c's version, as the store does.
func (f *fakeSnapshots) RepairCase(_ context.Context, c household.Case) (bool, error) {
	if stored, ok := f.cases[c.ID]; !ok || stored.Version != c.Version {
		return false, f.writeErrs
	}
	f.replaced = append(f.replaced, c.ID)
	if f.writeErrs == nil {
		if f.written == nil {
			f.written = map[string]household.Case{}
		}
		f.written[c.ID] = c
	}
	return f.writeErrs == nil, f.writeErrs
}

// workflowID is the ID of the workflow of family card kk's case in these
// tests: reconcile takes whatever the listing names.
func workflowID(kk string) string { return workflows.LegacyWorkflowID(kk) }

// snapshot is c as its projection stored it: with the ID of its workflow.
func snapshot(c household.Case) household.Case {
	c.WorkflowID = workflowID(c.KK)
	return store.Normalize(c)
}

// liveCase is a case as its workflow holds it, at version v, with times at
// nanosecond precision (the store keeps milliseconds).
func liveCase(kk string, v int64) household.Case {
	at := time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.Local)
	c, _ := household.Open(household.OpenInput{ID: "case-" + kk, KK: kk, HeadNIK: "6408014101750001", HeadName: "Siti Aminah",
		VillageCode: "64.08.01.2001", Address: "RT 01", Source: household.SourceP3KE},
		household.Actor{Sub: "cw-1", Role: household.RoleCaseworker, Region: "64.08.01"},
		household.DefaultRules(), household.DefaultDeadlines(), at)
	c.Version = v
	return *c
}

func TestRunRewritesOnlyTheSnapshotsThatDiffer(t *testing.T) {
	const kk = "6408010101190001"
	live := liveCase(kk, 5)
	stale := snapshot(live)
	stale.Stage = household.StageFollowUp
	tests := []struct {
		name            string
		stored          *household.Case // nil: no snapshot
		report          reconcile.Report
		saved, replaced []string
	}{
		{"in sync (times differ only below a millisecond)", ptr(snapshot(live)), reconcile.Report{Checked: 1, InSync: 1}, nil, nil},
		// A snapshot projected before the read model recorded workflow IDs
		// (of a case opened before they were pseudonyms) gets its ID.
		{"a snapshot without its workflow ID is replaced", ptr(store.Normalize(live)), reconcile.Report{Checked: 1, Repaired: 1}, nil, []string{live.ID}},
		{"missing snapshot is saved", nil, reconcile.Report{Checked: 1, Repaired: 1}, []string{live.ID}, nil},
		{"older snapshot is saved", ptr(withVersion(stale, 4)), reconcile.Report{Checked: 1, Repaired: 1}, []string{live.ID}, nil},
		{"same version but different is replaced", ptr(stale), reconcile.Report{Checked: 1, Repaired: 1}, nil, []string{live.ID}},
		// The case moved on between the query and the read: putting the
		// queried state back would undo a projection.
		{"newer snapshot is never put back", ptr(withVersion(stale, 9)), reconcile.Report{Checked: 1, InSync: 1}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf := &fakeWorkflows{pages: [][]string{{workflowID(kk)}}, states: map[string]household.Case{workflowID(kk): live}}
			snaps := &fakeSnapshots{cases: map[string]household.Case{}}
			if tt.stored != nil {
				snaps.cases[live.ID] = *tt.stored
			}
			r, err := reconcile.Run(context.Background(), wf, snaps)
			if err != nil {
				t.Fatal(err)
			}
			if r != tt.report || !slices.Equal(snaps.saved, tt.saved) || !slices.Equal(snaps.replaced, tt.replaced) {
				t.Fatalf("report %+v, saved %v, replaced %v; want %+v, %v, %v", r, snaps.saved, snaps.replaced, tt.report, tt.saved, tt.replaced)
			}
			for id, c := range snaps.written {
				if c.WorkflowID != workflowID(kk) {
					t.Errorf("wrote %s with workflow ID %q, want %q", id, c.WorkflowID, workflowID(kk))
				}
			}
			if !strings.Contains(wf.query, "WorkflowType = 'Case'") || !strings.Contains(wf.query, "ExecutionStatus = 'Running'") || !strings.Contains(wf.query, "ExecutionStatus = 'Completed'") {
				t.Errorf("listed %q, want running and closed case workflows", wf.query)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func withVersion(c household.Case, v int64) household.Case {
	c.Version = v
	return c
}

func TestRunWalksEveryPage(t *testing.T) {
	wf := &fakeWorkflows{states: map[string]household.Case{}}
	snaps := &fakeSnapshots{cases: map[string]household.Case{}}
	for page := range 3 {
		var ids []string
		for i := range 4 {
			kk := fmt.Sprintf("64080101011900%d%d", page, i+1)
			c := liveCase(kk, 3)
			wf.states[workflowID(kk)] = c
			ids = append(ids, workflowID(kk))
			if i%2 == 0 {
				snaps.cases[c.ID] = snapshot(c)
			}
		}
		wf.pages = append(wf.pages, ids)
	}
	r, err := reconcile.Run(context.Background(), wf, snaps)
	if err != nil {
		t.Fatal(err)
	}
	if want := (reconcile.Report{Checked: 12, InSync: 6, Repaired: 6}); r != want {
		t.Fatalf("report %+v, want %+v", r, want)
	}
}

func TestRunCountsCasesItCannotCheckAndGoesOn(t *testing.T) {
	down := errors.New("unavailable")
	tests := []struct {
		name   string
		wf     func(*fakeWorkflows)
		snaps  func(*fakeSnapshots)
		report reconcile.Report
	}{
		{"query fails for one", func(f *fakeWorkflows) { f.failed = map[string]error{workflowID("6408010101190001"): down} },
			nil, reconcile.Report{Checked: 2, Failed: 1, Repaired: 1}},
		{"the store cannot be read", nil, func(f *fakeSnapshots) { f.readErr = down }, reconcile.Report{Checked: 2, Failed: 2}},
		{"the store cannot be written", nil, func(f *fakeSnapshots) { f.writeErrs = down }, reconcile.Report{Checked: 2, Failed: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wf := &fakeWorkflows{states: map[string]household.Case{}}
			var ids []string
			for _, kk := range []string{"6408010101190001", "6408010101190002"} {
				wf.states[workflowID(kk)] = liveCase(kk, 2)
				ids = append(ids, workflowID(kk))
			}
			wf.pages = [][]string{ids}
			snaps := &fakeSnapshots{cases: map[string]household.Case{}}
			if tt.wf != nil {
				tt.wf(wf)
			}
			if tt.snaps != nil {
				tt.snaps(snaps)
			}
			r, err := reconcile.Run(context.Background(), wf, snaps)
			if r != tt.report || !errors.Is(err, down) {
				t.Fatalf("report %+v, error %v; want %+v and the cause", r, err, tt.report)
			}
		})
	}
}

func TestRunMarksCasesWhoseWorkflowEndedAbnormallyAsHalted(t *testing.T) {
	const (
		openKK   = "6408010101190001"
		closedKK = "6408010101190002"
	)
	open, closed := liveCase(openKK, 4), liveCase(closedKK, 6)
	closed.Status = household.StatusClosed
	wf := &fakeWorkflows{
		states: map[string]household.Case{workflowID(openKK): open, workflowID(closedKK): closed},
		halted: []string{workflowID(openKK), workflowID(closedKK)},
	}
	snaps := &fakeSnapshots{cases: map[string]household.Case{open.ID: snapshot(open), closed.ID: snapshot(closed)}}
	r, err := reconcile.Run(context.Background(), wf, snaps)
	if err != nil {
		t.Fatal(err)
	}
	// The case the store still shows open is marked halted, one version on;
	// the one whose close was projected stays closed.
	if want := (reconcile.Report{Checked: 2, InSync: 1, Halted: 1}); r != want || !slices.Equal(snaps.saved, []string{open.ID}) {
		t.Fatalf("report %+v, saved %v; want %+v, [%s]", r, snaps.saved, want, open.ID)
	}
	if got := snaps.written[open.ID]; got.Status != household.StatusHalted || got.Version != open.Version+1 {
		t.Fatalf("marked %s at version %d, want halted at %d", got.Status, got.Version, open.Version+1)
	}
	// Run again, the halted case is in sync.
	snaps.cases[open.ID] = snaps.written[open.ID]
	snaps.saved = nil
	if r, err := reconcile.Run(context.Background(), wf, snaps); err != nil || r != (reconcile.Report{Checked: 2, InSync: 2}) || len(snaps.saved) != 0 {
		t.Fatalf("second run: %+v %v, saved %v", r, err, snaps.saved)
	}
}
