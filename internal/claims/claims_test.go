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
