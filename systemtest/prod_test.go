package systemtest

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

	"github.com/tuntas-id/tuntas/internal/devsystem"
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
		"MONGODB_URI": sys.Stack.MongoURI, "MONGODB_DATABASE": devsystem.Database, "TUNTAS_HTTP_ADDR": addr,
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

	prod := &testSystem{System: &devsystem.System{URL: "http://" + addr, Issuer: sys.Issuer}}
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
