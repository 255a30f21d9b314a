package pseudonym_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/pseudonym"
)

func TestPseudonymsAreStableKeyedAndHideTheNumber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "person.key")
	k1, err := pseudonym.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := pseudonym.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := pseudonym.LoadOrCreate(filepath.Join(t.TempDir(), "person.key"))
	const nik = "6408014101850001"
	p := k1.Of(nik)
	switch {
	case p != again.Of(nik):
		t.Fatal("the same key gives another pseudonym after a restart")
	case p == other.Of(nik):
		t.Fatal("another key gives the same pseudonym")
	case p == k1.Of("6408014101850002"):
		t.Fatal("two NIKs share a pseudonym")
	case strings.Contains(p, nik) || len(p) != 64:
		t.Fatalf("pseudonym %q", p)
	}
	if _, err := pseudonym.ParseKey("c2hvcnQ="); err == nil {
		t.Fatal("a short key was accepted")
	}
}

func TestAFamilyCardsPseudonymIsStableKeyedAndNeverAPersons(t *testing.T) {
	k, err := pseudonym.ParseKey("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := pseudonym.ParseKey("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
	other, _ := pseudonym.ParseKey("OTg3NjU0MzIxMDk4NzY1NDMyMTA5ODc2NTQzMjEwOTg=")
	const kk = "6408010101190001"
	p := k.Household(kk)
	switch {
	case p != again.Household(kk):
		t.Fatal("the same key gives another pseudonym")
	case p == other.Household(kk):
		t.Fatal("another key gives the same pseudonym")
	case p == k.Household("6408010101190002"):
		t.Fatal("two family cards share a pseudonym")
	case len(p) != pseudonym.HouseholdSize || strings.Trim(p, "0123456789abcdef") != "":
		t.Fatalf("pseudonym %q is not %d hex digits", p, pseudonym.HouseholdSize)
	}
	// The same 16 digits as a NIK and as a KK are two unrelated pseudonyms,
	// so a workflow ID cannot be matched with a person's claim.
	if strings.HasPrefix(k.Of(kk), p) {
		t.Fatalf("a KK's pseudonym %q begins the NIK's %q", p, k.Of(kk))
	}
}
