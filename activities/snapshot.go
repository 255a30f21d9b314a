package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/report"
)

// ProgressStore is what the progress snapshot reads and writes.
type ProgressStore interface {
	Facts(ctx context.Context, scope string) ([]household.Facts, error)
	// SaveProgress must replace a stored point of the same region and
	// month, so that a month taken again is not counted twice.
	SaveProgress(ctx context.Context, points []report.Point) error
}

// Snapshots take the monthly progress snapshots.
type Snapshots struct {
	Store ProgressStore
	// Now is the clock for a month not yet over; time.Now when nil.
	Now func() time.Time
}

// MaxSnapshotMonths bounds the months one snapshot takes (three years).
const MaxSnapshotMonths = 36

// SnapshotInput names the months to take: Through (YYYY-MM) and, when
// Backfill is set, every month before it back to the first case's.
type SnapshotInput struct {
	Scope    string `json:"scope"`
	Through  string `json:"through"`
	Backfill bool   `json:"backfill,omitempty"`
}

// SnapshotResult says what was taken.
type SnapshotResult struct {
	Months []string `json:"months"`
	Points int      `json:"points"`
}

// TakeSnapshot counts each month of in as at its end (a month not over as
// at now) from the cases' facts, for every region, and stores the points.
// Counting from the timelines makes a late or repeated run exact: a month
// taken again gives the same points and replaces them.
func (s *Snapshots) TakeSnapshot(ctx context.Context, in SnapshotInput) (SnapshotResult, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	facts, err := s.Store.Facts(ctx, in.Scope)
	if err != nil {
		return SnapshotResult{}, err
	}
	months := []string{in.Through}
	if in.Backfill {
		if first := report.FirstMonth(in.Scope, facts); first != "" && first < in.Through {
			months = report.Months(first, in.Through, MaxSnapshotMonths)
		}
	}
	res := SnapshotResult{Months: months}
	taken := now()
	for _, m := range months {
		points, err := report.Points(in.Scope, m, facts, taken)
		if err != nil {
			return res, fmt.Errorf("snapshot %s: %w", m, err)
		}
		if err := s.Store.SaveProgress(ctx, points); err != nil {
			return res, err
		}
		res.Points += len(points)
	}
	return res, nil
}
