package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/reconcile"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// postRaw sends body as JSON and returns the status and the answer.
func postRaw(t *testing.T, path, token string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, sys.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// burst sends n copies of body at once and counts the answers by status.
func burst(t *testing.T, n int, path, token string, body []byte) map[int]int {
	t.Helper()
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		counts = map[int]int{}
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _ := postRaw(t, path, token, body)
			mu.Lock()
			counts[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return counts
}

// largestSurvey is a draft at every bound of the domain: 30 members whose
// names are 100 characters that JSON escapes to six bytes each.
func largestSurvey() map[string]any {
	body := surveyBody(600_000)
	var members []map[string]any
	for i := range household.MaxMembers {
		rel := "child"
		if i == 0 {
			rel = "head"
		}
		members = append(members, map[string]any{"nik": fmt.Sprintf("640801410185%04d", i+1), "name": strings.Repeat("<", household.MaxName),
			"relation": rel, "birthDate": "1985-01-01", "sex": "F", "education": "sd", "occupation": "farmer"})
	}
	survey := body["survey"].(map[string]any)
	survey["members"] = members
	survey["incomeSources"] = []string{strings.Repeat("&", household.MaxName)}
	survey["programs"] = []string{"pkh", "sembako", "pbi_jkn", "blt_dana_desa"}
	body["draft"] = true
	return body
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The attack of issue 26: bursts of large actions at one case overflowed
// the worker's answer to a workflow task past gRPC's limit, and the server
// ended the case for good. Bodies past the cap and inputs past the domain's
// bounds are refused before Temporal; bursts within them leave the case
// running and able to act.
func TestBurstsOfLargeActionsAtOneCaseLeaveItRunning(t *testing.T) {
	p := tokens(t, sys)
	kk := nextKK()
	l := openCase(t, p, kk)
	path := "/v1/cases/" + l.id

	// Twelve verifications with a 1,000,000-character note, out of stage:
	// each refused for its size.
	huge := mustJSON(t, map[string]any{"outcome": "extreme_poor", "notes": strings.Repeat("x", 1_000_000)})
	if got := burst(t, 12, path+"/verification", p.verifier, huge); got[http.StatusRequestEntityTooLarge] != 12 {
		t.Fatalf("1 MB notes: %v, want 12 × 413", got)
	}
	// A program list repeated within the body cap: refused by the domain,
	// naming the field.
	repeated := largestSurvey()
	repeated["survey"].(map[string]any)["programs"] = strings.Split(strings.Repeat("pkh,", 2000)+"pkh", ",")
	status, raw := postRaw(t, path+"/survey", p.cw, mustJSON(t, repeated))
	if status != http.StatusUnprocessableEntity || !bytes.Contains(raw, []byte(`"programs"`)) {
		t.Fatalf("2,001 programs: %d %s", status, raw)
	}
	twice := surveyBody(600_000)
	twice["survey"].(map[string]any)["programs"] = []string{"pkh", "pkh"}
	status, raw = postRaw(t, path+"/survey", p.cw, mustJSON(t, twice))
	if status != http.StatusUnprocessableEntity || !bytes.Contains(raw, []byte(`programs[1]`)) {
		t.Fatalf("a program listed twice: %d %s", status, raw)
	}

	// The burst at the bounds: forty drafts of the largest survey and sixty
	// out-of-stage verifications with the longest note, all at once.
	note := mustJSON(t, map[string]any{"outcome": "extreme_poor", "notes": strings.Repeat("<", household.MaxNote)})
	draft := mustJSON(t, largestSurvey())
	var (
		wg             sync.WaitGroup
		drafts, checks map[int]int
	)
	wg.Add(2)
	go func() { defer wg.Done(); drafts = burst(t, 40, path+"/survey", p.cw, draft) }()
	go func() { defer wg.Done(); checks = burst(t, 60, path+"/verification", p.verifier, note) }()
	wg.Wait()
	if drafts[http.StatusOK] != 40 || checks[http.StatusConflict] != 60 {
		t.Fatalf("burst: drafts %v, verifications %v; want 40 × 200 and 60 × 409", drafts, checks)
	}

	// The case still runs and takes the next action.
	d, err := sys.Client.DescribeWorkflowExecution(context.Background(), workflows.WorkflowID(sys.Pseudonyms, kk), "")
	if err != nil || d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("after the burst the workflow is %v (%v)", d.GetWorkflowExecutionInfo().GetStatus(), err)
	}
	l.do(p.cw, "/survey", surveyBody(600_000))
}

// A case whose workflow ends abnormally all the same (here terminated by
// an operator) is found by reconcile, shown as halted, refuses actions in
// words, and its family card is not opened a second time.
func TestACaseWhoseWorkflowEndedAbnormallyIsHaltedNotOpenForever(t *testing.T) {
	ctx := context.Background()
	p := tokens(t, sys)
	kk := nextKK()
	l := openCase(t, p, kk)
	if err := sys.Client.TerminateWorkflow(ctx, workflows.WorkflowID(sys.Pseudonyms, kk), "", "test: as GrpcMessageTooLarge did"); err != nil {
		t.Fatal(err)
	}

	// Before reconcile: the family card is not opened again.
	status, raw := postRaw(t, "/v1/cases", p.cw, mustJSON(t, openBody(kk, "64.08.01.2001")))
	if status != http.StatusConflict || !bytes.Contains(raw, []byte(l.id)) || !bytes.Contains(raw, []byte("ended abnormally")) {
		t.Fatalf("reopening the card of a terminated case: %d %s", status, raw)
	}
	// Out of region, the case is not named.
	other := sys.token(t, household.RoleCaseworker, "64.08.03", "")
	body := openBody(kk, "64.08.03.2001")
	status, raw = postRaw(t, "/v1/cases", other, mustJSON(t, body))
	if status != http.StatusConflict || bytes.Contains(raw, []byte(l.id)) {
		t.Fatalf("reopening from another kecamatan: %d %s", status, raw)
	}

	r, err := reconcile.Run(ctx, sys.Client, sys.Store)
	if err != nil || r.Halted < 1 {
		t.Fatalf("reconcile: %+v %v, want the terminated case found", r, err)
	}
	var c household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id, p.cw, nil, &c)
	if c.Status != household.StatusHalted {
		t.Fatalf("after reconcile the case is %s, want halted", c.Status)
	}
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases?status=halted&limit=200", p.supervisor, nil, &list)
	found := false
	for _, it := range list.Items {
		found = found || it.ID == l.id
	}
	if !found {
		t.Fatalf("the halted case is not listed by status=halted: %+v", list.Items)
	}
	status, raw = postRaw(t, "/v1/cases/"+l.id+"/survey", p.cw, mustJSON(t, surveyBody(600_000)))
	if status != http.StatusConflict || !bytes.Contains(raw, []byte("ended abnormally")) {
		t.Fatalf("an action on the halted case: %d %s", status, raw)
	}
	// A second reconcile marks nothing again.
	if r, err := reconcile.Run(ctx, sys.Client, sys.Store); err != nil || r.Halted != 0 {
		t.Fatalf("second reconcile: %+v %v", r, err)
	}
}

// The URI `tuntas-dev dev` prints names the database as its path, so that a
// client pasting it (mongosh, a driver) uses Tuntas's database.
func TestThePrintedMongoDBURINamesTheDatabaseAClientUses(t *testing.T) {
	t.Parallel()
	uri := devsystem.DatabaseURI(sys.Stack.MongoURI, devsystem.Database)
	cs, err := connstring.ParseAndValidate(uri)
	if err != nil || cs.Database != devsystem.Database || !strings.Contains(uri, "/"+devsystem.Database+"?") {
		t.Fatalf("%s: database %q (%v)", uri, cs.Database, err)
	}
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(context.Background())
	p := tokens(t, sys)
	l := openCase(t, p, nextKK())
	var doc bson.M
	if err := c.Database(cs.Database).Collection(store.Cases).FindOne(context.Background(), bson.D{{Key: "_id", Value: l.id}}).Decode(&doc); err != nil {
		t.Fatalf("the case %s through %s: %v", l.id, uri, err)
	}
}
