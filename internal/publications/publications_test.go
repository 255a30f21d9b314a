package publications_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/publications"
	"github.com/tuntas-id/tuntas/internal/region"
)

func TestMain(m *testing.M) { os.Exit(ferrettest.Main(m)) }

func TestAPostedListTakesObjectionsFromItsDayToItsLastDay(t *testing.T) {
	ctx := context.Background()
	db := ferrettest.Database(t)
	st := publications.New(db)
	if err := st.EnsureCollection(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.Publication(ctx, "64.08.01.2001"); ok || err != nil {
		t.Fatalf("a list never posted: %t %v", ok, err)
	}
	// Posted at 23:30 WITA on 2 November (15:30 UTC), open to 16 November.
	posted := time.Date(2026, 11, 2, 15, 30, 0, 0, time.UTC)
	if err := st.Publish(ctx, publications.Publication{Village: "64.08.01.2001", From: posted, Until: "2026-11-16", By: "vo", Role: "village_officer"}); err != nil {
		t.Fatal(err)
	}
	p, ok, err := st.Publication(ctx, "64.08.01.2001")
	if err != nil || !ok || !p.From.Equal(posted) || p.By != "vo" {
		t.Fatalf("read back %+v %t %v", p, ok, err)
	}
	for _, tt := range []struct {
		day  string
		open bool
	}{{"2026-11-01", false}, {"2026-11-02", true}, {"2026-11-16", true}, {"2026-11-17", false}} {
		if got := p.Open(tt.day, region.WITA); got != tt.open {
			t.Errorf("%s: open %t, want %t", tt.day, got, tt.open)
		}
	}
	// Posting again replaces the period.
	if err := st.Publish(ctx, publications.Publication{Village: "64.08.01.2001", From: posted.Add(30 * 24 * time.Hour), Until: "2026-12-20", By: "sup"}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := st.Publication(ctx, "64.08.01.2001"); p.Until != "2026-12-20" || p.Open("2026-11-10", region.WITA) {
		t.Fatalf("posted again: %+v", p)
	}
}
