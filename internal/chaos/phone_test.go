package chaos

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/bench"
	"github.com/tuntas-id/tuntas/internal/household"
)

// sent are the Idempotency-Keys of the requests a test server received.
type sent struct {
	mu   sync.Mutex
	keys []string
}

func (s *sent) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys...)
}

// answers serves the given answers in turn, then 200, and keeps the
// Idempotency-Keys the requests carried.
func answers(t *testing.T, keys *sent, seq ...func(http.ResponseWriter)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys.mu.Lock()
		keys.keys = append(keys.keys, r.Header.Get("Idempotency-Key"))
		i := len(keys.keys) - 1
		keys.mu.Unlock()
		if i < len(seq) {
			seq[i](w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c-1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func problem(status int, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/problem+json")
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"type":"/problems/x","title":"x","status":` + strconv.Itoa(status) + `,"detail":"still being answered"}`))
	}
}

// A phone retries what an outage or a busy server answers, with the same
// key and after Retry-After, and counts what an outage must never answer.
func TestPhonesRetryWithTheSameKeyAndHonourRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		seq        []func(http.ResponseWriter)
		retries    map[string]int64
		violations int
		minWait    time.Duration
	}{
		{"too many requests (the checker's reads)", []func(http.ResponseWriter){problem(429, "1")}, map[string]int64{"429": 1}, 0, time.Second},
		{"unavailable with Retry-After", []func(http.ResponseWriter){problem(503, "1")}, map[string]int64{"503": 1}, 0, time.Second},
		{"key still in progress", []func(http.ResponseWriter){problem(409, "1")}, map[string]int64{"409 key in progress": 1}, 0, time.Second},
		{"a bare internal error", []func(http.ResponseWriter){problem(500, "")}, map[string]int64{"500": 1}, 1, 0},
		{"unavailable without Retry-After", []func(http.ResponseWriter){problem(503, "")}, map[string]int64{"503": 1}, 1, 0},
	}
	issuer, err := auth.NewIssuer([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys sent
			srv := answers(t, &keys, tt.seq...)
			st := newStats()
			p := newPhones([]string{srv.URL, srv.URL}, issuer, st)
			start := time.Now()
			_, err := p.do(context.Background(), request{method: http.MethodPost, path: "/v1/cases", body: map[string]string{},
				who: bench.Person{Role: household.RoleCaseworker, Region: "64.08.01"}, want: http.StatusOK, key: "k-1"})
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took < tt.minWait {
				t.Errorf("retried after %v, want at least %v (Retry-After)", took, tt.minWait)
			}
			for reason, n := range tt.retries {
				if st.retries[reason] != n {
					t.Errorf("retries %v, want %s=%d", st.retries, reason, n)
				}
			}
			if len(st.violations) != tt.violations {
				t.Errorf("violations %v, want %d", st.violations, tt.violations)
			}
			if got := keys.all(); len(got) != 2 || got[0] != "k-1" || got[1] != "k-1" {
				t.Errorf("keys sent %v, want k-1 twice", got)
			}
		})
	}
}

// A refusal is not retried: it is the answer.
func TestPhonesDoNotRetryARefusal(t *testing.T) {
	var keys sent
	srv := answers(t, &keys, problem(422, ""))
	issuer, _ := auth.NewIssuer([]byte(strings.Repeat("s", 32)))
	p := newPhones([]string{srv.URL}, issuer, newStats())
	_, err := p.do(context.Background(), request{method: http.MethodPost, path: "/v1/cases", who: bench.Person{Role: household.RoleCaseworker, Region: "64.08.01"}, want: http.StatusOK, key: "k"})
	if err == nil || len(keys.all()) != 1 {
		t.Fatalf("err %v after %d requests, want a refusal after one", err, len(keys.all()))
	}
}
