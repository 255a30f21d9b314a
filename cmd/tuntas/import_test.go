package main

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// upload posts a CSV household list as text/csv and returns the import.
func (s *testSystem) upload(t *testing.T, token, csvText string) activities.ImportProgress {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/imports", strings.NewReader(csvText))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	var p activities.ImportProgress
	if err := (importClient{base: s.URL, token: token}).do(req, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitImport follows the import the way `tuntas import` does.
func (s *testSystem) waitImport(t *testing.T, token, id string) importStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	st, err := (importClient{base: s.URL, token: token}).follow(ctx, id, &progress)
	if err != nil {
		t.Fatalf("follow import %s: %v", id, err)
	}
	if !strings.Contains(progress.String(), "cases") {
		t.Fatalf("no progress bar drawn: %q", progress.String())
	}
	return st
}

func TestImportReportsBadRowsOpensTheRestAndReimportOpensNothing(t *testing.T) {
	p := tokens(t, sys)
	text, bad := synth.CSV(synth.New(42, 11), 100, 33) // 3 bad rows of 100
	first := sys.upload(t, p.admin, text)
	if first.RowsRead != 100 || first.Rejected != 3 || first.Valid != 97 || first.Status != activities.ImportRunning {
		t.Fatalf("after reading: %+v", first)
	}
	st := sys.waitImport(t, p.admin, first.ID)
	if got := st.Import; got.Opened != 97 || got.AlreadyOpen != 0 || got.Failed != 0 || got.Status != activities.ImportDone {
		t.Fatalf("finished with %+v", got)
	}
	rows := map[int]bool{}
	for _, e := range st.Errors {
		if e.Field == "" || e.Message == "" {
			t.Errorf("row error without field or reason: %+v", e)
		}
		rows[e.Row] = true
	}
	for _, line := range bad {
		if !rows[line] {
			t.Errorf("bad row %d is not reported (reported: %v)", line, rows)
		}
	}
	if len(rows) != len(bad) {
		t.Errorf("reported rows %v, want %v", rows, bad)
	}

	again := sys.waitImport(t, p.admin, sys.upload(t, p.admin, text).ID)
	if got := again.Import; got.Opened != 0 || got.AlreadyOpen != 97 || got.Rejected != 3 {
		t.Fatalf("re-import: %+v", got)
	}
}

func TestImportTakesAMultipartFileAndOnlyFromAdmin(t *testing.T) {
	p := tokens(t, sys)
	text, _ := synth.CSV(synth.New(43, 12), 3, 0)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "p3ke-muara-ancalong.csv")
	fw.Write([]byte(text))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, sys.URL+"/v1/imports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var prog activities.ImportProgress
	if err := (importClient{base: sys.URL, token: p.admin}).do(req, &prog); err != nil {
		t.Fatal(err)
	}
	if prog.FileName != "p3ke-muara-ancalong.csv" || prog.Valid != 3 {
		t.Fatalf("multipart import %+v", prog)
	}
	sys.waitImport(t, p.admin, prog.ID)

	for _, tok := range []string{p.supervisor, p.cw} {
		req, _ := http.NewRequest(http.MethodPost, sys.URL+"/v1/imports", strings.NewReader(text))
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a non-admin import answered %d", resp.StatusCode)
		}
	}
	if got, raw := sys.call(t, http.MethodPost, "/v1/imports", p.admin, map[string]string{"not": "csv"}, nil); got != http.StatusUnsupportedMediaType {
		t.Fatalf("JSON body answered %d: %s", got, raw)
	}
}

// TestImportSurvivesARestart stops the stack while an import is opening
// cases and starts it again: the import's workflow resumes and finishes
// with the counts an uninterrupted run has.
func TestImportSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	slow := devConfig{DataDir: dir, Pace: importPace{Rate: 8, Concurrency: 2}}
	s, err := startSystemWith(slow)
	if err != nil {
		t.Fatal(err)
	}
	admin := s.token(t, household.RoleAdmin, "64", "")
	text, _ := synth.CSV(synth.New(44, 13), 40, 0)
	prog := s.upload(t, admin, text)

	// Wait until some cases are open, then stop mid-import.
	opened := 0
	eventually(t, 2*time.Minute, func() bool {
		var list struct {
			Items []household.Case `json:"items"`
		}
		s.must(t, http.StatusOK, http.MethodGet, "/v1/cases?limit=200", admin, nil, &list)
		opened = len(list.Items)
		return opened >= 5
	})
	if opened == 40 {
		t.Fatal("the import finished before it could be interrupted")
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	s2, err := startSystemWith(slow)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.stop()
	st := s2.waitImport(t, admin, prog.ID)
	if got := st.Import; got.Opened != 40 || got.AlreadyOpen != 0 || got.Failed != 0 {
		t.Fatalf("after restart the import finished with %+v, want 40 opened", got)
	}
}
