package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

func TestSessionsEndWhenDeletedOrExpiredAndArePruned(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	ani := store.Session{Key: "k-ani", Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01", Expires: t0.Add(8 * time.Hour)}
	eka := store.Session{Key: "k-eka", Sub: "eka", Role: household.RoleAgency, Region: "64.08", Agency: "dinsos", Expires: t0.Add(time.Hour)}
	for _, s := range []store.Session{ani, eka} {
		if err := st.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Session(ctx, "k-eka", t0)
	if err != nil || got.Sub != "eka" || got.Agency != "dinsos" || !got.Expires.Equal(eka.Expires) {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	if _, err := st.Session(ctx, "k-eka", t0.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a session read at its expiry: %v, want ErrNotFound", err)
	}
	if _, err := st.Session(ctx, "k-nobody", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown key: %v, want ErrNotFound", err)
	}

	// Pruning deletes the expired session and keeps the live one.
	if n, err := st.PruneSessions(ctx, t0.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("PruneSessions = %d, %v; want 1 pruned", n, err)
	}
	if _, err := st.Session(ctx, "k-ani", t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("pruning ended a live session: %v", err)
	}

	// Signing out ends a live session, and ending it again is no error.
	for range 2 {
		if err := st.DeleteSession(ctx, "k-ani"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Session(ctx, "k-ani", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted session: %v, want ErrNotFound", err)
	}
}
