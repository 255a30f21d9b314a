package region_test

import (
	"testing"

	"github.com/tuntas-id/tuntas/internal/region"
)

func TestKutaiTimurHas18KecamatanAnd141Villages(t *testing.T) {
	districts := region.Children("64.08")
	if len(districts) != 18 {
		t.Fatalf("Kutai Timur has %d kecamatan, want 18", len(districts))
	}
	villages := 0
	for _, d := range districts {
		if d.Level != region.District {
			t.Fatalf("%s is a %s", d.Code, d.Level)
		}
		villages += len(region.Children(d.Code))
	}
	if villages != 141 {
		t.Fatalf("Kutai Timur has %d villages, want 141", villages)
	}
	if d, ok := region.Lookup("64.08.01"); !ok || d.Name != "Muara Ancalong" {
		t.Fatalf("64.08.01 = %+v", d)
	}
	if r, _ := region.Lookup("64.08"); r.Population == 0 {
		t.Fatal("Kutai Timur has no population figure")
	}
}

func TestWithinAndAncestor(t *testing.T) {
	tests := []struct {
		code, scope string
		want        bool
	}{
		{"64.08.01.2001", "64.08", true},
		{"64.08.01.2001", "64.08.01.2001", true},
		{"64.08.01.2001", "64.08.0", false}, // a prefix of digits is not a parent
		{"64.08.01.2001", "64.08.03", false},
		{"64.08", "64.08.01", false},
	}
	for _, tt := range tests {
		if got := region.Within(tt.code, tt.scope); got != tt.want {
			t.Errorf("Within(%s, %s) = %t", tt.code, tt.scope, got)
		}
	}
	if got := region.Ancestor("64.08.01.2001", region.District); got != "64.08.01" {
		t.Errorf("Ancestor = %s", got)
	}
	if got := region.Ancestor("64.08", region.Village); got != "" {
		t.Errorf("Ancestor above the level = %q", got)
	}
}
