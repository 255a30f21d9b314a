package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
)

const audience = "tuntas-api"

// Keys are generated once: RSA generation is slow on two shared cores.
var (
	rsaKey1 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	rsaKey2 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	rogue   = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	ecKey   = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// provider is an OpenID Connect provider as far as a verifier sees one: a
// discovery document and a JWKS it can change or take down.
type provider struct {
	srv     *httptest.Server
	fetches atomic.Int32

	mu   sync.Mutex
	keys map[string]crypto.PublicKey
	down bool
}

func newProvider(t *testing.T, keys map[string]crypto.PublicKey) *provider {
	t.Helper()
	p := &provider{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.down {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		set := []map[string]string{{"kty": "RSA", "kid": "enc-1", "use": "enc", "n": "AQAB", "e": "AQAB"}}
		for kid, k := range p.keys {
			set = append(set, jwkOf(t, kid, k))
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": set})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) setKeys(keys map[string]crypto.PublicKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = keys
}

func (p *provider) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

func jwkOf(t *testing.T, kid string, k crypto.PublicKey) map[string]string {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := k.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
			"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		pt, err := k.Bytes()
		if err != nil {
			t.Error(err)
		}
		return map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(pt[1:33]), "y": b64(pt[33:])}
	}
	t.Errorf("no JWK for %T", k)
	return nil
}

// clock is a settable time for the verifier and the tokens alike.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newVerifier(t *testing.T, p *provider, c *clock, cfg auth.OIDCConfig) *auth.OIDCVerifier {
	t.Helper()
	cfg.Issuer, cfg.Audience, cfg.Now = p.srv.URL, audience, c.Now
	v, err := auth.NewOIDCVerifier(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// claims are those of a valid caseworker token at now.
func claims(iss string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": iss, "aud": audience, "sub": "ani.rahmawati", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"role": "caseworker", "region": "64.08.01",
	}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOIDCVerifierAcceptsOnlyTheProvidersValidTokens(t *testing.T) {
	p := newProvider(t, map[string]crypto.PublicKey{"rsa-1": &rsaKey1().PublicKey, "ec-1": &ecKey().PublicKey})
	c := &clock{now: now}
	v := newVerifier(t, p, c, auth.OIDCConfig{})
	pemKey := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(&rsaKey1().PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}()
	caseworker := auth.Principal{Sub: "ani.rahmawati", Role: household.RoleCaseworker, Region: "64.08.01"}
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		cl := claims(p.srv.URL, now)
		edit(cl)
		return cl
	}
	rs256 := func(cl jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, rsaKey1(), "rsa-1", cl) }

	tests := []struct {
		name    string
		token   string
		want    auth.Principal
		wantErr error // besides auth.ErrInvalid
	}{
		{name: "RS256", token: rs256(claims(p.srv.URL, now)), want: caseworker},
		{name: "ES256", token: sign(t, jwt.SigningMethodES256, ecKey(), "ec-1", claims(p.srv.URL, now)), want: caseworker},
		{name: "audience among several", token: rs256(with(func(c jwt.MapClaims) { c["aud"] = []string{"account", audience} })), want: caseworker},
		{name: "expired within the leeway", token: rs256(with(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() })), want: caseworker},
		{name: "no iat, expiring within 12h", token: rs256(with(func(c jwt.MapClaims) { delete(c, "iat") })), want: caseworker},
		{
			name:  "agency with its agency",
			token: rs256(with(func(c jwt.MapClaims) { c["role"], c["region"], c["agency"] = "agency", "64.08", "dinsos" })),
			want:  auth.Principal{Sub: "ani.rahmawati", Role: household.RoleAgency, Region: "64.08", Agency: "dinsos"},
		},

		{name: "expired", token: rs256(with(func(c jwt.MapClaims) { c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix() })), wantErr: jwt.ErrTokenExpired},
		{name: "no exp", token: rs256(with(func(c jwt.MapClaims) { delete(c, "exp") })), wantErr: jwt.ErrTokenRequiredClaimMissing},
		{name: "issued in the future", token: rs256(with(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })), wantErr: jwt.ErrTokenUsedBeforeIssued},
		{name: "wrong audience", token: rs256(with(func(c jwt.MapClaims) { c["aud"] = "another-app" })), wantErr: jwt.ErrTokenInvalidAudience},
		{name: "no audience", token: rs256(with(func(c jwt.MapClaims) { delete(c, "aud") })), wantErr: jwt.ErrTokenRequiredClaimMissing},
		{name: "wrong issuer", token: rs256(with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), wantErr: jwt.ErrTokenInvalidIssuer},
		{name: "alg none", token: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rsa-1", claims(p.srv.URL, now)), wantErr: jwt.ErrTokenSignatureInvalid},
		{name: "HS256 with the RSA public key as secret", token: sign(t, jwt.SigningMethodHS256, pemKey, "rsa-1", claims(p.srv.URL, now)), wantErr: jwt.ErrTokenSignatureInvalid},
		{name: "signed by a key the provider does not hold", token: sign(t, jwt.SigningMethodRS256, rogue(), "rsa-1", claims(p.srv.URL, now)), wantErr: jwt.ErrTokenSignatureInvalid},
		{name: "ES256 naming an RSA key", token: sign(t, jwt.SigningMethodES256, ecKey(), "rsa-1", claims(p.srv.URL, now)), wantErr: jwt.ErrTokenUnverifiable},
		{name: "no kid", token: sign(t, jwt.SigningMethodRS256, rsaKey1(), "", claims(p.srv.URL, now)), wantErr: jwt.ErrTokenUnverifiable},
		{name: "unknown kid", token: sign(t, jwt.SigningMethodRS256, rogue(), "rogue", claims(p.srv.URL, now)), wantErr: jwt.ErrTokenUnverifiable},
		{name: "lifetime over 12h", token: rs256(with(func(c jwt.MapClaims) { c["exp"] = now.Add(13 * time.Hour).Unix() })), wantErr: auth.ErrLifetime},
		{name: "no iat, expiring after 12h", token: rs256(with(func(c jwt.MapClaims) { delete(c, "iat"); c["exp"] = now.Add(13 * time.Hour).Unix() })), wantErr: auth.ErrLifetime},
		{name: "no sub", token: rs256(with(func(c jwt.MapClaims) { delete(c, "sub") })), wantErr: jwt.ErrTokenRequiredClaimMissing},
		{name: "no role", token: rs256(with(func(c jwt.MapClaims) { delete(c, "role") })), wantErr: jwt.ErrTokenRequiredClaimMissing},
		{name: "role at the wrong region level", token: rs256(with(func(c jwt.MapClaims) { c["region"] = "64.08" }))},
		{name: "the system role", token: rs256(with(func(c jwt.MapClaims) { c["role"], c["region"] = "system", "64" }))},
		{name: "agency without an agency", token: rs256(with(func(c jwt.MapClaims) { c["role"], c["region"] = "agency", "64.08" }))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.token)
			if tt.want != (auth.Principal{}) {
				if err != nil || got != tt.want {
					t.Fatalf("Verify = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, auth.ErrInvalid) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalid", got, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error %v, want %v", err, tt.wantErr)
			}
		})
	}
	if _, err := v.Verify(context.Background(), ""); !errors.Is(err, auth.ErrMissing) {
		t.Errorf("empty token: %v", err)
	}
}

func TestOIDCVerifierReadsClaimsFromConfiguredPaths(t *testing.T) {
	p := newProvider(t, map[string]crypto.PublicKey{"rsa-1": &rsaKey1().PublicKey})
	c := &clock{now: now}
	keycloak := newVerifier(t, p, c, auth.OIDCConfig{RoleClaim: "realm_access.roles", RegionClaim: "tuntas.region", AgencyClaim: "tuntas.agency"})
	auth0 := newVerifier(t, p, c, auth.OIDCConfig{RoleClaim: "https://tuntas.example/role", RegionClaim: "https://tuntas.example/region"})
	base := func(extra jwt.MapClaims) jwt.MapClaims {
		cl := claims(p.srv.URL, now)
		delete(cl, "role")
		delete(cl, "region")
		for k, v := range extra {
			cl[k] = v
		}
		return cl
	}

	tests := []struct {
		name   string
		v      *auth.OIDCVerifier
		claims jwt.MapClaims
		want   auth.Principal // zero: refused
	}{
		{
			name:   "first known realm role, region in a nested object",
			v:      keycloak,
			claims: base(jwt.MapClaims{"realm_access": map[string]any{"roles": []string{"offline_access", "default-roles-tuntas", "supervisor", "admin"}}, "tuntas": map[string]any{"region": "64.08"}}),
			want:   auth.Principal{Sub: "ani.rahmawati", Role: household.RoleSupervisor, Region: "64.08"},
		},
		{
			name: "single-valued attributes sent as lists",
			v:    keycloak,
			claims: base(jwt.MapClaims{"realm_access": map[string]any{"roles": []string{"agency"}},
				"tuntas": map[string]any{"region": []string{"64.08"}, "agency": []string{"baznas"}}}),
			want: auth.Principal{Sub: "ani.rahmawati", Role: household.RoleAgency, Region: "64.08", Agency: "baznas"},
		},
		{
			name:   "no known role among the realm roles",
			v:      keycloak,
			claims: base(jwt.MapClaims{"realm_access": map[string]any{"roles": []string{"offline_access", "system"}}, "tuntas": map[string]any{"region": "64.08"}}),
		},
		{
			name:   "two regions",
			v:      keycloak,
			claims: base(jwt.MapClaims{"realm_access": map[string]any{"roles": []string{"supervisor"}}, "tuntas": map[string]any{"region": []string{"64.08", "64.01"}}}),
		},
		{
			name:   "path through a non-object",
			v:      keycloak,
			claims: base(jwt.MapClaims{"realm_access": "supervisor", "tuntas": map[string]any{"region": "64.08"}}),
		},
		{
			name:   "dotted top-level claim names",
			v:      auth0,
			claims: base(jwt.MapClaims{"https://tuntas.example/role": "village_officer", "https://tuntas.example/region": "64.08.01.2001"}),
			want:   auth.Principal{Sub: "ani.rahmawati", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"},
		},
		{
			name:   "the default claim names do not apply once configured",
			v:      auth0,
			claims: claims(p.srv.URL, now),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, rsaKey1(), "rsa-1", tt.claims))
			if tt.want == (auth.Principal{}) {
				if !errors.Is(err, auth.ErrInvalid) {
					t.Fatalf("Verify = %+v, %v; want ErrInvalid", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Verify = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestOIDCVerifierFetchesRotatedKeysAtMostOncePerInterval(t *testing.T) {
	p := newProvider(t, map[string]crypto.PublicKey{"rsa-1": &rsaKey1().PublicKey})
	c := &clock{now: now}
	v := newVerifier(t, p, c, auth.OIDCConfig{MinRefresh: 30 * time.Second})
	ctx := context.Background()
	verify := func(key *rsa.PrivateKey, kid string) error {
		_, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, key, kid, claims(p.srv.URL, c.Now())))
		return err
	}
	if err := verify(rsaKey1(), "rsa-1"); err != nil {
		t.Fatal(err)
	}
	p.setKeys(map[string]crypto.PublicKey{"rsa-1": &rsaKey1().PublicKey, "rsa-2": &rsaKey2().PublicKey})

	// The keys were fetched at start, moments ago: the new kid waits.
	c.advance(time.Second)
	if err := verify(rsaKey2(), "rsa-2"); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("a kid seen before the next refresh was allowed: %v", err)
	}
	c.advance(30 * time.Second)
	if err := verify(rsaKey2(), "rsa-2"); err != nil {
		t.Fatalf("the rotated key was not fetched: %v", err)
	}
	if err := verify(rsaKey1(), "rsa-1"); err != nil {
		t.Fatalf("the old key, still published, was dropped: %v", err)
	}
	if got := p.fetches.Load(); got != 2 {
		t.Fatalf("%d fetches, want 2 (start, rotation)", got)
	}

	// A flood of bogus kids costs the provider one fetch per interval.
	c.advance(31 * time.Second)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := verify(rogue(), fmt.Sprintf("bogus-%d", i)); !errors.Is(err, jwt.ErrTokenUnverifiable) {
				t.Errorf("bogus kid: %v", err)
			}
		})
	}
	wg.Wait()
	if got := p.fetches.Load(); got != 3 {
		t.Fatalf("%d fetches after 50 bogus kids, want 3", got)
	}
}

func TestOIDCVerifierDropsWithdrawnKeysButOutlivesAnOutage(t *testing.T) {
	p := newProvider(t, map[string]crypto.PublicKey{"rsa-1": &rsaKey1().PublicKey})
	c := &clock{now: now}
	v := newVerifier(t, p, c, auth.OIDCConfig{MaxKeyAge: time.Hour})
	verify := func(key *rsa.PrivateKey, kid string) error {
		_, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, key, kid, claims(p.srv.URL, c.Now())))
		return err
	}

	p.setDown(true)
	c.advance(2 * time.Hour)
	if err := verify(rsaKey1(), "rsa-1"); err != nil {
		t.Fatalf("a cached key was dropped while the provider was down: %v", err)
	}

	p.setDown(false)
	p.setKeys(map[string]crypto.PublicKey{"rsa-2": &rsaKey2().PublicKey})
	c.advance(time.Minute)
	if err := verify(rsaKey1(), "rsa-1"); !errors.Is(err, jwt.ErrTokenUnverifiable) {
		t.Fatalf("a withdrawn key still verifies: %v", err)
	}
	if err := verify(rsaKey2(), "rsa-2"); err != nil {
		t.Fatal(err)
	}
}

func TestNewOIDCVerifierChecksTheProvider(t *testing.T) {
	p := newProvider(t, map[string]crypto.PublicKey{"rsa-1": &rsaKey1().PublicKey})
	tests := []struct {
		name string
		cfg  auth.OIDCConfig
		ok   bool
	}{
		{"discovered", auth.OIDCConfig{Issuer: p.srv.URL, Audience: audience}, true},
		{"JWKS URL given", auth.OIDCConfig{Issuer: "https://sso.example/realms/tuntas", Audience: audience, JWKSURL: p.srv.URL + "/jwks"}, true},
		{"no audience", auth.OIDCConfig{Issuer: p.srv.URL}, false},
		{"no issuer", auth.OIDCConfig{Audience: audience, JWKSURL: p.srv.URL + "/jwks"}, false},
		{"discovery names another issuer", auth.OIDCConfig{Issuer: p.srv.URL + "/", Audience: audience}, false},
		{"plain http off loopback", auth.OIDCConfig{Issuer: "http://sso.example", Audience: audience, JWKSURL: p.srv.URL + "/jwks"}, false},
		{"JWKS over plain http off loopback", auth.OIDCConfig{Issuer: "https://sso.example", Audience: audience, JWKSURL: "http://sso.example/jwks"}, false},
		{"no JWKS there", auth.OIDCConfig{Issuer: p.srv.URL, Audience: audience, JWKSURL: p.srv.URL + "/nothing"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.NewOIDCVerifier(context.Background(), tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("NewOIDCVerifier error %v, want ok=%t", err, tt.ok)
			}
		})
	}
}

func TestNewOIDCVerifierRefusesASetWithoutSigningKeys(t *testing.T) {
	p := newProvider(t, map[string]crypto.PublicKey{}) // only an encryption key
	if _, err := auth.NewOIDCVerifier(context.Background(), auth.OIDCConfig{Issuer: p.srv.URL, Audience: audience}); err == nil {
		t.Fatal("a JWKS with no signing key was accepted")
	}
}
