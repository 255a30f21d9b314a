package listimport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/listimport"
)

// fakeAPI answers POST /v1/imports and GET /v1/imports/{id} as the Tuntas
// API does, with an import that opens one more case each time it is asked.
type fakeAPI struct {
	t        *testing.T
	mu       sync.Mutex
	uploaded string
	p        listimport.Progress
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer admin-token" {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"title":"Unauthorized","status":401}`)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/imports":
		if ct := r.Header.Get("Content-Type"); ct != "text/csv" {
			f.t.Errorf("uploaded as %q", ct)
		}
		b, _ := io.ReadAll(r.Body)
		f.uploaded = string(b)
		f.p = listimport.Progress{ID: "imp-1", Status: listimport.Running, RowsRead: 4, Valid: 3, Rejected: 1, Chunks: 1}
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(f.p)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/imports/imp-1":
		rep := listimport.Report{Import: f.p, Errors: []listimport.RowError{{ImportID: "imp-1", Row: 3, Field: "source", Message: "must be one of [p3ke dtsen referral walk_in]"}}, ErrorsShown: 1}
		if f.p.Opened < f.p.Valid {
			f.p.Opened++
		}
		if f.p.Opened == f.p.Valid {
			f.p.Status = listimport.Done
		}
		json.NewEncoder(w).Encode(rep)
	default:
		http.NotFound(w, r)
	}
}

func TestClientUploadsAndFollowsUntilDone(t *testing.T) {
	api := &fakeAPI{t: t}
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := &listimport.Client{BaseURL: srv.URL + "/", Token: "admin-token", Every: time.Millisecond}
	ctx := context.Background()

	p, err := c.Upload(ctx, strings.NewReader(list("vbvv")))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "imp-1" || p.Valid != 3 || api.uploaded != list("vbvv") {
		t.Fatalf("upload: %+v, server read %q", p, api.uploaded)
	}
	var seen []int
	rep, err := c.Follow(ctx, p.ID, func(p listimport.Progress) { seen = append(seen, p.Settled()) })
	if err != nil {
		t.Fatal(err)
	}
	// The fake answers 0 opened, then 1, 2 and 3 (done).
	if want := []int{0, 1, 2, 3}; !slices.Equal(seen, want) {
		t.Errorf("Follow saw %v settled, want %v", seen, want)
	}
	if rep.Import.Status != listimport.Done || rep.ErrorsShown != 1 || rep.Errors[0].Row != 3 {
		t.Errorf("final report %+v", rep)
	}
}

func TestClientQuotesTheAPIsProblem(t *testing.T) {
	srv := httptest.NewServer(&fakeAPI{t: t})
	defer srv.Close()
	c := &listimport.Client{BaseURL: srv.URL, Token: "someone-else"}
	_, err := c.Upload(context.Background(), strings.NewReader(header))
	if err == nil || !strings.Contains(err.Error(), "401 Unauthorized") || !strings.Contains(err.Error(), `"title":"Unauthorized"`) {
		t.Fatalf("got %v, want the status and the problem", err)
	}
}

func TestFollowStopsWhenTheContextEnds(t *testing.T) {
	api := &fakeAPI{t: t, p: listimport.Progress{ID: "imp-1", Status: listimport.Running, Valid: 1000}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := &listimport.Client{BaseURL: srv.URL, Token: "admin-token", Every: time.Millisecond}
	polls := 0
	rep, err := c.Follow(ctx, "imp-1", func(listimport.Progress) {
		if polls++; polls == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || rep.Import.ID != "imp-1" {
		t.Fatalf("got %+v, %v; want the last report and context.Canceled", rep.Import, err)
	}
}

func TestWriteSummaryListsTheFirstRowErrorsAndFlags(t *testing.T) {
	rep := listimport.Report{Import: listimport.Progress{ID: "imp-1", Status: listimport.Done, RowsRead: 30, Opened: 5, AlreadyOpen: 1, Rejected: 24, Flagged: 1}}
	for i := range 24 {
		rep.Errors = append(rep.Errors, listimport.RowError{Row: i + 2, Field: "kk", Message: "must be exactly 16 digits"})
	}
	rep.Errors[1] = listimport.RowError{Row: 3, Field: "kk", Message: "kk also on line 2", Kind: listimport.KindFlag}
	var b bytes.Buffer
	if err := listimport.WriteSummary(&b, rep); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 22 ||
		lines[0] != "import imp-1 done: rows 30, opened 5, already open 1, rejected 24, failed 0, flagged 1" ||
		lines[1] != "  row 2 kk: must be exactly 16 digits" ||
		lines[2] != "  row 3 kk (flag): kk also on line 2" ||
		!strings.Contains(lines[21], "and 4 more") {
		t.Fatalf("summary:\n%s", b.String())
	}
}

func TestWriteRowErrorsWritesCSVWithTheKind(t *testing.T) {
	var b bytes.Buffer
	err := listimport.WriteRowErrors(&b, []listimport.RowError{
		{Row: 3, Field: "address", Message: "must be 1 to 300 characters of text"},
		{Row: 5, Field: "head_nik", Message: "head_nik also on line 2", Kind: listimport.KindFlag},
		{Row: 7, Field: "(row)", Message: `not a valid CSV row: bare " in non-quoted field`},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "row,field,message,kind\n3,address,must be 1 to 300 characters of text,error\n5,head_nik,head_nik also on line 2,flag\n" +
		"7,(row),\"not a valid CSV row: bare \"\" in non-quoted field\",error\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}
