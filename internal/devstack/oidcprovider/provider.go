// Package oidcprovider is an OpenID provider for development and tests:
// zitadel's certified op package (github.com/zitadel/oidc/v3/pkg/op) over
// an in-memory store, with a login page and a fixed list of people, one
// for each Tuntas role. It signs people in with the authorization-code
// flow (PKCE included), keeps a browser session of its own so that a
// second sign-in asks for nothing, and ends that session when a client
// signs the person out through its end-session endpoint. It is for
// `tuntas-dev dev` and the tests only: the production binary never links
// it (cmd/tuntas/deps_test.go).
package oidcprovider

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/tuntas-id/tuntas/internal/household"
)

// Person is someone who may sign in, with the Tuntas claims the provider
// asserts for them.
type Person struct {
	// Username is what they type, and their subject (sub).
	Username string
	Password string
	Name     string
	Role     household.Role
	Region   string
	Agency   string
}

// DevPassword is every default person's password.
const DevPassword = "tuntas"

// People are the default people: one for each role in Kutai Timur, as the
// dev console's role picker offers them.
func People() []Person {
	p := func(user, name string, role household.Role, region, agency string) Person {
		return Person{Username: user, Password: DevPassword, Name: name, Role: role, Region: region, Agency: agency}
	}
	return []Person{
		p("ani", "Ani Lestari", household.RoleCaseworker, "64.08.01", ""),
		p("budi", "Budi Santoso", household.RoleVillageOfficer, "64.08.01.2001", ""),
		p("citra", "Citra Dewi", household.RoleVerifier, "64.08", ""),
		p("dewi", "Dewi Kartika", household.RoleSupervisor, "64.08", ""),
		p("eka", "Eka Putra", household.RoleAgency, "64.08", household.AgencyDinsos),
		p("fajar", "Fajar Nugroho", household.RoleProvince, "64", ""),
		p("gita", "Gita Permata", household.RoleAdmin, "64", ""),
	}
}

// Client is an application registered with the provider: a confidential
// web client signing people in with the authorization-code flow.
type Client struct {
	ID, Secret string
	// RedirectURIs are where it may send people back to (exactly).
	RedirectURIs []string
	// PostLogoutURIs are where it may send people after signing out.
	PostLogoutURIs []string
	// ClaimsInIDToken puts the Tuntas claims (role, region, agency) in the
	// ID token; otherwise only the userinfo endpoint answers them, as
	// several providers do by default.
	ClaimsInIDToken bool
}

// Config configures a provider.
type Config struct {
	// Issuer is the provider's URL (http://localhost:9096); it must be where
	// it is served, since clients compare it with the discovery document.
	Issuer  string
	People  []Person
	Clients []Client
	// IDTokenLifetime is how long an ID token lives (default 5 min: the
	// console's session must not depend on it).
	IDTokenLifetime time.Duration
}

// Provider is the provider's HTTP handler and what it did.
type Provider struct {
	issuer  string
	store   *storage
	handler http.Handler
}

// New returns the provider of cfg.
func New(cfg Config) (*Provider, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("oidcprovider: Config.Issuer is required")
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if len(cfg.People) == 0 {
		cfg.People = People()
	}
	if cfg.IDTokenLifetime == 0 {
		cfg.IDTokenLifetime = 5 * time.Minute
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("oidcprovider: signing key: %w", err)
	}
	st := newStorage(cfg, signingKey{id: rand.Text(), alg: jose.RS256, key: key})
	var crypto [32]byte
	_, _ = rand.Read(crypto[:])
	opCfg := &op.Config{
		CryptoKey:                crypto,
		DefaultLogoutRedirectURI: "/signed-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedUILocales:       []language.Tag{language.Indonesian, language.English},
	}
	provider, err := op.NewProvider(opCfg, st, op.StaticIssuer(cfg.Issuer),
		op.WithAllowInsecure()) // http on loopback, for development
	if err != nil {
		return nil, fmt.Errorf("oidcprovider: %w", err)
	}
	l := &login{store: st, callback: op.AuthCallbackURL(provider), provider: provider}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", l.page)
	mux.HandleFunc("POST /login", l.submit)
	mux.HandleFunc("GET /signed-out", signedOut)
	// The login handlers need the issuer in their context to build the
	// callback URL, as the op's own endpoints have it.
	withIssuer := op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(mux)
	root := http.NewServeMux()
	root.Handle("/login", withIssuer)
	root.Handle("/signed-out", withIssuer)
	root.Handle("/", provider)
	return &Provider{issuer: cfg.Issuer, store: st, handler: root}, nil
}

// ServeHTTP serves the provider: discovery, the op's endpoints and the
// login page.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// Register adds (or replaces) a client: one whose redirect URIs are known
// only once the provider's issuer is.
func (p *Provider) Register(c Client) { p.store.register(c) }

// SignedOut is how many times a client ended a person's sessions here
// (RP-initiated logout) for username.
func (p *Provider) SignedOut(username string) int { return p.store.signedOut(username) }

// Server is a provider listening on an address of its own.
type Server struct {
	*Provider
	srv   *http.Server
	done  chan error
	close sync.Once
	err   error
}

// Listen serves a provider on addr (host:port; port 0 picks a free one).
// When cfg.Issuer is empty it is http://<addr's host>:<the port listened
// on>: listening on localhost:0 makes the issuer http://localhost:<port>,
// another site to a browser than a console on 127.0.0.1, as a provider is
// in production.
func Listen(addr string, cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("oidcprovider: listen %s: %w", addr, err)
	}
	if cfg.Issuer == "" {
		host, _, _ := net.SplitHostPort(addr)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		if host == "" {
			host = "localhost"
		}
		cfg.Issuer = "http://" + net.JoinHostPort(host, port)
	}
	p, err := New(cfg)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	s := &Server{Provider: p, done: make(chan error, 1),
		srv: &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server; closing it again does nothing.
func (s *Server) Close() error {
	s.close.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.err = s.srv.Shutdown(ctx)
		if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && s.err == nil {
			s.err = serr
		}
	})
	return s.err
}
