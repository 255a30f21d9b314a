package idempotency_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/idempotency"
)

// TestAKeyIsAnsweredOnceThenReplayed: the first request owns its key, a
// second one meanwhile is told it is in progress, the kept answer is
// replayed, and an abandoned key runs afresh.
func TestAKeyIsAnsweredOnceThenReplayed(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

	if kept, err := st.BeginRequest(ctx, "k1", t0, time.Minute); err != nil || kept != nil {
		t.Fatalf("the first request: %+v %v, want to own the key", kept, err)
	}
	if _, err := st.BeginRequest(ctx, "k1", t0.Add(time.Second), time.Minute); !errors.Is(err, idempotency.ErrInProgress) {
		t.Fatalf("a retry while the first is answered: %v, want ErrInProgress", err)
	}
	answer := idempotency.Response{RequestHash: "h1", Status: 201, ContentType: "application/json", Body: []byte(`{"id":"c-1"}`), At: t0}
	if err := st.FinishRequest(ctx, "k1", answer); err != nil {
		t.Fatal(err)
	}
	kept, err := st.BeginRequest(ctx, "k1", t0.Add(time.Hour), time.Minute)
	if err != nil || kept == nil || !kept.Done || kept.Status != 201 || string(kept.Body) != `{"id":"c-1"}` || kept.RequestHash != "h1" {
		t.Fatalf("a retry after the answer: %+v %v, want the kept answer", kept, err)
	}

	if _, err := st.BeginRequest(ctx, "k2", t0, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := st.AbandonRequest(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	if kept, err := st.BeginRequest(ctx, "k2", t0.Add(time.Second), time.Minute); err != nil || kept != nil {
		t.Fatalf("a retry of an abandoned key: %+v %v, want to own the key", kept, err)
	}
}

// TestAStaleClaimIsTakenOver: a request that died unanswered holds its
// key no longer than stale.
func TestAStaleClaimIsTakenOver(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	if _, err := st.BeginRequest(ctx, "k", t0, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BeginRequest(ctx, "k", t0.Add(9*time.Second), 10*time.Second); !errors.Is(err, idempotency.ErrInProgress) {
		t.Fatalf("9 s later: %v, want ErrInProgress", err)
	}
	if kept, err := st.BeginRequest(ctx, "k", t0.Add(11*time.Second), 10*time.Second); err != nil || kept != nil {
		t.Fatalf("11 s later: %+v %v, want to take the key over", kept, err)
	}
	if _, err := st.BeginRequest(ctx, "k", t0.Add(12*time.Second), 10*time.Second); !errors.Is(err, idempotency.ErrInProgress) {
		t.Fatalf("after the takeover: %v, want ErrInProgress", err)
	}
}
