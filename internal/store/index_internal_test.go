package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tuntas-id/tuntas/internal/household"
)

// TestAnIndexThatMissedPagesLoadsAgain: a writer keeps its pages for
// feedKeep; an index that comes back after the pages it needs are gone
// cannot catch up page by page, says so, and its next load sees every
// summary.
// ferretURI is the tests' FerretDB (main_test.go starts it).
var ferretURI string

func TestAnIndexThatMissedPagesLoadsAgain(t *testing.T) {
	ctx := context.Background()
	st, err := Connect(ctx, ferretURI, "missed")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	if err := st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	write := func(id string) {
		t.Helper()
		in := household.OpenInput{ID: id, KK: "6408010101000001", HeadNIK: "6408014101850001", HeadName: "Siti Aminah",
			VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE}
		c, _ := household.Open(in, household.Actor{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"},
			household.DefaultRules(), household.DefaultDeadlines(), time.Now())
		if err := st.SaveCase(ctx, *c); err != nil {
			t.Fatal(err)
		}
	}

	x := newIndex(st, nil)
	write("case-1")
	if err := x.load(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	write("case-2") // page 2
	write("case-3") // page 3
	// The writer trims pages 2 and 3 before the index reads them, as it
	// does after feedKeep.
	w := st.feed
	for n := int64(2); n <= 3; n++ {
		if _, err := st.db.Collection(FeedPages).DeleteOne(ctx, bson.D{{Key: "_id", Value: pageID(w.id, n)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.read(ctx, time.Now()); !errors.Is(err, errBehind) {
		t.Fatalf("read after the pages were trimmed: %v, want errBehind", err)
	}
	if err := x.load(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(x.held.order) != 3 {
		t.Fatalf("the index holds %d cases after the load, want 3", len(x.held.order))
	}
}
