package systemtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tuntas-id/tuntas/internal/devsystem"
)

// oidcProvider is a provider as Keycloak serves one: discovery and a JWKS
// with one RSA key.
type oidcProvider struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

func newOIDCProvider(t *testing.T) *oidcProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &oidcProvider{key: key}
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	t.Cleanup(p.srv.Close)
	return p
}

func (p *oidcProvider) token(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestProductionAPISignsInThroughOIDC runs `tuntas api` with an OIDC
// issuer and metrics on their own address: the provider's token for a
// supervisor is accepted, with the role read from a Keycloak-style claim;
// a dev HS256 token is refused; /metrics answers only on its address.
func TestProductionAPISignsInThroughOIDC(t *testing.T) {
	key, err := os.ReadFile(filepath.Join(sys.dataDir, "codec.key"))
	if err != nil {
		t.Fatal(err)
	}
	// The API names new cases' workflows with the system's pseudonym key.
	personKey, err := os.ReadFile(filepath.Join(sys.dataDir, "person.key"))
	if err != nil {
		t.Fatal(err)
	}
	prov := newOIDCProvider(t)
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	addr, metricsAddr := free(), free()
	for k, v := range map[string]string{
		"TEMPORAL_ADDRESS": sys.Stack.TemporalAddress, "TEMPORAL_NAMESPACE": sys.Stack.Namespace,
		"MONGODB_URI": sys.Stack.MongoURI, "MONGODB_DATABASE": devsystem.Database, "TUNTAS_HTTP_ADDR": addr,
		"TUNTAS_METRICS_ADDR": metricsAddr, "TUNTAS_TOKEN_SECRET": "", "TUNTAS_CODEC_KEY": strings.TrimSpace(string(key)), "TUNTAS_PERSON_KEY": strings.TrimSpace(string(personKey)),
		"TUNTAS_OIDC_ISSUER": prov.srv.URL, "TUNTAS_OIDC_AUDIENCE": "tuntas-api", "TUNTAS_OIDC_JWKS_URL": "",
		"TUNTAS_OIDC_ROLE_CLAIM": "realm_access.roles", "TUNTAS_OIDC_REGION_CLAIM": "", "TUNTAS_OIDC_AGENCY_CLAIM": "",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"api"}, &bytes.Buffer{}, &bytes.Buffer{}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("api ended with %v", err)
		}
	}()
	base := "http://" + addr
	eventually(t, time.Minute, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	get := func(url, token string) int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := time.Now()
	good := prov.token(t, jwt.MapClaims{"iss": prov.srv.URL, "aud": "tuntas-api", "sub": "dewi", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"realm_access": map[string]any{"roles": []string{"offline_access", "supervisor"}}, "region": "64.08"})
	otherAudience := prov.token(t, jwt.MapClaims{"iss": prov.srv.URL, "aud": "another-app", "sub": "dewi", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"realm_access": map[string]any{"roles": []string{"supervisor"}}, "region": "64.08"})
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"the provider's token", good, http.StatusOK},
		{"a token for another audience", otherAudience, http.StatusUnauthorized},
		{"a dev HS256 token", tokens(t, sys).supervisor, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		if got := get(base+"/v1/dashboard", tt.token); got != tt.want {
			t.Errorf("%s: GET /v1/dashboard = %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := get(base+"/metrics", ""); got != http.StatusNotFound {
		t.Errorf("the API's address serves /metrics: %d", got)
	}
	if got := get("http://"+metricsAddr+"/metrics", ""); got != http.StatusOK {
		t.Errorf("the metrics address answers %d", got)
	}
}
