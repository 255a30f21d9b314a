package systemtest

// The console in the field (issue 21): a phone with no signal keeps the
// person's queue and cases, holds what they submit in an outbox and sends
// it once, as them, when the link comes back. These tests drive Debian's
// chromium with the DevTools network emulation, on the page and on the
// service worker (whose fetches are its own).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
)

// The field tests work in Sangatta Utara, where no other test opens cases,
// so the caseworker's queue holds only theirs.
const (
	fieldDistrict = "64.08.04"
	fieldVillage  = "64.08.04.2001"
)

// fieldPeople are tokens for the people of a field test: two caseworkers
// of Sangatta Utara and those who take a case on to follow-up.
type fieldPeople struct {
	cw, cw2, village, verifier, supervisor, dinsos string
}

var fieldSeq atomic.Int64

func fieldTokens(t *testing.T) fieldPeople {
	t.Helper()
	n := fieldSeq.Add(1)
	issue := func(sub string, role household.Role, region, agency string) string {
		tok, err := sys.Issuer.Issue(auth.Principal{Sub: sub, Role: role, Region: region, Agency: agency}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	return fieldPeople{
		cw:         issue(fmt.Sprintf("rahmat-%d", n), household.RoleCaseworker, fieldDistrict, ""),
		cw2:        issue(fmt.Sprintf("sari-%d", n), household.RoleCaseworker, fieldDistrict, ""),
		village:    issue(fmt.Sprintf("kades-%d", n), household.RoleVillageOfficer, fieldVillage, ""),
		verifier:   issue(fmt.Sprintf("verif-%d", n), household.RoleVerifier, "64.08", ""),
		supervisor: issue(fmt.Sprintf("spv-%d", n), household.RoleSupervisor, "64.08", ""),
		dinsos:     issue(fmt.Sprintf("dinsos-%d", n), household.RoleAgency, "64.08", household.AgencyDinsos),
	}
}

// fieldNIK is a new NIK of Sangatta Utara for a person born on ddmmyy
// (women's day plus 40), so that no two field cases share a member.
func fieldNIK(ddmmyy string) string {
	return fmt.Sprintf("640804%s%04d", ddmmyy, 5000+fieldSeq.Add(1))
}

// fieldCase opens a case in Sangatta Utara through the API and returns its
// ID and its head's NIK.
func fieldCase(t *testing.T, token string) (id, headNIK string) {
	t.Helper()
	headNIK = fieldNIK("410185")
	body := openBody(nextKK(), fieldVillage)
	body["headNik"] = headNIK
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", token, body, &c)
	return c.ID, headNIK
}

// fieldSurvey is a survey of one household's head, for the API.
func fieldSurvey(headNIK string, monthly int64) map[string]any {
	return map[string]any{"survey": map[string]any{
		"members":            []map[string]any{{"nik": headNIK, "name": "Siti Aminah", "relation": "head", "birthDate": "1985-01-01", "sex": "F", "education": "sd", "occupation": "farmer"}},
		"monthlyExpenditure": monthly, "monthlyIncome": monthly,
		"housing": map[string]any{"floor": "earth", "wall": "bamboo", "roof": "zinc", "water": "unprotected", "sanitation": "none", "electricity": "pln_450"},
		"assets":  map[string]any{"landAreaM2": 100, "motorbikes": 0, "cars": 0, "livestock": 0},
	}}
}

// toFollowUp takes a case through survey, musdes, verification and an
// acknowledged intervention, so that it waits for a visit.
func toFollowUp(t *testing.T, fp fieldPeople, id, headNIK string) {
	t.Helper()
	post := func(token, path string, body any) {
		sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+id+path, token, body, nil)
	}
	post(fp.cw, "/survey", fieldSurvey(headNIK, 500_000))
	post(fp.village, "/village-confirmation", map[string]any{"decision": "confirmed", "musdesDate": today, "musdesMinutes": "7/MUSDES/2026"})
	post(fp.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	post(fp.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}})
	post(fp.dinsos, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})
}

// caseNow is the case as the API has it, and how many events of each type
// its timeline holds.
func caseNow(t *testing.T, token, id string) (household.Case, map[string]int) {
	t.Helper()
	var c household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+id, token, nil, &c)
	var tl casework.Timeline
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+id+"/timeline", token, nil, &tl)
	n := map[string]int{}
	for _, e := range tl.Events {
		n[e.Type]++
	}
	return c, n
}

// phone makes the browser a 360-px phone.
func (b *browser) phone() {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
}

// slow3G is the link of the issue's measurements: 400 ms latency, 50 KB/s.
var slow3G = network.Conditions{Latency: 400, DownloadThroughput: 50 * 1024, UploadThroughput: 50 * 1024}

// link sets the network of the page and of the service worker: up or down
// (DevTools' offline emulation), and whether the browser says it is online
// (navigator.onLine and its events).
func (b *fieldBrowser) link(up, online bool) {
	b.t.Helper()
	b.emulate(network.Conditions{Offline: !up, DownloadThroughput: -1, UploadThroughput: -1}, online)
}

// emulate sets the link's conditions on the page and the service worker.
func (b *fieldBrowser) emulate(cond network.Conditions, online bool) {
	b.t.Helper()
	down := cond.Offline
	set := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, stepTimeout)
		defer cancel()
		c := cond
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &down,
			MatchedNetworkConditions:    []*network.Conditions{&c},
		})
		if err != nil {
			return err
		}
		_, err = chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: !online, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}
	if err := set(b.ctx); err != nil {
		b.t.Fatalf("network of the page: %v", err)
	}
	targets, err := chromedp.Targets(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	workers := 0
	for _, x := range targets {
		if x.Type != "service_worker" {
			continue
		}
		workers++
		// Emulation belongs to a DevTools session: one per worker, kept,
		// so that a later call undoes what an earlier one set.
		wctx, ok := b.workers[x.TargetID]
		if !ok {
			wctx, _ = chromedp.NewContext(b.ctx, chromedp.WithTargetID(x.TargetID))
			// The first run attaches the session, which lives as long as
			// the context of that run: no timeout on it.
			if err := chromedp.Do(wctx); err != nil {
				b.t.Fatalf("attach to the service worker: %v", err)
			}
			b.workers[x.TargetID] = wctx
		}
		if err := set(wctx); err != nil {
			b.t.Fatalf("network of the service worker: %v", err)
		}
	}
	if workers == 0 {
		b.t.Fatal("no service worker runs: the console did not install one")
	}
}

func (b *fieldBrowser) offline() { b.link(false, false) }
func (b *fieldBrowser) online()  { b.link(true, true) }

// fieldBrowser is a browser whose link the test sets, and the DevTools
// sessions on its service workers.
type fieldBrowser struct {
	*browser
	workers map[target.ID]context.Context
}

func newFieldBrowser(t *testing.T) *fieldBrowser {
	b := &fieldBrowser{browser: newBrowser(t, sys.URL), workers: map[target.ID]context.Context{}}
	b.phone()
	// A script error on a page is worth seeing when a field test fails.
	exceptions := chromedp.Events(b.ctx, cdpruntime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			t.Logf("script error on the page: %s (%s:%d)", msg, d.URL, d.LineNumber)
		}
	}()
	return b
}

// eval runs a script (awaiting its promise) and returns its value.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	return get(b, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// until polls a script on the page until it is true, across navigations
// (which interrupt a poll in the page), failing after a minute.
func (b *browser) until(what, js string) {
	b.t.Helper()
	b.untilWithin(stepTimeout, what, js)
}

func (b *browser) untilWithin(timeout time.Duration, what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " " + [...document.documentElement.attributes].map(a => a.name + "=" + a.value).join(" ") + " status=" + ((document.getElementById("outbox-status") || {}).textContent || "")`))
			cancel()
			b.t.Fatalf("%s: not within %v (last error: %v); the page: %s", what, timeout, err, state)
		}
		<-tick.C
	}
}

// attr is an attribute of <html>, where outbox.js tells its state.
func attrIs(name, value string) string {
	return fmt.Sprintf(`document.documentElement.getAttribute(%q) === %q`, name, value)
}

// follow clicks sel and waits for the page the click leads to.
func (b *browser) follow(sel string) {
	b.t.Helper()
	get(b, chromedp.Evaluate[bool](`window.__before = true`))
	b.do(chromedp.Click(chromedp.CSS(sel)))
	b.until("the page after "+sel, `window.__before === undefined && document.readyState === "complete"`)
	b.do(chromedp.WaitReady(chromedp.CSS("main")))
}

// person is the opaque device ID of the person the page was rendered for.
func (b *browser) person() string {
	return eval[string](b, `(document.querySelector('meta[name="tuntas-person"]') || {}).content || ""`)
}

// kept waits until the phone holds the person's key and the service
// worker has saved the pages for them. The worker fetches the whole queue
// of the kecamatan, which other tests fill too: it is given three minutes.
func (b *browser) kept(paths ...string) {
	b.t.Helper()
	me := b.person()
	list := `["` + strings.Join(paths, `","`) + `"]`
	b.untilWithin(3*time.Minute, "the pages saved for the person", `window.TuntasOutbox.device().then(d => d && d.person === "`+me+`").then(ok => ok && `+
		`caches.open("pages-`+me+`").then(c => Promise.all(`+list+`.map(p => c.match(p)))).then(rs => rs.every(Boolean)))`)
}

// shot saves what the phone's screen shows now into $TUNTAS_SCREENSHOTS
// (docs/ holds the ones the documentation shows), when that is set.
func (b *browser) shot(name string) {
	b.t.Helper()
	dir := os.Getenv("TUNTAS_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := get(b, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fillSurvey types a survey of two members into the case page's form,
// adding the second member's row as a person does, by the script.
func (b *browser) fillSurvey(headNIK, childNIK string) map[string]string {
	b.t.Helper()
	typed := map[string]string{
		"f-members[0].nik": headNIK, "f-members[0].name": "Sri Wahyuni", "f-members[0].relation": "head",
		"f-members[0].birthDate": "1985-01-01", "f-members[0].sex": "F", "f-members[0].education": "sd", "f-members[0].occupation": "farmer",
		"f-monthlyExpenditure": "600.000", "f-monthlyIncome": "450000",
		"f-housing.floor": "earth", "f-housing.wall": "bamboo", "f-housing.roof": "zinc", "f-housing.water": "unprotected",
		"f-housing.sanitation": "none", "f-housing.electricity": "pln_450",
		"f-assets.landAreaM2": "150", "f-assets.motorbikes": "1", "f-assets.cars": "0", "f-assets.livestock": "3",
	}
	b.fill(typed)
	b.do(chromedp.Click(chromedp.CSS("#add-member")), chromedp.WaitVisible(chromedp.CSS(byID("f-members[1].nik"))))
	child := map[string]string{"f-members[1].nik": childNIK, "f-members[1].name": "Bayu Saputra", "f-members[1].relation": "child",
		"f-members[1].birthDate": "2010-03-02", "f-members[1].sex": "M", "f-members[1].education": "sd", "f-members[1].occupation": "student"}
	b.fill(child)
	for k, v := range child {
		typed[k] = v
	}
	return typed
}

func TestFieldCaseworkerWorksOfflineAndTheOutboxSendsEachFormOnce(t *testing.T) {
	b := newFieldBrowser(t)
	fp := fieldTokens(t)
	surveyID, headNIK := fieldCase(t, fp.cw)
	visitID, visitNIK := fieldCase(t, fp.cw)
	toFollowUp(t, fp, visitID, visitNIK)

	// Online: the work queue, and through it each case, is saved on the phone.
	b.signIn(fp.cw)
	b.open("/")
	b.kept("/", "/cases/"+surveyID, "/cases/"+visitID)

	// No signal: the case opens from the phone, saying it is a saved copy.
	b.offline()
	b.open("/cases/" + surveyID)
	b.until("the saved copy", `document.documentElement.hasAttribute("data-saved-at")`)
	if got := b.text("#saved-copy"); !strings.HasPrefix(got, "Salinan tersimpan, ") {
		t.Fatalf("the saved copy's banner says %q", got)
	}
	b.shot("field-offline-360.png")

	// The survey, with a member row added by script, goes to the outbox.
	b.fillSurvey(headNIK, fieldNIK("020310"))
	b.follow("#survey-submit")
	b.until("one form waiting", attrIs("data-outbox", "1"))
	if got := b.text("#outbox-count"); got != "Menunggu dikirim: 1" {
		t.Fatalf("the outbox says %q", got)
	}

	// And a visit on the other case.
	b.open("/cases/" + visitID)
	b.fill(map[string]string{"f-visitDate": today, "f-monthlyExpenditure": "900.000", "f-notes": "warung buka lagi"})
	b.follow(`#form-visit button[type=submit]`)
	b.until("two forms waiting", attrIs("data-outbox", "2"))

	// A reload (still no signal) keeps both; the server has neither.
	b.do(chromedp.Reload())
	b.until("two forms waiting after a reload", attrIs("data-outbox", "2")+` && document.documentElement.hasAttribute("data-saved-at")`)
	// The queued form brought the person back to the case with the outbox open.
	if got := eval[string](b.browser, `document.getElementById("outbox-toggle").getAttribute("aria-expanded")`); got != "true" {
		t.Fatalf("after queueing, the outbox list is aria-expanded=%s", got)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("#outbox-items li")))
	if n := eval[int](b.browser, `document.querySelectorAll("#outbox-items li[data-state=pending]").length`); n != 2 {
		t.Fatalf("the outbox lists %d waiting forms", n)
	}
	b.shot("field-outbox-360.png")
	if c, _ := caseNow(t, fp.cw, surveyID); c.Stage != household.StageCollecting {
		t.Fatalf("with no signal the survey reached the server: stage %s", c.Stage)
	}
	if c, _ := caseNow(t, fp.cw, visitID); c.FollowUp.Visits != 0 {
		t.Fatalf("with no signal the visit reached the server: %d visits", c.FollowUp.Visits)
	}

	// A slow 3G signal returns: both are sent, in order, once.
	b.emulate(slow3G, true)
	b.until("both forms sent", attrIs("data-outbox", "0")+" && "+attrIs("data-outbox-attention", "0")+
		` && document.querySelectorAll("#outbox-items li[data-state=sent]").length === 2`)
	c, events := caseNow(t, fp.cw, surveyID)
	if c.Stage != household.StageVillageReview || c.Survey == nil || len(c.Survey.Members) != 2 {
		t.Fatalf("after sending, the survey case is at %s with survey %+v", c.Stage, c.Survey)
	}
	if events["survey_submitted"] != 1 {
		t.Fatalf("the survey was recorded %d times", events["survey_submitted"])
	}
	c, events = caseNow(t, fp.cw, visitID)
	if c.FollowUp.Visits != 1 || events["follow_up_recorded"] != 1 {
		t.Fatalf("after sending, the case has %d visits and %d visit events", c.FollowUp.Visits, events["follow_up_recorded"])
	}
	// The page, a saved copy of the visit's case, shows that case as it
	// now is; the sent survey links to its case as it now is.
	b.until("the visit's case as it now is", `location.pathname === "/cases/`+visitID+`" && !document.documentElement.hasAttribute("data-saved-at") && `+attrIs("data-outbox-ready", "1"))
	if n := eval[int](b.browser, `[...document.querySelectorAll(".timeline strong")].filter(e => e.textContent === "Kunjungan").length`); n != 1 {
		t.Fatalf("the visit's case shows the visit %d times", n)
	}
	b.do(chromedp.Click(chromedp.CSS(`#outbox-items li[data-state=sent] a[href="/cases/` + surveyID + `"]`)))
	b.until("the case as it now is", `location.pathname === "/cases/`+surveyID+`" && document.readyState === "complete" && !document.documentElement.hasAttribute("data-saved-at")`)
	if got := b.stage(); got != "Konfirmasi desa" {
		t.Fatalf("the sent survey's case shows %q", got)
	}
	if n := eval[int](b.browser, `[...document.querySelectorAll(".timeline strong")].filter(e => e.textContent === "Pendataan dikirim").length`); n != 1 {
		t.Fatalf("the case's timeline shows the survey %d times", n)
	}
}

func TestFieldRefusedOfflineSurveyOpensAgainWithEveryFieldsMessageAndWhatWasTyped(t *testing.T) {
	b := newFieldBrowser(t)
	fp := fieldTokens(t)
	id, headNIK := fieldCase(t, fp.cw)
	b.signIn(fp.cw)
	b.open("/")
	b.kept("/cases/" + id)

	b.offline()
	b.open("/cases/" + id)
	typed := b.fillSurvey(headNIK, fieldNIK("020310"))
	bad := headNIK[:12] // twelve digits: a NIK has sixteen
	b.fill(map[string]string{"f-members[0].nik": bad})
	typed["f-members[0].nik"] = bad
	b.follow("#survey-submit")
	b.until("the survey waiting", attrIs("data-outbox", "1"))

	b.online()
	b.until("the refused survey open again", `document.getElementById("outbox-refused") !== null && document.querySelector('[id="err-members[0].nik"]') !== null`)
	if msg := b.text(byID("err-members[0].nik")); msg == "" {
		t.Fatal("the bad NIK has no message beside it")
	}
	if got := eval[string](b.browser, `document.getElementById("f-members[0].nik").getAttribute("aria-invalid")`); got != "true" {
		t.Fatalf("the bad NIK's field is aria-invalid=%q", got)
	}
	if got := eval[string](b.browser, `document.activeElement ? document.activeElement.id : ""`); got != "f-members[0].nik" {
		t.Fatalf("focus is on %q, not the first refused field", got)
	}
	for field, want := range typed {
		if got := b.value(byID(field)); got != want {
			t.Errorf("the reopened form has %s = %q, typed %q", field, got, want)
		}
	}
	if got := attrIs("data-outbox-attention", "1"); !eval[bool](b.browser, got) {
		t.Fatal("the refused survey is not counted as needing attention")
	}
	get(b.browser, chromedp.Evaluate[bool](`document.getElementById("outbox-refused").closest("form").scrollIntoView(), true`))
	b.shot("field-refused-360.png")
	if c, _ := caseNow(t, fp.cw, id); c.Stage != household.StageCollecting {
		t.Fatalf("a refused survey moved the case to %s", c.Stage)
	}

	// Corrected and sent again, it is recorded and leaves the outbox.
	b.fill(map[string]string{"f-members[0].nik": headNIK})
	b.follow("#survey-submit")
	if got := b.stage(); got != "Konfirmasi desa" {
		t.Fatalf("after the corrected survey the case shows %q", got)
	}
	b.until("the outbox emptied", attrIs("data-outbox-items", "0"))
	if _, events := caseNow(t, fp.cw, id); events["survey_submitted"] != 1 {
		t.Fatalf("the survey was recorded %d times", events["survey_submitted"])
	}
}

func TestFieldConflictIsSaidInWordsAndWhatWasTypedStaysToCopy(t *testing.T) {
	b := newFieldBrowser(t)
	fp := fieldTokens(t)
	id, headNIK := fieldCase(t, fp.cw)
	b.signIn(fp.cw)
	b.open("/")
	b.kept("/cases/" + id)

	b.offline()
	b.open("/cases/" + id)
	b.fillSurvey(headNIK, fieldNIK("020310"))
	b.follow("#survey-submit")
	b.until("the survey waiting", attrIs("data-outbox", "1"))

	// Meanwhile the other caseworker of the kecamatan surveys the household.
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+id+"/survey", fp.cw2, fieldSurvey(headNIK, 700_000), nil)

	// The link works though the phone does not say so: "Kirim sekarang".
	b.link(true, false)
	b.do(chromedp.Click(chromedp.CSS("#outbox-send")))
	b.until("the conflict shown", attrIs("data-outbox-attention", "1")+` && document.querySelector("#outbox-items li[data-state=conflict]") !== null`)
	if got := b.text("#outbox-items li[data-state=conflict] .field-error"); !strings.Contains(got, "orang lain sudah bertindak lebih dulu") ||
		!strings.Contains(got, "Kasus sekarang: Konfirmasi desa") {
		t.Fatalf("the conflict says %q", got)
	}
	if href := eval[string](b.browser, `document.querySelector("#outbox-items li[data-state=conflict] a").getAttribute("href")`); href != "/cases/"+id {
		t.Fatalf("the conflict links to %q, not the case", href)
	}
	copyText := eval[string](b.browser, `document.querySelector("#outbox-items li[data-state=conflict] textarea").value`)
	for _, want := range []string{"Anggota 1 · Nama: Sri Wahyuni", "Anggota 2 · Nama: Bayu Saputra", ": 600.000", "Atap: Seng"} {
		if !strings.Contains(copyText, want) {
			t.Errorf("what was typed, to copy, lacks %q:\n%s", want, copyText)
		}
	}
	b.do(chromedp.Click(chromedp.CSS("#outbox-items li[data-state=conflict] summary")))
	b.shot("field-conflict-360.png")
	c, events := caseNow(t, fp.cw, id)
	if events["survey_submitted"] != 1 || c.Survey == nil || len(c.Survey.Members) != 1 {
		t.Fatalf("the case has %d surveys, %+v", events["survey_submitted"], c.Survey)
	}
}

func TestFieldOutboxIsSentOnlyAsItsPersonAfterTheSessionEnds(t *testing.T) {
	b := newFieldBrowser(t)
	fp := fieldTokens(t)
	id, headNIK := fieldCase(t, fp.cw)

	b.signIn(fp.cw)
	b.open("/")
	b.kept("/cases/" + id)
	first := b.person()
	b.open("/cases/" + id)
	b.fillSurvey(headNIK, fieldNIK("020310"))

	// The session ends while the survey is being typed: the post is kept
	// and the person is asked to sign in again, back to the case.
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "tuntas_session", URL: sys.URL})
		return err
	}))
	b.follow("#survey-submit")
	loc, err := url.Parse(get(b.browser, chromedp.Location()))
	if err != nil || loc.Path != "/signin" || loc.Query().Get("next") != "/cases/"+id {
		t.Fatalf("after the session ended the browser is at %s", loc)
	}
	b.until("the survey kept", attrIs("data-outbox", "1"))
	if got := b.text("#outbox-status"); !strings.Contains(got, "Masuk sebagai orang yang mengisinya") {
		t.Fatalf("the sign-in page's outbox says %q", got)
	}
	if n := eval[int](b.browser, `document.querySelectorAll("#outbox-items li").length`); n != 0 {
		t.Fatalf("with nobody signed in the outbox shows %d items", n)
	}
	b.shot("field-signin-360.png")

	// Someone else signs in on the same phone: they neither see nor send it.
	b.signIn(fp.cw2)
	second := b.person()
	if second == "" || second == first {
		t.Fatalf("the second person's device ID %q (the first's %q)", second, first)
	}
	b.until("the second person's outbox", attrIs("data-outbox-ready", "1"))
	if got := eval[string](b.browser, `document.documentElement.getAttribute("data-outbox-items")`); got != "0" {
		t.Fatalf("the second person's outbox holds %s items", got)
	}
	if html := eval[string](b.browser, `document.documentElement.outerHTML`); strings.Contains(html, "Sri Wahyuni") || strings.Contains(html, "Bayu Saputra") {
		t.Fatal("the second person's page shows what the first typed")
	}
	store := eval[string](b.browser, `(async () => {
		const O = window.TuntasOutbox, dev = await O.device(), all = await O.items("");
		const names = await caches.keys();
		let read = 0;
		for (const it of all) { try { await O.open(dev, it); read++ } catch (e) {} }
		return JSON.stringify({device: dev.person, items: all.map(i => i.person), read, pages: names.filter(n => n.startsWith("pages-"))});
	})()`)
	want := fmt.Sprintf(`{"device":%q,"items":[%q],"read":0,"pages":[`, second, first)
	if !strings.HasPrefix(store, want) || strings.Contains(store, "pages-"+first) {
		t.Fatalf("the phone holds %s; want the second person's key, the first's item sealed and none of the first's pages", store)
	}
	if c, events := caseNow(t, fp.cw, id); c.Stage != household.StageCollecting || events["survey_submitted"] != 0 {
		t.Fatalf("the second person's session sent the first's survey: %s", c.Stage)
	}
	b.follow(`form[action="/signout"] button`)
	if left := eval[string](b.browser, `(async () => JSON.stringify({device: await window.TuntasOutbox.device() || null,
		pages: (await caches.keys()).filter(n => n.startsWith("pages-"))}))()`); left != `{"device":null,"pages":[]}` {
		t.Fatalf("after signing out the phone keeps %s", left)
	}

	// The first person signs in again, from the link that brings them back
	// to the case: the outbox resumes and sends it as them, once.
	b.do(chromedp.Navigate(sys.URL+"/signin?next="+url.QueryEscape("/cases/"+id)), chromedp.WaitVisible(chromedp.CSS("#f-token")),
		chromedp.SetValue(chromedp.CSS("#f-token"), fp.cw))
	b.follow(`form[action="/signin"] button[type=submit]`)
	b.until("the survey sent as its person", `location.pathname === "/cases/`+id+`" && `+attrIs("data-outbox", "0")+` && `+attrIs("data-outbox-items", "1"))
	c, events := caseNow(t, fp.cw, id)
	if c.Stage != household.StageVillageReview || events["survey_submitted"] != 1 {
		t.Fatalf("after the person signed in again the case is at %s with %d surveys", c.Stage, events["survey_submitted"])
	}
	for _, e := range c.Survey.Members {
		if e.Name == "Sri Wahyuni" {
			return
		}
	}
	t.Fatalf("the survey sent is not the one typed: %+v", c.Survey.Members)
}

// outboxAnswer is the console's JSON answer to a form the outbox sends.
type outboxAnswer struct {
	State, CaseURL, Message, Now, SigninURL string
	Fields                                  map[string]string
}

// outboxPost sends a form as the outbox does and reads the answer.
func (c *consoleHTTP) outboxPost(t *testing.T, path string, form url.Values) (int, outboxAnswer) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, sys.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Tuntas-Outbox", "1")
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a outboxAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("POST %s from the outbox answered %d %s: %v", path, resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	return resp.StatusCode, a
}

func TestFieldOutboxFormsAreAnsweredInJSONAndActOnce(t *testing.T) {
	fp := fieldTokens(t)
	id, headNIK := fieldCase(t, fp.cw)
	c := consoleClient(t, fp.cw)
	survey := func(nonce, nik string) url.Values {
		return url.Values{"csrf": {c.csrf}, "nonce": {nonce},
			"members[0].nik": {nik}, "members[0].name": {"Sri Wahyuni"}, "members[0].relation": {"head"}, "members[0].birthDate": {"1985-01-01"},
			"members[0].sex": {"F"}, "members[0].education": {"sd"}, "members[0].occupation": {"farmer"},
			"monthlyExpenditure": {"600.000"}, "monthlyIncome": {"450000"}, "housing.floor": {"earth"}, "housing.wall": {"bamboo"},
			"housing.roof": {"zinc"}, "housing.water": {"unprotected"}, "housing.sanitation": {"none"}, "housing.electricity": {"pln_450"},
			"assets.landAreaM2": {"150"}, "assets.motorbikes": {"1"}, "assets.cars": {"0"}, "assets.livestock": {"3"}}
	}
	path := "/cases/" + id + "/survey"

	status, a := c.outboxPost(t, path, survey("o-1", headNIK[:12]))
	if status != http.StatusUnprocessableEntity || a.State != "refused" || a.Fields["members[0].nik"] == "" || a.CaseURL != "/cases/"+id {
		t.Fatalf("a bad NIK: %d %+v", status, a)
	}
	status, a = c.outboxPost(t, path, survey("o-1", "6408"))
	if status != http.StatusUnprocessableEntity || a.State != "refused" {
		t.Fatalf("refused, the same nonce may be sent again with the form corrected: %d %+v", status, a)
	}
	for range 2 { // sent twice (an answer lost on the way), it acts once
		status, a = c.outboxPost(t, path, survey("o-2", headNIK))
		if status != http.StatusOK || a.State != "sent" || a.CaseURL != "/cases/"+id+"?done=survey" {
			t.Fatalf("the survey: %d %+v", status, a)
		}
	}
	if _, events := caseNow(t, fp.cw, id); events["survey_submitted"] != 1 {
		t.Fatalf("the survey sent twice was recorded %d times", events["survey_submitted"])
	}
	status, a = c.outboxPost(t, path, survey("o-3", headNIK))
	if status != http.StatusConflict || a.State != "conflict" || a.Now != "Konfirmasi desa" || a.CaseURL != "/cases/"+id {
		t.Fatalf("another survey after the first: %d %+v", status, a)
	}
	bad := survey("o-4", headNIK)
	bad.Set("csrf", strings.Repeat("x", 43))
	if status, a = c.outboxPost(t, path, bad); status != http.StatusForbidden || a.State != "csrf" {
		t.Fatalf("a stale CSRF token: %d %+v", status, a)
	}

	// An opening carries its nonce too: sent again, it is the same case.
	kk := nextKK()
	open := url.Values{"csrf": {c.csrf}, "nonce": {"o-5"}, "kk": {kk}, "headNik": {fieldNIK("410185")}, "headName": {"Rina Marlina"},
		"villageCode": {fieldVillage}, "address": {"RT 02"}, "source": {"p3ke"}}
	var opened string
	for range 2 {
		status, a = c.outboxPost(t, "/cases", open)
		if status != http.StatusOK || a.State != "sent" || !strings.HasSuffix(a.CaseURL, "?done=open") || (opened != "" && a.CaseURL != opened) {
			t.Fatalf("the opening (first %q): %d %+v", opened, status, a)
		}
		opened = a.CaseURL
	}
	open.Set("nonce", "o-6")
	if status, a = c.outboxPost(t, "/cases", open); status != http.StatusConflict || a.State != "conflict" || a.CaseURL != strings.TrimSuffix(opened, "?done=open") {
		t.Fatalf("another opening of the card: %d %+v", status, a)
	}

	// With no session: sign in again, back to the case.
	anon := &consoleHTTP{client: &http.Client{Jar: c.client.Jar, CheckRedirect: c.client.CheckRedirect}, csrf: c.csrf}
	u, _ := url.Parse(sys.URL)
	c.client.Jar.SetCookies(u, []*http.Cookie{{Name: "tuntas_session", Value: "", MaxAge: -1}})
	if status, a = anon.outboxPost(t, path, survey("o-7", headNIK)); status != http.StatusUnauthorized || a.State != "signin" ||
		a.SigninURL != "/signin?next=%2Fcases%2F"+id {
		t.Fatalf("with no session: %d %+v", status, a)
	}
}

func TestFieldOpeningADraftAndAMusdesWaitOfflineToo(t *testing.T) {
	b := newFieldBrowser(t)
	fp := fieldTokens(t)
	draftID, headNIK := fieldCase(t, fp.cw)
	musdesID, musdesNIK := fieldCase(t, fp.cw)
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+musdesID+"/survey", fp.cw, fieldSurvey(musdesNIK, 500_000), nil)

	// The caseworker, with no signal, opens a case and saves a draft.
	b.signIn(fp.cw)
	b.open("/")
	b.kept("/", "/cases/new", "/cases/"+draftID)
	b.offline()
	b.open("/cases/new")
	kk := nextKK()
	b.fill(map[string]string{"f-kk": kk, "f-headNik": fieldNIK("410185"), "f-headName": "Rina Marlina",
		"f-villageCode": fieldVillage, "f-address": "RT 02, Sangatta Utara", "f-source": "walk_in"})
	b.follow(`#form-open button[type=submit]`)
	b.until("the opening waiting", attrIs("data-outbox", "1"))
	if loc := get(b.browser, chromedp.Location()); !strings.HasSuffix(loc, "/#outbox") {
		t.Fatalf("after the opening was kept the browser is at %s", loc)
	}
	b.open("/cases/" + draftID)
	b.fillSurvey(headNIK, fieldNIK("020310"))
	b.follow("#survey-draft")
	b.until("the draft waiting", attrIs("data-outbox", "2"))
	if got := b.text("#outbox-items li:last-child strong"); got != "Draf survei" {
		t.Fatalf("the draft is listed as %q", got)
	}
	b.online()
	// Sent from a saved copy of the draft's case, the page shows the case now.
	b.until("both sent", attrIs("data-outbox", "0")+` && document.querySelectorAll("#outbox-items li[data-state=sent] a").length === 2`+
		` && !document.documentElement.hasAttribute("data-saved-at") && `+attrIs("data-outbox-ready", "1"))
	c, events := caseNow(t, fp.cw, draftID)
	if c.Stage != household.StageCollecting || events["survey_saved"] != 1 || c.Survey == nil || len(c.Survey.Members) != 2 {
		t.Fatalf("the draft: stage %s, %d drafts, %+v", c.Stage, events["survey_saved"], c.Survey)
	}
	openedURL := eval[string](b.browser, `document.querySelector("#outbox-items li[data-state=sent] a").getAttribute("href")`)
	var opened household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1"+openedURL, fp.cw, nil, &opened)
	if opened.KK != kk || opened.HeadName != "Rina Marlina" {
		t.Fatalf("the case opened offline is %+v", opened)
	}
	b.follow(`form[action="/signout"] button`)

	// The village officer, with no signal, records the musdes.
	b.signIn(fp.village)
	b.open("/")
	b.kept("/cases/" + musdesID)
	b.offline()
	b.open("/cases/" + musdesID)
	b.fill(map[string]string{"f-decision": "confirmed", "f-musdesDate": today, "f-musdesMinutes": "9/MUSDES/2026"})
	b.follow(`#form-village button[type=submit]`)
	b.until("the musdes waiting", attrIs("data-outbox", "1"))
	b.online()
	b.until("the musdes sent", attrIs("data-outbox", "0")+" && "+attrIs("data-outbox-items", "1"))
	if c, events := caseNow(t, fp.cw, musdesID); c.Stage != household.StageVerification || events["village_confirmed"] != 1 {
		t.Fatalf("after the musdes was sent the case is at %s (%d confirmations)", c.Stage, events["village_confirmed"])
	}
}

func TestFieldShellAndSavedPagesStaySmall(t *testing.T) {
	fp := fieldTokens(t)
	surveyID, _ := fieldCase(t, fp.cw)
	visitID, visitNIK := fieldCase(t, fp.cw)
	toFollowUp(t, fp, visitID, visitNIK)
	c := consoleClient(t, fp.cw)
	size := func(path string) int {
		status, body := c.get(t, path)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", path, status)
		}
		return len(body)
	}
	// What a phone fetches once per build: the service worker and the
	// shell it keeps (the icons only when installed).
	_, sw := c.get(t, "/sw.js")
	var conf struct{ Shell []string }
	line, _, _ := strings.Cut(strings.TrimPrefix(sw, "self.TUNTAS = "), ";\n")
	if err := json.Unmarshal([]byte(line), &conf); err != nil {
		t.Fatal(err)
	}
	shell := len(sw) + size("/manifest.webmanifest")
	for _, p := range conf.Shell {
		shell += size(p)
	}
	// What keeping the queue fresh fetches: the queue, the opening form
	// and each case page.
	queue, open, survey, visit := size("/"), size("/cases/new"), size("/cases/"+surveyID), size("/cases/"+visitID)
	t.Logf("bytes as served (uncompressed): service worker and shell %d; work queue %d, opening form %d, case with the survey form %d, case with the visit form %d",
		shell, queue, open, survey, visit)
	if shell > 100_000 {
		t.Errorf("the service worker and its shell are %d bytes; a slow 3G link brings 50 KB a second", shell)
	}
}

// deviceCases is GET /device/cases: what the service worker compares its
// saved pages with.
type deviceCases struct {
	Person, Context string
	Versions        map[string]int64
}

// getHeaders is a GET through the console's session, with the answer's
// headers.
func (c *consoleHTTP) getHeaders(t *testing.T, path string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := c.client.Get(sys.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// The list of versions the service worker keeps saved pages by is the
// person's own: never cached, refused without a session, naming only
// their queue's cases, each with the version and context its case page
// carries, and a case's version moves when the case does.
func TestFieldDeviceCasesListsTheQueuesVersionsToItsPersonOnly(t *testing.T) {
	fp := fieldTokens(t)
	id, headNIK := fieldCase(t, fp.cw)
	path := "/cases/" + id

	resp, err := http.Get(sys.URL + "/device/cases")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("without a session /device/cases answers %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}

	c := consoleClient(t, fp.cw)
	list := func() deviceCases {
		t.Helper()
		status, h, body := c.getHeaders(t, "/device/cases")
		if status != http.StatusOK || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("/device/cases answers %d, Cache-Control %q: %s", status, h.Get("Cache-Control"), body)
		}
		var d deviceCases
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	page := func() http.Header {
		t.Helper()
		status, h, _ := c.getHeaders(t, path)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", path, status)
		}
		return h
	}
	d, h := list(), page()
	v, ok := d.Versions[path]
	if !ok {
		t.Fatalf("the caseworker's list does not name %s: %+v", path, d.Versions)
	}
	if d.Person != h.Get("X-Tuntas-Person") || d.Context == "" || d.Context != h.Get("X-Tuntas-Context") || h.Get("X-Tuntas-Version") != strconv.FormatInt(v, 10) {
		t.Fatalf("the list (person %s, context %s, version %d) and the case page (person %s, context %s, version %s) disagree",
			d.Person, d.Context, v, h.Get("X-Tuntas-Person"), h.Get("X-Tuntas-Context"), h.Get("X-Tuntas-Version"))
	}

	// A draft keeps the case in the queue and moves its version, in the
	// list and on the page alike.
	draft := fieldSurvey(headNIK, 500_000)
	draft["draft"] = true
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+id+"/survey", fp.cw, draft, nil)
	for deadline := time.Now().Add(30 * time.Second); list().Versions[path] == v && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	d, h = list(), page()
	if d.Versions[path] <= v || h.Get("X-Tuntas-Version") != strconv.FormatInt(d.Versions[path], 10) {
		t.Fatalf("after a draft the list says version %d (was %d), the page %s", d.Versions[path], v, h.Get("X-Tuntas-Version"))
	}

	// Another person: another ID and context, and a caseworker of another
	// kecamatan is not told of the case.
	other := consoleClient(t, sys.token(t, household.RoleCaseworker, "64.08.06", ""))
	status, _, body := other.getHeaders(t, "/device/cases")
	var od deviceCases
	if status != http.StatusOK || json.Unmarshal(body, &od) != nil {
		t.Fatalf("/device/cases for another person: %d %s", status, body)
	}
	if _, ok := od.Versions[path]; ok || od.Person == d.Person || od.Context == d.Context {
		t.Fatalf("another kecamatan's caseworker is told %+v", od)
	}
	// Only a field person's pages are kept on a device: a supervisor is
	// given no list.
	spv := consoleClient(t, fp.supervisor)
	if status, h, body := spv.getHeaders(t, "/device/cases"); status != http.StatusForbidden || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("/device/cases for a supervisor: %d, Cache-Control %q: %s", status, h.Get("Cache-Control"), body)
	}
}

// A case page on the phone is fetched again only when its case changed:
// the signal going and coming back with no case changed costs no case
// page; a case that changed (a survey draft saved from elsewhere) is
// fetched again, and only it, and its saved copy shows the change.
func TestFieldSavedCasePageIsFetchedAgainOnlyWhenItsCaseChanged(t *testing.T) {
	// Loa Kulu (Kutai Kartanegara), where no other test opens cases: the
	// queue is this test's. (Imports beside it spread synthetic households
	// over every kecamatan of Kutai Timur, and one there grew the queue.)
	const district, village = "64.02.02", "64.02.02.2001"
	tok, err := sys.Issuer.Issue(auth.Principal{Sub: fmt.Sprintf("yusuf-%d", fieldSeq.Add(1)), Role: household.RoleCaseworker, Region: district},
		time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var ids, niks []string
	for range 3 {
		nik := fmt.Sprintf("640202410185%04d", 5000+fieldSeq.Add(1))
		body := openBody(nextKK(), village)
		body["headNik"] = nik
		var c household.Case
		sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", tok, body, &c)
		ids, niks = append(ids, c.ID), append(niks, nik)
	}
	proxy := newCountingProxy(t)
	b := signedInBrowser(t, tok, proxy.URL)
	b.open("/")
	b.kept("/", "/cases/"+ids[0], "/cases/"+ids[1], "/cases/"+ids[2])
	b.until("the first refresh done", `document.documentElement.hasAttribute("data-offline-ready")`)
	for _, id := range ids {
		if n := proxy.casePages()["/cases/"+id]; n != 1 {
			t.Fatalf("keeping the queue asked for /cases/%s %d times", id, n)
		}
	}

	again := func() (map[string]int, int) {
		t.Helper()
		before, lists := proxy.casePages(), proxy.got("/device/cases")
		b.refreshed(func() {
			b.offline()
			b.online()
		})
		fetched := map[string]int{}
		for p, n := range proxy.casePages() {
			if n > before[p] {
				fetched[p] = n - before[p]
			}
		}
		return fetched, proxy.got("/device/cases") - lists
	}

	// The signal goes and comes back; nothing changed.
	if fetched, lists := again(); len(fetched) != 0 || lists != 1 {
		t.Fatalf("with no case changed the service worker asked for the list %d times and for case pages %v", lists, fetched)
	}

	// A draft of the second case's survey is saved from elsewhere (and
	// the read model has it).
	con := consoleClient(t, tok)
	version := func() int64 {
		_, _, body := con.getHeaders(t, "/device/cases")
		var d deviceCases
		_ = json.Unmarshal(body, &d)
		return d.Versions["/cases/"+ids[1]]
	}
	was := version()
	draft := fieldSurvey(niks[1], 500_000)
	draft["draft"] = true
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+ids[1]+"/survey", tok, draft, nil)
	for deadline := time.Now().Add(30 * time.Second); version() == was; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the draft did not move the case's version in the list")
		}
	}
	if fetched, _ := again(); len(fetched) != 1 || fetched["/cases/"+ids[1]] != 1 {
		t.Fatalf("after one case changed the service worker asked for case pages %v", fetched)
	}

	// Offline, the changed case's saved copy shows the draft.
	b.offline()
	b.open("/cases/" + ids[1])
	b.until("the saved copy", `document.documentElement.hasAttribute("data-saved-at")`)
	if got := eval[string](b.browser, `(document.getElementById("f-members[0].nik") || {}).value || ""`); got != niks[1] {
		t.Fatalf("the saved copy's survey form holds %q, not the draft's %q", got, niks[1])
	}
}
