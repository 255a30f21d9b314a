package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/tuntas-id/tuntas/internal/bench"
	"github.com/tuntas-id/tuntas/internal/cluster"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// eventOf is the timeline event each acknowledged step records, once.
var eventOf = map[string]string{
	"open":                      household.EventOpened,
	"survey":                    household.EventSurveySubmitted,
	"village-confirmation":      household.EventVillageConfirmed,
	"escalation":                household.EventEscalated,
	"escalation-resolution":     household.EventEscalationResolved,
	"verification":              household.EventVerified,
	"interventions":             household.EventInterventionsAssigned,
	"intervention-acknowledged": household.EventInterventionUpdated,
	"intervention-delivered":    household.EventInterventionUpdated,
	"follow-up":                 household.EventFollowUpRecorded,
	"graduation":                household.EventGraduated,
}

// actionEvents are the event types of acknowledged steps, each once.
func actionEvents() []string {
	var evs []string
	for _, ev := range eventOf {
		evs = append(evs, ev)
	}
	slices.Sort(evs)
	return slices.Compact(evs)
}

// outcomeOf is the intended end of each kind of household.
var outcomeOf = map[string]household.Outcome{
	bench.KindGraduated: household.OutcomeGraduated,
	bench.KindEscalated: household.OutcomeGraduated,
	bench.KindExcluded:  household.OutcomeExcludedNotPoor,
}

// maxListed bounds the households a failure names one by one.
const maxListed = 10

// check verifies, once the faults are over and every household driven,
// that nothing was lost, duplicated or left stuck, and fills rep.
func (r *run) check(ctx context.Context, rep *Report, lastFault time.Time) {
	fail := func(format string, args ...any) { rep.Failures = append(rep.Failures, fmt.Sprintf(format, args...)) }

	var failed []string
	for _, h := range r.houses {
		if h.err != nil {
			failed = append(failed, fmt.Sprintf("household %d: %v", h.i, h.err))
		}
	}
	if len(failed) > 0 {
		fail("%d households could not be driven to their end: %s", len(failed), strings.Join(failed[:min(len(failed), maxListed)], "; "))
	}

	r.logf("waiting for every case workflow to finish")
	rep.SettleSeconds = r.settle(ctx, fail)

	r.logf("checking every household's end in Temporal")
	finals := r.finals(ctx, rep, fail)

	r.logf("checking the workflows' statuses")
	rep.Statuses = map[string]int64{}
	for _, st := range []enumspb.WorkflowExecutionStatus{enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED,
		enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
		enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW} {
		name := visibilityStatus(st)
		resp, err := r.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Query: "WorkflowType = 'Case' AND ExecutionStatus = '" + name + "'"})
		if err != nil {
			fail("count %s case workflows: %v", name, err)
			continue
		}
		rep.Statuses[name] = resp.GetCount()
	}
	for _, bad := range []string{"Running", "Failed", "TimedOut", "Terminated", "Canceled"} {
		if n := rep.Statuses[bad]; n > 0 {
			fail("%d case workflows %s", n, bad)
		}
	}

	r.logf("waiting for the read model to match every workflow")
	ref := lastFault
	r.stats.mu.Lock()
	if r.stats.lastAck.After(ref) {
		ref = r.stats.lastAck
	}
	r.stats.mu.Unlock()
	rep.ConvergeSeconds = r.converge(ctx, finals, ref, fail)

	r.logf("checking every acknowledged action is in its timeline exactly once")
	r.timelines(ctx, fail)

	r.logf("running tuntas reconcile")
	r.reconcile(ctx, rep, fail)

	r.stats.mu.Lock()
	rep.Requests = r.stats.requests.Load()
	rep.Retries = r.stats.retries
	rep.FiveXX = map[string]int64{}
	for code, n := range r.stats.fivexx {
		rep.FiveXX[strconv.Itoa(code)] = n
	}
	rep.SlowestAckMs = float64(r.stats.slowest.Microseconds()) / 1000
	rep.SlowestAck = r.stats.slowestReq
	rep.Violations = slices.Clone(r.stats.violations)
	r.stats.mu.Unlock()

	rep.FaultsByKind = map[string]int{}
	for _, f := range rep.Faults {
		rep.FaultsByKind[f.Kind]++
		r.checkReadyz(f, fail)
	}
}

// settleWithin bounds how long the case workflows may take to finish
// once every household has had its last action acknowledged: the work a
// case does after its last answer (releasing its people, its last
// projection) may wait out an activity's 30 s timeout and a retry after a
// kill.
const settleWithin = 3 * time.Minute

// settle waits until no case workflow runs and returns how long that took;
// one still running after settleWithin is stuck.
func (r *run) settle(ctx context.Context, fail func(string, ...any)) float64 {
	start := time.Now()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := r.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Query: "WorkflowType = 'Case' AND ExecutionStatus = 'Running'"})
		if err == nil && resp.GetCount() == 0 {
			return time.Since(start).Seconds()
		}
		if time.Since(start) > settleWithin {
			fail("case workflows still running %v after the last action: %v", settleWithin, resp.GetCount())
			return -1
		}
		select {
		case <-ctx.Done():
			return -1
		case <-tick.C:
		}
	}
}

// checkReadyz checks that /readyz named the dependency a fault took down
// (and, for a cut of one store, only that one).
func (r *run) checkReadyz(f Fault, fail func(string, ...any)) {
	var ready struct {
		Status   string `json:"status"`
		MongoDB  string `json:"mongodb"`
		Temporal string `json:"temporal"`
	}
	_ = json.Unmarshal([]byte(f.Readyz), &ready)
	want := wantReadyz(f.Kind)
	if f.ReadyzStatus != want.status || ready.MongoDB != want.mongo || (want.temporal != "" && ready.Temporal != want.temporal) {
		temporal := want.temporal
		if temporal == "" {
			temporal = "either"
		}
		fail("during %s at %.0fs /readyz answered %d %s, want %d with mongodb %s and temporal %s",
			f.Kind, f.At, f.ReadyzStatus, f.Readyz, want.status, want.mongo, temporal)
	}
}

// readyzWant is what /readyz must answer during a fault; an empty
// temporal takes either answer.
type readyzWant struct {
	status          int
	mongo, temporal string
}

func wantReadyz(kind string) readyzWant {
	switch kind {
	case FaultMongoCut, FaultFerretDBKill:
		return readyzWant{http.StatusServiceUnavailable, "unreachable", "ok"}
	case FaultTemporalCut, FaultFrontendKill:
		return readyzWant{http.StatusServiceUnavailable, "ok", "unreachable"}
	case FaultServersKill:
		return readyzWant{http.StatusServiceUnavailable, "unreachable", "unreachable"}
	case FaultPostgresRestart:
		// FerretDB answers nothing without its database; Temporal's
		// frontend still answers its health check from memory.
		return readyzWant{http.StatusServiceUnavailable, "unreachable", ""}
	default:
		// A worker or one API down leaves the other API ready; so does one
		// history host (its shards move to the other) or matching down:
		// the frontend that the API checks still serves.
		return readyzWant{http.StatusOK, "ok", "ok"}
	}
}

// finals reads each household's closed case from Temporal, the truth, and
// checks it ended as intended.
func (r *run) finals(ctx context.Context, rep *Report, fail func(string, ...any)) map[string]household.Case {
	rep.Outcomes = map[string]int{}
	finals := map[string]household.Case{}
	var (
		wrong []string
		mu    sync.Mutex
		wg    sync.WaitGroup
	)
	// Read side by side, as converge does: the convergence check waits
	// for these, and its clock runs from the last action.
	jobs := make(chan *house)
	for range convergeReaders {
		wg.Go(func() {
			for h := range jobs {
				c, err := r.final(ctx, h)
				mu.Lock()
				switch {
				case err != nil:
					wrong = append(wrong, fmt.Sprintf("%s: %v", h.id, err))
				default:
					finals[h.id] = c
					rep.Outcomes[string(c.Outcome)]++
					if c.Status != household.StatusClosed || c.Outcome != outcomeOf[h.plan.Kind] {
						wrong = append(wrong, fmt.Sprintf("%s (%s) ended %s %s", h.id, h.plan.Kind, c.Status, c.Outcome))
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, h := range r.houses {
		if h.id != "" {
			jobs <- h
		}
	}
	close(jobs)
	wg.Wait()
	if len(wrong) > 0 {
		slices.Sort(wrong)
		fail("%d households not in their intended end: %s", len(wrong), strings.Join(wrong[:min(len(wrong), maxListed)], "; "))
	}
	return finals
}

// final is the case the household's workflow closed with; a workflow
// still running is stuck.
func (r *run) final(ctx context.Context, h *house) (household.Case, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	wid := workflows.WorkflowID(r.keys, h.hh.KK)
	d, err := r.temporal.DescribeWorkflowExecution(ctx, wid, "")
	if err != nil {
		return household.Case{}, fmt.Errorf("describe: %w", err)
	}
	if st := d.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return household.Case{}, fmt.Errorf("workflow %s", visibilityStatus(st))
	}
	var c household.Case
	if err := r.temporal.GetWorkflow(ctx, wid, "").Get(ctx, &c); err != nil {
		return household.Case{}, fmt.Errorf("result: %w", err)
	}
	c.WorkflowID = wid // where it lives, which the projection records beside it
	return c, nil
}

// converge polls the read model until every case's snapshot is its
// workflow's final case, and returns how long after ref that held (-1 if
// it did not within a minute). More than Converge fails the check.
//
// Each case is taken as converged when a read first finds its snapshot
// final, and the read model as converged at the latest of those reads.
// The reads of a pass run side by side (convergeReaders): one after
// another, a pass over 500 cases through FerretDB on PostgreSQL on a
// loaded machine took 20 s, longer than the bound it measures.
func (r *run) converge(ctx context.Context, finals map[string]household.Case, ref time.Time, fail func(string, ...any)) float64 {
	pending := map[string]household.Case{}
	for id, c := range finals {
		pending[id] = store.Normalize(c)
	}
	var last time.Time
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		for id, at := range r.matched(ctx, pending) {
			delete(pending, id)
			if at.After(last) {
				last = at
			}
		}
		if len(pending) == 0 {
			took := max(0, last.Sub(ref).Seconds())
			if took > r.cfg.Converge.Seconds() {
				fail("the read model matched the workflows %.1fs after the last fault or action, more than %v", took, r.cfg.Converge)
			}
			return took
		}
		if time.Now().After(deadline) {
			var ids []string
			for id := range pending {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			fail("%d snapshots still differ from their workflows a minute on: %s", len(ids), strings.Join(ids[:min(len(ids), maxListed)], ", "))
			return -1
		}
		select {
		case <-ctx.Done():
			return -1
		case <-tick.C:
		}
	}
}

// convergeReaders is how many reads of the read model a pass of converge
// runs at once.
const convergeReaders = 16

// matched reads every pending case's snapshot, convergeReaders at once,
// and returns when each one that equals its final case was read so.
func (r *run) matched(ctx context.Context, pending map[string]household.Case) map[string]time.Time {
	var (
		mu  sync.Mutex
		out = map[string]time.Time{}
		wg  sync.WaitGroup
	)
	ids := make(chan string)
	for range convergeReaders {
		wg.Go(func() {
			for id := range ids {
				got, err := r.store.Case(ctx, id)
				if err == nil && reflect.DeepEqual(got, pending[id]) {
					at := time.Now()
					mu.Lock()
					out[id] = at
					mu.Unlock()
				}
			}
		})
	}
	for id := range pending {
		ids <- id
	}
	close(ids)
	wg.Wait()
	return out
}

// timelines checks, through the API as a supervisor reads it, that every
// acknowledged step is in its case's timeline exactly once.
func (r *run) timelines(ctx context.Context, fail func(string, ...any)) {
	var (
		mu    sync.Mutex
		wrong []string
		wg    sync.WaitGroup
	)
	jobs := make(chan *house)
	for range 4 {
		wg.Go(func() {
			for h := range jobs {
				if err := r.timeline(ctx, h); err != nil {
					mu.Lock()
					wrong = append(wrong, err.Error())
					mu.Unlock()
				}
			}
		})
	}
	for _, h := range r.houses {
		if h.id != "" {
			jobs <- h
		}
	}
	close(jobs)
	wg.Wait()
	if len(wrong) > 0 {
		slices.Sort(wrong)
		fail("%d timelines do not hold each acknowledged action once: %s", len(wrong), strings.Join(wrong[:min(len(wrong), maxListed)], "; "))
	}
}

func (r *run) timeline(ctx context.Context, h *house) error {
	raw, err := r.phones.do(ctx, request{method: http.MethodGet, path: "/v1/cases/" + h.id + "/timeline",
		who: checker(h), want: http.StatusOK, first: h.i % len(r.urls)})
	if err != nil {
		return fmt.Errorf("%s: %w", h.id, err)
	}
	var tl struct {
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	if err := json.Unmarshal(raw, &tl); err != nil {
		return fmt.Errorf("%s: timeline: %w", h.id, err)
	}
	have := map[string]int{}
	for _, e := range tl.Events {
		have[e.Type]++
	}
	want := map[string]int{}
	r.mu.Lock()
	for step, n := range h.acked {
		want[eventOf[step]] += n
	}
	r.mu.Unlock()
	var diffs []string
	for _, ev := range actionEvents() {
		if have[ev] != want[ev] {
			diffs = append(diffs, fmt.Sprintf("%s %d times, acknowledged %d", ev, have[ev], want[ev]))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s: %s", h.id, strings.Join(diffs, ", "))
	}
	return nil
}

// checker is who reads a household's timeline for the check: its
// regency's supervisor.
func checker(h *house) bench.Person {
	return bench.Person{Role: household.RoleSupervisor, Region: h.hh.VillageCode[:5]}
}

var reconciled = regexp.MustCompile(`checked (\d+) cases: (\d+) in sync, (\d+) repaired, (\d+) failed, (\d+) found halted`)

// reconcile runs `tuntas reconcile` as production would, against the
// same servers, and expects it to find nothing to repair.
func (r *run) reconcile(ctx context.Context, rep *Report, fail func(string, ...any)) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.cfg.Exe, "reconcile")
	cmd.Env = append(cmd.Environ(), r.env...)
	out, err := cmd.CombinedOutput()
	rep.ReconcileOutput = cluster.Tail(string(out), 500)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fail("tuntas reconcile: %v", err)
		return
	}
	m := reconciled.FindStringSubmatch(string(out))
	if m == nil {
		fail("tuntas reconcile printed no counts: %s", rep.ReconcileOutput)
		return
	}
	rep.ReconcileChecked, _ = strconv.Atoi(m[1])
	rep.ReconcileRepaired, _ = strconv.Atoi(m[3])
	if failed, _ := strconv.Atoi(m[4]); failed > 0 || err != nil {
		fail("tuntas reconcile could not check every case: %s", rep.ReconcileOutput)
	}
	if rep.ReconcileRepaired > 0 {
		fail("tuntas reconcile repaired %d snapshots after the read model had converged", rep.ReconcileRepaired)
	}
	if halted, _ := strconv.Atoi(m[5]); halted > 0 {
		fail("tuntas reconcile found %d cases whose workflow ended abnormally", halted)
	}
}

// visibilityStatus is a status as Temporal's list queries name it.
func visibilityStatus(st enumspb.WorkflowExecutionStatus) string {
	switch st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "Running"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "Completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "Failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "Canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "Terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "ContinuedAsNew"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "TimedOut"
	}
	return st.String()
}
