package main

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// upload posts a CSV household list as text/csv and returns the import.
func (s *testSystem) upload(t *testing.T, token, csvText string) listimport.Progress {
	t.Helper()
	c := &listimport.Client{BaseURL: s.URL, Token: token}
	p, err := c.Upload(context.Background(), strings.NewReader(csvText))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitImport follows the import the way `tuntas import` does, into a
// buffer, which is not a terminal: progress comes as plain lines.
func (s *testSystem) waitImport(t *testing.T, token, id string) listimport.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	c := &listimport.Client{BaseURL: s.URL, Token: token}
	bar := listimport.NewBar(&progress, listimport.Progress{ID: id})
	st, err := c.Follow(ctx, id, bar.Update)
	bar.Finish()
	if err != nil {
		t.Fatalf("follow import %s: %v", id, err)
	}
	if out := progress.String(); !strings.Contains(out, "cases") || strings.Contains(out, "\r") {
		t.Fatalf("progress is not plain lines: %q", out)
	}
	return st
}

func TestImportReportsBadRowsOpensTheRestAndReimportOpensNothing(t *testing.T) {
	p := tokens(t, sys)
	text, bad := synth.CSV(synth.New(42, 11), 100, 33) // 3 bad rows of 100
	first := sys.upload(t, p.admin, text)
	if first.RowsRead != 100 || first.Rejected != 3 || first.Valid != 97 || first.Status != listimport.Running {
		t.Fatalf("after reading: %+v", first)
	}
	st := sys.waitImport(t, p.admin, first.ID)
	if got := st.Import; got.Opened != 97 || got.AlreadyOpen != 0 || got.Failed != 0 || got.Status != listimport.Done {
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
	req.Header.Set("Authorization", "Bearer "+p.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var prog listimport.Progress
	err = json.NewDecoder(resp.Body).Decode(&prog)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("multipart import answered %d (%v)", resp.StatusCode, err)
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

// TestImportCommandPrintsLinesNotFramesWhenRedirected runs `tuntas import`
// with its output going to buffers, as when redirected to a file: the
// progress comes as plain lines without carriage returns, the summary on
// stdout, the row errors in the --errors file.
func TestImportCommandPrintsLinesNotFramesWhenRedirected(t *testing.T) {
	p := tokens(t, sys)
	text, bad := synth.CSV(synth.New(45, 14), 10, 5) // rows 6 and 11 spoiled
	dir := t.TempDir()
	list, errFile := filepath.Join(dir, "list.csv"), filepath.Join(dir, "rejected.csv")
	if err := os.WriteFile(list, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, []string{"import", "--api", sys.URL, "--token", p.admin, "--errors", errFile, list}, &stdout, &stderr); err != nil {
		t.Fatalf("tuntas import: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "\r") || !strings.Contains(stderr.String(), "8/8 cases") {
		t.Errorf("progress on stderr: %q", stderr.String())
	}
	if !strings.Contains(stdout.String(), "opened 8, already open 0, rejected 2, failed 0") {
		t.Errorf("summary on stdout: %q", stdout.String())
	}
	rejected, err := os.ReadFile(errFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bad {
		if !strings.Contains(string(rejected), "\n"+strconv.Itoa(line)+",") {
			t.Errorf("row %d missing from the errors file:\n%s", line, rejected)
		}
	}
}
