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
	// AddRowErrors stores reasons rows were rejected.
	AddRowErrors(ctx context.Context, errs []RowError) error
}

// errorBatch is how many row errors Ingest hands the sink at once.
const errorBatch = 250

// Ingest reads the list in src for an actor whose region is scope. Valid
// rows go to the sink in chunks of ChunkSize, and the first MaxRowErrors
// row errors with them; p counts the rows read, valid and rejected and the
// chunks stored. Memory holds one chunk whatever the size of the file. A
// header that cannot be used is a *HeaderError; an error reading src or
// writing to the sink ends the import.
func Ingest(ctx context.Context, src io.Reader, scope string, sink Sink, p *Progress) error {
	r, err := NewReader(src, scope)
	if err != nil {
		return err
	}
	var (
		rows = make([]Row, 0, ChunkSize)
		errs []RowError
		kept int // row errors handed to the sink or waiting in errs
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
			for _, e := range rejected[:min(len(rejected), MaxRowErrors-kept)] {
				e.ImportID = p.ID
				errs = append(errs, e)
				kept++
			}
			if len(errs) >= errorBatch {
				if err := saveErrs(); err != nil {
					return err
				}
			}
		case err != nil:
			return fmt.Errorf("import %s: %w", p.ID, err)
		default:
			p.RowsRead++
			p.Valid++
			rows = append(rows, row)
			if len(rows) == ChunkSize {
				if err := saveRows(); err != nil {
					return err
				}
			}
		}
	}
}
