package systemtest

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// Households move (pindah domisili, docs/transfer.md) from Muara Ancalong
// (64.08.01) to Muara Bengkal (64.08.03), both in Kutai Timur, or to Batu
// Sopang in Paser (64.01), another regency. Each test acts on and reads
// its own cases only: imports beside it spread households over every
// kecamatan of Kutai Timur.
var moves = struct{ kelinjauUlu, bengkalUlu, senambah, samurangau string }{
	kelinjauUlu: "64.08.01.2003", // Muara Ancalong
	bengkalUlu:  "64.08.03.2004", // Muara Bengkal
	senambah:    "64.08.03.2001", // Muara Bengkal
	samurangau:  "64.01.01.2009", // Batu Sopang, Paser
}

func transferBody(village string) map[string]any {
	return map[string]any{"toVillage": village, "address": "RT 05, dekat masjid", "reason": "pindah ke rumah orang tua"}
}

// listsCase reports whether a list answers the case.
func listsCase(t *testing.T, s *testSystem, query, token, id string) bool {
	t.Helper()
	var list struct {
		Items []household.Case `json:"items"`
	}
	s.must(t, http.StatusOK, http.MethodGet, "/v1/cases?"+query, token, nil, &list)
	return slices.ContainsFunc(list.Items, func(it household.Case) bool { return it.ID == id })
}

// TestTransferAccessMatrix: a household of Muara Ancalong moves to Paser.
// While the move is pending, the sender may cancel but not answer, Paser's
// supervisor reads the case and answers but may do nothing else to it,
// Paser's caseworker and another regency's supervisor see nothing, and the
// old region's people who would lose the case are held back. Once Paser
// accepts, Kutai Timur's people are outside the case and Paser's act on
// it.
func TestTransferAccessMatrix(t *testing.T) {
	t.Parallel()
	var (
		oldCW   = sys.token(t, household.RoleCaseworker, "64.08.01", "")
		oldVer  = sys.token(t, household.RoleVerifier, "64.08", "")
		oldSup  = sys.token(t, household.RoleSupervisor, "64.08", "")
		newCW   = sys.token(t, household.RoleCaseworker, "64.01.01", "")
		newSup  = sys.token(t, household.RoleSupervisor, "64.01", "")
		newVer  = sys.token(t, household.RoleVerifier, "64.01", "")
		farSup  = sys.token(t, household.RoleSupervisor, "64.02", "")
		village = sys.token(t, household.RoleVillageOfficer, moves.kelinjauUlu, "")
		admin   = sys.token(t, household.RoleAdmin, "64", "")
	)
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", oldCW, openBody(nextKK(), moves.kelinjauUlu), &c)
	id := "/v1/cases/" + c.ID
	sys.must(t, http.StatusOK, http.MethodPost, id+"/survey", oldCW, surveyBody(600_000), nil)
	sys.must(t, http.StatusOK, http.MethodPost, id+"/village-confirmation", village,
		map[string]any{"decision": "confirmed", "musdesDate": today, "musdesMinutes": "3/MUSDES/2026"}, nil)

	type cell struct {
		who    string
		token  string
		method string
		path   string
		body   any
		want   int
	}
	run := func(phase string, cells []cell) {
		t.Helper()
		for _, cl := range cells {
			t.Run(phase+"/"+cl.who+" "+cl.method+" "+strings.Replace(cl.path, c.ID, "{id}", 1), func(t *testing.T) {
				got, raw := sys.call(t, cl.method, cl.path, cl.token, cl.body, nil)
				if got != cl.want {
					t.Fatalf("= %d, want %d: %s", got, cl.want, raw)
				}
			})
		}
	}
	answer := map[string]any{"decision": "accepted"}
	run("before", []cell{
		{"another regency's supervisor", farSup, "POST", id + "/transfers", transferBody(moves.samurangau), 404},
		{"the caseworker", oldCW, "POST", id + "/transfers", transferBody(moves.samurangau), 403},
		{"the receiving supervisor", newSup, "GET", id, nil, 404},
	})
	sys.must(t, http.StatusOK, http.MethodPost, id+"/transfers", oldSup, transferBody(moves.samurangau), nil)
	run("pending", []cell{
		{"the receiving supervisor", newSup, "GET", id, nil, 200},
		{"the receiving supervisor", newSup, "GET", id + "/timeline", nil, 200},
		{"the receiving supervisor", newSup, "POST", id + "/transfers/tr-1/cancel", map[string]any{}, 403},
		{"the receiving supervisor", newSup, "POST", id + "/close", map[string]any{"reason": "moved"}, 403},
		{"the receiving supervisor", newSup, "POST", id + "/transfers/tr-1/answer", map[string]any{"decision": "refused"}, 422},
		{"the receiving caseworker", newCW, "GET", id, nil, 404},
		{"the receiving caseworker", newCW, "POST", id + "/transfers/tr-1/answer", answer, 403},
		{"the receiving verifier", newVer, "GET", id, nil, 404},
		{"another regency's supervisor", farSup, "GET", id, nil, 404},
		{"another regency's supervisor", farSup, "POST", id + "/transfers/tr-1/answer", answer, 404},
		{"the sending supervisor", oldSup, "POST", id + "/transfers/tr-1/answer", answer, 403},
		{"the sending supervisor", oldSup, "POST", id + "/transfers", transferBody(moves.bengkalUlu), 409},
		{"the sending supervisor", oldSup, "POST", id + "/close", map[string]any{"reason": "moved"}, 409},
		{"the old verifier", oldVer, "POST", id + "/verification", map[string]any{"outcome": "extreme_poor"}, 409},
		{"the old caseworker", oldCW, "GET", id, nil, 200},
	})
	if !listsCase(t, sys, "transfer=incoming&limit=200", newSup, c.ID) || listsCase(t, sys, "transfer=incoming&limit=200", newCW, c.ID) ||
		listsCase(t, sys, "limit=200", newSup, c.ID) || !listsCase(t, sys, "transfer=outgoing&limit=200", oldSup, c.ID) {
		t.Fatal("the incoming list is not the receiving supervisor's alone, or the outgoing list lacks the case")
	}
	sys.must(t, http.StatusOK, http.MethodPost, id+"/transfers/tr-1/answer", newSup, answer, nil)
	run("moved", []cell{
		{"the old caseworker", oldCW, "GET", id, nil, 404},
		{"the old verifier", oldVer, "POST", id + "/verification", map[string]any{"outcome": "extreme_poor"}, 404},
		{"the old supervisor", oldSup, "GET", id + "/timeline", nil, 404},
		{"the old supervisor", oldSup, "POST", id + "/transfers", transferBody(moves.kelinjauUlu), 404},
		{"the old village's officer", village, "GET", id, nil, 404},
		{"the receiving supervisor", newSup, "POST", id + "/transfers/tr-1/answer", answer, 409},
		{"the new caseworker", newCW, "GET", id, nil, 200},
		{"another regency's supervisor", farSup, "GET", id, nil, 404},
	})
	var after household.Case
	sys.must(t, http.StatusOK, http.MethodPost, id+"/verification", newVer, map[string]any{"outcome": "extreme_poor"}, &after)
	if after.Stage != household.StageIntervention || after.RegencyCode != "64.01" {
		t.Fatalf("Paser's verifier moved the case to %s in %s", after.Stage, after.RegencyCode)
	}
	// The receiving supervisor's read while the move was pending is on the
	// household's record.
	var reads casework.CaseReads
	sys.must(t, http.StatusOK, http.MethodGet, id+"/reads", admin, nil, &reads)
	if !slices.ContainsFunc(reads.Reads, func(r casework.ReadView) bool {
		return r.Sub == "supervisor@64.01" && r.Route == "GET /v1/cases/:id"
	}) {
		t.Fatalf("the receiving supervisor's read is not recorded: %+v", reads.Reads)
	}
}

// TestAHouseholdMovesFromMuaraAncalongToMuaraBengkalAndGraduatesThere
// walks a household from its survey in Muara Ancalong, through a move to
// Muara Bengkal in follow-up, to graduation there. Before the move Muara
// Bengkal's caseworker is refused at every step, after it Muara Ancalong's;
// the other is accepted. The village's own program (BLT Dana Desa) ends
// with the move and is assigned again; Dinsos's PKH goes on.
func TestAHouseholdMovesFromMuaraAncalongToMuaraBengkalAndGraduatesThere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := tokens(t, sys)
	ancalong, bengkal := p.cw, sys.token(t, household.RoleCaseworker, "64.08.03", "")
	pemdes := sys.token(t, household.RoleAgency, "64.08", household.AgencyPemdes)
	kk := nextKK()
	l := openCase(t, p, kk)
	id := "/v1/cases/" + l.id
	// step reads the case as both caseworkers (the one whose region it
	// lies in may, the other may not) and then acts.
	mover := bengkal
	step := func(token, path string, body any) household.Case {
		t.Helper()
		stays, gone := ancalong, bengkal
		if mover == ancalong {
			stays, gone = bengkal, ancalong
		}
		if got, raw := sys.call(t, http.MethodGet, id, gone, nil, nil); got != http.StatusNotFound {
			t.Fatalf("the caseworker outside the case's region read it: %d %s", got, raw)
		}
		sys.must(t, http.StatusOK, http.MethodGet, id, stays, nil, nil)
		return l.do(token, path, body)
	}
	// caseworkerStep is step for a caseworker's own action: the one
	// outside is refused the action itself too.
	caseworkerStep := func(path string, body any) household.Case {
		t.Helper()
		stays := ancalong
		if mover == ancalong {
			stays = bengkal
		}
		if got, raw := sys.call(t, http.MethodPost, id+path, mover, body, nil); got != http.StatusNotFound {
			t.Fatalf("the caseworker outside the case's region acted: %d %s", got, raw)
		}
		return step(stays, path, body)
	}
	caseworkerStep("/survey", surveyBody(600_000))
	step(p.village, "/village-confirmation", map[string]any{"decision": "confirmed", "musdesDate": today, "musdesMinutes": "7/MUSDES/2026"})
	step(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	step(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}, {"program": "blt_dana_desa", "agency": "pemdes"}}})
	step(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})
	c := caseworkerStep("/follow-ups", map[string]any{"visitDate": today, "monthlyExpenditure": 700_000})
	if c.Stage != household.StageFollowUp || c.FollowUp.Visits != 1 {
		t.Fatalf("before the move: %s, %d visits", c.Stage, c.FollowUp.Visits)
	}

	// The move: asked for, held back for the caseworker who will lose the
	// case, listed as incoming to Kutai Timur's supervisors, accepted.
	c = step(p.supervisor, "/transfers", transferBody(moves.bengkalUlu))
	if tr, ok := c.PendingTransfer(); !ok || tr.ToVillage != moves.bengkalUlu || c.VillageCode != "64.08.01.2001" {
		t.Fatalf("after the request: %+v in %s", c.Transfers, c.VillageCode)
	}
	if got, raw := sys.call(t, http.MethodPost, id+"/follow-ups", ancalong, map[string]any{"visitDate": today, "monthlyExpenditure": 700_000}, nil); got != http.StatusConflict {
		t.Fatalf("the old caseworker's visit while the move is pending: %d %s", got, raw)
	}
	if !listsCase(t, sys, "transfer=incoming&limit=200", p.supervisor, l.id) {
		t.Fatal("the move is not in the supervisor's incoming list")
	}
	c = step(p.supervisor, "/transfers/tr-1/answer", map[string]any{"decision": "accepted", "reason": "dikunjungi pendamping Muara Bengkal"})
	mover = ancalong
	if c.VillageCode != moves.bengkalUlu || c.DistrictCode != "64.08.03" || c.Stage != household.StageFollowUp || c.FollowUp.Visits != 1 ||
		c.Interventions[0].Status != household.InterventionAcknowledged || c.Interventions[1].Status != household.InterventionMoved {
		t.Fatalf("after acceptance: %s %s %s, visits %d, interventions %+v", c.VillageCode, c.DistrictCode, c.Stage, c.FollowUp.Visits, c.Interventions)
	}
	desc, err := sys.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID(sys.Pseudonyms, kk), "")
	if err != nil {
		t.Fatal(err)
	}
	indexed := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	for attr, want := range map[string]string{workflows.AttrVillage.GetName(): `"` + moves.bengkalUlu + `"`, workflows.AttrDistrict.GetName(): `"64.08.03"`} {
		if got := string(indexed[attr].GetData()); got != want {
			t.Errorf("search attribute %s = %s, want %s", attr, got, want)
		}
	}
	if listsCase(t, sys, "transfer=incoming&limit=200", p.supervisor, l.id) || !listsCase(t, sys, "district=64.08.03&limit=200", bengkal, l.id) ||
		listsCase(t, sys, "limit=200", ancalong, l.id) {
		t.Fatal("after acceptance the case is not listed where it now lies, only")
	}

	// In Muara Bengkal: the village's program assigned again, a visit,
	// and graduation by the verifier's decision.
	step(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "blt_dana_desa", "agency": "pemdes"}}})
	step(pemdes, "/interventions/iv-3/status", map[string]any{"status": "acknowledged"})
	caseworkerStep("/follow-ups", map[string]any{"visitDate": today, "monthlyExpenditure": 950_000})
	c = step(p.verifier, "/graduation", map[string]any{"notes": "usaha warung di Muara Bengkal stabil"})
	if c.Outcome != household.OutcomeGraduated || c.VillageCode != moves.bengkalUlu || c.FollowUp.Visits != 2 {
		t.Fatalf("ended %s/%s in %s after %d visits", c.Status, c.Outcome, c.VillageCode, c.FollowUp.Visits)
	}
	var tl struct {
		Events []household.Event `json:"events"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, id+"/timeline", bengkal, nil, &tl)
	if !slices.ContainsFunc(tl.Events, func(e household.Event) bool { return e.Type == household.EventTransferAccepted }) ||
		tl.Events[0].Type != household.EventOpened {
		t.Fatal("the timeline does not hold the case's whole story with its move")
	}

	// The move recorded the transfer change's version marker; a case that
	// never moves records none (TestThreeHouseholds…).
	markers := 0
	for _, r := range runsOf(t, ctx, l) {
		markers += r.markers[workflows.ChangeTransfer]
	}
	if markers == 0 {
		t.Error("no run recorded the transfer change's version marker")
	}
	if prefix := os.Getenv("TUNTAS_RECORD_TRANSFER_HISTORY"); prefix != "" {
		recordHistories(t, ctx, l, prefix)
	}
}

// TestARefusedTransferLeavesTheCaseWhereItWas: refused (a refusal needs a
// reason), the case stays in Muara Ancalong for its own caseworker, and
// the receiving kecamatan's never sees it.
func TestARefusedTransferLeavesTheCaseWhereItWas(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	bengkal := sys.token(t, household.RoleCaseworker, "64.08.03", "")
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(nextKK(), moves.kelinjauUlu), &c)
	id := "/v1/cases/" + c.ID
	sys.must(t, http.StatusOK, http.MethodPost, id+"/transfers", p.supervisor, transferBody(moves.senambah), nil)
	if got, raw := sys.call(t, http.MethodPost, id+"/survey", p.cw, surveyBody(600_000), nil); got != http.StatusConflict {
		t.Fatalf("the survey while the move is pending: %d %s", got, raw)
	}
	if got, raw := sys.call(t, http.MethodPost, id+"/transfers/tr-1/answer", p.supervisor, map[string]any{"decision": "refused"}, nil); got != http.StatusUnprocessableEntity ||
		!strings.Contains(string(raw), `"reason"`) {
		t.Fatalf("a refusal without a reason: %d %s", got, raw)
	}
	var after household.Case
	sys.must(t, http.StatusOK, http.MethodPost, id+"/transfers/tr-1/answer", p.supervisor,
		map[string]any{"decision": "refused", "reason": "rumah tangga tidak ditemukan di Senambah"}, &after)
	if after.VillageCode != moves.kelinjauUlu || after.Transfers[0].Status != household.TransferRefused {
		t.Fatalf("after the refusal: %s %+v", after.VillageCode, after.Transfers)
	}
	sys.must(t, http.StatusOK, http.MethodPost, id+"/survey", p.cw, surveyBody(600_000), nil)
	if got, _ := sys.call(t, http.MethodGet, id, bengkal, nil, nil); got != http.StatusNotFound {
		t.Fatalf("Muara Bengkal's caseworker reads a case whose move was refused: %d", got)
	}
}

// TestAnUnansweredTransferRemindsAndEscalatesOnTheCasesClock runs on a
// system whose deadline day lasts 50 ms: a move to Paser left unanswered
// reminds Paser's supervisors after 14 days (0.7 s) and escalates to the
// province at 28 (1.4 s), on the case's own durable timer; Paser's answer,
// late, is still taken.
func TestAnUnansweredTransferRemindsAndEscalatesOnTheCasesClock(t *testing.T) {
	d := household.DefaultDeadlines()
	d.DayLength = 50 * time.Millisecond
	s, err := startSystemWith(devsystem.Config{DataDir: t.TempDir(), Deadlines: d})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
	}()
	ctx := context.Background()
	p := tokens(t, s)
	paserSup := s.token(t, household.RoleSupervisor, "64.01", "")
	var c household.Case
	s.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(nextKK(), moves.kelinjauUlu), &c)
	id := "/v1/cases/" + c.ID
	asked := time.Now()
	s.must(t, http.StatusOK, http.MethodPost, id+"/transfers", p.supervisor, transferBody(moves.samurangau), nil)
	var late household.Case
	eventually(t, 30*time.Second, func() bool {
		s.must(t, http.StatusOK, http.MethodGet, id, paserSup, nil, &late)
		return slices.ContainsFunc(late.Escalations, func(e household.Escalation) bool {
			return strings.HasPrefix(e.ID, "auto-transfer-") && e.Level == household.EscalateProvince && e.Open
		})
	})
	if waited := time.Since(asked); waited < 28*d.DayLength {
		t.Fatalf("escalated after %v, before twice the deadline (%v)", waited, 28*d.DayLength)
	}
	tr, ok := late.PendingTransfer()
	if !ok || !tr.Reminded {
		t.Fatalf("the transfer was not reminded: %+v", late.Transfers)
	}
	notes := func(role household.Role, scope, key string) bool {
		ns, err := s.Store.NotificationsFor(ctx, role, scope, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(ns, func(n store.Notification) bool { return n.CaseID == c.ID && n.Key == key })
	}
	if !notes(household.RoleSupervisor, "64.01", "ev_transfer_due") {
		t.Error("Paser's supervisors were not reminded")
	}
	if !notes(household.RoleProvince, "64", "ev_transfer_escalated") {
		t.Error("the province was not told of the escalation")
	}
	var moved household.Case
	s.must(t, http.StatusOK, http.MethodPost, id+"/transfers/tr-1/answer", paserSup, map[string]any{"decision": "accepted"}, &moved)
	if moved.RegencyCode != "64.01" || !moved.Escalated {
		t.Fatalf("the late answer: %s, escalated %t", moved.RegencyCode, moved.Escalated)
	}
}
