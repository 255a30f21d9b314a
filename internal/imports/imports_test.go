package imports_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/imports"
	"github.com/tuntas-id/tuntas/internal/listimport"
)

// t0 is when the tests' imports are read.
var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// senyiur is the village of the tests' rows, in Muara Ancalong.
const senyiur = "64.08.01.2001"

func importRows(first, n int) []listimport.Row {
	rows := make([]listimport.Row, n)
	for i := range rows {
		line := first + i
		rows[i] = listimport.Row{Row: line, Open: household.OpenInput{
			KK: fmt.Sprintf("6408010101%06d", line), HeadNIK: "6408014101850001", HeadName: fmt.Sprintf("Kepala %d", line),
			VillageCode: senyiur, Address: "RT 03", Source: household.SourceDTSEN, Desil: 1 + line%10,
		}}
	}
	return rows
}

// TestImportChunksAreKeptByNumber: the API stores an import's valid rows in
// numbered chunks and the import's workflow reads them back one by one; a
// chunk written again (a retried request) replaces itself.
func TestImportChunksAreKeptByNumber(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	chunks := map[int][]listimport.Row{0: importRows(2, 250), 1: importRows(252, 3)}
	for n, rows := range chunks {
		if err := st.SaveImportChunk(ctx, "imp-a", n, rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SaveImportChunk(ctx, "imp-b", 0, importRows(2, 1)); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveImportChunk(ctx, "imp-a", 1, chunks[1]); err != nil {
		t.Fatalf("writing chunk 1 again: %v", err)
	}
	for n, want := range chunks {
		got, err := st.ImportChunk(ctx, "imp-a", n)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("chunk %d: %d rows, want %d as stored", n, len(got), len(want))
		}
	}
	if _, err := st.ImportChunk(ctx, "imp-a", 2); !errors.Is(err, imports.ErrNotFound) {
		t.Errorf("a chunk past the last: %v, want ErrNotFound", err)
	}
}

// TestRowErrorsAreListedByRowAndField: rejected rows arrive in batches as
// the file streams; they are read back per import, by row and then field,
// up to a limit.
func TestRowErrorsAreListedByRowAndField(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	rowErr := func(imp string, row int, field string) listimport.RowError {
		return listimport.RowError{ImportID: imp, Row: row, Field: field, Message: field + " is wrong"}
	}
	batches := [][]listimport.RowError{
		{rowErr("imp-a", 40, "kk"), rowErr("imp-a", 7, "source"), rowErr("imp-b", 3, "kk")},
		nil, // a flush with nothing rejected
		{rowErr("imp-a", 7, "head_nik"), rowErr("imp-a", 12, "(row)")},
	}
	for _, b := range batches {
		if err := st.AddRowErrors(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	all := []listimport.RowError{rowErr("imp-a", 7, "head_nik"), rowErr("imp-a", 7, "source"), rowErr("imp-a", 12, "(row)"), rowErr("imp-a", 40, "kk")}
	tests := []struct {
		imp   string
		limit int
		want  []listimport.RowError
	}{
		{"imp-a", 1000, all},
		{"imp-a", 2, all[:2]},
		{"imp-b", 1000, []listimport.RowError{rowErr("imp-b", 3, "kk")}},
		{"imp-none", 1000, []listimport.RowError{}},
	}
	for _, tt := range tests {
		got, err := st.RowErrors(ctx, tt.imp, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("RowErrors(%s, %d) = %+v, want %+v", tt.imp, tt.limit, got, tt.want)
		}
	}
}

// TestImportProgressIsReplacedWhole: the API writes the progress once the
// file is read, then the import's workflow rewrites it chunk by chunk.
func TestImportProgressIsReplacedWhole(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	read := listimport.Progress{ID: "imp-a", Status: listimport.Running, FileName: "p3ke.csv", CreatedBy: "admin-1",
		CreatedAt: t0, UpdatedAt: t0, RowsRead: 100, Rejected: 3, Valid: 97, Chunks: 1}
	done := read
	done.Status, done.Opened, done.ChunksDone, done.UpdatedAt, done.FinishedAt = listimport.Done, 97, 1, t0.Add(5*time.Second), t0.Add(5*time.Second)

	if _, err := st.Import(ctx, "imp-a"); !errors.Is(err, imports.ErrNotFound) {
		t.Fatalf("an import not yet stored: %v, want ErrNotFound", err)
	}
	for _, want := range []listimport.Progress{read, done} {
		if err := st.SaveImportProgress(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := st.Import(ctx, "imp-a")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Import = %+v, want %+v", got, want)
		}
	}
}
