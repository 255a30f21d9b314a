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
