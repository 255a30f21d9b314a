package claims_test

import (
	"context"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/claims"
)

// A closing case lets go of the people it holds and of no one else's,
// whichever order claims, assignments and releases come in.
func TestReleasePeopleLetsGoOfTheCasesOwnPeopleOnly(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	at := time.Now().UTC().Truncate(time.Millisecond)
	claim := func(person, caseID string) claims.Claim {
		return claims.Claim{Person: person, CaseID: caseID, KK: "6408010101000001", Village: "64.08.01.2001", At: at}
	}
	for _, c := range []claims.Claim{claim("p-own", "case-a"), claim("p-other", "case-b"), claim("p-moved", "case-a")} {
		if got, err := st.ClaimPerson(ctx, c); err != nil || got.CaseID != c.CaseID {
			t.Fatalf("claim %s: %v, held by %s", c.Person, err, got.CaseID)
		}
	}
	// A supervisor gives p-moved to case-c before case-a closes.
	if err := st.AssignPerson(ctx, claim("p-moved", "case-c")); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleasePeople(ctx, "case-a", []string{"p-own", "p-other", "p-moved", "p-never-claimed"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		person, want string // want "": free to claim
	}{
		{"p-own", ""},
		{"p-other", "case-b"},
		{"p-moved", "case-c"},
		{"p-never-claimed", ""},
	}
	for _, tt := range tests {
		got, err := st.ClaimPerson(ctx, claim(tt.person, "case-new"))
		if err != nil {
			t.Fatal(err)
		}
		want := tt.want
		if want == "" {
			want = "case-new"
		}
		if got.CaseID != want {
			t.Errorf("%s after case-a released: held by %s, want %s", tt.person, got.CaseID, want)
		}
	}
}

// A case that moves takes its own people's claims to its new village, and
// leaves another case's as they were.
func TestMovePeopleMovesTheCasesOwnClaimsOnly(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	at := time.Now().UTC().Truncate(time.Millisecond)
	claim := func(person, caseID, village string) claims.Claim {
		return claims.Claim{Person: person, CaseID: caseID, KK: "6408010101000001", Village: village, At: at}
	}
	for _, c := range []claims.Claim{claim("p-own", "case-a", "64.08.01.2001"), claim("p-other", "case-b", "64.08.01.2002")} {
		if _, err := st.ClaimPerson(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.MovePeople(ctx, "case-a", "64.08.03.2004", []string{"p-own", "p-other", "p-never-claimed"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ person, caseID, village string }{
		{"p-own", "case-a", "64.08.03.2004"},
		{"p-other", "case-b", "64.08.01.2002"},
	} {
		got, err := st.ClaimPerson(ctx, claim(tt.person, "case-new", "64.08.05.2001"))
		if err != nil {
			t.Fatal(err)
		}
		if got.CaseID != tt.caseID || got.Village != tt.village {
			t.Errorf("%s after case-a moved: held by %s in %s, want %s in %s", tt.person, got.CaseID, got.Village, tt.caseID, tt.village)
		}
	}
	if got, err := st.ClaimPerson(ctx, claim("p-never-claimed", "case-new", "64.08.05.2001")); err != nil || got.CaseID != "case-new" {
		t.Errorf("a person nobody held was claimed by the move: %+v %v", got, err)
	}
}

// Asking who holds a person claims nobody.
func TestHolderAsksWithoutClaiming(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	c := claims.Claim{Person: "p-held", CaseID: "case-a", KK: "6408010101000001", Village: "64.08.01.2001", At: time.Now().UTC().Truncate(time.Millisecond)}
	if _, err := st.ClaimPerson(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := st.Holder(ctx, "p-held"); err != nil || !ok || got.CaseID != "case-a" || got.Village != c.Village {
		t.Fatalf("holder of p-held: %+v %t %v", got, ok, err)
	}
	if _, ok, err := st.Holder(ctx, "p-free"); err != nil || ok {
		t.Fatalf("holder of p-free: %t %v", ok, err)
	}
	// Asked, p-free is still free to be claimed by the first case.
	if got, err := st.ClaimPerson(ctx, claims.Claim{Person: "p-free", CaseID: "case-b"}); err != nil || got.CaseID != "case-b" {
		t.Fatalf("claim after asking: %+v %v", got, err)
	}
}
