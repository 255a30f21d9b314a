package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// retentionOf answers the namespace's retention as Temporal's frontend
// reports it.
func retentionOf(t *testing.T, c client.Client, namespace string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
}

func TestDevNamespaceKeepsClosedHistoriesForThirtyDaysByDefault(t *testing.T) {
	t.Parallel()
	if got := retentionOf(t, sys.Client, sys.Stack.Namespace); got != 30*24*time.Hour {
		t.Fatalf("retention of %s = %v, want 720h", sys.Stack.Namespace, got)
	}
}

// lockedBuffer collects a command's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeAddr is a loopback address nothing listens on (when it returns).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

var (
	printedTemporal = regexp.MustCompile(`Temporal gRPC (\S+)\s+namespace (\S+)`)
	printedMongo    = regexp.MustCompile(`MongoDB URI\s+(\S+)`)
)

// The chaos run starts the servers once and its own API and worker
// processes against them, as production runs them against a cluster.
func TestDevServersOnlyRunsTemporalAndFerretDBWithoutAnAPI(t *testing.T) {
	httpAddr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--servers-only", "--data", t.TempDir(), "--temporal-port", "0", "--mongo-port", "0",
			"--http", httpAddr, "--retention", "72h"}, &out, &out)
	}()
	var ended bool
	defer func() {
		cancel()
		if ended {
			return
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("tuntas-dev dev --servers-only: %v", err)
			}
		case <-time.After(time.Minute):
			t.Error("tuntas-dev dev --servers-only did not stop within a minute")
		}
	}()
	eventually(t, 2*time.Minute, func() bool {
		select {
		case err := <-done:
			ended = true
			t.Fatalf("tuntas-dev dev --servers-only ended: %v\n%s", err, out.String())
		default:
		}
		return printedMongo.MatchString(out.String())
	})
	temporal := printedTemporal.FindStringSubmatch(out.String())
	if temporal == nil {
		t.Fatalf("no Temporal address printed:\n%s", out.String())
	}
	c, err := client.Dial(client.Options{HostPort: temporal[1], Namespace: temporal[2]})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("Temporal health: %v", err)
	}
	if got := retentionOf(t, c, temporal[2]); got != 72*time.Hour {
		t.Fatalf("--retention 72h: the namespace keeps histories %v", got)
	}
	m, err := mongo.Connect(options.Client().ApplyURI(printedMongo.FindStringSubmatch(out.String())[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Disconnect(context.Background()) }()
	pingCtx, cancelPing := context.WithTimeout(ctx, 10*time.Second)
	defer cancelPing()
	if err := m.Ping(pingCtx, nil); err != nil {
		t.Fatalf("FerretDB ping: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", httpAddr, time.Second); err == nil {
		_ = conn.Close()
		t.Fatalf("something answers on %s: servers-only must start no API", httpAddr)
	}
}

// A backup taken while a case waits on its deadline timer restores, on
// another directory, the case, its timeline and the timer, which fires in
// the copy.
func TestBackupOfARunningStackRestoresCasesTimelinesAndTimers(t *testing.T) {
	d := household.DefaultDeadlines()
	// Collecting is 14 days: 14 s here, time to back up and restore the
	// copy before the reminder is due.
	d.DayLength = time.Second
	s, err := startSystemWith(devsystem.Config{DataDir: t.TempDir(), Deadlines: d})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = s.stop()
		}
	}()
	p := tokens(t, s)
	kk := nextKK()
	l := openCaseOn(t, s, p, kk)
	var opened household.Case
	s.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id, p.cw, nil, &opened)
	busy := []string{openCaseOn(t, s, p, nextKK()).id, openCaseOn(t, s, p, nextKK()).id}

	// The copy is taken while other cases are being written to.
	copyDir := filepath.Join(t.TempDir(), "copy")
	stopWriting := saveDrafts(s.URL, p.cw, busy)
	var out bytes.Buffer
	err = run(context.Background(), []string{"backup", "--data", s.dataDir, copyDir}, &out, &out)
	n, werr := stopWriting()
	if werr != nil || n == 0 {
		t.Fatalf("drafts saved around the backup: %d, %v", n, werr)
	}
	t.Logf("%d drafts saved around the backup", n)
	if err != nil {
		t.Fatalf("tuntas-dev backup: %v\n%s", err, out.String())
	}
	if !time.Now().Before(opened.Deadline) {
		t.Fatalf("the backup ended after the case's deadline (%v): the test cannot tell a restored timer from one already fired", opened.Deadline)
	}
	stopped = true
	if err := s.stop(); err != nil {
		t.Fatalf("stop the original: %v", err)
	}

	// A shorter retention than the copy was made with: the restored
	// namespace takes the one it is started with.
	s2, err := startSystemWith(devsystem.Config{DataDir: copyDir, Deadlines: d, Retention: 48 * time.Hour})
	if err != nil {
		t.Fatalf("start on the copy: %v", err)
	}
	defer func() {
		if err := s2.stop(); err != nil {
			t.Errorf("stop the copy: %v", err)
		}
	}()
	if got := retentionOf(t, s2.Client, s2.Stack.Namespace); got != 48*time.Hour {
		t.Errorf("restored namespace keeps histories %v, want 48h", got)
	}
	var read household.Case
	s2.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id, p.cw, nil, &read) // the copied secret still signs
	if read.KK != kk || read.Stage != household.StageCollecting {
		t.Fatalf("restored case: %+v", read)
	}
	ctx := context.Background()
	q, err := s2.Client.QueryWorkflow(ctx, workflows.WorkflowID(s2.Pseudonyms, kk), "", workflows.QueryState)
	if err != nil {
		t.Fatalf("query the restored workflow: %v", err)
	}
	var st workflows.State
	if err := q.Get(&st); err != nil {
		t.Fatal(err)
	}
	if st.Case.ID != l.id {
		t.Fatalf("restored workflow holds case %q, want %q", st.Case.ID, l.id)
	}
	desc, err := s2.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID(s2.Pseudonyms, kk), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("restored workflow is %s", got)
	}
	// The deadline timer was pending in the backup; it fires in the copy
	// and the reminder reaches the restored timeline.
	eventually(t, time.Minute, func() bool {
		var tl casework.Timeline
		s2.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id+"/timeline", p.supervisor, nil, &tl)
		return hasEvent(tl, household.EventOpened) && hasEvent(tl, household.EventReminder)
	})
	// The cases written to during the copy: each restored timeline holds
	// every event its workflow recorded, numbered without a gap.
	for _, id := range busy {
		eventually(t, 30*time.Second, func() bool {
			var tl casework.Timeline
			s2.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+id+"/timeline", p.supervisor, nil, &tl)
			return contiguous(tl) && int64(len(tl.Events)) == workflowSeq(t, s2, id)
		})
	}
}

// saveDrafts saves survey drafts of the cases, one after another, until
// stop, which answers how many were saved and the first failure.
func saveDrafts(url, token string, ids []string) (stop func() (int, error)) {
	body := surveyBody(600_000)
	body["draft"] = true
	raw, _ := json.Marshal(body)
	first := make(chan struct{})
	started := sync.OnceFunc(func() { close(first) })
	done := make(chan struct{})
	var (
		n   int
		err error
		wg  sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if n >= 2*len(ids)*10 { // within a case's bound of drafts
				return
			}
			if err = postJSON(url+"/v1/cases/"+ids[i%len(ids)]+"/survey", token, raw); err != nil {
				started()
				return
			}
			n++
			started()
		}
	}()
	<-first
	return func() (int, error) {
		close(done)
		wg.Wait()
		return n, err
	}
}

func postJSON(url, token string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d", url, resp.StatusCode)
	}
	return nil
}

// workflowSeq is the number of the last event the case's workflow recorded.
func workflowSeq(t *testing.T, s *testSystem, caseID string) int64 {
	t.Helper()
	var c household.Case
	s.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+caseID, s.token(t, household.RoleCaseworker, "64.08.01", ""), nil, &c)
	q, err := s.Client.QueryWorkflow(context.Background(), workflows.WorkflowID(s.Pseudonyms, c.KK), "", workflows.QueryState)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.State
	if err := q.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st.Case.Seq
}

// contiguous reports whether the timeline's events are numbered 1, 2, … in order.
func contiguous(tl casework.Timeline) bool {
	for i, e := range tl.Events {
		if e.Seq != int64(i+1) {
			return false
		}
	}
	return true
}

func hasEvent(tl casework.Timeline, typ string) bool {
	for _, e := range tl.Events {
		if e.Type == typ {
			return true
		}
	}
	return false
}
