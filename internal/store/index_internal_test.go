package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/household"
)

// testCase is a case opened now, as the projection writes it.
func testCase(id string) household.Case {
	in := household.OpenInput{ID: id, KK: "6408010101000001", HeadNIK: "6408014101850001", HeadName: "Siti Aminah",
		VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE}
	c, _ := household.Open(in, household.Actor{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"},
		household.DefaultRules(), household.DefaultDeadlines(), time.Now())
	return *c
}

// connectTo is a store on database of uri, closed when t ends.
func connectTo(t *testing.T, uri, database string) *Store {
	t.Helper()
	st, err := Connect(context.Background(), uri, database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	if err := st.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestAnIndexThatMissedPagesLoadsAgain: a writer keeps its pages for
// feedKeep; an index that comes back after the pages it needs are gone
// cannot catch up page by page, says so, and its next load sees every
// summary.
func TestAnIndexThatMissedPagesLoadsAgain(t *testing.T) {
	ctx := context.Background()
	st := connectTo(t, ferrettest.URI(), "missed")
	write := func(id string) {
		t.Helper()
		if err := st.SaveCase(ctx, testCase(id)); err != nil {
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
	loadsAgainAfterMissing(t, x, "the pages were trimmed", 3)
}

// loadsAgainAfterMissing checks that x's next read says it missed pages
// (after what happened) and that a load then holds want cases.
func loadsAgainAfterMissing(t *testing.T, x *Index, after string, want int) {
	t.Helper()
	ctx := context.Background()
	if err := x.read(ctx, time.Now()); !errors.Is(err, errBehind) {
		t.Fatalf("read after %s: %v, want errBehind", after, err)
	}
	if err := x.load(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(x.held.order) != want {
		t.Fatalf("the index holds %d cases after the load, want %d", len(x.held.order), want)
	}
}

// TestAWriterSweptWhilePausedMakesIndexesLoadAgain: readers remove the
// feed of a writer silent for writerGone. When that writer was only
// paused and writes again, its record comes back without the pages the
// indexes had not read: they must notice and load, never skip them.
func TestAWriterSweptWhilePausedMakesIndexesLoadAgain(t *testing.T) {
	ctx := context.Background()
	st := connectTo(t, ferrettest.URI(), "swept")
	x := newIndex(st, nil)
	if err := x.load(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveCase(ctx, testCase("case-1")); err != nil { // page 1
		t.Fatal(err)
	}
	if err := x.read(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The writer pauses just after case-2, and a sweep (its clock past
	// writerGone) removes its feed before this index read page 2.
	if err := st.SaveCase(ctx, testCase("case-2")); err != nil { // page 2
		t.Fatal(err)
	}
	if err := x.sweep(ctx, time.Now().Add(writerGone+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := x.read(ctx, time.Now()); err != nil {
		t.Fatalf("read after the sweep: %v", err)
	}
	// Its pages are older than feedKeep when it wakes, so it trims them
	// before its record comes back with page 3 alone: first 3, last 3.
	old := time.Now().Add(-feedKeep - time.Minute)
	st.feed.times[0], st.feed.times[1] = old, old
	if err := st.SaveCase(ctx, testCase("case-3")); err != nil {
		t.Fatal(err)
	}
	loadsAgainAfterMissing(t, x, "the swept writer wrote again", 3)
}

// TestASummaryWhosePageFailedIsPublishedWhenTheStoreIsBack: a summary
// written to case_summaries whose page could not be written (the store
// went away in between) is still owed to the feed, and the writer pays it
// once the store is back, though the caller gave up: a repair is not
// written twice, so nothing else would put it there.
func TestASummaryWhosePageFailedIsPublishedWhenTheStoreIsBack(t *testing.T) {
	ctx := context.Background()
	opts := options.Client().ApplyURI(ferrettest.URI())
	px := toxiproxy.NewProxy(toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop()), "mongodb", "127.0.0.1:0", opts.Hosts[0])
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Stop)
	writer := connectTo(t, "mongodb://"+px.Listen+"/", "owed")
	x := newIndex(connectTo(t, ferrettest.URI(), "owed"), nil)
	if err := writer.SaveCase(ctx, testCase("case-1")); err != nil {
		t.Fatal(err)
	}
	if err := x.load(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}

	px.Stop() // the writer's store goes away
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := writer.publish(short, newSummary(testCase("case-2"))); err == nil {
		t.Fatal("a page was written with the store away")
	}
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if err := x.read(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, ok := x.held.byID["case-2"]; ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the owed summary was not on the feed a minute after the store came back")
		}
		<-time.After(100 * time.Millisecond) // the next poll

	}
}

// TestPublishAfterCloseIsRefused: a store closed before or after its
// writer started refuses publications, and closing twice is harmless.
func TestPublishAfterCloseIsRefused(t *testing.T) {
	ctx := context.Background()
	for _, wrote := range []bool{false, true} {
		st, err := Connect(ctx, ferrettest.URI(), "closed")
		if err != nil {
			t.Fatal(err)
		}
		if wrote {
			if err := st.SaveCase(ctx, testCase("case-1")); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Close(ctx); err != nil {
			t.Fatal(err)
		}
		st.closeFeed()
		if err := st.publish(ctx, newSummary(testCase("case-2"))); !errors.Is(err, errClosed) {
			t.Errorf("publish after close (writer started: %v): %v, want errClosed", wrote, err)
		}
	}
}
