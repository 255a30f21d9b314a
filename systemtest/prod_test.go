package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// TestProductionProcessesRunAgainstAServerAndMongoDB starts `tuntas api`
// and `tuntas worker` as production runs them, configured only by
// environment, against the embedded servers of the shared system, opens a
// case through the production API and reconciles with `tuntas reconcile`.
func TestProductionProcessesRunAgainstAServerAndMongoDB(t *testing.T) {
	key, err := os.ReadFile(filepath.Join(sys.dataDir, "codec.key"))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := os.ReadFile(filepath.Join(sys.dataDir, "token.secret"))
	if err != nil {
		t.Fatal(err)
	}
	// The production worker shares the dev system's pseudonym key, so both
	// worker fleets claim people alike.
	personKey, err := os.ReadFile(filepath.Join(sys.dataDir, "person.key"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for k, v := range map[string]string{
		"TEMPORAL_ADDRESS": sys.Stack.TemporalAddress, "TEMPORAL_NAMESPACE": sys.Stack.Namespace,
		"MONGODB_URI": sys.Stack.MongoURI, "MONGODB_DATABASE": devDatabase, "TUNTAS_HTTP_ADDR": addr,
		"TUNTAS_TOKEN_SECRET": strings.TrimSpace(string(secret)), "TUNTAS_CODEC_KEY": strings.TrimSpace(string(key)),
		"TUNTAS_PERSON_KEY": strings.TrimSpace(string(personKey)),
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for _, cmd := range []string{"api", "worker"} {
		go func() { done <- run(ctx, []string{cmd}, &bytes.Buffer{}, &bytes.Buffer{}) }()
	}
	defer func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("process ended with %v", err)
			}
		}
	}()

	prod := &testSystem{devSystem: &devSystem{URL: "http://" + addr, Issuer: sys.Issuer}}
	eventually(t, time.Minute, func() bool {
		resp, err := http.Get(prod.URL + "/readyz")
		if err != nil {
			return false // not listening yet
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	var c household.Case
	prod.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", tokens(t, sys).cw, openBody(nextKK(), "64.08.01.2001"), &c)

	var out bytes.Buffer
	if err := run(ctx, []string{"reconcile"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("reconcile: %v: %s", err, out.String())
	}
	if !strings.Contains(out.String(), "0 repaired, 0 failed") {
		t.Fatalf("reconcile printed %q", out.String())
	}
}

func TestTokenNamesAPersonAndLivesAtMost12Hours(t *testing.T) {
	t.Setenv("TUNTAS_TOKEN_SECRET", "")
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{"a person, the default ttl", []string{"--sub", "ani"}, true},
		{"12 hours", []string{"--sub", "ani", "--ttl", "12h"}, true},
		{"no subject", nil, false},
		{"13 hours", []string{"--sub", "ani", "--ttl", "13h"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			args := append([]string{"token", "--data", dir, "--role", "caseworker", "--region", "64.08.01"}, tt.args...)
			err := run(context.Background(), args, &out, &bytes.Buffer{})
			if (err == nil) != tt.ok {
				t.Fatalf("token %v: error %v, want ok=%t", tt.args, err, tt.ok)
			}
			if tt.ok && strings.Count(strings.TrimSpace(out.String()), ".") != 2 {
				t.Fatalf("token printed %q, want a JWT", out.String())
			}
		})
	}
}

func TestAPIRefusesAnIncompleteSignInBeforeConnecting(t *testing.T) {
	// Without a codec key, an api that got past sign-in would stop at connect
	// complaining about the key instead.
	for _, k := range []string{"TUNTAS_TOKEN_SECRET", "TUNTAS_OIDC_ISSUER", "TUNTAS_OIDC_AUDIENCE", "TUNTAS_OIDC_JWKS_URL", "TUNTAS_CODEC_KEY"} {
		t.Setenv(k, "")
	}
	tests := []struct {
		name string
		args []string
	}{
		{"neither a secret nor an issuer", nil},
		{"a short secret", []string{"--token-secret", "short"}},
		{"an issuer without an audience", []string{"--oidc-issuer", "https://sso.example/realms/tuntas"}},
		{"an issuer over plain http", []string{"--oidc-issuer", "http://sso.example/realms/tuntas", "--oidc-audience", "tuntas-api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"api"}, tt.args...), &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || strings.Contains(err.Error(), "TUNTAS_CODEC_KEY") {
				t.Fatalf("api got past sign-in: %v", err)
			}
		})
	}
}
