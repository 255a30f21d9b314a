package listimport_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func TestChunkRowsIsFullButTheLast(t *testing.T) {
	tests := []struct {
		valid, chunks int
		want          []int
	}{
		{1, 1, []int{1}},
		{250, 1, []int{250}},
		{251, 2, []int{250, 1}},
		{500, 2, []int{250, 250}},
		{749, 3, []int{250, 250, 249}},
	}
	for _, tt := range tests {
		p := listimport.Progress{Valid: tt.valid, Chunks: tt.chunks}
		for n, want := range tt.want {
			if got := p.ChunkRows(n); got != want {
				t.Errorf("%d valid in %d chunks: chunk %d holds %d, want %d", tt.valid, tt.chunks, n, got, want)
			}
		}
	}
}

func TestProgressCountsEachChunkUntilDone(t *testing.T) {
	p := listimport.Progress{ID: "imp-1", Status: listimport.Running, Valid: 501, Chunks: 3}
	p.Start(t0)
	if p.Status != listimport.Running || !p.CreatedAt.Equal(t0) {
		t.Fatalf("started: %+v", p)
	}
	steps := []struct {
		name    string
		apply   func(at time.Time)
		settled int
		done    bool
	}{
		{"first chunk opened", func(at time.Time) { p.ChunkOpened(240, 10, 3, at) }, 250, false},
		{"second chunk failed", p.ChunkFailed, 500, false},
		{"last chunk failed", p.ChunkFailed, 501, true},
	}
	for i, s := range steps {
		at := t0.Add(time.Duration(i+1) * time.Minute)
		s.apply(at)
		if p.Settled() != s.settled || p.ChunksDone != i+1 || !p.UpdatedAt.Equal(at) || (p.Status == listimport.Done) != s.done {
			t.Fatalf("%s: %+v, want %d settled, done %t", s.name, p, s.settled, s.done)
		}
	}
	if p.Opened != 240 || p.AlreadyOpen != 10 || p.Flagged != 3 || p.Failed != 251 || !p.FinishedAt.Equal(p.UpdatedAt) {
		t.Fatalf("finished as %+v", p)
	}
}

func TestAnImportWithNothingToOpenIsDoneAtOnce(t *testing.T) {
	p := listimport.Progress{ID: "imp-1", Status: listimport.Running, RowsRead: 3, Rejected: 3}
	p.Start(t0)
	if p.Status != listimport.Done || !p.FinishedAt.Equal(t0) {
		t.Fatalf("%+v, want done at %v", p, t0)
	}
}

// TestPayloadsKeepTheirNames pins the JSON of the types that travel in
// Temporal payloads (the Import workflow's input and result, the chunk
// activity's rows), live in MongoDB documents and answer GET
// /v1/imports/{id}: recorded histories, running workflows, stored imports
// and API clients all read these names.
func TestPayloadsKeepTheirNames(t *testing.T) {
	finished := t0.Add(time.Hour)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"progress", listimport.Progress{ID: "imp-1", Status: listimport.Done, FileName: "p3ke.csv", CreatedBy: "admin-1",
			CreatedAt: t0, UpdatedAt: finished, FinishedAt: finished, RowsRead: 12, Rejected: 2, Valid: 10,
			Opened: 7, AlreadyOpen: 2, Failed: 1, Flagged: 3, Chunks: 1, ChunksDone: 1},
			`{"id":"imp-1","status":"done","fileName":"p3ke.csv","createdBy":"admin-1","createdAt":"2026-03-01T08:00:00Z",` +
				`"updatedAt":"2026-03-01T09:00:00Z","finishedAt":"2026-03-01T09:00:00Z","rowsRead":12,"rejected":2,"valid":10,` +
				`"opened":7,"alreadyOpen":2,"failed":1,"flagged":3,"chunks":1,"chunksDone":1}`},
		{"running progress leaves out what it lacks", listimport.Progress{ID: "imp-1", Status: listimport.Running, CreatedAt: t0, UpdatedAt: t0},
			`{"id":"imp-1","status":"running","createdBy":"","createdAt":"2026-03-01T08:00:00Z","updatedAt":"2026-03-01T08:00:00Z",` +
				`"rowsRead":0,"rejected":0,"valid":0,"opened":0,"alreadyOpen":0,"failed":0,"flagged":0,"chunks":0,"chunksDone":0}`},
		{"row", listimport.Row{Row: 2, Open: household.OpenInput{KK: "6408010101190001", Source: household.SourceP3KE}},
			`{"row":2,"open":{"id":"","kk":"6408010101190001","headNik":"","headName":"","villageCode":"","address":"","source":"p3ke"}}`},
		{"flagged row", listimport.Row{Row: 4, Open: household.OpenInput{KK: "6408010101190001", Source: household.SourceP3KE}, Flagged: true},
			`{"row":4,"open":{"id":"","kk":"6408010101190001","headNik":"","headName":"","villageCode":"","address":"","source":"p3ke"},"flagged":true}`},
		// A row error has no kind, as before flags existed.
		{"row error", listimport.RowError{ImportID: "imp-1", Row: 3, Field: "head_nik", Message: "must be exactly 16 digits"},
			`{"importId":"imp-1","row":3,"field":"head_nik","message":"must be exactly 16 digits"}`},
		{"flag", listimport.RowError{ImportID: "imp-1", Row: 4, Field: "kk", Message: "kk also on line 2", Kind: listimport.KindFlag},
			`{"importId":"imp-1","row":4,"field":"kk","message":"kk also on line 2","kind":"flag"}`},
		// The API wrote this answer from a map, whose keys JSON sorts.
		{"report", listimport.Report{Import: listimport.Progress{ID: "imp-1"}, Errors: []listimport.RowError{}, ErrorsShown: 0},
			`{"errors":[],"errorsShown":0,"import":{"id":"imp-1","status":"","createdBy":"","createdAt":"0001-01-01T00:00:00Z",` +
				`"updatedAt":"0001-01-01T00:00:00Z","rowsRead":0,"rejected":0,"valid":0,"opened":0,"alreadyOpen":0,"failed":0,"flagged":0,"chunks":0,"chunksDone":0}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}
