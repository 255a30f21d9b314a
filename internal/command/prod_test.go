package command

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

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
			err := Production().Run(context.Background(), args, &out, &bytes.Buffer{})
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
			err := Production().Run(context.Background(), append([]string{"api"}, tt.args...), &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || strings.Contains(err.Error(), "TUNTAS_CODEC_KEY") {
				t.Fatalf("api got past sign-in: %v", err)
			}
		})
	}
}
