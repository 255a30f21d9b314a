package console

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/devstack/oidcprovider"
	"github.com/tuntas-id/tuntas/internal/store"
)

// oidcConsole is a console served over HTTP that signs people in at a
// real OpenID provider (zitadel's op, internal/devstack/oidcprovider).
type oidcConsole struct {
	t        *testing.T
	c        *Console
	url      string
	provider *oidcprovider.Server
	sessions *memSessions
	// ahead moves the console's clock forward.
	ahead atomic.Int64
}

func newOIDCConsole(t *testing.T, extra ...oidcprovider.Person) *oidcConsole {
	t.Helper()
	o := &oidcConsole{t: t, sessions: newMemSessions()}
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().(http.Handler).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	o.url = srv.URL
	p, err := oidcprovider.Listen("127.0.0.1:0", oidcprovider.Config{People: append(oidcprovider.People(), extra...),
		Clients: []oidcprovider.Client{{ID: "tuntas-console", Secret: "s3cret", RedirectURIs: []string{srv.URL + auth.CallbackPath},
			PostLogoutURIs: []string{srv.URL + auth.SignedOutPath}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	o.provider = p
	signin, err := auth.NewSignin(context.Background(), auth.SigninConfig{OIDC: auth.OIDCConfig{Issuer: p.Issuer()},
		ClientID: "tuntas-console", ClientSecret: "s3cret", RedirectURL: srv.URL + auth.CallbackPath})
	if err != nil {
		t.Fatal(err)
	}
	o.c, _ = newTestConsoleWith(t, func(cfg *Config) {
		cfg.DevIssuer, cfg.Signin, cfg.Sessions, cfg.PlainHTTP = nil, signin, o.sessions, true
		cfg.Now = func() time.Time { return time.Now().Add(time.Duration(o.ahead.Load())) }
	})
	h.Store(http.Handler(o.c))
	return o
}

// personBrowser is a person's browser: it keeps cookies, and stops at the
// console's callback so that a test can look at (or alter) the way back.
type personBrowser struct {
	t *testing.T
	c *http.Client
}

func (o *oidcConsole) browser() *personBrowser {
	jar, _ := cookiejar.New(nil)
	return &personBrowser{t: o.t, c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == auth.CallbackPath {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

func (b *personBrowser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *personBrowser) get(u string) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *personBrowser) post(u string, form url.Values) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// toProvider opens the sign-in page, chooses "Masuk" and returns the
// provider's login page.
func (o *oidcConsole) toProvider(b *personBrowser, next string) *http.Response {
	o.t.Helper()
	_, page := b.get(o.url + "/signin?next=" + url.QueryEscape(next))
	m := regexpCSRF.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `action="/signin/oidc"`) {
		o.t.Fatalf("the sign-in page offers no sign-in at the provider: %s", mainOf(page))
	}
	resp, body := b.post(o.url+"/signin/oidc", url.Values{"csrf": {m[1]}, "next": {next}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="login-form"`) {
		o.t.Fatalf("Masuk led to %d %s, not the provider's login page", resp.StatusCode, resp.Request.URL)
	}
	return resp
}

// login answers the provider's login page and returns the redirect back
// to the console's callback.
func (o *oidcConsole) login(b *personBrowser, loginPage *http.Response, user, password, action string) *url.URL {
	o.t.Helper()
	u := loginPage.Request.URL
	resp, _ := b.post(u.Scheme+"://"+u.Host+"/login", url.Values{"authRequestID": {u.Query().Get("authRequestID")},
		"username": {user}, "password": {password}, "action": {action}})
	loc, err := resp.Location()
	if err != nil || loc.Path != auth.CallbackPath {
		o.t.Fatalf("the provider answered %d, not a redirect to the callback", resp.StatusCode)
	}
	return loc
}

// list is every session kept.
func (s *memSessions) list() []store.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Session
	for _, sess := range s.m {
		out = append(out, sess)
	}
	return out
}

func TestSignInAtTheProviderStartsTheSessionAndComesBack(t *testing.T) {
	o := newOIDCConsole(t)
	b := o.browser()
	back := o.login(b, o.toProvider(b, "/cases/new"), "ani", oidcprovider.DevPassword, "signin")
	resp, page := b.get(back.String())
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("callback: %d, Cache-Control %q: %s", resp.StatusCode, resp.Header.Get("Cache-Control"), mainOf(page))
	}
	// The page moves on by itself: a redirect from here would lose the
	// SameSite=Strict session cookie (the way began at the provider).
	if !strings.Contains(page, `<meta http-equiv="refresh" content="0;url=/cases/new">`) || !strings.Contains(page, "Anda sudah masuk") {
		t.Fatalf("the callback's page does not move on to /cases/new: %s", page)
	}
	all := o.sessions.list()
	if len(all) != 1 || all[0].Sub != "ani" || all[0].Role != "caseworker" || all[0].Region != "64.08.01" {
		t.Fatalf("sessions %+v", all)
	}
	sess := all[0]
	// The working day, not the ID token's five minutes.
	if d := time.Until(sess.Expires); d < auth.MaxTokenLifetime-time.Minute || d > auth.MaxTokenLifetime {
		t.Errorf("the session ends in %s, want %s", d, auth.MaxTokenLifetime)
	}
	if len(sess.IDToken) == 0 || strings.Contains(string(sess.IDToken), "eyJ") {
		t.Errorf("the session keeps its ID token %q, want it sealed", sess.IDToken)
	}
	for _, ck := range b.c.Jar.Cookies(&url.URL{Scheme: "http", Host: strings.TrimPrefix(o.url, "http://"), Path: auth.CallbackPath}) {
		if strings.HasPrefix(ck.Name, flowCookiePrefix) {
			t.Errorf("the flow's cookie %s outlived its callback", ck.Name)
		}
	}
	// The phone's outbox key comes with the session, as after any sign-in.
	resp, body := b.get(o.url + "/device")
	var dev map[string]string
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &dev) != nil || dev["person"] != o.c.personID("ani") || dev["key"] == "" {
		t.Fatalf("/device after signing in at the provider: %d %s", resp.StatusCode, body)
	}
	// Coming back with the same answer again finds no flow.
	if resp, page := b.get(back.String()); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "tidak dikenali") {
		t.Errorf("a callback replayed: %d %s", resp.StatusCode, mainOf(page))
	}
}

func TestSignInAtTheProviderRefusesWhatIsNotItsOwnWay(t *testing.T) {
	o := newOIDCConsole(t, oidcprovider.Person{Username: "tamu", Password: "tamu", Role: "guest", Region: "64.08"})
	tests := []struct {
		name     string
		user     string
		action   string
		alter    func(q url.Values)
		late     time.Duration
		down     bool
		status   int
		wantText string
	}{
		{"a tampered state", "ani", "signin", func(q url.Values) {
			s := []byte(q.Get("state"))
			s[len(s)-1] ^= 1
			q.Set("state", string(s))
		}, 0, false, http.StatusBadRequest, "tidak dikenali"},
		{"no state", "ani", "signin", func(q url.Values) { q.Del("state") }, 0, false, http.StatusBadRequest, "tidak dikenali"},
		{"another code", "ani", "signin", func(q url.Values) { q.Set("code", "made-up") }, 0, false, http.StatusBadRequest, "tidak menerima"},
		{"back after eleven minutes", "ani", "signin", nil, 11 * time.Minute, false, http.StatusBadRequest, "sudah habis"},
		{"consent denied", "", "deny", nil, 0, false, http.StatusForbidden, "membatalkan"},
		{"a person without a Tuntas role", "tamu", "signin", nil, 0, false, http.StatusForbidden, "belum diberi peran"},
		{"the provider down at the exchange", "ani", "signin", nil, 0, true, http.StatusServiceUnavailable, "tidak dapat dihubungi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.down {
				o = newOIDCConsole(t) // its provider is closed below
			}
			o.ahead.Store(0)
			b := o.browser()
			password := oidcprovider.DevPassword
			if tt.user == "tamu" {
				password = "tamu"
			}
			back := o.login(b, o.toProvider(b, "/"), tt.user, password, tt.action)
			if tt.alter != nil {
				q := back.Query()
				tt.alter(q)
				back.RawQuery = q.Encode()
			}
			o.ahead.Store(int64(tt.late))
			if tt.down {
				_ = o.provider.Close()
			}
			before := len(o.sessions.list())
			resp, page := b.get(back.String())
			if resp.StatusCode != tt.status || !strings.Contains(page, tt.wantText) || !strings.Contains(page, `href="/signin"`) {
				t.Errorf("callback: %d, want %d with %q and the way to sign in again: %s", resp.StatusCode, tt.status, tt.wantText, mainOf(page))
			}
			if len(o.sessions.list()) != before {
				t.Error("a refused sign-in started a session")
			}
		})
	}
}

func TestSignOutAlsoSignsOutAtTheProvider(t *testing.T) {
	o := newOIDCConsole(t)
	b := o.browser()
	back := o.login(b, o.toProvider(b, "/"), "ani", oidcprovider.DevPassword, "signin")
	b.get(back.String())
	_, page := b.get(o.url + "/signin")
	m := regexpCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF field")
	}
	// Stop at the provider, to read where the console sent the person.
	b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := b.post(o.url+"/signout", url.Values{"csrf": {m[1]}})
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), o.provider.Issuer()) {
		t.Fatalf("sign out: %d to %v, want the provider's end-session endpoint", resp.StatusCode, loc)
	}
	if q := loc.Query(); q.Get("id_token_hint") == "" || q.Get("post_logout_redirect_uri") != o.url+auth.SignedOutPath {
		t.Errorf("end-session URL %s lacks the ID token or the way back", loc)
	}
	if len(o.sessions.list()) != 0 {
		t.Error("the session outlived the sign-out")
	}
	b.c.CheckRedirect = nil
	resp, page = b.get(loc.String())
	if resp.Request.URL.Path != auth.SignedOutPath || !strings.Contains(page, "Anda sudah keluar dari Tuntas") {
		t.Fatalf("after the provider: %s %d %s", resp.Request.URL, resp.StatusCode, mainOf(page))
	}
	if n := o.provider.SignedOut("ani"); n != 1 {
		t.Errorf("the provider ended ani's session %d times, want 1", n)
	}
	// The next sign-in in this browser asks for a password again.
	o.toProvider(b, "/")
}

func TestThePolicyLetsFormsLeadOnlyToTheProvider(t *testing.T) {
	o := newOIDCConsole(t)
	resp, _ := o.browser().get(o.url + "/signin")
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+o.provider.Issuer()+";") && !strings.HasSuffix(csp, "form-action 'self' "+o.provider.Issuer()) {
		t.Errorf("policy %q: want form-action 'self' and the provider %s alone", csp, o.provider.Issuer())
	}
	c, _ := newTestConsole(t, false)
	if csp := serve(c, httptest.NewRequest(http.MethodGet, "https://tuntas.test/signin", nil)).Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "form-action 'self'") {
		t.Errorf("without a provider the policy is %q, want form-action 'self' alone", csp)
	}
}
