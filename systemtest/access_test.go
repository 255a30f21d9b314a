package systemtest

import (
	enumspb "go.temporal.io/api/enums/v1"

	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/workflows"
)

// TestAccessMatrix sends every route as every role, from inside and from
// outside the case's region, and checks the exact status of each cell. The
// case sits in collecting with an open regency escalation, so an allowed
// caller's action is answered by the workflow's own rules (409 or 422)
// without moving the case.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	kk := nextKK()
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(kk, "64.08.01.2001"), &c)
	var esc struct {
		EscalationID string `json:"escalationId"`
	}
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+c.ID+"/escalations", p.supervisor, map[string]any{"level": "regency", "reason": "matrix"}, &esc)

	// The living list's items in the case's village: a proposal, and an
	// objection against the case on its posted list.
	const village = "64.08.01.2001"
	proposalBody := func() any {
		n := livingSeq.Add(1)
		return map[string]any{"kk": fmt.Sprintf("640801010122%04d", n), "headNik": fmt.Sprintf("640801410186%04d", n), "headName": "Wati",
			"villageCode": village, "address": "RT 01", "musdesDate": region.Today(village, time.Now()), "musdesMinutes": "1/M"}
	}
	var prop casework.ProposalView
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/proposals", p.village, proposalBody(), &prop)
	postList(t, sys, p.supervisor, village)
	var ob casework.ObjectionView
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+c.ID+"/objections", p.village, map[string]any{"relation": "neighbour", "reason": "moved"}, &ob)
	until := time.Now().In(region.Zone(village)).AddDate(0, 0, 14).Format(time.DateOnly)

	const (
		cw  = household.RoleCaseworker
		vo  = household.RoleVillageOfficer
		ver = household.RoleVerifier
		sup = household.RoleSupervisor
		ag  = household.RoleAgency
		pr  = household.RoleProvince
	)
	all := []household.Role{cw, vo, ver, sup, ag, pr}
	id := "/v1/cases/" + c.ID
	routes := []struct {
		method, path string
		body         func() any
		roles        []household.Role // besides admin
		caseScoped   bool             // outside the region: 404
		okStatus     int              // an allowed caller inside the region
		outStatus    int              // an allowed caller outside, when not case-scoped
	}{
		{"POST", "/v1/cases", func() any { return openBody(nextKK(), "64.08.01.2001") }, []household.Role{cw}, false, 201, 422},
		{"GET", "/v1/cases", nil, all, false, 200, 200},
		{"GET", id, nil, all, true, 200, 0},
		{"GET", id + "/timeline", nil, all, true, 200, 0},
		{"GET", id + "/reads", nil, nil, true, 200, 0},
		{"POST", id + "/survey", func() any { return map[string]any{"survey": map[string]any{"members": []any{}}} }, []household.Role{cw}, true, 422, 0},
		{"POST", id + "/village-confirmation", func() any {
			return map[string]any{"decision": "confirmed", "musdesDate": "2026-01-05", "musdesMinutes": "1/M"}
		}, []household.Role{vo}, true, 409, 0},
		{"POST", id + "/verification", func() any { return map[string]any{"outcome": "poor"} }, []household.Role{ver}, true, 409, 0},
		{"POST", id + "/graduation", func() any { return map[string]any{"notes": "n"} }, []household.Role{ver}, true, 409, 0},
		{"POST", id + "/interventions", func() any {
			return map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}}
		}, []household.Role{sup}, true, 409, 0},
		{"POST", id + "/interventions/iv-1/status", func() any { return map[string]any{"status": "acknowledged"} }, []household.Role{ag}, true, 409, 0},
		{"POST", id + "/follow-ups", func() any { return map[string]any{"visitDate": "2026-01-05", "monthlyExpenditure": 1} }, []household.Role{cw}, true, 409, 0},
		{"POST", id + "/escalations", func() any { return map[string]any{"level": "nation", "reason": "r"} }, []household.Role{sup, pr}, true, 422, 0},
		{"POST", id + "/escalations/" + esc.EscalationID + "/resolution", func() any { return map[string]any{"resolution": ""} }, []household.Role{pr, sup}, true, 422, 0},
		{"POST", id + "/close", func() any { return map[string]any{"reason": "bored"} }, []household.Role{sup}, true, 422, 0},
		// Transfers: a kecamatan is no village; nothing is pending to answer
		// or cancel (TestTransferAccessMatrix has a move pending and done).
		{"POST", id + "/transfers", func() any { return map[string]any{"toVillage": "64.08.03", "address": "RT 1", "reason": "r"} }, []household.Role{sup}, true, 422, 0},
		{"POST", id + "/transfers/tr-1/answer", func() any { return map[string]any{"decision": "accepted"} }, []household.Role{sup}, true, 409, 0},
		{"POST", id + "/transfers/tr-1/cancel", func() any { return map[string]any{} }, []household.Role{sup}, true, 409, 0},
		{"GET", "/v1/dashboard", nil, []household.Role{sup, pr}, false, 200, 200},
		{"GET", "/v1/reports/province", nil, []household.Role{pr}, false, 200, 200},
		// A report of a region outside the caller's, and a village's list
		// outside it, are refused by name (422).
		{"GET", "/v1/reports/quarterly?region=64.08", nil, []household.Role{sup, pr}, false, 200, 422},
		{"GET", "/v1/reports/quarterly?region=64.08.01", nil, []household.Role{sup, pr}, false, 200, 422},
		{"GET", "/v1/reports/bnba?village=64.08.01.2001", nil, []household.Role{cw, vo, sup}, false, 200, 422},
		{"GET", "/v1/reports/bnba?village=64.08.01.2001&format=csv", nil, []household.Role{cw, vo, sup}, false, 200, 422},
		{"GET", "/v1/regions?parent=64.08", nil, all, false, 200, 200},
		// Imports are admin's alone; a JSON body is not a household list.
		{"POST", "/v1/imports", func() any { return map[string]any{"rows": 1} }, nil, false, 415, 0},
		{"GET", "/v1/imports/imp-none", nil, nil, false, 404, 0},
		// The living list: proposals and objections are read by whoever
		// proposes, records, screens, answers or verifies in the region;
		// a village's list is posted and printed for its village.
		{"POST", "/v1/proposals", proposalBody, []household.Role{vo}, false, 201, 422},
		{"GET", "/v1/proposals", nil, []household.Role{cw, vo, ver, sup, pr}, false, 200, 200},
		{"GET", "/v1/proposals/" + prop.ID, nil, []household.Role{cw, vo, ver, sup, pr}, true, 200, 0},
		{"POST", "/v1/proposals/" + prop.ID + "/screening", func() any { return map[string]any{"decision": "maybe"} }, []household.Role{sup}, true, 422, 0},
		{"POST", id + "/objections", func() any { return map[string]any{"relation": "enemy", "reason": "moved"} }, []household.Role{vo, cw}, true, 422, 0},
		{"GET", "/v1/objections", nil, []household.Role{cw, vo, ver, sup, pr}, false, 200, 200},
		{"GET", "/v1/objections/" + ob.ID, nil, []household.Role{cw, vo, ver, sup, pr}, true, 200, 0},
		{"POST", "/v1/objections/" + ob.ID + "/answer", func() any { return map[string]any{"decision": "maybe", "note": "x"} }, []household.Role{sup}, true, 422, 0},
		{"POST", "/v1/villages/" + village + "/publication", func() any { return map[string]any{"until": until} }, []household.Role{vo, sup}, false, 201, 422},
		{"GET", "/v1/villages/" + village + "/posted-list", nil, []household.Role{vo, cw, sup}, false, 200, 422},
	}
	callers := []struct {
		role   household.Role
		inside bool
		token  string
	}{
		{cw, true, p.cw}, {cw, false, sys.token(t, cw, "64.08.03", "")},
		{vo, true, p.village}, {vo, false, sys.token(t, vo, "64.08.01.2002", "")},
		{ver, true, p.verifier}, {ver, false, sys.token(t, ver, "64.01", "")},
		{sup, true, p.supervisor}, {sup, false, sys.token(t, sup, "64.01", "")},
		{ag, true, p.dinsos}, {ag, false, sys.token(t, ag, "64.01", household.AgencyDinsos)},
		// The registry holds one province, so province and admin are
		// always inside.
		{pr, true, p.province},
		{household.RoleAdmin, true, p.admin},
	}
	forged := p.admin[:len(p.admin)-4] + "AAAA"
	for _, rt := range routes {
		body := func() any {
			if rt.body == nil {
				return nil
			}
			return rt.body()
		}
		name := rt.method + " " + strings.NewReplacer(c.ID, "{id}", prop.ID, "{pid}", ob.ID, "{oid}").Replace(rt.path)
		for _, bad := range []struct{ label, token string }{{"no token", ""}, {"forged token", forged}} {
			t.Run(name+"/"+bad.label, func(t *testing.T) {
				if got, raw := sys.call(t, rt.method, rt.path, bad.token, body(), nil); got != http.StatusUnauthorized {
					t.Fatalf("= %d, want 401: %s", got, raw)
				}
			})
		}
		for _, cl := range callers {
			want := rt.okStatus
			switch {
			case cl.role != household.RoleAdmin && !household.OneOf(cl.role, rt.roles):
				want = http.StatusForbidden
			case !cl.inside && rt.caseScoped:
				want = http.StatusNotFound
			case cl.role == ag && rt.caseScoped:
				// The case holds no intervention of the agency's: to it
				// the case does not exist.
				want = http.StatusNotFound
			case !cl.inside:
				want = rt.outStatus
			}
			where := map[bool]string{true: "inside", false: "outside"}[cl.inside]
			t.Run(fmt.Sprintf("%s/%s/%s", name, cl.role, where), func(t *testing.T) {
				got, raw := sys.call(t, rt.method, rt.path, cl.token, body(), nil)
				if got != want {
					t.Fatalf("= %d, want %d: %s", got, want, raw)
				}
				if got >= 400 && !strings.Contains(string(raw), `"status":`) {
					t.Fatalf("error is not a problem document: %s", raw)
				}
			})
		}
	}

	// The case did not move, and an outsider's list does not show it.
	var after household.Case
	sys.must(t, http.StatusOK, http.MethodGet, id, p.admin, nil, &after)
	if after.Stage != household.StageCollecting || after.Status != household.StatusOpen {
		t.Fatalf("the matrix moved the case to %s/%s", after.Stage, after.Status)
	}
	var list struct {
		Items []household.Case `json:"items"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases?limit=200", sys.token(t, cw, "64.08.03", ""), nil, &list)
	for _, it := range list.Items {
		if it.ID == c.ID {
			t.Fatal("a caseworker of another kecamatan lists the case")
		}
	}
}

func TestListsMaskNIKsAndFullReadsAreRecorded(t *testing.T) {
	p := tokens(t, sys)
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(nextKK(), "64.08.01.2001"), &c)
	var list struct {
		Items []household.Case `json:"items"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases?village=64.08.01.2001&limit=200", p.supervisor, nil, &list)
	found := false
	for _, it := range list.Items {
		if it.ID == c.ID {
			found = true
			if it.HeadNIK != "640801********01" {
				t.Fatalf("supervisor's list shows NIK %s", it.HeadNIK)
			}
		}
	}
	if !found {
		t.Fatal("the case is missing from the supervisor's list")
	}
	before, err := sys.Store.Reads(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var full household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+c.ID, p.verifier, nil, &full)
	if full.HeadNIK != "6408014101850001" {
		t.Fatalf("the verifier's full read shows NIK %s", full.HeadNIK)
	}
	after, _ := sys.Store.Reads(context.Background(), c.ID)
	if after != before+1 {
		t.Fatalf("reads recorded %d → %d, want one more", before, after)
	}
}

func TestListPagesAreStableAndFiltersApply(t *testing.T) {
	p := tokens(t, sys)
	// Three cases in a village no other test uses.
	village := "64.08.01.2003"
	cwTok := p.cw
	for range 3 {
		sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", cwTok, openBody(nextKK(), village), nil)
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		var page struct {
			Items      []household.Case `json:"items"`
			NextCursor string           `json:"nextCursor"`
		}
		sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases?village="+village+"&stage=collecting&limit=2&cursor="+cursor, p.supervisor, nil, &page)
		pages++
		for _, it := range page.Items {
			if seen[it.ID] || it.VillageCode != village {
				t.Fatalf("page %d repeats or strays: %s in %s", pages, it.ID, it.VillageCode)
			}
			seen[it.ID] = true
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 3 || pages != 2 {
		t.Fatalf("%d cases over %d pages, want 3 over 2", len(seen), pages)
	}
	for _, q := range []string{"limit=0", "limit=201", "stage=done", "escalated=yes", "district=64.01.01", "cursor=garbage"} {
		if got, raw := sys.call(t, http.MethodGet, "/v1/cases?"+q, p.supervisor, nil, nil); got != http.StatusUnprocessableEntity {
			t.Errorf("?%s = %d, want 422: %s", q, got, raw)
		}
	}
}

func TestAgencySeesOnlyCasesHoldingItsInterventions(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	baznas := sys.token(t, household.RoleAgency, "64.08", household.AgencyBaznas)
	l := openCase(t, p, nextKK())
	l.toVerification(600_000)
	l.do(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	id := "/v1/cases/" + l.id
	if got, _ := sys.call(t, http.MethodGet, id, p.dinsos, nil, nil); got != http.StatusNotFound {
		t.Fatalf("dinsos reads a case before any assignment: %d, want 404", got)
	}
	l.do(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}})

	listed := func(token string) bool {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases?stage=intervention&limit=200", token, nil, &page)
		for _, it := range page.Items {
			if it.ID == l.id {
				return true
			}
		}
		return false
	}
	sys.must(t, http.StatusOK, http.MethodGet, id, p.dinsos, nil, nil)
	sys.must(t, http.StatusOK, http.MethodGet, id+"/timeline", p.dinsos, nil, nil)
	if !listed(p.dinsos) {
		t.Error("dinsos does not list the case that holds its intervention")
	}
	for _, path := range []string{id, id + "/timeline"} {
		if got, raw := sys.call(t, http.MethodGet, path, baznas, nil, nil); got != http.StatusNotFound {
			t.Errorf("baznas GET %s = %d, want 404: %s", path, got, raw)
		}
	}
	if got, _ := sys.call(t, http.MethodPost, id+"/interventions/iv-1/status", baznas, map[string]any{"status": "acknowledged"}, nil); got != http.StatusNotFound {
		t.Errorf("baznas moves dinsos's intervention: %d, want 404", got)
	}
	if listed(baznas) {
		t.Error("baznas lists a case without any intervention of its own")
	}
}

// TestMaskedViewsRevealNoBirthDateOrFullNumbers: digits 7–12 of a NIK are
// the birth date (+40 on the day for women), so a masked view that showed
// the birth date would give the NIK back.
func TestMaskedViewsRevealNoBirthDateOrFullNumbers(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	kk := nextKK()
	l := openCase(t, p, kk)
	l.do(p.cw, "/survey", surveyBody(600_000))
	secrets := []string{"1985-01-01", "2010-03-02", "6408014101850001", "6408010203100002", kk}
	for _, who := range []struct{ role, token string }{{"supervisor", p.supervisor}, {"province", p.province}} {
		raw := sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id, who.token, nil, nil)
		for _, s := range secrets {
			if strings.Contains(string(raw), s) {
				t.Errorf("%s's read of the case shows %s", who.role, s)
			}
		}
		var c struct {
			KK     string `json:"kk"`
			Survey struct {
				Members []struct {
					NIK string `json:"nik"`
					Age int    `json:"age"`
				} `json:"members"`
			} `json:"survey"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.KK != kk[:6]+"********"+kk[14:] || len(c.Survey.Members) != 2 || c.Survey.Members[0].Age < 40 || c.Survey.Members[0].NIK != "640801********01" {
			t.Errorf("%s's masked view: %+v", who.role, c)
		}
		list := sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases?village=64.08.01.2001&limit=200", who.token, nil, nil)
		if strings.Contains(string(list), kk) || strings.Contains(string(list), "6408014101850001") {
			t.Errorf("%s's list shows a full KK or NIK", who.role)
		}
	}
	raw := sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id, p.verifier, nil, nil)
	if !strings.Contains(string(raw), "1985-01-01") || !strings.Contains(string(raw), kk) {
		t.Error("the verifier, who establishes identity, does not see the birth date and KK")
	}
}

// TestEveryReadOfAHouseholdIsOnItsRecord: full reads, timelines and list
// pages that showed the household, each with who, when and through which
// route; only the admin reads the record.
func TestEveryReadOfAHouseholdIsOnItsRecord(t *testing.T) {
	p := tokens(t, sys)
	l := openCase(t, p, nextKK())
	id := "/v1/cases/" + l.id
	sys.must(t, http.StatusOK, http.MethodGet, id, p.verifier, nil, nil)
	sys.must(t, http.StatusOK, http.MethodGet, id+"/timeline", p.supervisor, nil, nil)
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases?village=64.08.01.2001&limit=5", p.province, nil, nil)
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/reports/province?format=csv", p.province, nil, nil)

	var rec struct {
		Reads []struct {
			Sub, Role, Route, Filter string
			Rows                     int
		} `json:"reads"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, id+"/reads", p.admin, nil, &rec)
	want := map[string]bool{
		"verifier GET /v1/cases/:id":            false,
		"supervisor GET /v1/cases/:id/timeline": false,
		"province GET /v1/cases":                false,
	}
	for _, r := range rec.Reads {
		k := r.Role + " " + r.Route
		if _, ok := want[k]; ok {
			want[k] = true
		}
		if r.Route == "GET /v1/cases" && (r.Filter != "village=64.08.01.2001&limit=5" || r.Rows == 0) {
			t.Errorf("the list page is recorded with filter %q and %d rows", r.Filter, r.Rows)
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("the record lacks %s: %+v", k, rec.Reads)
		}
	}
	if got, _ := sys.call(t, http.MethodGet, id+"/reads", p.supervisor, nil, nil); got != http.StatusForbidden {
		t.Errorf("a supervisor reads the record of reads: %d", got)
	}
}

func TestADuplicateOpenFromAnotherKecamatanLearnsNothingOfTheCase(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	kk := nextKK()
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(kk, "64.08.01.2001"), &c)
	other := sys.token(t, household.RoleCaseworker, "64.08.03", "")
	got, raw := sys.call(t, http.MethodPost, "/v1/cases", other, openBody(kk, "64.08.03.2001"), nil)
	if got != http.StatusConflict || strings.Contains(string(raw), c.ID) || strings.Contains(string(raw), kk) || strings.Contains(string(raw), "caseId") {
		t.Fatalf("duplicate open from another kecamatan: %d %s", got, raw)
	}
	got, raw = sys.call(t, http.MethodPost, "/v1/cases", p.cw, openBody(kk, "64.08.01.2001"), nil)
	if got != http.StatusConflict || !strings.Contains(string(raw), c.ID) {
		t.Fatalf("duplicate open from the case's own kecamatan does not name it: %d %s", got, raw)
	}
}

// TestRepeatedOpensOfAFamilyCardLeaveNoTraceOnItsCase: every open of a card
// whose case is open is refused by the case before it is recorded, so a
// stream of them cannot use up the run's limit of updates (2,000) and
// leave the case unable to act.
func TestRepeatedOpensOfAFamilyCardLeaveNoTraceOnItsCase(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	kk := nextKK()
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(kk, "64.08.01.2001"), &c)
	other := sys.token(t, household.RoleCaseworker, "64.08.03", "")
	for range 30 {
		if got, _ := sys.call(t, http.MethodPost, "/v1/cases", other, openBody(kk, "64.08.03.2001"), nil); got != http.StatusConflict {
			t.Fatalf("a repeated open = %d, want 409", got)
		}
	}
	accepted := 0
	it := sys.Client.GetWorkflowHistory(context.Background(), workflows.WorkflowID(sys.Pseudonyms, kk), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED {
			accepted++
		}
	}
	if accepted != 1 {
		t.Fatalf("%d updates accepted on the case, want 1 (its own opening)", accepted)
	}
	// And the case still acts.
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+c.ID+"/survey", p.cw, surveyBody(600_000), nil)
}
