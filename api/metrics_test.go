package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
	if rec := serve(t, h, http.MethodGet, "/metrics", "", "", nil); rec.Code != http.StatusNotFound {
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
