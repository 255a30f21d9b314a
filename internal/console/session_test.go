package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

var regexpCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newTestConsole(t *testing.T, dev bool) (*Console, *auth.Issuer) {
	t.Helper()
	return newTestConsoleWith(t, func(cfg *Config) {
		if !dev {
			cfg.DevIssuer = nil
		}
	})
}

// newTestConsoleWith is a console on an API that knows only the issuer's
// tokens, with sessions in memory and the dev issuer, changed by set.
func newTestConsoleWith(t *testing.T, set func(*Config)) (*Console, *auth.Issuer) {
	t.Helper()
	issuer, err := auth.NewIssuer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{API: api.NewServer(api.Config{Verifier: issuer.Verifier()}), Sessions: newMemSessions(), DevIssuer: issuer}
	set(&cfg)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, issuer
}

// memSessions keeps sessions in memory as the store keeps them in MongoDB:
// read at or past their expiry, they are gone.
type memSessions struct {
	mu sync.Mutex
	m  map[string]store.Session
}

var _ Sessions = (*memSessions)(nil)

func newMemSessions() *memSessions { return &memSessions{m: map[string]store.Session{}} }

func (s *memSessions) CreateSession(_ context.Context, sess store.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[sess.Key] = sess
	return nil
}

func (s *memSessions) Session(_ context.Context, key string, now time.Time) (store.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[key]
	if !ok || !now.Before(sess.Expires) {
		return store.Session{}, store.ErrNotFound
	}
	return sess, nil
}

func (s *memSessions) DeleteSession(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

func (s *memSessions) PruneSessions(_ context.Context, now time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for k, sess := range s.m {
		if !now.Before(sess.Expires) {
			delete(s.m, k)
			n++
		}
	}
	return n, nil
}

// csrfFrom gets the sign-in page and returns its CSRF cookie and field.
func csrfFrom(t *testing.T, h http.Handler, target string) (*http.Cookie, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target+"/signin", nil))
	m := regexpCSRF.FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatal("no CSRF field on the sign-in page")
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == csrfCookie {
			return ck, m[1]
		}
	}
	t.Fatal("no CSRF cookie")
	return nil, ""
}

// signIn posts token to the sign-in form of h at target and returns the
// answer.
func signIn(t *testing.T, h http.Handler, target, token, next string) *httptest.ResponseRecorder {
	t.Helper()
	ck, field := csrfFrom(t, h, target)
	req := httptest.NewRequest(http.MethodPost, target+"/signin",
		strings.NewReader(url.Values{"csrf": {field}, "token": {token}, "next": {next}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func cookieOf(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, k := range rec.Result().Cookies() {
		if k.Name == name {
			return k
		}
	}
	return nil
}

func caseworkerToken(t *testing.T, issuer *auth.Issuer, ttl time.Duration) string {
	t.Helper()
	token, err := issuer.Issue(auth.Principal{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"}, ttl, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestSignInKeepsASessionIDInASecureStrictCookieThatEndsWithTheToken(t *testing.T) {
	tests := []struct {
		name, target string
		plainHTTP    bool
		secure       bool
	}{
		// TLS may end at a proxy: the request's scheme says nothing.
		{"behind a proxy, over HTTP", "http://tuntas.test", false, true},
		{"over HTTPS", "https://tuntas.test", false, true},
		{"tuntas dev, plain HTTP", "http://127.0.0.1:8080", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, issuer := newTestConsoleWith(t, func(cfg *Config) { cfg.PlainHTTP = tt.plainHTTP })
			exp := time.Now().Add(2 * time.Hour).Truncate(time.Second)
			token := caseworkerToken(t, issuer, 2*time.Hour)
			rec := signIn(t, c, tt.target, token, "//evil.example/")
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
				t.Fatalf("sign in: %d to %q", rec.Code, rec.Header().Get("Location"))
			}
			session := cookieOf(rec, sessionCookie)
			if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure != tt.secure {
				t.Fatalf("session cookie %+v", session)
			}
			if session.Value == token || strings.Contains(token, session.Value) || len(session.Value) < 22 {
				t.Fatalf("the session cookie %q is not a random session ID", session.Value)
			}
			if d := session.Expires.Sub(exp); d < -2*time.Second || d > 2*time.Second {
				t.Fatalf("the cookie expires %s, the token %s", session.Expires, exp)
			}
			if csrf := cookieOf(rec, csrfCookie); csrf != nil && csrf.Secure != tt.secure {
				t.Fatalf("CSRF cookie %+v", csrf)
			}
			if got, want := rec.Header().Get("Strict-Transport-Security"), map[bool]string{true: "max-age=31536000"}[tt.secure]; got != want {
				t.Fatalf("Strict-Transport-Security %q, want %q", got, want)
			}
		})
	}
}

func TestSignOutEndsTheSessionItsCookieNamed(t *testing.T) {
	c, issuer := newTestConsole(t, false)
	// The API and the console on one handler, as `tuntas api` serves them.
	mux := http.NewServeMux()
	mux.Handle("/v1/", c.api.Handler())
	mux.Handle("/", c)
	const target = "https://tuntas.test"
	token := caseworkerToken(t, issuer, 2*time.Hour)
	session := cookieOf(signIn(t, mux, target, token, "/"), sessionCookie)
	if session == nil {
		t.Fatal("no session cookie")
	}
	// get sends the session cookie, or bearer when given instead.
	get := func(path, bearer string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		} else {
			req.AddCookie(session)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/cases/new", ""); rec.Code != http.StatusOK {
		t.Fatalf("the session does not open a page: %d", rec.Code)
	}

	ck, field := csrfFrom(t, mux, target)
	req := httptest.NewRequest(http.MethodPost, target+"/signout", strings.NewReader(url.Values{"csrf": {field}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(ck)
	req.AddCookie(session)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/signin" {
		t.Fatalf("sign out: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if k := cookieOf(rec, sessionCookie); k == nil || k.MaxAge >= 0 {
		t.Fatalf("sign out leaves the cookie: %+v", k)
	}
	// Pages the browser kept to revalidate go too (a shared phone's Back).
	if got := rec.Header().Get("Clear-Site-Data"); got != `"cache"` {
		t.Errorf("sign out answers Clear-Site-Data %q, want \"cache\"", got)
	}

	// The cookie as it was, replayed: no page, and no bearer token either.
	for _, path := range []string{"/dashboard", "/cases/new"} {
		if rec := get(path, ""); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/signin?") {
			t.Errorf("the old cookie on %s after sign-out: %d to %q, want the sign-in page", path, rec.Code, rec.Header().Get("Location"))
		}
	}
	if rec := get("/v1/regions", session.Value); rec.Code != http.StatusUnauthorized {
		t.Errorf("the old cookie as a bearer token on /v1: %d, want 401", rec.Code)
	}
}

func TestSignInPrunesExpiredSessionsAtMostHourly(t *testing.T) {
	at := time.Now()
	sessions := newMemSessions()
	c, issuer := newTestConsoleWith(t, func(cfg *Config) {
		cfg.Sessions = sessions
		cfg.Now = func() time.Time { return at }
	})
	expired := func(key string) {
		_ = sessions.CreateSession(context.Background(), store.Session{Key: key, Sub: "old", Expires: at.Add(-time.Minute)})
	}
	left := func(key string) bool {
		sessions.mu.Lock()
		defer sessions.mu.Unlock()
		_, ok := sessions.m[key]
		return ok
	}
	steps := []struct {
		after time.Duration
		key   string
		kept  bool
	}{
		{0, "first", false},                     // the process's first sign-in prunes
		{10 * time.Minute, "soon", true},        // the next within the hour does not
		{61 * time.Minute, "an hour on", false}, // an hour after the last pass, again
	}
	for _, st := range steps {
		at = at.Add(st.after)
		expired(st.key)
		if rec := signIn(t, c, "https://tuntas.test", caseworkerToken(t, issuer, 2*time.Hour), "/"); rec.Code != http.StatusSeeOther {
			t.Fatalf("sign in: %d", rec.Code)
		}
		if left(st.key) != st.kept {
			t.Fatalf("%s: the expired session is kept %t, want %t", st.key, left(st.key), st.kept)
		}
	}
}

func TestEveryConsoleAnswerAsksForHTTPSUnlessPlainHTTP(t *testing.T) {
	for _, plain := range []bool{false, true} {
		c, _ := newTestConsoleWith(t, func(cfg *Config) { cfg.PlainHTTP = plain })
		for _, path := range []string{"/signin", "/dashboard", "/no-such-page"} {
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://tuntas.test"+path, nil))
			if got, want := rec.Header().Get("Strict-Transport-Security"), map[bool]string{false: "max-age=31536000"}[plain]; got != want {
				t.Errorf("plain HTTP %t, %s: Strict-Transport-Security %q, want %q", plain, path, got, want)
			}
		}
	}
}

func TestRedirectsAfterSignInAndLanguageStayOnThisConsole(t *testing.T) {
	// next as it arrives, decoded, and where the redirect may go.
	tests := []struct{ next, want string }{
		{"/./\\127.0.0.1:18999/x", "/"},
		{"/\t/host", "/"},
		{"//evil", "/"},
		{"/\\evil", "/"},
		{"/%5Cevil", "/"},
		{"/%5cevil", "/"},
		{"/%09/evil", "/"},
		{"/%0A/evil", "/"},
		{"/%20/evil", "/"},
		{"/%2F/evil", "/"},
		{"https://evil", "/"},
		{"https:/evil", "/"},
		{"//user@evil/", "/"},
		{"/./%5C127.0.0.1/x", "/"},
		{"\t/x", "/"},
		{" /x", "/"},
		{"cases", "/"},
		{"", "/"},
		{"/cases?stage=collecting", "/cases?stage=collecting"},
		{"/cases/c-1?done=survey#top", "/cases/c-1?done=survey"},
		{"/", "/"},
	}
	c, issuer := newTestConsole(t, false)
	for _, tt := range tests {
		t.Run("language "+tt.next, func(t *testing.T) {
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/lang/en?next="+url.QueryEscape(tt.next), nil))
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tt.want {
				t.Fatalf("%d to %q, want %q", rec.Code, rec.Header().Get("Location"), tt.want)
			}
		})
		t.Run("sign-in "+tt.next, func(t *testing.T) {
			rec := signIn(t, c, "https://tuntas.test", caseworkerToken(t, issuer, time.Hour), tt.next)
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tt.want {
				t.Fatalf("%d to %q, want %q", rec.Code, rec.Header().Get("Location"), tt.want)
			}
		})
	}
	// The report's own links, as sent.
	for _, raw := range []string{"next=/./%5C127.0.0.1:18999/x", "next=/%09/host", "next=/%255Cevil", "next=%2F%5Cevil"} {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/lang/en?"+raw, nil))
		if loc := rec.Header().Get("Location"); loc != "/" {
			t.Errorf("/lang/en?%s redirects to %q, want /", raw, loc)
		}
	}
}

func TestOnlyTheDevConsoleMintsTokens(t *testing.T) {
	for _, dev := range []bool{false, true} {
		c, _ := newTestConsole(t, dev)
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/signin", nil))
		if offers := strings.Contains(rec.Body.String(), `action="/signin/dev"`); offers != dev {
			t.Fatalf("dev %t: the sign-in page offers the picker: %t", dev, offers)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("CSP %q", csp)
		}
		if !strings.Contains(rec.Body.String(), `<html lang="id">`) {
			t.Fatal("the page is not in Indonesian by default")
		}
		ck, field := csrfFrom(t, c, "http://tuntas.test")
		req := httptest.NewRequest(http.MethodPost, "/signin/dev",
			strings.NewReader(url.Values{"csrf": {field}, "sub": {"x"}, "role": {"admin"}, "region": {"64"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(ck)
		rec = httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		if want := map[bool]int{false: http.StatusNotFound, true: http.StatusSeeOther}[dev]; rec.Code != want {
			t.Fatalf("dev %t: minting answered %d, want %d", dev, rec.Code, want)
		}
	}
}
