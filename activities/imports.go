package activities

import (
	"context"
	"fmt"
	"sync"

	"go.temporal.io/sdk/activity"
	"golang.org/x/time/rate"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
)

// CaseOpener opens one household's case; created is false when the KK
// already had an open case that this request did not open. requestID makes
// a repeated call answer as the first did.
type CaseOpener interface {
	Open(ctx context.Context, in household.OpenInput, by household.Actor, requestID string) (created bool, err error)
}

// ImportStore holds an import's validated rows and its progress.
type ImportStore interface {
	ImportChunk(ctx context.Context, importID string, chunk int) ([]listimport.Row, error)
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

// ChunkResult counts what opening a chunk did.
type ChunkResult struct {
	Opened      int `json:"opened"`
	AlreadyOpen int `json:"alreadyOpen"`
}

// OpenChunk opens the case of every row of a chunk. Each row's request ID
// is derived from the import and the row, so a retried chunk counts
// exactly as the first attempt would have.
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
	workers := max(im.Concurrency, 1)
	var (
		mu       sync.Mutex
		res      ChunkResult
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan listimport.Row)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range next {
				if err := im.limiter.Wait(ctx); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					continue
				}
				created, err := im.Opener.Open(ctx, row.Open, in.Actor, fmt.Sprintf("%s:%d", in.ImportID, row.Row))
				mu.Lock()
				switch {
				case err != nil:
					firstErr = cmpErr(firstErr, fmt.Errorf("row %d: %w", row.Row, err))
				case created:
					res.Opened++
				default:
					res.AlreadyOpen++
				}
				mu.Unlock()
			}
		}()
	}
	for i, row := range rows {
		select {
		case next <- row:
		case <-ctx.Done():
		}
		activity.RecordHeartbeat(ctx, i)
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return ChunkResult{}, fmt.Errorf("import %s chunk %d: %w", in.ImportID, in.Chunk, firstErr)
	}
	return res, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// SaveImportProgress records an import's progress.
func (im *Importer) SaveImportProgress(ctx context.Context, p listimport.Progress) error {
	if err := im.Store.SaveImportProgress(ctx, p); err != nil {
		return fmt.Errorf("import %s progress: %w", p.ID, err)
	}
	return nil
}
