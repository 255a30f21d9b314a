package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
)

func TestMetricsLabelsStayBoundedWhateverTheMethod(t *testing.T) {
	h := New(Config{})
	for i := range 50 {
		serve(t, h, fmt.Sprintf("BREW%d", i), "/healthz", "", "", nil)
	}
	rec := serve(t, h, http.MethodGet, "/metrics", "", "", nil)
	body := rec.Body.String()
	if strings.Contains(body, "BREW") {
		t.Fatal("an unknown method became a metric label")
	}
	if !strings.Contains(body, `method="other"`) {
		t.Fatalf("unknown methods are not counted as other:\n%s", body)
	}
}

func TestMetricsOnTheirOwnAddressLeaveTheAPIRouter(t *testing.T) {
	m := NewMetrics()
	h := New(Config{Metrics: m})
	// Not through serve: the document describes /metrics as the API serves
	// it by default.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("GET /metrics on the API = %d, want 404 when metrics have their own address", rec.Code)
	}
	serve(t, h, http.MethodGet, "/healthz", "", "", nil)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), `route="/healthz"`) {
		t.Fatal("the separate metrics handler does not count the API's requests")
	}
}

func TestAPersonOverTheRateLimitGets429WithRetryAfter(t *testing.T) {
	issuer, _ := auth.NewIssuer([]byte(strings.Repeat("k", 32)))
	h := New(Config{Verifier: issuer.Verifier(), RateLimit: RateLimit{PerSecond: 1, Burst: 2}})
	tok := func(sub string) string {
		s, err := issuer.Issue(auth.Principal{Sub: sub, Role: household.RoleSupervisor, Region: "64.08"}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ani, budi := tok("ani"), tok("budi")
	for i := range 2 {
		if rec := serve(t, h, http.MethodGet, "/v1/regions", ani, "", nil); rec.Code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i, rec.Code)
		}
	}
	rec := serve(t, h, http.MethodGet, "/v1/regions", ani, "", nil)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("over the limit: %d, Retry-After %q, %s", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("Content-Type"))
	}
	if rec := serve(t, h, http.MethodGet, "/v1/regions", budi, "", nil); rec.Code != http.StatusOK {
		t.Fatalf("another person is limited by ani's requests: %d", rec.Code)
	}
}

// Metrics are labelled by route template, never by what a path carries:
// no case ID, and no KK or NIK whatever a client puts in a path or query.
func TestMetricsLabelsHoldNoIdentifier(t *testing.T) {
	ht := newHandlerTest(t, openCase("run-1"))
	tok := ht.token(household.RoleCaseworker, "64.08.01")
	ht.do(http.MethodGet, "/v1/cases/run-1?kk="+caseKK, tok, nil)
	ht.do(http.MethodGet, "/v1/cases/"+caseKK+"/timeline", tok, nil)
	ht.do(http.MethodGet, "/v1/"+headNIK, tok, nil)
	body := ht.do(http.MethodGet, "/metrics", "", nil).Body.String()
	if !strings.Contains(body, `route="/v1/cases/:id"`) {
		t.Fatalf("no request counted by its route template:\n%s", body)
	}
	for _, secret := range []string{"run-1", caseKK, headNIK} {
		if strings.Contains(body, secret) {
			t.Errorf("a metric label holds %s", secret)
		}
	}
}
