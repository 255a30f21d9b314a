package auth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/devstack/oidcprovider"
	"github.com/tuntas-id/tuntas/internal/household"
)

// The console these tests sign in to is never contacted: the browser
// stops at its callback and hands over the query.
const (
	callbackURL = "http://127.0.0.1:1" + auth.CallbackPath
	signedOut   = "http://127.0.0.1:1" + auth.SignedOutPath
)

// startProvider is a real OpenID provider (zitadel's op) with the default
// people, one for each role, and two registrations of the console: one
// that gets the Tuntas claims in its ID tokens, one that must ask the
// userinfo endpoint.
func startProvider(t *testing.T, extra ...oidcprovider.Person) *oidcprovider.Server {
	t.Helper()
	people := append(oidcprovider.People(), extra...)
	p, err := oidcprovider.Listen("127.0.0.1:0", oidcprovider.Config{People: people, Clients: []oidcprovider.Client{
		{ID: "console", Secret: "console-secret", RedirectURIs: []string{callbackURL}, PostLogoutURIs: []string{signedOut}},
		{ID: "console-claims", Secret: "claims-secret", RedirectURIs: []string{callbackURL}, PostLogoutURIs: []string{signedOut}, ClaimsInIDToken: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func newSignin(t *testing.T, p *oidcprovider.Server, client, secret string) *auth.Signin {
	t.Helper()
	s, err := auth.NewSignin(context.Background(), auth.SigninConfig{
		OIDC: auth.OIDCConfig{Issuer: p.Issuer()}, ClientID: client, ClientSecret: secret, RedirectURL: callbackURL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// person is a browser at the provider: it keeps the provider's cookies
// and stops at the console's callback.
type person struct {
	t *testing.T
	c *http.Client
}

func newPerson(t *testing.T) *person {
	jar, _ := cookiejar.New(nil)
	return &person{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "127.0.0.1:1" {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

// back is the query the provider sent the person back to the console
// with, or nil when resp is not that redirect.
func back(resp *http.Response) url.Values {
	loc, err := resp.Location()
	if err != nil || loc.Host != "127.0.0.1:1" {
		return nil
	}
	return loc.Query()
}

func (b *person) get(u string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// signIn goes to the provider and, when its login page asks, answers it
// with action (signin or deny); it returns the callback's query and
// whether the login page was shown.
func (b *person) signIn(authURL, user, password, action string) (url.Values, bool) {
	b.t.Helper()
	resp, body := b.get(authURL)
	if q := back(resp); q != nil {
		return q, false
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="login-form"`) {
		b.t.Fatalf("the provider answered %d, not its login page: %s", resp.StatusCode, body)
	}
	id := resp.Request.URL.Query().Get("authRequestID")
	form := url.Values{"authRequestID": {id}, "username": {user}, "password": {password}, "action": {action}}
	resp, err := b.c.PostForm(resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+"/login", form)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	q := back(resp)
	if q == nil {
		b.t.Fatalf("the login page answered %d, not a redirect to the console", resp.StatusCode)
	}
	return q, true
}

func TestSigninThroughTheProvidersLoginPage(t *testing.T) {
	p := startProvider(t)
	tests := []struct {
		name, client, secret, user string
		want                       auth.Principal
	}{
		{"claims from the userinfo endpoint", "console", "console-secret", "ani",
			auth.Principal{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"}},
		{"claims in the ID token", "console-claims", "claims-secret", "dewi",
			auth.Principal{Sub: "dewi", Role: household.RoleSupervisor, Region: "64.08"}},
		{"an agency", "console", "console-secret", "eka",
			auth.Principal{Sub: "eka", Role: household.RoleAgency, Region: "64.08", Agency: "dinsos"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSignin(t, p, tt.client, tt.secret)
			f, authURL := s.Start()
			u, _ := url.Parse(authURL)
			q := u.Query()
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") != f.Nonce || q.Get("state") != f.State {
				t.Fatalf("authorization URL lacks PKCE, nonce or state: %s", authURL)
			}
			back, asked := newPerson(t).signIn(authURL, tt.user, oidcprovider.DevPassword, "signin")
			if !asked || back.Get("state") != f.State || back.Get("code") == "" {
				t.Fatalf("callback query %v (login page shown: %v)", back, asked)
			}
			id, err := s.Finish(context.Background(), f, back.Get("code"))
			if err != nil {
				t.Fatal(err)
			}
			if id.Principal != tt.want || id.IDToken == "" {
				t.Errorf("signed in %+v (ID token %d bytes), want %+v", id.Principal, len(id.IDToken), tt.want)
			}
		})
	}
}

func TestSigninRefusesWhatIsNotThisSignIn(t *testing.T) {
	p := startProvider(t, oidcprovider.Person{Username: "tamu", Password: "tamu", Role: "guest", Region: "64.08"})
	s := newSignin(t, p, "console", "console-secret")
	code := func(t *testing.T, user, password string) (auth.Flow, string) {
		f, authURL := s.Start()
		q, _ := newPerson(t).signIn(authURL, user, password, "signin")
		return f, q.Get("code")
	}
	tests := []struct {
		name   string
		finish func(t *testing.T) error
		want   error
	}{
		{"another sign-in's nonce", func(t *testing.T) error {
			f, c := code(t, "ani", oidcprovider.DevPassword)
			f.Nonce = "someone-elses"
			_, err := s.Finish(context.Background(), f, c)
			return err
		}, auth.ErrInvalid},
		{"another PKCE verifier", func(t *testing.T) error {
			f, c := code(t, "ani", oidcprovider.DevPassword)
			other, _ := s.Start()
			f.Verifier = other.Verifier
			_, err := s.Finish(context.Background(), f, c)
			return err
		}, auth.ErrSigninRefused},
		{"a code used twice", func(t *testing.T) error {
			f, c := code(t, "ani", oidcprovider.DevPassword)
			if _, err := s.Finish(context.Background(), f, c); err != nil {
				t.Fatalf("first use: %v", err)
			}
			_, err := s.Finish(context.Background(), f, c)
			return err
		}, auth.ErrSigninRefused},
		{"a made-up code", func(t *testing.T) error {
			f, _ := s.Start()
			_, err := s.Finish(context.Background(), f, "made-up")
			return err
		}, auth.ErrSigninRefused},
		{"a person without a Tuntas role", func(t *testing.T) error {
			f, c := code(t, "tamu", "tamu")
			_, err := s.Finish(context.Background(), f, c)
			return err
		}, auth.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.finish(t); !errors.Is(err, tt.want) {
				t.Errorf("Finish = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSigninReportsAPersonWhoRefuses(t *testing.T) {
	p := startProvider(t)
	s := newSignin(t, p, "console", "console-secret")
	f, authURL := s.Start()
	q, _ := newPerson(t).signIn(authURL, "", "", "deny")
	if msg, denied := auth.ProviderError(q); !denied || q.Get("state") != f.State {
		t.Errorf("callback %v: error %q, denied %v", q, msg, denied)
	}
	if msg, denied := auth.ProviderError(url.Values{"error": {"server_error"}}); denied || msg != "server_error" {
		t.Errorf("server_error read as %q, denied %v", msg, denied)
	}
}

// A second sign-in in the same browser asks nothing (the provider's own
// session); signing out through the end-session endpoint ends that
// session, so the next sign-in asks for the password again.
func TestSignoutEndsTheProvidersSession(t *testing.T) {
	p := startProvider(t)
	s := newSignin(t, p, "console", "console-secret")
	b := newPerson(t)
	f, authURL := s.Start()
	q, _ := b.signIn(authURL, "ani", oidcprovider.DevPassword, "signin")
	id, err := s.Finish(context.Background(), f, q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	_, authURL = s.Start()
	if _, asked := b.signIn(authURL, "ani", oidcprovider.DevPassword, "signin"); asked {
		t.Fatal("a second sign-in in the same browser showed the login page")
	}

	out := s.SignoutURL(id.IDToken)
	u, _ := url.Parse(out)
	if u.Query().Get("id_token_hint") != id.IDToken || u.Query().Get("post_logout_redirect_uri") != signedOut {
		t.Fatalf("sign-out URL %s", out)
	}
	resp, _ := b.get(out)
	if loc, _ := resp.Location(); loc == nil || loc.String() != signedOut {
		t.Fatalf("the end-session endpoint answered %d to %v, want a redirect to %s", resp.StatusCode, loc, signedOut)
	}
	if n := p.SignedOut("ani"); n != 1 {
		t.Errorf("the provider ended ani's sessions %d times, want 1", n)
	}
	_, authURL = s.Start()
	if _, asked := b.signIn(authURL, "ani", oidcprovider.DevPassword, "signin"); !asked {
		t.Error("after signing out, the next sign-in did not ask for the password")
	}
}

func TestNewSigninChecksItsConfiguration(t *testing.T) {
	p := startProvider(t)
	tests := []struct {
		name string
		cfg  auth.SigninConfig
	}{
		{"no client", auth.SigninConfig{OIDC: auth.OIDCConfig{Issuer: p.Issuer()}, RedirectURL: callbackURL}},
		{"a redirect URL elsewhere than the callback", auth.SigninConfig{OIDC: auth.OIDCConfig{Issuer: p.Issuer()}, ClientID: "console", RedirectURL: "http://127.0.0.1:1/"}},
		{"a plain-HTTP redirect URL off loopback", auth.SigninConfig{OIDC: auth.OIDCConfig{Issuer: p.Issuer()}, ClientID: "console", RedirectURL: "http://tuntas.example" + auth.CallbackPath}},
		{"an issuer that is not the provider's", auth.SigninConfig{OIDC: auth.OIDCConfig{Issuer: p.Issuer() + "/other"}, ClientID: "console", RedirectURL: callbackURL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := auth.NewSignin(context.Background(), tt.cfg); err == nil {
				t.Error("NewSignin accepted it")
			}
		})
	}
}
