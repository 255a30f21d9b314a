package listimport_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/listimport"
)

// memSink keeps chunks and row errors in memory, copying what it is given
// as a store that encodes at once would.
type memSink struct {
	chunks  map[int][]listimport.Row
	errs    []listimport.RowError
	batches int
	fail    error
}

var _ listimport.Sink = (*memSink)(nil)

func (m *memSink) SaveImportChunk(_ context.Context, importID string, n int, rows []listimport.Row) error {
	if m.fail != nil {
		return m.fail
	}
	if m.chunks == nil {
		m.chunks = map[int][]listimport.Row{}
	}
	m.chunks[n] = slices.Clone(rows)
	return nil
}

func (m *memSink) AddRowErrors(_ context.Context, errs []listimport.RowError) error {
	if m.fail != nil {
		return m.fail
	}
	m.batches++
	m.errs = append(m.errs, errs...)
	return nil
}

// list writes a header and then valid and bad rows as pattern says,
// one character a row: 'v' valid, 'b' with a bad source, '2' with a bad
// source and a bad desil. Every 'v' is the same row, so each after the
// first carries two flags (its KK and head NIK repeat the first).
func list(pattern string) string {
	var b strings.Builder
	b.WriteString(header)
	for _, c := range pattern {
		switch c {
		case 'v':
			b.WriteString(line(header, good))
		case 'b':
			b.WriteString(line(header, with(map[string]string{"source": "survey"})))
		case '2':
			b.WriteString(line(header, with(map[string]string{"source": "survey", "desil": "0"})))
		}
	}
	return b.String()
}

func TestIngestCutsValidRowsIntoChunks(t *testing.T) {
	tests := []struct {
		name       string
		valid, bad int
		wantChunks []int // rows in each chunk
	}{
		{"nothing valid", 0, 3, nil},
		{"one row", 1, 0, []int{1}},
		{"one short of a chunk", 249, 1, []int{249}},
		{"exactly a chunk", 250, 0, []int{250}},
		{"one past a chunk", 251, 0, []int{250, 1}},
		{"exactly two chunks", 500, 7, []int{250, 250}},
		{"two chunks and one row", 501, 0, []int{250, 250, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Bad rows first, so the valid rows' lines start after them.
			file := list(strings.Repeat("b", tt.bad) + strings.Repeat("v", tt.valid))
			var sink memSink
			p := listimport.Progress{ID: "imp-1"}
			if err := listimport.Ingest(context.Background(), strings.NewReader(file), "64", &sink, &p); err != nil {
				t.Fatal(err)
			}
			if p.RowsRead != tt.valid+tt.bad || p.Valid != tt.valid || p.Rejected != tt.bad || p.Chunks != len(tt.wantChunks) {
				t.Fatalf("progress %+v, want %d valid, %d rejected, %d chunks", p, tt.valid, tt.bad, len(tt.wantChunks))
			}
			next := tt.bad + 2 // the first valid row's line
			for n, size := range tt.wantChunks {
				rows := sink.chunks[n]
				if len(rows) != size || p.ChunkRows(n) != size {
					t.Fatalf("chunk %d holds %d rows (ChunkRows %d), want %d", n, len(rows), p.ChunkRows(n), size)
				}
				for _, r := range rows {
					if r.Row != next || r.Open != goodInput {
						t.Fatalf("chunk %d: row %d %+v, want row %d", n, r.Row, r.Open, next)
					}
					next++
				}
			}
			if len(sink.chunks) != len(tt.wantChunks) {
				t.Errorf("stored %d chunks, want %d", len(sink.chunks), len(tt.wantChunks))
			}
		})
	}
}

func TestIngestKeepsTheFirstRowErrorsAndFlagsAndCountsEveryRejectedRow(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		rejected int
		kept     int
		lastRow  int // of the last kept error or flag
		flagged  int
	}{
		{"a few", "vbvb", 2, 4, 5, 1}, // line 4 repeats line 2: two flags
		{"just under the cap", strings.Repeat("b", listimport.MaxRowErrors-1), 999, 999, 1000, 0},
		{"at the cap", strings.Repeat("b", listimport.MaxRowErrors), 1000, 1000, 1001, 0},
		{"past the cap", strings.Repeat("b", listimport.MaxRowErrors+500), 1500, 1000, 1001, 0},
		// 499 rows of two errors and one of one reach 999; the next row's
		// first error (by column) is the last kept.
		{"the cap cuts a row", strings.Repeat("2", 499) + "b" + "2" + "v", 501, 1000, 502, 0},
		// Rows 3 to 502 carry two flags each; the rows after are flagged
		// and counted but their flags are not kept.
		{"flags count against the cap", strings.Repeat("v", 600), 0, 1000, 502, 599},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink memSink
			p := listimport.Progress{ID: "imp-2"}
			if err := listimport.Ingest(context.Background(), strings.NewReader(list(tt.pattern)), "64", &sink, &p); err != nil {
				t.Fatal(err)
			}
			if p.Rejected != tt.rejected || len(sink.errs) != tt.kept || p.Flagged != tt.flagged {
				t.Fatalf("rejected %d, flagged %d, kept %d errors and flags; want %d, %d, %d", p.Rejected, p.Flagged, len(sink.errs), tt.rejected, tt.flagged, tt.kept)
			}
			if last := sink.errs[len(sink.errs)-1]; last.Row != tt.lastRow {
				t.Errorf("last kept error %+v, want row %d", last, tt.lastRow)
			}
			if !slices.IsSortedFunc(sink.errs, func(a, b listimport.RowError) int {
				if a.Row != b.Row {
					return a.Row - b.Row
				}
				return strings.Compare(a.Field, b.Field)
			}) {
				t.Error("row errors are not in row and column order")
			}
			for _, e := range sink.errs {
				if e.ImportID != "imp-2" {
					t.Fatalf("row error %+v lacks its import", e)
				}
			}
			if want := (tt.kept + 249) / 250; sink.batches > want+1 {
				t.Errorf("row errors written in %d batches, want about %d", sink.batches, want)
			}
		})
	}
}

func TestIngestStopsOnAnUnusableHeaderOrAFailingStore(t *testing.T) {
	var sink memSink
	p := listimport.Progress{ID: "imp-3"}
	err := listimport.Ingest(context.Background(), strings.NewReader("kk,head_nik\n"), "64", &sink, &p)
	var he *listimport.HeaderError
	if !errors.As(err, &he) || p.RowsRead != 0 || len(sink.chunks)+len(sink.errs) != 0 {
		t.Fatalf("header lacking columns: %v, %+v", err, p)
	}

	down := errors.New("store down")
	for _, pattern := range []string{"v", "b"} {
		sink := memSink{fail: down}
		if err := listimport.Ingest(context.Background(), strings.NewReader(list(pattern)), "64", &sink, &p); !errors.Is(err, down) {
			t.Errorf("%s: got %v, want the store's error", pattern, err)
		}
	}
}

// Family cards and heads' NIKs of the in-file repeat tests, all valid.
const (
	kk1, kk2, kk3    = "6408010101190001", "6408010101190002", "6408010101190003"
	nik1, nik2, nik3 = "6408014101750001", "6408014101750002", "6408010202760003"
)

// TestIngestFlagsAValidRowRepeatingTheKKOrHeadNIKOfAnEarlierValidRow: the
// row is still valid and stored to be opened; the flag names the first
// line with that KK or NIK, never the number. Only valid rows are
// remembered: a rejected row opens nothing, so the valid row after it with
// the same KK is the one that opens, unflagged.
func TestIngestFlagsAValidRowRepeatingTheKKOrHeadNIKOfAnEarlierValidRow(t *testing.T) {
	type r = map[string]string
	row := func(kk, nik string) r { return with(r{"kk": kk, "head_nik": nik}) }
	bad := func(kk, nik string) r { return with(r{"kk": kk, "head_nik": nik, "source": "survey"}) }
	tests := []struct {
		name      string
		rows      []r
		valid     int
		rejected  int
		wantFlags []string // line field: message
	}{
		{"no repeats", []r{row(kk1, nik1), row(kk2, nik2)}, 2, 0, nil},
		{"the same KK twice", []r{row(kk1, nik1), row(kk1, nik2)}, 2, 0,
			[]string{"3 kk: kk also on line 2"}},
		{"the same head NIK on two KKs", []r{row(kk1, nik1), row(kk2, nik1)}, 2, 0,
			[]string{"3 head_nik: head_nik also on line 2"}},
		{"both: the same household twice", []r{row(kk1, nik1), row(kk2, nik2), row(kk1, nik1)}, 3, 0,
			[]string{"4 head_nik: head_nik also on line 2", "4 kk: kk also on line 2"}},
		{"each repeat names the first line", []r{row(kk1, nik1), row(kk1, nik2), row(kk1, nik3)}, 3, 0,
			[]string{"3 kk: kk also on line 2", "4 kk: kk also on line 2"}},
		{"a rejected row between counts in the line", []r{row(kk1, nik1), bad(kk2, nik2), row(kk3, nik1)}, 2, 1,
			[]string{"4 head_nik: head_nik also on line 2"}},
		{"a repeat of a rejected row is not flagged", []r{bad(kk1, nik1), row(kk1, nik1)}, 1, 1, nil},
		{"a rejected repeat of a valid row is only rejected", []r{row(kk1, nik1), bad(kk1, nik1)}, 1, 1, nil},
		// The KK's 16 digits read as a valid NIK; a KK and a NIK are
		// never compared.
		{"a head NIK equal to another row's KK is no repeat", []r{row(kk1, nik1), row(kk2, kk1)}, 2, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := header
			for _, row := range tt.rows {
				file += line(header, row)
			}
			var sink memSink
			p := listimport.Progress{ID: "imp-4"}
			if err := listimport.Ingest(context.Background(), strings.NewReader(file), "64", &sink, &p); err != nil {
				t.Fatal(err)
			}
			var flags []string
			flaggedLines := map[int]bool{}
			for _, e := range sink.errs {
				if !e.IsFlag() {
					continue
				}
				if e.ImportID != "imp-4" {
					t.Errorf("flag %+v lacks its import", e)
				}
				for _, number := range []string{kk1, kk2, kk3, nik1, nik2, nik3} {
					if strings.Contains(e.Message, number) {
						t.Errorf("flag %+v quotes a KK or NIK", e)
					}
				}
				flags = append(flags, fmt.Sprintf("%d %s: %s", e.Row, e.Field, e.Message))
				flaggedLines[e.Row] = true
			}
			if !slices.Equal(flags, tt.wantFlags) {
				t.Errorf("flags %q, want %q", flags, tt.wantFlags)
			}
			if p.Valid != tt.valid || p.Rejected != tt.rejected || p.Flagged != len(flaggedLines) {
				t.Errorf("progress %+v, want %d valid, %d rejected, %d flagged", p, tt.valid, tt.rejected, len(flaggedLines))
			}
			// Flagged rows are stored to be opened all the same, marked so
			// that opening counts them once.
			var stored []listimport.Row
			for n := range p.Chunks {
				stored = append(stored, sink.chunks[n]...)
			}
			if len(stored) != tt.valid {
				t.Fatalf("stored %d rows, want every valid row (%d)", len(stored), tt.valid)
			}
			for _, row := range stored {
				if row.Flagged != flaggedLines[row.Row] {
					t.Errorf("stored line %d flagged %t, want %t", row.Row, row.Flagged, flaggedLines[row.Row])
				}
			}
		})
	}
}
