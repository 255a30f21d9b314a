package casework

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// loadingFacts is a read index still reading the facts after a restart.
type loadingFacts struct{}

func (loadingFacts) Facts(context.Context, string) ([]household.Facts, error) {
	return nil, store.ErrFactsLoading
}

// TestAReportAskedWhileTheFactsAreReadIsUnavailableForAMoment: the API
// answers 503 with Retry-After (CodeUnavailable), in words a person can
// act on, not an internal error.
func TestAReportAskedWhileTheFactsAreReadIsUnavailableForAMoment(t *testing.T) {
	s := New(Config{Store: &villageCases{}, Facts: loadingFacts{}, Now: func() time.Time { return now }})
	who := Caller{Principal: auth.Principal{Sub: "p", Role: household.RoleSupervisor, Region: "64.08"}}
	_, err := s.QuarterlyReport(context.Background(), who, QuarterlyQuery{})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnavailable || e.Key != "reports_loading" {
		t.Fatalf("a report while the facts are read: %v, want %s (reports_loading)", err, CodeUnavailable)
	}
}
