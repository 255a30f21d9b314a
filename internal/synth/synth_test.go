package synth_test

import (
	"testing"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/synth"
)

func TestHouseholdsAreValidAndUnique(t *testing.T) {
	g := synth.New(1, 3)
	seen := map[string]bool{}
	for i := range 20_000 {
		h := g.Household(i)
		if _, err := household.ParseKK(h.KK); err != nil {
			t.Fatalf("household %d: KK %s: %v", i, h.KK, err)
		}
		if _, err := household.ParseNIK(h.HeadNIK); err != nil {
			t.Fatalf("household %d: NIK %s: %v", i, h.HeadNIK, err)
		}
		if seen[h.KK] {
			t.Fatalf("household %d repeats KK %s", i, h.KK)
		}
		seen[h.KK] = true
	}
}

func TestProvinceHouseholdsSpreadOverEveryRegencyWithTheirOwnCodes(t *testing.T) {
	g := synth.NewProvince(1, 3)
	seen := map[string]bool{}
	regencies := map[string]bool{}
	for i := range 20_000 {
		h := g.Household(i)
		if _, err := household.ParseKK(h.KK); err != nil {
			t.Fatalf("household %d: KK %s: %v", i, h.KK, err)
		}
		if _, err := household.ParseNIK(h.HeadNIK); err != nil {
			t.Fatalf("household %d: NIK %s: %v", i, h.HeadNIK, err)
		}
		if seen[h.KK] {
			t.Fatalf("household %d repeats KK %s", i, h.KK)
		}
		seen[h.KK] = true
		district := region.Compact(region.Ancestor(h.VillageCode, region.District))
		if h.KK[:6] != district || h.HeadNIK[:6] != district {
			t.Fatalf("household %d in %s has KK %s and NIK %s of another kecamatan", i, h.VillageCode, h.KK, h.HeadNIK)
		}
		regencies[region.Ancestor(h.VillageCode, region.Regency)] = true
	}
	for _, r := range region.Children("64") {
		if !regencies[r.Code] {
			t.Errorf("no household in %s (%s)", r.Code, r.Name)
		}
	}
}

func TestSpoiledRowsAreInvalid(t *testing.T) {
	g := synth.New(1, 3)
	for k := range 4 {
		h := synth.Spoil(g.Household(k), k)
		_, kkErr := household.ParseKK(h.KK)
		_, nikErr := household.ParseNIK(h.HeadNIK)
		if kkErr == nil && nikErr == nil && h.VillageCode != "64.08.99.2001" && h.Source != "survey" {
			t.Fatalf("spoil %d left %+v valid", k, h)
		}
	}
}
