package demo

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
)

type kept struct {
	mu    sync.Mutex
	facts []household.Facts
}

func (k *kept) Project(_ context.Context, p activities.Projection) error {
	f := household.FactsOf(p.Case)
	for _, e := range p.Events {
		f.Marks = append(f.Marks, household.MarkOf(e))
	}
	k.mu.Lock()
	k.facts = append(k.facts, f)
	k.mu.Unlock()
	return nil
}

// TestTheDemoShowsAYearOfProgressPriorityKecamatanFirst: every household
// is valid by the domain's checks (Seed stops a case at the first refused
// step, so a walk that broke would show as cases stuck early), the two
// priority kecamatan hold 500 and 400, and month by month fewer people
// stay extreme-poor while more households graduate.
func TestTheDemoShowsAYearOfProgressPriorityKecamatanFirst(t *testing.T) {
	var k kept
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	n, err := Seed(context.Background(), &k, now, nil)
	if err != nil || n != Households || len(k.facts) != Households {
		t.Fatalf("Seed = %d, %v; kept %d", n, err, len(k.facts))
	}
	by := map[string]int{}
	for _, f := range k.facts {
		by[region.Ancestor(f.VillageCode, region.District)]++
	}
	if by[MuaraAncalong] != 500 || by[MuaraBengkal] != 400 {
		t.Errorf("Muara Ancalong %d, Muara Bengkal %d", by[MuaraAncalong], by[MuaraBengkal])
	}
	months := report.Months(report.MonthOf(Regency, now.AddDate(-1, 0, 0)), report.MonthOf(Regency, now), 13)
	var graduated, verified []int64
	for _, m := range months {
		points, err := report.Points(Regency, m, k.facts, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range points {
			if p.Region == Regency {
				graduated = append(graduated, p.Graduated)
				verified = append(verified, p.StillExtreme+p.Graduated)
			}
		}
	}
	last := len(graduated) - 1
	if graduated[last] < 1000 || graduated[last] <= graduated[last/2] || verified[last] < 3000 {
		t.Errorf("graduated by month %v, verified %v: no year of progress", graduated, verified)
	}
	t.Logf("graduated by month %v", graduated)
}
