package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
)

var regexpCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newTestConsole(t *testing.T, dev bool) (*Console, *auth.Issuer) {
	t.Helper()
	issuer, err := auth.NewIssuer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{API: api.NewServer(api.Config{Verifier: issuer.Verifier()})}
	if dev {
		cfg.DevIssuer = issuer
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, issuer
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

func TestSignInKeepsTheTokenInAStrictCookieThatEndsWithIt(t *testing.T) {
	tests := []struct {
		name, target string
		secure       bool
	}{
		{"over HTTP", "http://tuntas.test", false},
		{"over HTTPS", "https://tuntas.test", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, issuer := newTestConsole(t, false)
			exp := time.Now().Add(2 * time.Hour).Truncate(time.Second)
			token, err := issuer.Issue(auth.Principal{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"}, 2*time.Hour, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ck, field := csrfFrom(t, c, tt.target)
			req := httptest.NewRequest(http.MethodPost, tt.target+"/signin",
				strings.NewReader(url.Values{"csrf": {field}, "token": {token}, "next": {"//evil.example/"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(ck)
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
				t.Fatalf("sign in: %d to %q", rec.Code, rec.Header().Get("Location"))
			}
			var session *http.Cookie
			for _, k := range rec.Result().Cookies() {
				if k.Name == sessionCookie {
					session = k
				}
			}
			if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure != tt.secure {
				t.Fatalf("session cookie %+v", session)
			}
			if d := session.Expires.Sub(exp); d < -2*time.Second || d > 2*time.Second {
				t.Fatalf("the cookie expires %s, the token %s", session.Expires, exp)
			}
		})
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
