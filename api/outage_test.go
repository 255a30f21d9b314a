package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// An outage of MongoDB is answered as one: 503 (504 for a deadline)
// problem+json with Retry-After, so that a client retries; only a failure
// of another kind is a bare internal error.
func TestAStoreOutageIsAnsweredAsAnOutage(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"connection dropped mid-read", io.ErrUnexpectedEOF, http.StatusServiceUnavailable},
		{"connection closed", io.EOF, http.StatusServiceUnavailable},
		{"no answer in time", context.DeadlineExceeded, http.StatusGatewayTimeout},
		{"a failure of another kind", errors.New("decode case: unexpected field"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ht := newHandlerTest(t, openCase("run-1"))
			ht.reads.fail = tt.err
			rec := ht.do(http.MethodGet, "/v1/cases/run-1", ht.token(household.RoleSupervisor, "64.08"), nil)
			if rec.Code != tt.status {
				t.Fatalf("= %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("Content-Type %q, want problem+json", ct)
			}
			if retry := rec.Header().Get("Retry-After"); (retry != "") != (tt.status != http.StatusInternalServerError) {
				t.Errorf("Retry-After %q on %d", retry, rec.Code)
			}
		})
	}
}

// A MongoDB that does not answer must not make /readyz report Temporal
// down too: each dependency is checked within its own budget.
func TestReadyzChecksEachDependencyOnItsOwnBudget(t *testing.T) {
	ht := newHandlerTest(t)
	ht.reads.ping = func(ctx context.Context) error {
		<-ctx.Done() // a store that is cut off answers nothing
		return ctx.Err()
	}
	start := time.Now()
	rec := ht.do(http.MethodGet, "/readyz", "", nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"mongodb":"unreachable"`) ||
		!strings.Contains(rec.Body.String(), `"temporal":"ok"`) {
		t.Fatalf("= %d %s, want 503 naming mongodb alone", rec.Code, rec.Body)
	}
	if took := time.Since(start); took > 2*readyBudget {
		t.Errorf("/readyz took %v, more than twice its budget", took)
	}
}
