package systemtest

// The console on a phone: every page of every role, at 360 px, read by
// axe-core (no serious or critical violation), measured for sideways
// scrolling and for tap targets under 44 px; screenshots of the queue, a
// case and the dashboard at 360 and 1280 px; and the queue, a case page
// and the field walk timed on an emulated slow 3G link (a benchmark).
//
// This file needs only the shared system (sys) and the browser helpers of
// console_test.go, so it moves with them.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// axeCoreEnv names axe.min.js of the npm package axe-core; .ci/run
// installs it and sets it. Without it the default install place is tried.
const axeCoreEnv = "TUNTAS_AXE_CORE"

// axeCore is the source of axe.min.js; the test skips, saying how to get
// it, only when it is nowhere.
func axeCore(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv(axeCoreEnv)}
	cache := os.Getenv("XDG_CACHE_HOME")
	if home, err := os.UserHomeDir(); err == nil && cache == "" {
		cache = filepath.Join(home, ".cache")
	}
	if cache != "" {
		candidates = append(candidates, filepath.Join(cache, "tuntas", "axe", "node_modules", "axe-core", "axe.min.js"))
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil {
			return string(b)
		}
	}
	t.Skipf("no axe-core: install it with `npm install --prefix ~/.cache/tuntas/axe axe-core@%s` (as .ci/run does) or set %s to axe.min.js", axeCoreVersion, axeCoreEnv)
	return ""
}

// axeCoreVersion is the axe-core .ci/run installs.
const axeCoreVersion = "4.14.1"

// phonePage is one page as one person sees it.
type phonePage struct {
	name  string
	token string // "" for a page without a session
	path  string
	// post, when set, is clicked on the page to reach the page checked (a
	// refused form), after the fields of fill are set.
	post string
	fill map[string]string
}

// phoneCases are cases at every stage, for the pages of every role.
type phoneCases struct {
	collecting, village, verification, intervention, assigned, followUp, closed, escalated, provinceEscalated string
}

func newPhoneCases(t *testing.T, p people) phoneCases {
	t.Helper()
	var cs phoneCases
	cs.collecting = openCase(t, p, nextKK()).id
	v := openCase(t, p, nextKK())
	v.do(p.cw, "/survey", surveyBody(600_000))
	cs.village = v.id
	ver := openCase(t, p, nextKK())
	ver.toVerification(600_000)
	cs.verification = ver.id
	iv := openCase(t, p, nextKK())
	iv.toVerification(600_000)
	iv.do(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	cs.intervention = iv.id
	as := openCase(t, p, nextKK())
	as.toVerification(600_000)
	as.do(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	as.do(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}})
	cs.assigned = as.id
	fu := openCase(t, p, nextKK())
	fu.toVerification(600_000)
	fu.do(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	fu.do(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}, {"program": "sembako", "agency": "dinsos"}}})
	fu.do(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})
	fu.do(p.cw, "/follow-ups", map[string]any{"visitDate": today, "monthlyExpenditure": 900_000})
	cs.followUp = fu.id
	cl := openCase(t, p, nextKK())
	cl.do(p.supervisor, "/close", map[string]any{"reason": "moved"})
	cs.closed = cl.id
	es := openCase(t, p, nextKK())
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+es.id+"/escalations", p.supervisor,
		map[string]any{"level": "regency", "reason": "the village cannot be reached"}, nil)
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+es.id+"/escalations", p.supervisor,
		map[string]any{"level": "province", "reason": "the river is in flood"}, nil)
	cs.escalated = es.id
	pe := openCase(t, p, nextKK())
	pe.do(p.cw, "/survey", surveyBody(600_000))
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+pe.id+"/escalations", p.province,
		map[string]any{"level": "province", "reason": "the musdes did not meet"}, nil)
	cs.provinceEscalated = pe.id
	return cs
}

// phonePages are the pages of every role: work queues, case pages in each
// stage with the forms they offer, a refused form, lists, the dashboard,
// the province's page, the import pages, sign-in and the error pages, the
// quarterly report, the progress charts and the village's BNBA list.
func phonePages(t *testing.T, p people, cs phoneCases, importPath string) []phonePage {
	c := func(id string) string { return "/cases/" + id }
	return []phonePage{
		{"sign-in", "", "/signin", "", nil},
		{"caseworker queue", p.cw, "/", "", nil},
		{"caseworker list", p.cw, "/cases", "", nil},
		{"caseworker open form", p.cw, "/cases/new", "", nil},
		{"caseworker refused opening", p.cw, "/cases/new", `form[action="/cases"] button[type=submit]`, map[string]string{
			"f-kk": "6408", "f-headNik": "12", "f-headName": "Siti Aminah", "f-villageCode": "64.08.01.2001", "f-address": "RT 03"}},
		{"caseworker case: survey", p.cw, c(cs.collecting), "", nil},
		{"caseworker case: refused survey", p.cw, c(cs.collecting), "#survey-submit", nil},
		{"caseworker case: visit", p.cw, c(cs.followUp), "", nil},
		{"caseworker not found", p.cw, "/cases/no-such-case", "", nil},
		{"caseworker forbidden dashboard", p.cw, "/dashboard", "", nil},
		{"village queue", p.village, "/", "", nil},
		{"village case: musdes", p.village, c(cs.village), "", nil},
		{"verifier queue", p.verifier, "/", "", nil},
		{"verifier case: verification", p.verifier, c(cs.verification), "", nil},
		{"verifier case: graduation", p.verifier, c(cs.followUp), "", nil},
		{"supervisor queue", p.supervisor, "/", "", nil},
		{"supervisor dashboard", p.supervisor, "/dashboard", "", nil},
		{"supervisor list", p.supervisor, "/cases?status=open", "", nil},
		{"supervisor case: assign", p.supervisor, c(cs.intervention), "", nil},
		{"supervisor case: escalated", p.supervisor, c(cs.escalated), "", nil},
		{"supervisor case: refused close", p.supervisor, c(cs.intervention), "#form-close button[type=submit]", nil},
		{"supervisor case: refused escalation", p.supervisor, c(cs.intervention), "#form-escalate button[type=submit]", nil},
		{"supervisor case: closed", p.supervisor, c(cs.closed), "", nil},
		{"agency queue", p.dinsos, "/", "", nil},
		{"agency case: acknowledge", p.dinsos, c(cs.assigned), "", nil},
		{"agency case: deliver", p.dinsos, c(cs.followUp), "", nil},
		{"province queue", p.province, "/", "", nil},
		{"province report", p.province, "/province", "", nil},
		{"province dashboard", p.province, "/dashboard", "", nil},
		{"province case: answer", p.province, c(cs.provinceEscalated), "", nil},
		{"admin queue", p.admin, "/", "", nil},
		{"admin case: every form", p.admin, c(cs.village), "", nil},
		{"admin case: follow-up", p.admin, c(cs.followUp), "", nil},
		{"admin imports", p.admin, "/imports", "", nil},
		{"admin import", p.admin, importPath, "", nil},
		{"admin dashboard", p.admin, "/dashboard", "", nil},
		// What an office hands in or prints, and the trend to zero.
		{"supervisor quarterly report", p.supervisor, "/reports/quarterly", "", nil},
		{"supervisor kecamatan report", p.supervisor, "/reports/quarterly?region=64.08.01", "", nil},
		{"supervisor progress", p.supervisor, "/dashboard/progress", "", nil},
		{"supervisor BNBA list", p.supervisor, "/villages/bnba?village=64.08.01.2001", "", nil},
		{"village BNBA list", p.village, "/villages/bnba", "", nil},
		{"caseworker BNBA list", p.cw, "/villages/bnba?village=64.08.01.2001&stage=collecting", "", nil},
		{"province quarterly report", p.province, "/reports/quarterly", "", nil},
		{"province progress", p.province, "/dashboard/progress", "", nil},
	}
}

// importThroughAPI imports a short list with spoiled rows as the admin and
// returns the console's page of it.
func importThroughAPI(t *testing.T, admin string) string {
	t.Helper()
	text, _ := importList(6, 3)
	req, _ := http.NewRequest(http.MethodPost, sys.URL+"/v1/imports", strings.NewReader(text))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var imp struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&imp); err != nil || resp.StatusCode >= 300 {
		t.Fatalf("import: %d %v", resp.StatusCode, err)
	}
	return "/imports/" + url.PathEscape(imp.ID)
}

// axeViolation is a serious or critical violation axe found.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeRun runs axe on the page (injecting it first) and returns its serious
// and critical violations.
const axeRun = `(async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " ").slice(0, 160))}));
})()`

// overflowing is what sticks out of the viewport sideways: the document's
// width beyond it, and the widest elements that are not inside a box
// that scrolls on its own.
const overflowing = `(() => {
  const W = window.innerWidth, out = [];
  const sw = document.scrollingElement.scrollWidth;
  if (sw <= W) return [];
  out.push("document " + sw + " > " + W);
  const inScroller = el => { for (let p = el.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll" || o === "hidden") return true; } return false; };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right > W + 0.5 && !inScroller(el)) out.push(el.tagName.toLowerCase() + (el.getAttribute("id") ? "#" + el.getAttribute("id") : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\s+/g, ".") : "") + " right=" + Math.round(r.right));
    if (out.length > 8) break;
  }
  return out;
})()`

// smallTargets are the visible controls smaller than 44 × 44 px. A link
// inside running text is exempt (WCAG 2.5.8); a checkbox counts with its
// label, which takes the tap too.
const smallTargets = `(() => {
  const out = [], W = window.innerWidth;
  const name = el => el.tagName.toLowerCase() + (el.getAttribute("id") ? "#" + el.getAttribute("id") : "") + (el.getAttribute("href") ? "[href=" + el.getAttribute("href") + "]" : "") + " " + JSON.stringify((el.textContent || el.value || "").trim().slice(0, 30));
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    let r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0 || getComputedStyle(el).visibility === "hidden") continue;
    let w = r.width, h = r.height;
    if (el.type === "checkbox" || el.type === "radio") {
      const l = el.labels && el.labels[0];
      if (l) { const lr = l.getBoundingClientRect(); const box = el.parentElement.getBoundingClientRect(); w = box.width; h = Math.max(h, lr.height, box.height); }
    }
    if (el.tagName === "A" && getComputedStyle(el).display === "inline") {
      const p = el.parentElement;
      if (p && p.textContent.trim().length > el.textContent.trim().length) continue;
    }
    if (h < 43.5 || w < 43.5) out.push(name(el) + " " + Math.round(w) + "×" + Math.round(h));
  }
  return out;
})()`

// duplicateIDs are the ids more than one element of the page carries.
const duplicateIDs = `(() => { const seen = {}, out = []; for (const el of document.querySelectorAll("[id]")) { const id = el.getAttribute("id"); if (seen[id]) out.push(id); seen[id] = 1; } return out; })()`

// atWidth sets the viewport: a phone (touch, mobile) under 600 px.
func (b *browser) atWidth(w int64) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if w < 600 {
		opts = append(opts, chromedp.EmulateMobile)
	}
	b.do(chromedp.EmulateViewport(w, 780, opts...))
}

// as signs the browser in as token ("" signs out), unless it already is.
func (b *browser) as(token, current string) {
	b.t.Helper()
	if token == current {
		return
	}
	if current != "" {
		b.open("/")
		b.signOut()
	}
	if token != "" {
		b.signIn(token)
	}
}

func TestPhonePagesHaveNoSeriousAxeViolationFitA360PxScreenAndHaveLargeTapTargets(t *testing.T) {
	axe := axeCore(t)
	b := newBrowser(t, sys.URL)
	p := tokens(t, sys)
	cs := newPhoneCases(t, p)
	pages := phonePages(t, p, cs, importThroughAPI(t, p.admin))
	b.atWidth(360)
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
	if shots := os.Getenv("TUNTAS_SCREENSHOTS"); shots != "" {
		// The case shown is a household of its own (the other cases share
		// a head's NIK, and would show as possible duplicates).
		body := openBody(nextKK(), "64.08.01.2001")
		body["headNik"], body["headName"] = "6408015507900003", "Hasnah binti Kadir"
		var shown household.Case
		sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, body, &shown)
		b.as(p.cw, current)
		screenshots(t, b, shots, "queue", "/")
		screenshots(t, b, shots, "case", "/cases/"+shown.ID)
		b.as(p.supervisor, p.cw)
		screenshots(t, b, shots, "dashboard", "/dashboard")
	}
}

func TestAgencyQueueListsOnlyWhatItStillHasToDo(t *testing.T) {
	p := tokens(t, sys)
	l := openCase(t, p, nextKK())
	l.toVerification(600_000)
	l.do(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	// Two interventions, one for another agency, which acknowledges
	// first: the case moves to follow-up while Dinsos has not yet seen its.
	l.do(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{
		{"program": "pkh", "agency": "dinsos"}, {"program": "job_training", "agency": "disnakertrans"}}})
	other := sys.token(t, household.RoleAgency, "64.08", household.AgencyDisnakertrans)
	l.do(other, "/interventions/iv-2/status", map[string]any{"status": "acknowledged"})

	queue := func() (ack, deliver bool) {
		_, page := consoleClient(t, p.dinsos).get(t, "/")
		section := func(key string) string {
			start := strings.Index(page, `id="kind-`+key+`"`)
			if start < 0 {
				t.Fatalf("the agency's queue has no %s section", key)
			}
			end := strings.Index(page[start:], "</section>")
			return page[start : start+end]
		}
		return strings.Contains(section("acknowledge"), "/cases/"+l.id), strings.Contains(section("deliver"), "/cases/"+l.id)
	}
	if ack, deliver := queue(); !ack || deliver {
		t.Fatalf("assigned to Dinsos, in follow-up: under acknowledge %v, under deliver %v", ack, deliver)
	}
	l.do(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})
	if ack, deliver := queue(); ack || !deliver {
		t.Fatalf("acknowledged: under acknowledge %v, under deliver %v", ack, deliver)
	}
	l.do(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "delivered"})
	if ack, deliver := queue(); ack || deliver {
		t.Fatalf("delivered: under acknowledge %v, under deliver %v", ack, deliver)
	}
}

// transfer counts the bytes the browser's page received over the network
// (headers and compressed bodies, redirects included), from the DevTools
// network events.
type transfer struct{ bytes atomic.Int64 }

func (b *browser) countTransfer() *transfer {
	b.t.Helper()
	tr := &transfer{}
	if _, err := chromedp.Call(b.ctx, network.Enable, network.EnableParams{}); err != nil {
		b.t.Fatal(err)
	}
	done := chromedp.Events(b.ctx, network.LoadingFinished)
	redirects := chromedp.Events(b.ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range done {
			if err != nil {
				return
			}
			tr.bytes.Add(int64(ev.EncodedDataLength))
		}
	}()
	go func() {
		for ev, err := range redirects {
			if err != nil {
				return
			}
			if ev.RedirectResponse != nil {
				tr.bytes.Add(int64(ev.RedirectResponse.EncodedDataLength))
			}
		}
	}()
	return tr
}

// throttle puts the browser's page on the network conditions (slow3G of
// field_test.go: 400 ms from request to answer, 50 KB/s).
func (b *browser) throttle(c network.Conditions) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{&c}}); err != nil {
		b.t.Fatalf("emulate the network: %v", err)
	}
}

// usable loads path and answers when the page was usable: its DOM built,
// its stylesheet applied and its deferred scripts run (DOMContentLoaded's
// end, from the navigation's start), and when it had loaded.
func (b *browser) usable(path string) (usable, loaded time.Duration) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("main")))
	ms := get(b, chromedp.Poll[[]float64](`(() => { const n = performance.getEntriesByType("navigation")[0]; return n && n.loadEventEnd > 0 ? [n.domContentLoadedEventEnd, n.loadEventEnd] : null; })()`,
		chromedp.WithPollingTimeout(time.Minute)))
	return time.Duration(ms[0] * float64(time.Millisecond)), time.Duration(ms[1] * float64(time.Millisecond))
}

// countingProxy stands between the browser and the system and counts the
// bytes it sends the browser (status line, headers and body as sent,
// gzipped where the console gzips), whoever asked: the page, its scripts
// or its service worker, whose traffic the page's DevTools events miss.
type countingProxy struct {
	URL   string
	bytes atomic.Int64
	mu    sync.Mutex
	gets  map[string]int // GET requests by path
}

// casePage is the path of a case page (not the opening form's).
var casePage = regexp.MustCompile(`^/cases/[^/]+$`)

// casePages is how many times each case page was asked for.
func (c *countingProxy) casePages() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for p, n := range c.gets {
		if casePage.MatchString(p) && p != "/cases/new" {
			out[p] = n
		}
	}
	return out
}

// got is how many times path was asked for.
func (c *countingProxy) got(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets[path]
}

// caseFetches is how many case pages were asked for in all.
func (c *countingProxy) caseFetches() int {
	n := 0
	for _, k := range c.casePages() {
		n += k
	}
	return n
}

func newCountingProxy(t *testing.T) *countingProxy {
	t.Helper()
	target, err := url.Parse(sys.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &countingProxy{gets: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			p.mu.Lock()
			p.gets[r.URL.Path]++
			p.mu.Unlock()
		}
		rp.ServeHTTP(&countingWriter{ResponseWriter: w, n: &p.bytes}, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

type countingWriter struct {
	http.ResponseWriter
	n     *atomic.Int64
	wrote bool
}

func (c *countingWriter) WriteHeader(status int) {
	if !c.wrote {
		c.wrote = true
		size := len("HTTP/1.1 200 OK\r\n\r\n")
		for k, vs := range c.Header() {
			for _, v := range vs {
				size += len(k) + len(v) + 4
			}
		}
		c.n.Add(int64(size))
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	c.n.Add(int64(len(b)))
	return c.ResponseWriter.Write(b)
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// signedInBrowser is a fresh browser (empty cache, no connection open, no
// service worker) on base, holding the person's session cookie, signed in
// over plain HTTP, so that its first page is a cold load.
func signedInBrowser(t *testing.T, token, base string) *fieldBrowser {
	t.Helper()
	con := consoleClient(t, token)
	b := &fieldBrowser{browser: newBrowser(t, base), workers: map[target.ID]context.Context{}}
	u, _ := url.Parse(sys.URL)
	for _, ck := range con.client.Jar.Cookies(u) {
		if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{Name: ck.Name, Value: ck.Value, URL: base}); err != nil {
			t.Fatal(err)
		}
	}
	b.atWidth(360)
	return b
}

// workerToo puts the service worker the page installed on the same link,
// once it runs.
func (b *fieldBrowser) workerToo(c network.Conditions) {
	b.t.Helper()
	b.until("the service worker", `navigator.serviceWorker.ready.then(() => true)`)
	b.emulate(c, true)
}

// slow3GEnv, set to 1, runs TestPhoneOnSlow3G.
const slow3GEnv = "TUNTAS_SLOW3G"

// slow3GQueueEnv sets how many households wait in the measured
// caseworker's queue (20 unless set).
const slow3GQueueEnv = "TUNTAS_SLOW3G_QUEUE"

// TestPhoneOnSlow3G times the caseworker's work queue and a case page with
// the survey form on an emulated slow 3G link (400 ms, 50 KB/s) at 360 px,
// cold (a new browser: nothing cached, no connection open, no service
// worker) and warm (the same page again, the service worker installed and
// on the same link); then the whole field walk (open a case, survey, the
// village's confirmation, a visit) with the bytes it transferred: those
// the pages received (DevTools) and all the browser received, its service
// worker's included (a counting proxy), and the case pages the browsers
// asked for; then what the caseworker's browser receives when the signal
// goes and comes back after the walk. The caseworker works in a
// kecamatan of their own (Sangkulirang, 64.08.05) where a queue of
// TUNTAS_SLOW3G_QUEUE households waits. It logs the figures and asserts
// none of them (a benchmark in a test's clothes, so that it can use the
// browser helpers):
//
//	TUNTAS_SLOW3G=1 go test -run TestPhoneOnSlow3G -v ./systemtest/
func TestPhoneOnSlow3G(t *testing.T) {
	if os.Getenv(slow3GEnv) != "1" {
		t.Skipf("a measure, not a check: run it with %s=1 go test -run TestPhoneOnSlow3G -v ./systemtest/", slow3GEnv)
	}
	queue := 20
	if n, err := strconv.Atoi(os.Getenv(slow3GQueueEnv)); err == nil && n >= 0 {
		queue = n
	}
	const village = "64.08.05.2001"
	p := tokens(t, sys)
	p.cw = sys.token(t, household.RoleCaseworker, "64.08.05", "")
	p.village = sys.token(t, household.RoleVillageOfficer, village, "")
	var first household.Case
	for i := range queue {
		body := openBody(nextKK(), village)
		body["headNik"] = fmt.Sprintf("640805410185%04d", i+1)
		var c household.Case
		sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, body, &c)
		if i == 0 {
			first = c
		}
	}
	if queue == 0 {
		sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(nextKK(), village), &first)
	}
	t.Logf("the caseworker's queue: %d households waiting for their survey", max(queue, 1))
	for _, pg := range []struct{ name, path string }{{"work queue", "/"}, {"case page (survey form)", "/cases/" + first.ID}} {
		proxy := newCountingProxy(t)
		br := signedInBrowser(t, p.cw, proxy.URL)
		tr := br.countTransfer()
		br.throttle(slow3G)
		coldUsable, coldLoaded := br.usable(pg.path)
		cold, coldAll := tr.bytes.Load(), proxy.bytes.Load()
		br.workerToo(slow3G)
		settled, settledAll := tr.bytes.Load(), proxy.bytes.Load()
		warmUsable, warmLoaded := br.usable(pg.path)
		t.Logf("%s: cold usable %s (loaded %s; the page received %d bytes); the service worker's install and fetches until it ran: %d bytes; "+
			"warm usable %s (loaded %s; the page received %d bytes, the browser %d)", pg.name,
			coldUsable.Round(time.Millisecond), coldLoaded.Round(time.Millisecond), cold, settledAll-coldAll,
			warmUsable.Round(time.Millisecond), warmLoaded.Round(time.Millisecond), tr.bytes.Load()-settled, proxy.bytes.Load()-settledAll)
		_ = coldAll
	}
	fieldWalk(t, p, village)
}

// fieldWalk is a caseworker opening a case and submitting its survey, the
// village officer confirming it and the caseworker recording a visit, each
// in a cold browser on slow 3G (the office's steps between go through the
// API); it logs the bytes the pages received and all the browsers
// received, their service workers' fetches included.
func fieldWalk(t *testing.T, p people, village string) {
	proxy := newCountingProxy(t)
	cw := signedInBrowser(t, p.cw, proxy.URL)
	tr := cw.countTransfer()
	cw.throttle(slow3G)
	cw.open("/")
	cw.workerToo(slow3G)
	cw.open("/cases/new")
	cw.fill(map[string]string{"f-kk": nextKK(), "f-headNik": "6408054101850999", "f-headName": "Siti Aminah",
		"f-villageCode": village, "f-address": "RT 03, Kerayaan", "f-source": "p3ke", "f-desil": "1"})
	cw.submit(`form[action="/cases"] button[type=submit]`)
	casePath := regexp.MustCompile(`\?.*$`).ReplaceAllString(strings.TrimPrefix(get(cw.browser, chromedp.Location()), proxy.URL), "")
	if !regexp.MustCompile(`^/cases/[^/]+$`).MatchString(casePath) {
		t.Fatalf("after opening the browser is at %s", casePath)
	}
	cw.fill(map[string]string{
		"f-members[0].nik": "6408054101850999", "f-members[0].name": "Siti Aminah", "f-members[0].relation": "head",
		"f-members[0].birthDate": "1985-01-01", "f-members[0].sex": "F", "f-members[0].education": "sd", "f-members[0].occupation": "farmer",
		"f-monthlyExpenditure": "600.000", "f-monthlyIncome": "500.000",
		"f-housing.floor": "earth", "f-housing.wall": "bamboo", "f-housing.roof": "zinc", "f-housing.water": "unprotected",
		"f-housing.sanitation": "none", "f-housing.electricity": "pln_450",
		"f-assets.landAreaM2": "200", "f-assets.motorbikes": "1", "f-assets.cars": "0", "f-assets.livestock": "2",
	})
	cw.submit("#survey-submit")
	if got := cw.stage(); got != "Konfirmasi desa" {
		t.Fatalf("after the survey the stage is %q", got)
	}
	cwSurvey, allSurvey := tr.bytes.Load(), proxy.bytes.Load()

	vproxy := newCountingProxy(t)
	officer := signedInBrowser(t, p.village, vproxy.URL)
	vtr := officer.countTransfer()
	officer.throttle(slow3G)
	officer.open("/")
	officer.workerToo(slow3G)
	officer.open(casePath)
	officer.fill(map[string]string{"f-decision": "confirmed", "f-musdesDate": region.Today("64", time.Now()), "f-musdesMinutes": "12/MUSDES/XI/2026"})
	officer.submit(`#form-village button[type=submit]`)
	if got := officer.stage(); got != "Verifikasi" {
		t.Fatalf("after the musdes the stage is %q", got)
	}

	l := &lifecycle{t: t, s: sys, p: p, id: strings.TrimPrefix(casePath, "/cases/")}
	l.do(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	l.do(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}})
	l.do(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})

	cw.open("/")
	cw.open(casePath)
	cw.fill(map[string]string{"f-visitDate": region.Today("64", time.Now()), "f-monthlyExpenditure": "900.000"})
	cw.submit(`#form-visit button[type=submit]`)
	if got := cw.text("#alert, .flash"); got == "" {
		t.Fatal("the visit shows no answer")
	}
	pages := tr.bytes.Load() + vtr.bytes.Load()
	all := proxy.bytes.Load() + vproxy.bytes.Load()
	t.Logf("field walk: the pages received %d bytes (caseworker %d: open and survey %d, visit %d; village officer %d); "+
		"the browsers received %d bytes, service workers included (caseworker %d: until the survey %d; village officer %d); "+
		"case pages asked for: %d by the caseworker's browser, %d by the village officer's",
		pages, tr.bytes.Load(), cwSurvey, tr.bytes.Load()-cwSurvey, vtr.bytes.Load(),
		all, proxy.bytes.Load(), allSurvey, vproxy.bytes.Load(), proxy.caseFetches(), vproxy.caseFetches())

	// Then the signal goes and comes back, as it does many times a day on
	// the river: the service worker keeps the queue's pages fresh again.
	// One case changed since it last did (the visit). First the worker's
	// first saving of the queue ends (on slow 3G it may outlast the walk).
	allSaved := `window.TuntasOutbox.device().then(d => d && caches.open("pages-" + d.person)).then(c => c && c.match("/").then(r => r ? r.text() : "").then(h => {
		const ps = [...new Set([...h.matchAll(/href="(\/cases\/[A-Za-z0-9._~%-]+)"/g)].map(m => m[1]))];
		return Promise.all(ps.map(p => c.match(p))).then(rs => ps.length > 0 && rs.every(Boolean));
	}))`
	for deadline := time.Now().Add(time.Minute); !eval[bool](cw.browser, allSaved); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Log("the caseworker's phone does not hold every page its queue links to a minute after the walk")
			break
		}
	}
	before, beforeCases := proxy.bytes.Load(), proxy.caseFetches()
	cw.refreshed(func() {
		cw.offline()
		cw.emulate(slow3G, true)
	})
	t.Logf("the signal comes back after the walk: the caseworker's browser received %d bytes, %d case pages",
		proxy.bytes.Load()-before, proxy.caseFetches()-beforeCases)
}

// refreshed runs do (which brings the signal back) and waits until the
// service worker has refreshed the person's saved pages after it: its
// "kept" message to the page, of a refresh begun since (at), not the
// report of an earlier one.
func (b *fieldBrowser) refreshed(do func()) {
	b.t.Helper()
	b.until("the page knows what the phone holds", `document.documentElement.hasAttribute("data-offline-ready")`)
	eval[bool](b.browser, `window.__kept = false; window.__since = Date.now(); navigator.serviceWorker.addEventListener("message", e => { if (e.data && e.data.type === "kept" && e.data.at >= window.__since) window.__kept = true; }); true`)
	do()
	b.untilWithin(3*time.Minute, "the saved pages refreshed", `window.__kept === true`)
}
