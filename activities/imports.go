package activities

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"go.temporal.io/sdk/activity"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
)

// CaseOpener opens one household's case and returns it as it stands once
// open, with the possible duplicates its head's claim found; created is
// false when the KK already had an open case that this request did not
// open. requestID makes a repeated call answer as the first did.
type CaseOpener interface {
	Open(ctx context.Context, in household.OpenInput, by household.Actor, requestID string) (c household.Case, created bool, err error)
}

// ImportStore holds an import's validated rows, the flags opening them
// raises, and its progress.
type ImportStore interface {
	ImportChunk(ctx context.Context, importID string, chunk int) ([]listimport.Row, error)
	// AddRowFlags stores flags raised while opening a chunk. Storing the
	// same flag (import, row, column) again changes nothing, so a retried
	// chunk keeps one copy; once the import holds MaxRowErrors row errors
	// and flags, further flags are dropped (the flagged count goes on).
	AddRowFlags(ctx context.Context, importID string, flags []listimport.RowError) error
	SaveImportProgress(ctx context.Context, p listimport.Progress) error
}

// Importer opens the cases of an import, paced so that the Temporal server
// stays healthy: at most Rate starts a second across the worker, at most
// Concurrency at once.
type Importer struct {
	Opener      CaseOpener
	Store       ImportStore
	Rate        float64
	Concurrency int

	once    sync.Once
	limiter *rate.Limiter
}

// ChunkInput names one chunk of an import.
type ChunkInput struct {
	ImportID string          `json:"importId"`
	Chunk    int             `json:"chunk"`
	Actor    household.Actor `json:"actor"`
}

// ChunkResult counts what opening a chunk did. Flagged counts the rows
// that opening flagged and reading the file had not.
type ChunkResult struct {
	Opened      int `json:"opened"`
	AlreadyOpen int `json:"alreadyOpen"`
	Flagged     int `json:"flagged,omitempty"`
}

// heldElsewhereMessage is the flag on a row whose head another open case
// holds. It names that case by ID, never the NIK or the other KK.
const heldElsewhereMessage = "head is a member of another open case (%s)"

// OpenChunk opens the case of every row of a chunk. Each row's request ID
// is derived from the import and the row, so a retried chunk counts
// exactly as the first attempt would have. A row whose case has an open
// possible-duplicate finding on the row's head, held by another case, is
// flagged.
func (im *Importer) OpenChunk(ctx context.Context, in ChunkInput) (ChunkResult, error) {
	im.once.Do(func() {
		r, burst := rate.Limit(im.Rate), im.Concurrency
		if im.Rate <= 0 {
			r = rate.Inf
		}
		if burst < 1 {
			burst = 1
		}
		im.limiter = rate.NewLimiter(r, burst)
	})
	rows, err := im.Store.ImportChunk(ctx, in.ImportID, in.Chunk)
	if err != nil {
		return ChunkResult{}, fmt.Errorf("import %s chunk %d: %w", in.ImportID, in.Chunk, err)
	}
	// The first row that fails stops the others: the chunk fails and is
	// retried whole, each row answering as it did the first time.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(im.Concurrency, 1))
	var (
		mu    sync.Mutex
		res   ChunkResult
		flags []listimport.RowError
	)
	for i, row := range rows {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := im.limiter.Wait(gctx); err != nil {
				return err
			}
			c, created, err := im.Opener.Open(gctx, row.Open, in.Actor, fmt.Sprintf("%s:%d", in.ImportID, row.Row))
			if err != nil {
				return fmt.Errorf("row %d: %w", row.Row, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if created {
				res.Opened++
			} else {
				res.AlreadyOpen++
			}
			if d, ok := heldElsewhere(c, row.Open.HeadNIK); ok {
				m := household.Msgf(heldElsewhereMessage, d.OtherCaseID)
				flags = append(flags, listimport.RowError{ImportID: in.ImportID, Row: row.Row, Field: "head_nik",
					Kind: listimport.KindFlag, Message: m.Text, Key: m.Key, Args: m.Args})
				if !row.Flagged {
					res.Flagged++
				}
			}
			return nil
		})
		activity.RecordHeartbeat(ctx, i)
	}
	if err := g.Wait(); err != nil {
		return ChunkResult{}, fmt.Errorf("import %s chunk %d: %w", in.ImportID, in.Chunk, err)
	}
	if err := ctx.Err(); err != nil {
		return ChunkResult{}, fmt.Errorf("import %s chunk %d: %w", in.ImportID, in.Chunk, err)
	}
	slices.SortFunc(flags, func(a, b listimport.RowError) int { return a.Row - b.Row })
	if err := im.Store.AddRowFlags(ctx, in.ImportID, flags); err != nil {
		return ChunkResult{}, fmt.Errorf("import %s chunk %d flags: %w", in.ImportID, in.Chunk, err)
	}
	return res, nil
}

// heldElsewhere is c's open finding that another case holds nik.
func heldElsewhere(c household.Case, nik string) (household.Duplicate, bool) {
	for _, d := range c.Duplicates {
		if d.Open && !d.Held && d.NIK == nik {
			return d, true
		}
	}
	return household.Duplicate{}, false
}

// SaveImportProgress records an import's progress.
func (im *Importer) SaveImportProgress(ctx context.Context, p listimport.Progress) error {
	if err := im.Store.SaveImportProgress(ctx, p); err != nil {
		return fmt.Errorf("import %s progress: %w", p.ID, err)
	}
	return nil
}
