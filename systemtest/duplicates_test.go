package systemtest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// nikSeq hands the duplicate tests NIKs no other test uses.
var nikSeq atomic.Int64

func nextNIK() string { return fmt.Sprintf("640801410185%04d", 6000+nikSeq.Add(1)) }

// householdWith opens a case headed by head and submits its survey with
// members (a draft claims nobody).
func householdWith(t *testing.T, p people, head string, members ...string) *lifecycle {
	t.Helper()
	body := openBody(nextKK(), "64.08.01.2001")
	body["headNik"] = head
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, body, &c)
	l := &lifecycle{t: t, s: sys, p: p, id: c.ID}
	list := []map[string]any{{"nik": head, "name": "Kepala", "relation": "head", "birthDate": "1985-01-01", "sex": "F", "education": "sd", "occupation": "farmer"}}
	for _, m := range members {
		list = append(list, map[string]any{"nik": m, "name": "Anggota", "relation": "child", "birthDate": "2010-03-02", "sex": "M", "education": "sd", "occupation": "student"})
	}
	survey := surveyBody(600_000)
	survey["survey"].(map[string]any)["members"] = list
	l.do(p.cw, "/survey", survey)
	return l
}

type dupCase struct {
	Status     household.Status  `json:"status"`
	Outcome    household.Outcome `json:"outcome"`
	Duplicates []struct {
		ID          string `json:"id"`
		OtherCaseID string `json:"otherCaseId"`
		Held        bool   `json:"held"`
		Open        bool   `json:"open"`
		Decision    string `json:"decision"`
	} `json:"duplicates"`
	PendingActions []string `json:"pendingActions"`
}

func readDup(t *testing.T, token, id string) dupCase {
	t.Helper()
	var c dupCase
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+id, token, nil, &c)
	return c
}

func memberCount(t *testing.T, token, id string) int {
	t.Helper()
	var page struct {
		Items []struct {
			ID          string `json:"id"`
			MemberCount int    `json:"memberCount"`
		} `json:"items"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases?village=64.08.01.2001&stage=village_review&limit=200", token, nil, &page)
	for _, it := range page.Items {
		if it.ID == id {
			return it.MemberCount
		}
	}
	t.Fatalf("case %s not listed", id)
	return 0
}

// TestAPersonOnTwoFamilyCardsIsFoundOnBothAndCountedOnce: the second
// household to survey a shared member gets a possible duplicate naming the
// first, the first hears of it too, the supervisor sees both, the person
// counts once among the remaining people, and each way of resolving
// settles both cases.
func TestAPersonOnTwoFamilyCardsIsFoundOnBothAndCountedOnce(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	t.Run("a real split, the person kept by the second card", func(t *testing.T) {
		shared := nextNIK()
		a := householdWith(t, p, nextNIK(), shared)
		b := householdWith(t, p, nextNIK(), shared)
		bc := readDup(t, p.supervisor, b.id)
		if len(bc.Duplicates) != 1 || bc.Duplicates[0].OtherCaseID != a.id || bc.Duplicates[0].Held || !bc.Duplicates[0].Open {
			t.Fatalf("the second card's findings: %+v", bc.Duplicates)
		}
		eventually(t, 30*time.Second, func() bool {
			ac := readDup(t, p.supervisor, a.id)
			return len(ac.Duplicates) == 1 && ac.Duplicates[0].OtherCaseID == b.id && ac.Duplicates[0].Held
		})
		if got := readDup(t, p.supervisor, b.id).PendingActions; len(got) == 0 || got[0] != "supervisor: resolve possible duplicate dup-1" {
			t.Errorf("pending actions %v", got)
		}
		var list struct {
			Items []struct {
				Case struct {
					ID string `json:"id"`
				} `json:"case"`
				Findings []struct {
					ID string `json:"id"`
				} `json:"findings"`
			} `json:"items"`
		}
		sys.must(t, http.StatusOK, http.MethodGet, "/v1/duplicates?village=64.08.01.2001&limit=200", p.supervisor, nil, &list)
		listed := map[string]bool{}
		for _, it := range list.Items {
			listed[it.Case.ID] = len(it.Findings) > 0
		}
		if !listed[a.id] || !listed[b.id] {
			t.Errorf("GET /v1/duplicates lists %v, want both cases", listed)
		}
		// Three people on two cards: the shared one counts on the first.
		if ma, mb := memberCount(t, p.supervisor, a.id), memberCount(t, p.supervisor, b.id); ma != 2 || mb != 1 {
			t.Errorf("people counted %d and %d, want 2 and 1", ma, mb)
		}

		l := &lifecycle{t: t, s: sys, p: p, id: b.id}
		l.do(p.supervisor, "/duplicate-resolution", map[string]any{"id": "dup-1", "decision": "split", "keep": "this"})
		eventually(t, 30*time.Second, func() bool {
			ac := readDup(t, p.supervisor, a.id)
			return len(ac.Duplicates) == 1 && !ac.Duplicates[0].Open && !ac.Duplicates[0].Held
		})
		if ma, mb := memberCount(t, p.supervisor, a.id), memberCount(t, p.supervisor, b.id); ma != 1 || mb != 2 {
			t.Errorf("after the split people counted %d and %d, want 1 and 2", ma, mb)
		}
	})
	t.Run("a duplicate card, closed", func(t *testing.T) {
		shared := nextNIK()
		c := householdWith(t, p, nextNIK(), shared)
		d := householdWith(t, p, nextNIK(), shared)
		l := &lifecycle{t: t, s: sys, p: p, id: d.id}
		closed := l.do(p.supervisor, "/duplicate-resolution", map[string]any{"id": "dup-1", "decision": "duplicate"})
		if closed.Status != household.StatusClosed || closed.Outcome != household.OutcomeDuplicate {
			t.Fatalf("the duplicate card ended %s/%s", closed.Status, closed.Outcome)
		}
		eventually(t, 30*time.Second, func() bool {
			cc := readDup(t, p.supervisor, c.id)
			return len(cc.Duplicates) == 1 && !cc.Duplicates[0].Open && cc.Duplicates[0].Held && cc.Duplicates[0].Decision == "duplicate"
		})
		// The closed card let the person go: a new card claims them freely.
		e := householdWith(t, p, nextNIK(), shared)
		if got := readDup(t, p.supervisor, e.id).Duplicates; len(got) != 1 || got[0].OtherCaseID != c.id {
			t.Fatalf("a new card with the person: %+v, want one finding naming the card that kept them", got)
		}
	})
}

// TestTwentyCardsClaimingOnePersonAtOnceNameTheFirst submits twenty
// surveys sharing one member at the same moment: exactly one case holds
// the person and each of the nineteen others has one finding naming it.
func TestTwentyCardsClaimingOnePersonAtOnceNameTheFirst(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	shared := nextNIK()
	ids := make([]string, 20)
	heads := make([]string, 20)
	for i := range ids {
		heads[i] = nextNIK()
		body := openBody(nextKK(), "64.08.01.2001")
		body["headNik"] = heads[i]
		var c household.Case
		sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, body, &c)
		ids[i] = c.ID
	}
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			survey := surveyBody(600_000)
			survey["survey"].(map[string]any)["members"] = []map[string]any{
				{"nik": heads[i], "name": "Kepala", "relation": "head", "birthDate": "1985-01-01", "sex": "F", "education": "sd", "occupation": "farmer"},
				{"nik": shared, "name": "Anak", "relation": "child", "birthDate": "2010-03-02", "sex": "M", "education": "sd", "occupation": "student"},
			}
			sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+id+"/survey", p.cw, survey, nil)
		})
	}
	wg.Wait()
	var holder string
	found := 0
	for _, id := range ids {
		c := readDup(t, p.supervisor, id)
		for _, d := range c.Duplicates {
			if !d.Held {
				found++
				if holder != "" && d.OtherCaseID != holder {
					t.Fatalf("findings name two holders: %s and %s", holder, d.OtherCaseID)
				}
				holder = d.OtherCaseID
			}
		}
	}
	if found != 19 {
		t.Fatalf("%d findings against a holder, want 19", found)
	}
	eventually(t, time.Minute, func() bool { return len(readDup(t, p.supervisor, holder).Duplicates) == 19 })

	// Nothing Temporal stores in the clear (IDs, search attributes, the
	// history as the server keeps it) holds the shared NIK.
	raw, err := client.Dial(client.Options{HostPort: sys.Stack.TemporalAddress, Namespace: sys.Stack.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ctx := context.Background()
	var snap household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+holder, p.admin, nil, &snap)
	it := raw.GetWorkflowHistory(ctx, workflows.WorkflowID(sys.Pseudonyms, snap.KK), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var history bytes.Buffer
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := proto.Marshal(e)
		history.Write(b)
	}
	if bytes.Contains(history.Bytes(), []byte(shared)) {
		t.Error("the holder's history holds the shared NIK in plain text")
	}
	var token []byte
	for {
		list, err := raw.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range list.GetExecutions() {
			b, _ := proto.Marshal(ex)
			if bytes.Contains(b, []byte(shared)) {
				t.Errorf("workflow %s carries the shared NIK in its ID or search attributes", ex.GetExecution().GetWorkflowId())
			}
		}
		if token = list.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
}

// TestAFindingDoesNotNameACaseOutsideTheReadersRegion: a person on a card
// in Muara Ancalong and one in Muara Bengkal; the finding reaches the
// regency's supervisor, and the Ancalong caseworker sees neither it nor
// anything that names the Bengkal case (issue 26: a finding about a case
// elsewhere told which NIKs an open case anywhere holds).
func TestAFindingDoesNotNameACaseOutsideTheReadersRegion(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	shared := nextNIK()
	here := householdWith(t, p, nextNIK(), shared)
	bengkal := p
	bengkal.cw = sys.token(t, household.RoleCaseworker, "64.08.03", "")
	body := openBody(nextKK(), "64.08.03.2001")
	body["headNik"] = nextNIK()
	var there household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", bengkal.cw, body, &there)
	survey := surveyBody(600_000)
	survey["survey"].(map[string]any)["members"] = []map[string]any{
		{"nik": body["headNik"], "name": "Kepala", "relation": "head", "birthDate": "1985-01-01", "sex": "F", "education": "sd", "occupation": "farmer"},
		{"nik": shared, "name": "Anak", "relation": "child", "birthDate": "2010-03-02", "sex": "M", "education": "sd", "occupation": "student"},
	}
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+there.ID+"/survey", bengkal.cw, survey, nil)
	eventually(t, 30*time.Second, func() bool { return len(readDup(t, p.supervisor, here.id).Duplicates) == 1 })
	for _, path := range []string{"/v1/cases/" + here.id, "/v1/cases/" + here.id + "/timeline"} {
		raw := sys.must(t, http.StatusOK, http.MethodGet, path, p.cw, nil, nil)
		if bytes.Contains(raw, []byte(there.ID)) || bytes.Contains(raw, []byte("dup-1")) {
			t.Errorf("GET %s tells the caseworker of a case in another kecamatan: %s", path, raw)
		}
	}
	// The supervisor of the regency reads both, and is told which.
	if got := readDup(t, p.supervisor, here.id).Duplicates; len(got) != 1 || got[0].OtherCaseID != there.ID {
		t.Errorf("the supervisor's finding: %+v", got)
	}
}

// TestTheConsoleOffersTheSupervisorTheDuplicateResolution: the case page
// lists the finding and, for the supervisor, the form that resolves it.
func TestTheConsoleOffersTheSupervisorTheDuplicateResolution(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	shared := nextNIK()
	householdWith(t, p, nextNIK(), shared)
	b := householdWith(t, p, nextNIK(), shared)
	cw := consoleClient(t, p.cw)
	if _, page := cw.get(t, "/cases/"+b.id); !strings.Contains(page, "dup-1") || strings.Contains(page, "form-dup-dup-1") {
		t.Fatal("the caseworker's page lacks the finding, or offers the supervisor's form")
	}
	sup := consoleClient(t, p.supervisor)
	_, page := sup.get(t, "/cases/"+b.id)
	if !strings.Contains(page, `id="form-dup-dup-1"`) {
		t.Fatal("the supervisor's page does not offer the resolution")
	}
	nonce := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindStringSubmatch(page)
	form := url.Values{"csrf": {sup.csrf}, "id": {"dup-1"}, "choice": {"split-this"}}
	if nonce != nil {
		form.Set("nonce", nonce[1])
	}
	if status, body := sup.post(t, "/cases/"+b.id+"/duplicate-resolution", form); status != http.StatusSeeOther {
		t.Fatalf("resolving in the console answered %d: %s", status, mainOf(body))
	}
	if got := readDup(t, p.supervisor, b.id).Duplicates; len(got) != 1 || got[0].Open || !got[0].Held {
		t.Fatalf("after the console's split: %+v", got)
	}
}
