package systemtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/workflows"
)

// The living list over HTTP (issue 24): a village's proposal becomes a
// case and graduates; an upheld objection sends a case back to
// verification and it ends excluded; an objection left unanswered is
// upheld at day 14. Each test works in a kecamatan of Kutai Kartanegara
// that no other test uses (imports beside them spread synthetic
// households over Kutai Timur), with its own family cards and NIKs.

// livingSeq hands each household of these tests its own numbers.
var livingSeq atomic.Int64

// household numbers of Kutai Kartanegara (64.02): a KK and a woman head's
// NIK no other test uses.
func livingNumbers() (kk, headNIK, childNIK string) {
	n := livingSeq.Add(1)
	return fmt.Sprintf("640201010121%04d", n), fmt.Sprintf("640201410185%04d", n), fmt.Sprintf("640201020310%04d", n)
}

// peopleOf are tokens for each actor of a kecamatan's village of Kutai
// Kartanegara.
func peopleOf(t testing.TB, s *testSystem, village string) people {
	return people{
		cw:         s.token(t, household.RoleCaseworker, region.Ancestor(village, region.District), ""),
		village:    s.token(t, household.RoleVillageOfficer, village, ""),
		verifier:   s.token(t, household.RoleVerifier, "64.02", ""),
		supervisor: s.token(t, household.RoleSupervisor, "64.02", ""),
		dinsos:     s.token(t, household.RoleAgency, "64.02", household.AgencyDinsos),
		province:   s.token(t, household.RoleProvince, "64", ""),
		admin:      s.token(t, household.RoleAdmin, "64", ""),
	}
}

func livingSurvey(headNIK, childNIK string, monthly int64) map[string]any {
	return map[string]any{"survey": map[string]any{
		"members": []map[string]any{
			{"nik": headNIK, "name": "Wati", "relation": "head", "birthDate": "1985-01-01", "sex": "F", "education": "sd", "occupation": "farmer"},
			{"nik": childNIK, "name": "Dani", "relation": "child", "birthDate": "2010-03-02", "sex": "M", "education": "sd", "occupation": "student"},
		},
		"monthlyExpenditure": monthly, "monthlyIncome": monthly,
		"housing": map[string]any{"floor": "earth", "wall": "bamboo", "roof": "zinc", "water": "unprotected", "sanitation": "none", "electricity": "pln_450"},
		"assets":  map[string]any{"landAreaM2": 200, "motorbikes": 1, "cars": 0, "livestock": 2},
	}}
}

// livingCase is a case these tests opened, with its numbers.
type livingCase struct {
	*lifecycle
	kk, head, child string
}

// openIn opens a case of new numbers in village through the API.
func openIn(t *testing.T, s *testSystem, p people, village string) livingCase {
	t.Helper()
	kk, head, child := livingNumbers()
	var c household.Case
	s.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, map[string]any{"kk": kk, "headNik": head, "headName": "Wati",
		"villageCode": village, "address": "RT 02, " + village, "source": "dtsen"}, &c)
	return livingCase{lifecycle: &lifecycle{t: t, s: s, p: p, id: c.ID}, kk: kk, head: head, child: child}
}

// toIntervention walks a case to intervention: surveyed, confirmed by
// the village, verified extreme-poor.
func (l *lifecycle) toIntervention(head, child string) {
	l.t.Helper()
	day := region.Today("64", time.Now())
	l.do(l.p.cw, "/survey", livingSurvey(head, child, 600_000))
	l.do(l.p.village, "/village-confirmation", map[string]any{"decision": "confirmed", "musdesDate": day, "musdesMinutes": "3/MUSDES/2026"})
	l.do(l.p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
}

func TestAVillageProposalBecomesACaseAndGraduates(t *testing.T) {
	t.Parallel()
	const village = "64.02.12.2001" // Gunung Sari, Tabang
	p := peopleOf(t, sys, village)
	kk, head, child := livingNumbers()
	day := region.Today(village, time.Now())
	body := map[string]any{"kk": kk, "headNik": head, "headName": "Wati", "villageCode": village, "address": "RT 04, Gunung Sari",
		"musdesDate": day, "musdesMinutes": "9/MUSDES/2026", "notes": "janda dengan tiga anak, belum terdata"}

	// Only the village proposes, only in its own village.
	if got, raw := sys.call(t, http.MethodPost, "/v1/proposals", p.cw, body, nil); got != http.StatusForbidden {
		t.Fatalf("a caseworker proposes: %d %s", got, raw)
	}
	if got, raw := sys.call(t, http.MethodPost, "/v1/proposals", sys.token(t, household.RoleVillageOfficer, "64.02.12.2002", ""), body, nil); got != http.StatusUnprocessableEntity || !strings.Contains(string(raw), "villageCode") {
		t.Fatalf("another village proposes: %d %s", got, raw)
	}
	var pr casework.ProposalView
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/proposals", p.village, body, &pr)
	if pr.Status != household.ProposalScreening || pr.Deadline.IsZero() || pr.KK != kk {
		t.Fatalf("proposed: %+v", pr)
	}
	// The supervisor sees it masked, and screens it; the proposer cannot.
	var seen casework.ProposalView
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/proposals/"+pr.ID, p.supervisor, nil, &seen)
	if seen.KK == kk || seen.HeadNIK == head {
		t.Errorf("the supervisor reads the proposal's numbers in full: %s %s", seen.KK, seen.HeadNIK)
	}
	if got, _ := sys.call(t, http.MethodPost, "/v1/proposals/"+pr.ID+"/screening", p.village, map[string]any{"decision": "accept"}, nil); got != http.StatusForbidden {
		t.Fatalf("the proposer screens: %d", got)
	}
	if got, _ := sys.call(t, http.MethodGet, "/v1/proposals/"+pr.ID, sys.token(t, household.RoleSupervisor, "64.08", ""), nil, nil); got != http.StatusNotFound {
		t.Fatalf("Kutai Timur's supervisor reads Kutai Kartanegara's proposal: %d", got)
	}
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/proposals/"+pr.ID+"/screening", p.supervisor, map[string]any{"decision": "accept"}, &pr)
	if pr.Status != household.ProposalAccepted || pr.CaseID == "" {
		t.Fatalf("accepted: %+v", pr)
	}
	if got, _ := sys.call(t, http.MethodPost, "/v1/proposals/"+pr.ID+"/screening", p.supervisor, map[string]any{"decision": "reject", "reason": "x"}, nil); got != http.StatusConflict {
		t.Fatalf("screened twice: %d", got)
	}

	// The case it opened: in data collection, linked to the proposal.
	var c household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+pr.CaseID, p.cw, nil, &c)
	if c.Stage != household.StageCollecting || c.Source != household.SourceVillageProposal || c.Proposal != pr.ID || c.KK != kk {
		t.Fatalf("the proposal's case: %+v", c)
	}
	var tl struct {
		Events []household.Event `json:"events"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+c.ID+"/timeline", p.cw, nil, &tl)
	if len(tl.Events) == 0 || tl.Events[0].Ref != pr.ID || tl.Events[0].Key != "ev_opened_proposal" {
		t.Fatalf("the case's first event: %+v", tl.Events)
	}

	// A second proposal of the same family card is refused with a finding
	// that names the case to the village, whose case it is.
	var dup casework.ProposalView
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/proposals", p.village, body, &dup)
	if dup.Status != household.ProposalDuplicate || dup.Finding == nil || dup.Finding.By != household.HeldKK || dup.Finding.CaseID != c.ID {
		t.Fatalf("the same family card proposed again: %+v", dup)
	}
	// A rejected one keeps Dinsos's reason.
	other := map[string]any{}
	for k, v := range body {
		other[k] = v
	}
	otherKK, otherHead, _ := livingNumbers()
	other["kk"], other["headNik"] = otherKK, otherHead
	var rej casework.ProposalView
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/proposals", p.village, other, &rej)
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/proposals/"+rej.ID+"/screening", p.supervisor, map[string]any{"decision": "reject", "reason": "memiliki usaha toko"}, &rej)
	if rej.Status != household.ProposalRejected || rej.Reason != "memiliki usaha toko" {
		t.Fatalf("rejected: %+v", rej)
	}

	// The case goes its way and graduates.
	l := &lifecycle{t: t, s: sys, p: p, id: c.ID}
	l.toIntervention(head, child)
	l.do(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}})
	l.do(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})
	l.do(p.cw, "/follow-ups", map[string]any{"visitDate": region.Today(village, time.Now()), "monthlyExpenditure": 1_500_000})
	c = l.do(p.verifier, "/graduation", map[string]any{"notes": "usaha warung berjalan"})
	if c.Outcome != household.OutcomeGraduated {
		t.Fatalf("the proposal's case ended %s/%s", c.Status, c.Outcome)
	}

	// The quarterly report of the village counts the proposals of the
	// quarter: three proposed, one added, one rejected, one refused.
	var rep struct {
		Proposals struct {
			Proposed, Added, Rejected, Refused, Pending struct {
				Households int64 `json:"households"`
				HeadFemale int64 `json:"headFemale"`
			}
		} `json:"proposals"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/reports/quarterly?region="+village, p.supervisor, nil, &rep)
	got := rep.Proposals
	if got.Proposed.Households != 3 || got.Proposed.HeadFemale != 3 || got.Added.Households != 1 || got.Rejected.Households != 1 ||
		got.Refused.Households != 1 || got.Pending.Households != 0 {
		t.Fatalf("the quarter's village proposals: %+v", got)
	}
	var list casework.ProposalList
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/proposals?region="+village+"&status=accepted", p.village, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != pr.ID {
		t.Fatalf("the village's accepted proposals: %+v", list.Items)
	}
	if prefix := os.Getenv("TUNTAS_RECORD_LIVING_HISTORY"); prefix != "" {
		recordWorkflow(t, workflows.ProposalWorkflowID(pr.ID), prefix+"-proposal.json")
	}
}

// recordWorkflow writes the history of a one-run workflow to file, and the
// codec key that opens its payloads beside it (the replay tests').
func recordWorkflow(t *testing.T, workflowID, file string) {
	t.Helper()
	it := sys.Client.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	b, err := protojson.MarshalOptions{Indent: " "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(sys.dataDir, "codec.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(file), "living-1.key"), key, 0o644); err != nil {
		t.Fatal(err)
	}
}

// postList posts village's list for objection through the API.
func postList(t *testing.T, s *testSystem, token, village string) casework.Publication {
	t.Helper()
	var pub casework.Publication
	s.must(t, http.StatusCreated, http.MethodPost, "/v1/villages/"+village+"/publication", token, map[string]any{}, &pub)
	if !pub.Open {
		t.Fatalf("a list posted now is not open: %+v", pub)
	}
	return pub
}

func TestAnUpheldObjectionSendsTheCaseBackToVerificationAndItEndsExcluded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const village = "64.02.09.2001" // Lamin Telihan, Kenohan
	p := peopleOf(t, sys, village)
	l := openIn(t, sys, p, village)
	kk, head := l.kk, l.head
	l.toIntervention(head, l.child)
	l.do(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}})
	l.do(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})

	objection := map[string]any{"relation": "neighbour", "reason": "not_poor", "notes": "membuka toko bangunan tahun ini",
		"evidence": map[string]any{"location": map[string]any{"lat": 0.42, "lon": 116.1, "accuracyM": 15}}}
	if got, raw := sys.call(t, http.MethodPost, "/v1/cases/"+l.id+"/objections", p.village, objection, nil); got != http.StatusConflict ||
		!strings.Contains(string(raw), "list_not_published") {
		t.Fatalf("an objection before the list is posted: %d %s", got, raw)
	}
	postList(t, sys, p.village, village)

	// The list posted at the village office: names and RT, the KK by its
	// last four digits, no NIK.
	var posted casework.PublishedList
	raw := sys.must(t, http.StatusOK, http.MethodGet, "/v1/villages/"+village+"/posted-list", p.village, nil, &posted)
	if strings.Contains(string(raw), kk) || strings.Contains(string(raw), head) || strings.Contains(string(raw), kk[:12]) {
		t.Fatalf("the posted list shows a number in full: %s", raw)
	}
	found := false
	for _, r := range posted.Rows {
		found = found || (r.KKLast4 == kk[12:] && r.RT == 2 && r.HeadName == "Wati")
	}
	if !found || posted.Publication == nil {
		t.Fatalf("the posted list lacks the household: %+v", posted)
	}

	var o casework.ObjectionView
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+l.id+"/objections", p.village, objection, &o)
	if o.Status != household.ObjectionOpen || o.DueAt.Sub(o.RecordedAt) != 14*household.Day || o.CaseID != l.id {
		t.Fatalf("recorded: %+v", o)
	}
	if got, _ := sys.call(t, http.MethodPost, "/v1/objections/"+o.ID+"/answer", sys.token(t, household.RoleSupervisor, "64.08", ""),
		map[string]any{"decision": "uphold", "note": "x"}, nil); got != http.StatusNotFound {
		t.Fatalf("another regency's supervisor answers: %d", got)
	}
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/objections/"+o.ID+"/answer", p.supervisor,
		map[string]any{"decision": "uphold", "note": "dicek: toko bangunan milik kepala keluarga"}, &o)
	if o.Status != household.ObjectionUpheld || o.CaseStage != household.StageVerification {
		t.Fatalf("upheld: %+v", o)
	}
	var c household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id, p.verifier, nil, &c)
	if c.Stage != household.StageVerification || len(c.Objections) != 1 || c.Objections[0].ID != o.ID || c.Objections[0].Reverified != household.ExtremePoor {
		t.Fatalf("the case after the objection: %s %+v", c.Stage, c.Objections)
	}
	c = l.do(p.verifier, "/verification", map[string]any{"outcome": "not_poor", "notes": "toko bangunan"})
	if c.Outcome != household.OutcomeExcludedNotPoor {
		t.Fatalf("ended %s/%s", c.Status, c.Outcome)
	}

	// The case took the objection behind its change's version marker, once.
	markers := 0
	for _, r := range runsOf(t, ctx, l.lifecycle) {
		markers += r.markers[workflows.ChangeObjections]
	}
	if markers != 1 {
		t.Errorf("the case's runs hold %d version markers, want the objections change's one", markers)
	}
	if prefix := os.Getenv("TUNTAS_RECORD_OBJECTION_HISTORY"); prefix != "" {
		recordHistories(t, ctx, l.lifecycle, prefix)
	}
	if prefix := os.Getenv("TUNTAS_RECORD_LIVING_HISTORY"); prefix != "" {
		recordWorkflow(t, workflows.ObjectionWorkflowID(o.ID), prefix+"-objection.json")
	}
}

// TestAnUnansweredObjectionIsUpheldAtDay14 runs on a system whose
// deadline day lasts 200 ms: the objection nobody answers is upheld by
// its deadline 14 days (2.8 s) after it was recorded, the case goes back
// to verification with it, and the regency's supervisors are told.
func TestAnUnansweredObjectionIsUpheldAtDay14(t *testing.T) {
	d := household.DefaultDeadlines()
	d.DayLength = 200 * time.Millisecond
	s, err := startSystemWith(devsystem.Config{DataDir: t.TempDir(), Deadlines: d})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
	}()
	const village = "64.02.07.2001" // Selerong, Sebulu
	p := peopleOf(t, s, village)
	l := openIn(t, s, p, village)
	l.toIntervention(l.head, l.child)
	postList(t, s, p.supervisor, village)
	var o casework.ObjectionView
	s.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+l.id+"/objections", p.cw,
		map[string]any{"relation": "relative", "reason": "moved", "notes": "pindah ke Samarinda"}, &o)
	if due := o.DueAt.Sub(o.RecordedAt); due != 14*d.DayLength {
		t.Fatalf("due %v after recording, want 14 days of %v", due, d.DayLength)
	}
	eventually(t, time.Minute, func() bool {
		s.must(t, http.StatusOK, http.MethodGet, "/v1/objections/"+o.ID, p.supervisor, nil, &o)
		return o.CaseStage != ""
	})
	if o.Status != household.ObjectionLapsed || o.AnsweredAt.Before(o.DueAt) || o.CaseStage != household.StageVerification {
		t.Fatalf("at day 14: %+v", o)
	}
	var c household.Case
	s.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+l.id, p.supervisor, nil, &c)
	if c.Stage != household.StageVerification || len(c.Objections) != 1 || !c.Objections[0].Lapsed {
		t.Fatalf("the case after the lapse: %s %+v", c.Stage, c.Objections)
	}
	notes, err := s.Store.NotificationsFor(context.Background(), household.RoleSupervisor, "64.02", "", 200)
	if err != nil {
		t.Fatal(err)
	}
	told := false
	for _, n := range notes {
		told = told || (n.CaseID == o.ID && n.Key == "ev_objection_lapsed" && n.HeadName == "Wati")
	}
	if !told {
		t.Fatalf("the supervisors were not told: %+v", notes)
	}
	t.Logf("figures: objection recorded %s, upheld by its deadline %s (%v later; 14 days of %v)",
		o.RecordedAt.Format(time.RFC3339Nano), o.AnsweredAt.Format(time.RFC3339Nano), o.AnsweredAt.Sub(o.RecordedAt), d.DayLength)
}

// TestLivingListPagesPassAxeAtPhoneWidth opens the living list's pages as
// each person who uses them, at 360 px in chromium: no serious or critical
// axe violation, nothing scrolls sideways, tap targets of 44 px, no
// repeated ids; refused forms show their field messages. With
// TUNTAS_SCREENSHOTS=dir it keeps the posted list as printed on A4
// (dir/posting-a4.png).
func TestLivingListPagesPassAxeAtPhoneWidth(t *testing.T) {
	const village = "64.02.16.2001" // Manunggal Jaya, Tenggarong Seberang
	p := peopleOf(t, sys, village)
	l := openIn(t, sys, p, village)
	l.toIntervention(l.head, l.child)
	kk, head, _ := livingNumbers()
	var pr casework.ProposalView
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/proposals", p.village, map[string]any{"kk": kk, "headNik": head, "headName": "Wati",
		"villageCode": village, "address": "RT 04", "musdesDate": region.Today(village, time.Now()), "musdesMinutes": "2/MUSDES/2026"}, &pr)
	postList(t, sys, p.village, village)
	var o casework.ObjectionView
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+l.id+"/objections", p.village, map[string]any{"relation": "neighbour", "reason": "not_poor"}, &o)

	axe := axeCore(t)
	b := newBrowser(t, sys.URL)
	b.atWidth(360)
	pages := []phonePage{
		{"village proposals", p.village, "/proposals", "", nil},
		{"village proposal form", p.village, "/proposals/new", "", nil},
		{"village refused proposal", p.village, "/proposals/new", "#form-propose button[type=submit]", map[string]string{
			"f-kk": "6402", "f-headNik": "12", "f-headName": "Wati", "f-address": "RT 04", "f-musdesDate": "2099-01-01", "f-musdesMinutes": "1"}},
		{"village proposal", p.village, "/proposals/" + pr.ID, "", nil},
		{"village posted list", p.village, "/villages/posting", "", nil},
		{"village case: objection form", p.village, "/cases/" + l.id, "", nil},
		{"village case: refused objection", p.village, "/cases/" + l.id, "#objection-submit", map[string]string{
			"f-objection-relation": "neighbour", "f-objection-reason": "other"}},
		{"supervisor queue", p.supervisor, "/", "", nil},
		{"supervisor proposal: screening", p.supervisor, "/proposals/" + pr.ID, "", nil},
		{"supervisor refused screening", p.supervisor, "/proposals/" + pr.ID, "#form-screen button[type=submit]", map[string]string{"f-decision": "reject"}},
		{"supervisor objections", p.supervisor, "/objections", "", nil},
		{"supervisor objection: answer", p.supervisor, "/objections/" + o.ID, "", nil},
		{"supervisor refused answer", p.supervisor, "/objections/" + o.ID, "#form-answer button[type=submit]", map[string]string{"f-decision": "uphold"}},
	}
	var current string
	for _, pg := range pages {
		b.as(pg.token, current)
		current = pg.token
		b.open(pg.path)
		if pg.post != "" {
			b.fill(pg.fill)
			b.submit(pg.post)
			if n := get(b, chromedp.Evaluate[int](`document.querySelectorAll(".field-error").length`)); n == 0 {
				t.Errorf("%s: the form was not refused (no field message)", pg.name)
			}
		}
		b.do(chromedp.Evaluate[chromedp.Void](axe))
		got := get(b, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
		for _, v := range got {
			t.Errorf("%s (%s): axe %s %s: %s\n\t%s", pg.name, pg.path, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, "\n\t"))
		}
		if over := get(b, chromedp.Evaluate[[]string](overflowing)); len(over) > 0 {
			t.Errorf("%s (%s) scrolls sideways at 360 px:\n\t%s", pg.name, pg.path, strings.Join(over, "\n\t"))
		}
		if small := get(b, chromedp.Evaluate[[]string](smallTargets)); len(small) > 0 {
			t.Errorf("%s (%s) has tap targets under 44 px at 360 px:\n\t%s", pg.name, pg.path, strings.Join(small, "\n\t"))
		}
		if dup := get(b, chromedp.Evaluate[[]string](duplicateIDs)); len(dup) > 0 {
			t.Errorf("%s (%s) repeats ids %v", pg.name, pg.path, dup)
		}
		t.Logf("%-36s %-48s axe: %d serious or critical", pg.name, pg.path, len(got))
	}
	if dir := os.Getenv("TUNTAS_SCREENSHOTS"); dir != "" {
		// A4 at 96 dpi, as the browser prints it (the print rules apply).
		b.as(p.village, current)
		b.do(chromedp.EmulateViewport(794, 1123))
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			t.Fatalf("print media: %v", err)
		}
		b.open("/villages/posting")
		png := get(b, chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(dir, "posting-a4.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
