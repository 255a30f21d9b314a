package systemtest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/internal/synth"
	"github.com/tuntas-id/tuntas/workflows"
)

// encodedFailure is the message of a failure whose message and stack
// trace the failure converter sealed.
const encodedFailure = "Encoded failure"

// TestNoKKNIKOrNameReachesWhatOperatorsSeeWithoutTheCodec runs households
// through everything a case meets (a whole lifecycle to graduation,
// refused actions, an escalation whose reason names the head, a person on
// two family cards found, told and resolved, a village's proposal that
// opens a case, a list import with bad rows, a case that fails) on a system of its own whose every log line (the
// API's, the worker's, the Temporal SDK's at debug level, and the Temporal
// server's) is kept. Then, without the codec, it reads what an operator
// sees: every workflow's ID and search attributes as Temporal lists them,
// every run's history as Temporal stores it, and the logs; none holds any
// KK, NIK or name the test used, and every failure the SDK wrote is
// sealed.
func TestNoKKNIKOrNameReachesWhatOperatorsSeeWithoutTheCodec(t *testing.T) {
	dir := t.TempDir()
	var logs lockedBuffer
	s, err := startSystemWith(devsystem.Config{DataDir: dir, Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	p := tokens(t, s)
	ctx := context.Background()
	var secrets []string
	person := func(nik, name string) map[string]any {
		secrets = append(secrets, nik, name)
		return map[string]any{"nik": nik, "name": name, "relation": "child", "birthDate": "2010-03-02", "sex": "M", "education": "sd", "occupation": "student"}
	}
	open := func(kk, head, name string) string {
		t.Helper()
		secrets = append(secrets, kk, head, name)
		var c household.Case
		s.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, map[string]any{"kk": kk, "headNik": head, "headName": name,
			"villageCode": "64.08.01.2001", "address": "RT 07, Senyiur", "source": "p3ke", "desil": 1}, &c)
		return c.ID
	}
	survey := func(id, head, name string, members ...map[string]any) {
		t.Helper()
		headRow := person(head, name)
		headRow["relation"], headRow["birthDate"], headRow["sex"], headRow["occupation"] = "head", "1985-01-01", "F", "farmer"
		body := surveyBody(600_000)
		body["survey"].(map[string]any)["members"] = append([]map[string]any{headRow}, members...)
		s.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+id+"/survey", p.cw, body, nil)
	}
	act := func(token, id, path string, body any) {
		t.Helper()
		s.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+id+path, token, body, nil)
	}

	// One household from open to graduation, with refusals on the way.
	kk1, head1, name1 := "6408010101250001", "6408014101850101", "Ratna Pindaiwati"
	shared, sharedName := "6408010203100199", "Bagus Pindaianto"
	first := open(kk1, head1, name1)
	// Refused by the case's workflow (its update validator): not the stage.
	// The refusal travels sealed and the API opens it: its reason reaches
	// the caller.
	if status, raw := s.call(t, http.MethodPost, "/v1/cases/"+first+"/village-confirmation", p.village,
		map[string]any{"decision": "confirmed", "musdesDate": today, "musdesMinutes": "1/MUSDES"}, nil); status != http.StatusConflict ||
		!strings.Contains(string(raw), "while the case is collecting") {
		t.Fatalf("village confirmation while collecting = %d: %s", status, raw)
	}
	survey(first, head1, name1, person(shared, sharedName))
	act(p.village, first, "/village-confirmation", map[string]any{"decision": "confirmed", "musdesDate": today, "musdesMinutes": "7/MUSDES/" + name1})
	var esc struct {
		EscalationID string `json:"escalationId"`
	}
	s.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+first+"/escalations", p.supervisor,
		map[string]any{"level": "province", "reason": "Ibu " + name1 + " (NIK " + head1 + ") tidak punya KTP"}, &esc)
	act(p.province, first, "/escalations/"+esc.EscalationID+"/resolution", map[string]any{"resolution": "KTP " + name1 + " diterbitkan"})
	act(p.verifier, first, "/verification", map[string]any{"outcome": "extreme_poor", "notes": "rumah " + name1 + " diperiksa"})
	act(p.supervisor, first, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}})
	act(p.dinsos, first, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})
	act(p.dinsos, first, "/interventions/iv-1/status", map[string]any{"status": "delivered"})
	act(p.cw, first, "/follow-ups", map[string]any{"visitDate": today, "monthlyExpenditure": 900_000})
	act(p.verifier, first, "/graduation", map[string]any{"notes": name1 + " lulus"})

	// A second card holds the same child: both cases find it, tell each
	// other, and the supervisor resolves it.
	kk2, head2, name2 := "6408010101250002", "6408014101850102", "Dewi Pindaisari"
	second := open(kk2, head2, name2)
	third := open("6408010101250003", "6408014101850103", "Yanto Pindaiyono")
	survey(third, "6408014101850103", "Yanto Pindaiyono", person(shared, sharedName))
	survey(second, head2, name2, person(shared, sharedName))
	eventually(t, 30*time.Second, func() bool {
		var c household.Case
		s.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+third, p.supervisor, nil, &c)
		return len(c.Duplicates) == 1
	})
	act(p.supervisor, second, "/duplicate-resolution", map[string]any{"id": "dup-1", "decision": "split", "keep": "other"})

	// A village's proposal of a household the list missed, accepted: its
	// own workflow opens the case.
	pkk, phead, pname := "6408010101250010", "6408014101850110", "Sri Pindaiwulan"
	secrets = append(secrets, pkk, phead, pname)
	var pr casework.ProposalView
	s.must(t, http.StatusCreated, http.MethodPost, "/v1/proposals", p.village, map[string]any{"kk": pkk, "headNik": phead, "headName": pname,
		"villageCode": "64.08.01.2001", "address": "RT 09, Senyiur", "musdesDate": today, "musdesMinutes": "11/MUSDES/2026",
		"notes": "Ibu " + pname + " (NIK " + phead + ") belum terdata"}, &pr)
	s.must(t, http.StatusOK, http.MethodPost, "/v1/proposals/"+pr.ID+"/screening", p.supervisor, map[string]any{"decision": "accept"}, &pr)
	if pr.CaseID == "" {
		t.Fatalf("the accepted proposal opened no case: %+v", pr)
	}

	// A list import, one row in ten spoiled.
	text, _ := synth.CSV(synth.New(7, 10), 10, 10)
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		secrets = append(secrets, r[0], r[1], r[2]) // KK, head's NIK, head's name
	}
	if st := s.waitImport(t, p.admin, s.upload(t, p.admin, text).ID); st.Import.Status != listimport.Done || st.Import.Opened != 9 {
		t.Fatalf("import: %+v", st.Import)
	}

	// A case that fails: started with an input from before the baseline,
	// as a client from before it would. Its failure is sealed; opened with
	// the codec it says why.
	failedKK := "6408010101250009"
	secrets = append(secrets, failedKK, "6408014101850109", "Joko Pindaigagal")
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(s.Pseudonyms, failedKK), TaskQueue: workflows.TaskQueue},
		workflows.Case, workflows.CaseInput{Open: household.OpenInput{KK: failedKK, HeadNIK: "6408014101850109", HeadName: "Joko Pindaigagal", VillageCode: "64.08.01.2001"}})
	if err != nil {
		t.Fatal(err)
	}
	var app *temporal.ApplicationError
	if err := run.Get(ctx, nil); !errors.As(err, &app) || app.Type() != workflows.ErrTypeBeforeBaseline || !strings.Contains(err.Error(), "before workflow baseline") {
		t.Fatalf("the pre-baseline case ended with %v", err)
	}

	// What an operator sees without the codec.
	raw, err := client.Dial(client.Options{HostPort: s.Stack.TemporalAddress, Namespace: s.Stack.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var seen bytes.Buffer
	runs, sdkFailures := 0, 0
	var token []byte
	for {
		list, err := raw.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range list.GetExecutions() {
			b, _ := proto.Marshal(ex)
			seen.Write(b)
			seen.WriteString(ex.GetExecution().GetWorkflowId())
			runs++
			it := raw.GetWorkflowHistory(ctx, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := proto.Marshal(e)
				seen.Write(b)
				err = proxy.VisitFailures(ctx, e, proxy.VisitFailuresOptions{Visitor: func(_ *proxy.VisitFailuresContext, f *failurepb.Failure) error {
					if f.GetSource() != "GoSDK" {
						return nil // the server's own (a timeout, a termination)
					}
					sdkFailures++
					if f.GetMessage() != encodedFailure || f.GetEncodedAttributes() == nil || f.GetStackTrace() != "" {
						t.Errorf("%s: a failure in the clear: %q", ex.GetExecution().GetWorkflowId(), f.GetMessage())
					}
					return nil
				}})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if token = list.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	if runs < 14 || sdkFailures == 0 {
		t.Fatalf("read %d runs and %d failures; the test did not see what it made", runs, sdkFailures)
	}
	serverLog, err := os.ReadFile(filepath.Join(dir, "temporal.log"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	sources := map[string][]byte{"Temporal (IDs, search attributes, histories)": seen.Bytes(), "the API's and worker's log": []byte(logs.String()), "the Temporal server's log": serverLog}
	if len([]byte(logs.String())) == 0 {
		t.Fatal("the system logged nothing; the log was not captured")
	}
	for what, b := range sources {
		for _, secret := range secrets {
			if i := bytes.Index(b, []byte(secret)); i >= 0 {
				t.Errorf("%s holds %q: …%s…", what, secret, b[max(0, i-150):min(len(b), i+250)])
			}
		}
	}
	t.Logf("figures: scanned %d workflow runs (%d failures written by the SDK), %d bytes of Temporal's, %d of the API's and worker's log, %d of the server's, for %d KKs, NIKs and names",
		runs, sdkFailures, seen.Len(), len([]byte(logs.String())), len(serverLog), len(secrets))
}
