package store

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// TestHeldCountsFollowEveryChange: summaries put one version after
// another leave the lists' order and the dashboard's counters exactly as
// a load of the final versions builds them.
func TestHeldCountsFollowEveryChange(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	villages := []string{"64.08.01.2001", "64.08.01.2002", "64.08.03.2001", "64.01.01.2009"}
	summary := func(i int, v int64) Summary {
		village := villages[i%len(villages)]
		s := Summary{ID: fmt.Sprintf("case-%02d", i), VillageCode: village, DistrictCode: village[:8], RegencyCode: village[:5],
			Regions: []string{"64", village[:5], village[:8], village}, OpenedAt: t0.Add(time.Duration(i%5) * time.Hour),
			Version: v, Stage: household.StageCollecting, Status: household.StatusOpen, MemberCount: 1 + i%3}
		switch v {
		case 2:
			s.Stage, s.Overdue, s.MemberCount = household.StageVerification, i%2 == 0, 4
		case 3:
			s.Stage, s.Status, s.Outcome = household.StageClosed, household.StatusClosed, household.OutcomeGraduated
		}
		return s
	}
	h := newHeld(nil)
	var final []Summary
	for i := range 20 {
		last := int64(1 + i%3)
		for v := int64(1); v <= last; v++ {
			h.put(summary(i, v))
		}
		h.put(summary(i, 1)) // a late duplicate of an older version
		final = append(final, summary(i, last))
	}
	want := newHeld(final)
	ids := func(h *held) []string {
		var out []string
		for _, s := range h.order {
			out = append(out, s.ID)
		}
		return out
	}
	if !slices.Equal(ids(h), ids(want)) {
		t.Errorf("order %v, want %v", ids(h), ids(want))
	}
	if !reflect.DeepEqual(h.groups, want.groups) {
		t.Errorf("groups %v, want %v", h.groups, want.groups)
	}
	for _, scope := range []string{"64", "64.08", "64.08.01", "64.08.01.2002"} {
		g, p := h.dashboard(scope, "")
		wg, wp := want.dashboard(scope, "")
		if !reflect.DeepEqual(assemble(scope, "", g, p), assemble(scope, "", wg, wp)) {
			t.Errorf("dashboard of %s differs from a load of the final versions", scope)
		}
	}
}
