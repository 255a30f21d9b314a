package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/report"
)

// monthlyPoints answers three months of points of Kutai Timur and two of
// its kecamatan, and one of Paser, which a regency's page must not show.
type monthlyPoints struct {
	casework.ReadModel
	asked []string
}

func (m *monthlyPoints) ProgressOf(_ context.Context, regions []string) ([]report.Point, error) {
	m.asked = regions
	var out []report.Point
	for i, month := range []string{"2026-09", "2026-10", "2026-11"} {
		for _, code := range []string{"64.01", "64.08", "64.08.01", "64.08.03"} {
			in := false
			for _, r := range regions {
				in = in || r == code
			}
			if in {
				out = append(out, report.Point{Region: code, Month: month, StillExtremePeople: int64(300 - 100*i), Graduated: int64(10 * i)})
			}
		}
	}
	return out, nil
}

func TestProgressPageDrawsALinePerMeasureForTheRegencyAndEachKecamatan(t *testing.T) {
	reads := &monthlyPoints{}
	c, issuer := newTestConsoleWith(t, func(cfg *Config) {
		cfg.Service = casework.New(casework.Config{Store: reads})
		cfg.API = api.NewServer(api.Config{Service: cfg.Service, Verifier: cfg.DevIssuer.Verifier()})
	})
	tok, err := issuer.Issue(auth.Principal{Sub: "sup-1", Role: household.RoleSupervisor, Region: "64.08"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	session := cookieOf(signIn(t, c, "https://tuntas.test", tok, "/"), sessionCookie)
	req := httptest.NewRequest(http.MethodGet, "https://tuntas.test/dashboard/progress", nil)
	req.AddCookie(session)
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("page: %d %s", rec.Code, body)
	}
	if n := strings.Count(body, "<polyline"); n != 3*len(trends) {
		t.Errorf("%d lines drawn, want %d (the regency and two kecamatan)", n, 3*len(trends))
	}
	for _, want := range []string{`id="chart-64.08"`, `id="chart-64.08.01"`, `id="chart-64.08.03"`, "2026-09", "2026-11", "Jiwa masih miskin ekstrem"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "chart-64.01") || strings.Contains(body, " style=") {
		t.Errorf("the page shows another regency or an inline style the CSP refuses")
	}
	if reads.asked[0] != "64.08" || len(reads.asked) != 19 {
		t.Errorf("asked for %v, want Kutai Timur and its 18 kecamatan", reads.asked)
	}
	// A caseworker has no dashboard, so no progress either.
	tok, _ = issuer.Issue(auth.Principal{Sub: "cw-1", Role: household.RoleCaseworker, Region: "64.08.01"}, time.Hour, time.Now())
	session = cookieOf(signIn(t, c, "https://tuntas.test", tok, "/"), sessionCookie)
	req = httptest.NewRequest(http.MethodGet, "https://tuntas.test/dashboard/progress", nil)
	req.AddCookie(session)
	rec = httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("a caseworker's progress page = %d, want 403", rec.Code)
	}
}
