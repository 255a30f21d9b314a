package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
)

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// deviceOf is what GET /device answers to the session of the cookie.
func deviceOf(t *testing.T, c *Console, session *http.Cookie) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "https://tuntas.test/device", nil)
	if session != nil {
		req.AddCookie(session)
	}
	rec := serve(c, req)
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("/device answers Cache-Control %q, want no-store", cc)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("/device answered %d %q: %v", rec.Code, rec.Body.String(), err)
	}
	return rec.Code, out
}

func TestDeviceKeyIsHandedOnlyToItsPersonsSessionsAndIsTheSameInEach(t *testing.T) {
	secret := []byte(strings.Repeat("d", 32))
	c, issuer := newTestConsoleWith(t, func(cfg *Config) { cfg.DeviceSecret = secret })
	sessionOf := func(sub string) *http.Cookie {
		token, err := issuer.Issue(auth.Principal{Sub: sub, Role: household.RoleCaseworker, Region: "64.08.01"}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return cookieOf(signIn(t, c, "https://tuntas.test", token, "/"), sessionCookie)
	}
	if code, out := deviceOf(t, c, nil); code != http.StatusUnauthorized || out["state"] != stateSignin || out["key"] != nil {
		t.Fatalf("without a session /device answered %d %v", code, out)
	}
	_, ani1 := deviceOf(t, c, sessionOf("ani"))
	_, ani2 := deviceOf(t, c, sessionOf("ani"))
	_, budi := deviceOf(t, c, sessionOf("budi"))
	if ani1["person"] == nil || ani1["key"] == nil || ani1["csrf"] == nil {
		t.Fatalf("/device answered %v", ani1)
	}
	if ani1["person"] != ani2["person"] || ani1["key"] != ani2["key"] {
		t.Fatal("a person's second session gets another device ID or key: what the first left in the outbox would be lost")
	}
	if budi["person"] == ani1["person"] || budi["key"] == ani1["key"] {
		t.Fatal("two people share a device ID or key")
	}
	if strings.Contains(ani1["person"].(string), "ani") {
		t.Fatalf("the device ID %q shows who the person is", ani1["person"])
	}
	// Every process with the same secret agrees; another secret does not.
	same, _ := newTestConsoleWith(t, func(cfg *Config) { cfg.DeviceSecret = secret })
	other, _ := newTestConsoleWith(t, func(cfg *Config) {})
	if same.personID("ani") != ani1["person"] || other.personID("ani") == ani1["person"] {
		t.Fatal("the device ID does not follow the device secret")
	}
}

func TestAFormPostedAfterTheSessionEndedKeepsWhatWasTyped(t *testing.T) {
	c, _ := newTestConsole(t, false)
	ck, field := csrfFrom(t, c, "https://tuntas.test")
	form := url.Values{"csrf": {field}, "nonce": {"n-1"}, "members[0].name": {"Siti <Aminah>"}, "monthlyExpenditure": {"600.000"}}
	post := func(outbox bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "https://tuntas.test/cases/c-1/survey", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if outbox {
			req.Header.Set(outboxHeader, "1")
		}
		req.AddCookie(ck)
		return serve(c, req)
	}

	// A browser gets a page in the console's layout, in Indonesian, with
	// what was typed to copy and the way back through sign-in.
	rec := post(false)
	body := rec.Body.String()
	if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("answered %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec.Header().Get(signinHeader) != "required" {
		t.Fatal("the answer does not tell the service worker to keep the post")
	}
	for _, want := range []string{`<html lang="id">`, "Sesi Anda berakhir", `href="/signin?next=%2Fcases%2Fc-1"`,
		"members[0].name: Siti &lt;Aminah&gt;", "monthlyExpenditure: 600.000"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, mainOf(body))
		}
	}
	if strings.Contains(body, "n-1") || strings.Contains(mainOf(body), field) {
		t.Error("the page shows the form's nonce or CSRF token as typed")
	}

	// The outbox gets JSON: keep the item, sign in here.
	rec = post(true)
	var a outboxAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || rec.Code != http.StatusUnauthorized {
		t.Fatalf("the outbox got %d %s", rec.Code, rec.Body.String())
	}
	if a.State != stateSignin || a.SigninURL != "/signin?next=%2Fcases%2Fc-1" {
		t.Fatalf("the outbox got %+v", a)
	}
}

func mainOf(page string) string {
	start, end := strings.Index(page, "<main"), strings.Index(page, "</main>")
	if start < 0 || end < start {
		return page
	}
	return page[start:end]
}

func TestReturnPathIsThePageTheFormCameFrom(t *testing.T) {
	tests := []struct{ post, want string }{
		{"/cases/c-1/survey", "/cases/c-1"},
		{"/cases/c-1/interventions/iv-1/status", "/cases/c-1"},
		{"/cases", "/cases/new"},
		{"/notifications/read", "/"},
		{"/imports", "/imports"},
	}
	for _, tt := range tests {
		if got := returnPath(tt.post); got != tt.want {
			t.Errorf("returnPath(%q) = %q, want %q", tt.post, got, tt.want)
		}
	}
}

func TestTheInstallableAppsFilesAreServedUnderTheConsolesPolicy(t *testing.T) {
	c, _ := newTestConsole(t, false)
	get := func(path string) *httptest.ResponseRecorder {
		return serve(c, httptest.NewRequest(http.MethodGet, "https://tuntas.test"+path, nil))
	}
	csp := get("/signin").Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "manifest-src 'self'", "worker-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("the policy %q lacks %q", csp, want)
		}
	}
	page := get("/signin").Body.String()
	for _, want := range []string{`<link rel="manifest" href="/manifest.webmanifest">`, `src="` + assetURL("outbox.js") + `"`,
		`<script type="application/json" id="outbox-words">{`, `"pending":"Menunggu dikirim: %d"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the layout lacks %q", want)
		}
	}
	if strings.Contains(page, `name="tuntas-person"`) {
		t.Error("a page with nobody signed in names a person")
	}

	sw := get("/sw.js")
	if sw.Code != http.StatusOK || !strings.HasPrefix(sw.Header().Get("Content-Type"), "text/javascript") ||
		sw.Header().Get("Cache-Control") != "no-cache" || !strings.Contains(sw.Body.String(), `"version":"`+c.assetVersion+`"`) {
		t.Fatalf("/sw.js: %d %v", sw.Code, sw.Header())
	}
	// Everything the worker keeps in front is served.
	var conf struct{ Shell []string }
	line, _, _ := strings.Cut(strings.TrimPrefix(sw.Body.String(), "self.TUNTAS = "), ";\n")
	if err := json.Unmarshal([]byte(line), &conf); err != nil || len(conf.Shell) == 0 {
		t.Fatalf("the worker's configuration %q: %v", line, err)
	}
	for _, p := range conf.Shell {
		if rec := get(p); rec.Code != http.StatusOK {
			t.Errorf("the shell's %s answers %d", p, rec.Code)
		}
	}
	// The worker keeps the static files under the URLs the pages link, so
	// that a page shown from the phone finds them.
	for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !slices.Contains(conf.Shell, m[1]) {
			t.Errorf("the page links %s, which the worker does not keep (it keeps %v)", m[1], conf.Shell)
		}
	}

	var m struct {
		StartURL string `json:"start_url"`
		Scope    string
		Display  string
		Lang     string
		Icons    []struct{ Src, Sizes, Purpose string }
	}
	man := get("/manifest.webmanifest")
	if err := json.Unmarshal(man.Body.Bytes(), &m); err != nil || man.Header().Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: %s %v", man.Header().Get("Content-Type"), err)
	}
	if m.StartURL != "/" || m.Scope != "/" || m.Display != "standalone" || m.Lang != "id" {
		t.Fatalf("manifest %+v", m)
	}
	sizes := map[string]bool{}
	for _, ic := range m.Icons {
		rec := get(ic.Src)
		if rec.Code != http.StatusOK {
			t.Fatalf("icon %s: %d", ic.Src, rec.Code)
		}
		if !strings.HasSuffix(strings.Split(ic.Src, "?")[0], ".png") {
			continue
		}
		img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatalf("icon %s: %v", ic.Src, err)
		}
		if b := img.Bounds(); ic.Sizes != fmt.Sprintf("%dx%d", b.Dx(), b.Dy()) {
			t.Errorf("icon %s is %v, the manifest says %s", ic.Src, b, ic.Sizes)
		}
		sizes[ic.Sizes] = true
	}
	if !sizes["192x192"] || !sizes["512x512"] {
		t.Fatalf("the manifest's PNG icons are %v; an installable app needs 192 and 512", sizes)
	}
	if rec := get("/icons/64.png"); rec.Code != http.StatusNotFound {
		t.Errorf("an icon of a size not drawn answers %d", rec.Code)
	}
}
