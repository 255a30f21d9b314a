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

// The API names new cases' workflows by pseudonyms of their family cards,
// so it refuses to start without the key, before connecting: an API that
// opened cases under another key would open a second case beside each.
func TestAPIRefusesToStartWithoutThePseudonymKey(t *testing.T) {
	for _, k := range []string{"TUNTAS_OIDC_ISSUER", "TUNTAS_CODEC_KEY", "TUNTAS_PERSON_KEY"} {
		t.Setenv(k, "")
	}
	t.Setenv("TUNTAS_TOKEN_SECRET", strings.Repeat("s", 32))
	for _, key := range []string{"", "c2hvcnQ="} {
		err := Production().Run(context.Background(), []string{"api", "--person-key", key}, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "TUNTAS_PERSON_KEY") {
			t.Fatalf("api with person key %q: %v", key, err)
		}
	}
}

func TestCodecServerRefusesAnIncompleteConfigurationBeforeConnecting(t *testing.T) {
	for _, k := range []string{"TUNTAS_OIDC_ISSUER", "TUNTAS_CODEC_KEY", "TUNTAS_CODEC_UI_ORIGIN", "TUNTAS_CODEC_TLS_CERT", "TUNTAS_CODEC_TLS_KEY"} {
		t.Setenv(k, "")
	}
	t.Setenv("TUNTAS_TOKEN_SECRET", strings.Repeat("s", 32))
	// An unreachable MongoDB: a configuration that got past its checks
	// would fail there, naming MongoDB instead.
	t.Setenv("MONGODB_URI", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=10")
	const key = "k1:MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no codec key", nil, "TUNTAS_CODEC_KEY"},
		{"a wildcard origin", []string{"--codec-key", key, "--ui-origin", "*"}, "TUNTAS_CODEC_UI_ORIGIN"},
		{"an origin with a path", []string{"--codec-key", key, "--ui-origin", "https://ui.example/"}, "TUNTAS_CODEC_UI_ORIGIN"},
		{"a certificate without its key", []string{"--codec-key", key, "--tls-cert", "cert.pem"}, "--tls-key"},
		{"no sign-in", []string{"--codec-key", key, "--token-secret", "short"}, "TUNTAS_TOKEN_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Production().Run(context.Background(), append([]string{"codec-server"}, tt.args...), &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("codec-server %v: %v, want an error naming %s", tt.args, err, tt.want)
			}
		})
	}
}
