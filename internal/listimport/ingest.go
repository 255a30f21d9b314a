package listimport

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Sink keeps what Ingest reads. Neither method may keep the slice it is
// given after it returns: Ingest reuses it for the next chunk.
type Sink interface {
	// SaveImportChunk stores chunk n (0, 1, …) of an import's valid rows.
	SaveImportChunk(ctx context.Context, importID string, n int, rows []Row) error
	// AddRowErrors stores reasons rows were rejected and flags on valid
	// rows.
	AddRowErrors(ctx context.Context, errs []RowError) error
}

// errorBatch is how many row errors and flags Ingest hands the sink at once.
const errorBatch = 250

// Ingest reads the list in src for an actor whose region is scope. Valid
// rows go to the sink in chunks of ChunkSize, and the first MaxRowErrors
// row errors and flags with them; p counts the rows read, valid, rejected
// and flagged and the chunks stored. A valid row whose KK or head NIK is
// on an earlier valid row is flagged, and still stored to be opened: a
// second row of a KK reaches the case the first opened. Memory holds one
// chunk, and the KKs and head NIKs seen as numbers, whatever the size of
// the file. A header that cannot be used is a *HeaderError; an error
// reading src or writing to the sink ends the import.
func Ingest(ctx context.Context, src io.Reader, scope string, sink Sink, p *Progress) error {
	r, err := NewReader(src, scope)
	if err != nil {
		return err
	}
	var (
		rows    = make([]Row, 0, ChunkSize)
		errs    []RowError
		kept    int // row errors and flags handed to the sink or waiting in errs
		repeats = newRepeats()
	)
	saveRows := func() error {
		if len(rows) == 0 {
			return nil
		}
		if err := sink.SaveImportChunk(ctx, p.ID, p.Chunks, rows); err != nil {
			return fmt.Errorf("import %s chunk %d: %w", p.ID, p.Chunks, err)
		}
		p.Chunks++
		rows = rows[:0]
		return nil
	}
	saveErrs := func() error {
		if len(errs) == 0 {
			return nil
		}
		if err := sink.AddRowErrors(ctx, errs); err != nil {
			return fmt.Errorf("import %s row errors: %w", p.ID, err)
		}
		errs = errs[:0]
		return nil
	}
	// note keeps a row's errors or flags within the cap.
	note := func(found []RowError) error {
		for _, e := range found[:min(len(found), MaxRowErrors-kept)] {
			e.ImportID = p.ID
			errs = append(errs, e)
			kept++
		}
		if len(errs) >= errorBatch {
			return saveErrs()
		}
		return nil
	}
	for {
		row, err := r.Read()
		var rejected RowErrors
		switch {
		case errors.Is(err, io.EOF):
			if err := saveRows(); err != nil {
				return err
			}
			return saveErrs()
		case errors.As(err, &rejected):
			p.RowsRead++
			p.Rejected++
			if err := note(rejected); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("import %s: %w", p.ID, err)
		default:
			p.RowsRead++
			p.Valid++
			if flags := repeats.flags(row); len(flags) > 0 {
				p.Flagged++
				row.Flagged = true
				if err := note(flags); err != nil {
					return err
				}
			}
			rows = append(rows, row)
			if len(rows) == ChunkSize {
				if err := saveRows(); err != nil {
					return err
				}
			}
		}
	}
}
