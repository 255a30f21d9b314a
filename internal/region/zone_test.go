package region_test

import (
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/region"
)

func TestTodayFollowsTheRegionsOwnClock(t *testing.T) {
	late := time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		code, want string
	}{
		{"64.08.01.2001", "2026-12-08"}, // Kutai Timur, WITA: 07:30 the next morning
		{"64", "2026-12-08"},
		{"31.71", "2026-12-08"},    // Jakarta, WIB: 06:30
		{"94.71", "2026-12-08"},    // Papua, WIT: 08:30
		{"", "2026-12-08"},         // unknown: WITA
		{"12.71", "2026-12-08"},    // Medan, WIB
		{"61.71", "2026-12-08"},    // Pontianak, WIB
		{"73.71", "2026-12-08"},    // Makassar, WITA
		{"81.71", "2026-12-08"},    // Ambon, WIT
		{"64.72", "2026-12-08"},    // Samarinda, WITA
		{"64.08.01", "2026-12-08"}, // a kecamatan
	}
	for _, tt := range tests {
		if got := region.Today(tt.code, late); got != tt.want {
			t.Errorf("Today(%q, 23:30 UTC) = %s, want %s", tt.code, got, tt.want)
		}
	}
	early := time.Date(2026, 12, 7, 16, 30, 0, 0, time.UTC)
	for code, want := range map[string]string{"31.71": "2026-12-07", "64.08": "2026-12-08", "94.71": "2026-12-08"} {
		if got := region.Today(code, early); got != want {
			t.Errorf("Today(%q, 16:30 UTC) = %s, want %s", code, got, want)
		}
	}
}
