package console

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// reportReads is a read model that only records reads, and the facts of
// one surveyed case in Muara Ancalong opened in August 2026.
type reportReads struct {
	casework.ReadModel
	accesses []store.Access
}

func (r *reportReads) RecordAccess(_ context.Context, a store.Access) error {
	r.accesses = append(r.accesses, a)
	return nil
}

func (r *reportReads) Facts(context.Context, string) ([]household.Facts, error) {
	at := time.Date(2026, 8, 3, 1, 0, 0, 0, time.UTC)
	return []household.Facts{{ID: "c-1", VillageCode: "64.08.01.2001", DistrictCode: "64.08.01", RegencyCode: "64.08",
		People: []household.Person{{Head: true, BirthDate: "1950-02-01", Sex: household.Female}},
		Marks:  []household.Mark{{Seq: 1, At: at, Type: household.EventOpened}, {Seq: 2, At: at.Add(time.Hour), Type: household.EventSurveySubmitted}}}}, nil
}

func TestQuarterlyReportPageIsForA4AndItsDownloadsAreRecorded(t *testing.T) {
	reads := &reportReads{}
	c, issuer := newTestConsoleWith(t, func(cfg *Config) {
		cfg.Service = casework.New(casework.Config{Store: reads, Now: func() time.Time { return time.Date(2026, 10, 2, 1, 0, 0, 0, time.UTC) }})
		cfg.API = api.NewServer(api.Config{Service: cfg.Service, Verifier: cfg.DevIssuer.Verifier()})
	})
	tok, err := issuer.Issue(auth.Principal{Sub: "sup-1", Role: household.RoleSupervisor, Region: "64.08"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	session := cookieOf(signIn(t, c, "https://tuntas.test", tok, "/"), sessionCookie)
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "https://tuntas.test"+path, nil)
		req.AddCookie(session)
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		return rec
	}
	rec := get("/reports/quarterly?from=2026-07-01&to=2026-09-30")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("page: %d %s", rec.Code, body)
	}
	for _, want := range []string{"Laporan Triwulan Penghapusan Kemiskinan Ekstrem", "Pemerintah Kabupaten Kutai Timur",
		"1 Jul 2026 – 30 Sep 2026", "2 Okt 2026 09.00 WITA", "/static/report.css", "Rumah tangga terdaftar",
		"/reports/quarterly.xlsx?from=2026-07-01&amp;to=2026-09-30&amp;region=64.08", "Disiapkan oleh"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "<td>listed</td>") {
		t.Errorf("the page shows the measures' machine codes")
	}
	if css := get("/static/report.css").Body.String(); !strings.Contains(css, "size:A4") {
		t.Errorf("the print stylesheet does not lay out A4")
	}
	x := get("/reports/quarterly.xlsx?from=2026-07-01&to=2026-09-30&region=64.08")
	f, err := excelize.OpenReader(bytes.NewReader(x.Body.Bytes()))
	if err != nil {
		t.Fatalf("the download is no workbook (%d): %v", x.Code, err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Rumah Tangga", "E2"); v != "1" {
		t.Errorf("female-headed listed households in the workbook = %q, want 1", v)
	}
	// Muara Ancalong's own report hides the one female-headed household,
	// on the page and in the workbook, and says why.
	rec = get("/reports/quarterly?from=2026-07-01&to=2026-09-30&region=64.08.01")
	if !strings.Contains(rec.Body.String(), `id="report-suppressed"`) || !strings.Contains(rec.Body.String(), "<td>&lt;5</td>") {
		t.Errorf("the kecamatan's page shows no hidden cell or does not explain it: %d", rec.Code)
	}
	x = get("/reports/quarterly.xlsx?from=2026-07-01&to=2026-09-30&region=64.08.01")
	g, err := excelize.OpenReader(bytes.NewReader(x.Body.Bytes()))
	if err != nil {
		t.Fatalf("the download is no workbook (%d): %v", x.Code, err)
	}
	defer g.Close()
	if v, _ := g.GetCellValue("Rumah Tangga", "E2"); v != "<5" {
		t.Errorf("female-headed listed households in the kecamatan's workbook = %q, want <5", v)
	}
	if rec := get("/reports/quarterly.csv?from=2026-07-01&to=2026-09-30&region=64.01"); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("another regency's report = %d, want 422", rec.Code)
	}
	var routes []string
	for _, a := range reads.accesses {
		routes = append(routes, a.Route+" "+a.Filter)
	}
	want := "console GET /reports/quarterly from=2026-07-01&to=2026-09-30&format=print | " +
		"console GET /reports/quarterly.xlsx from=2026-07-01&to=2026-09-30&region=64.08&format=xlsx | " +
		"console GET /reports/quarterly from=2026-07-01&to=2026-09-30&region=64.08.01&format=print | " +
		"console GET /reports/quarterly.xlsx from=2026-07-01&to=2026-09-30&region=64.08.01&format=xlsx"
	if strings.Join(routes, " | ") != want {
		t.Errorf("recorded %q\nwant %q", routes, want)
	}
}
