package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/household"
)

// snapshotWorld is a store with three cases and an index that loaded them
// whole, holds their facts and wrote a snapshot; after it, case-1 moved
// on, case-4 opened (both on the feed), and case-2's summary was
// rewritten without the feed: an index that reads the snapshot holds
// case-2 as the snapshot does, one that reads every summary as the store
// now has it.
type snapshotWorld struct {
	st     *Store
	writer *Index
	head   snapshotHead
}

func newSnapshotWorld(t *testing.T, database string) snapshotWorld {
	t.Helper()
	ctx := context.Background()
	st := connectTo(t, ferrettest.URI(), database)
	for _, id := range []string{"case-1", "case-2", "case-3"} {
		if err := st.SaveCase(ctx, testCase(id)); err != nil {
			t.Fatal(err)
		}
	}
	w := NewIndex(st, nil)
	t.Cleanup(w.Close)
	if err := w.waitFacts(ctx); err != nil {
		t.Fatalf("the writing index does not hold the facts: %v", err)
	}
	if err := w.snapshot(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	heads, err := st.snapshotHeads(ctx)
	if err != nil || len(heads) != 1 || heads[0].Cases != 3 {
		t.Fatalf("snapshot heads after the first: %+v, %v", heads, err)
	}

	moved := testCase("case-1")
	moved.Version, moved.Stage = 2, household.StageVillageReview
	if err := st.SaveCase(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveCase(ctx, testCase("case-4")); err != nil {
		t.Fatal(err)
	}
	quiet := testCase("case-2")
	quiet.Version, quiet.HeadName = 2, "Written without the feed"
	if err := st.WriteSummary(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	return snapshotWorld{st: st, writer: w, head: heads[0]}
}

// started is a new index on the world's store, loaded.
func (w snapshotWorld) started(t *testing.T) *Index {
	t.Helper()
	x := NewIndex(w.st, nil)
	t.Cleanup(x.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := x.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	return x
}

// holds reports the version and head's name the index holds of id.
func holds(x *Index, id string) (int64, string) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.held.byID[id]
	if !ok {
		return 0, ""
	}
	return s.Version, s.HeadName
}

func TestAnIndexStartsFromTheNewestSnapshotAndFollowsTheFeedAfterIt(t *testing.T) {
	ctx := context.Background()
	w := newSnapshotWorld(t, "snapshot_start")
	x := w.started(t)
	if v, name := holds(x, "case-2"); v != 1 || name != "Siti Aminah" {
		t.Fatalf("case-2 held as version %d of %q: the index did not start from the snapshot", v, name)
	}
	if v, _ := holds(x, "case-1"); v != 2 {
		t.Fatalf("case-1 held as version %d: the feed after the snapshot was not followed", v)
	}
	if v, _ := holds(x, "case-4"); v != 1 {
		t.Fatal("case-4, opened after the snapshot, is not held")
	}
	// Its facts came with the snapshot; those of the cases the feed
	// brought are read again: they answer as the store does.
	want, err := w.st.Facts(ctx, "64")
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.Facts(ctx, "64")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || !sameFacts(got, want) {
		t.Fatalf("facts from the snapshot and the feed:\n%+v\nthe store's:\n%+v", got, want)
	}
	if n := x.Fallbacks(); n != 0 {
		t.Fatalf("%d reads fell back to the store", n)
	}
}

func TestAnIndexReadsEveryCaseWhenNoSnapshotIsUsable(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, st *Store, h snapshotHead)
	}{
		{"too old to follow the feed from", func(t *testing.T, st *Store, h snapshotHead) {
			h.At = time.Now().Add(-snapshotUsable - time.Minute)
			if err := st.writeHead(context.Background(), h); err != nil {
				t.Fatal(err)
			}
		}},
		{"written with other fields", func(t *testing.T, st *Store, h snapshotHead) {
			h.Shape = "an older build"
			if err := st.writeHead(context.Background(), h); err != nil {
				t.Fatal(err)
			}
		}},
		{"a chunk gone", func(t *testing.T, st *Store, h snapshotHead) {
			if _, err := st.db.Collection(IndexChunks).DeleteOne(context.Background(), bson.D{{Key: "_id", Value: chunkID(h.ID, 0)}}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSnapshotWorld(t, "snapshot_unusable_"+string(rune('a'+i)))
			w.writer.Close() // it would write a snapshot of its own
			tt.spoil(t, w.st, w.head)
			x := w.started(t)
			if _, name := holds(x, "case-2"); name != "Written without the feed" {
				t.Fatalf("case-2 held as %q: the unusable snapshot was read", name)
			}
			if v, _ := holds(x, "case-4"); v != 1 {
				t.Fatal("case-4 is not held")
			}
			want, err := w.st.Facts(context.Background(), "64")
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Facts(context.Background(), "64")
			if err != nil || !sameFacts(got, want) {
				t.Fatalf("facts read whole: %v\n%+v\nthe store's:\n%+v", err, got, want)
			}
		})
	}
}

func TestSnapshotsAreRefreshedRewrittenAndSwept(t *testing.T) {
	ctx := context.Background()
	w := newSnapshotWorld(t, "snapshot_sweep")
	x := w.writer
	headsNow := func() []snapshotHead {
		t.Helper()
		heads, err := w.st.snapshotHeads(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return heads
	}
	chunks := func() int64 {
		t.Helper()
		n, err := w.st.db.Collection(IndexChunks).CountDocuments(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := x.snapshot(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if h := headsNow(); len(h) != 1 || h[0].ID != w.head.ID {
		t.Fatalf("a snapshot younger than snapshotEvery was replaced: %+v", h)
	}

	// What the feed brought since the snapshot: a whole new one, the old
	// one gone. (The index is closed: it reads the feed when told here.)
	x.Close()
	if err := x.read(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := x.snapshot(ctx, time.Now().Add(snapshotEvery)); err != nil {
		t.Fatal(err)
	}
	h := headsNow()
	if len(h) != 1 || h[0].ID == w.head.ID || h[0].Cases != 4 {
		t.Fatalf("heads after a change: %+v", h)
	}
	if n := chunks(); n != int64(h[0].Chunks) {
		t.Fatalf("%d chunks stored, the snapshot has %d", n, h[0].Chunks)
	}
	// Nothing new on the feed, read later: a new head alone, of the same
	// snapshot, as of that read.
	if err := x.read(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := x.snapshot(ctx, time.Now().Add(2*snapshotEvery)); err != nil {
		t.Fatal(err)
	}
	refreshed := headsNow()
	if len(refreshed) != 1 || refreshed[0].ID != h[0].ID || !refreshed[0].At.After(h[0].At) {
		t.Fatalf("heads after a refresh: %+v (before: %+v)", refreshed, h)
	}

	// Another index's snapshot too old to use, and a chunk whose head
	// never came, are swept; a chunk still being written is not.
	stale := snapshotHead{ID: "x-stale", At: time.Now().Add(-feedKeep), Shape: snapshotShape, Chunks: 1}
	if _, err := w.st.writeSnapshot(ctx, stale, []Summary{newSummary(testCase("case-9"))}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []chunkDoc{{ID: "x-crashed/00000", At: time.Now().Add(-feedKeep - time.Minute)}, {ID: "x-writing/00000", At: time.Now()}} {
		if _, err := w.st.db.Collection(IndexChunks).InsertOne(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.st.sweepSnapshots(ctx, time.Now(), h[0].ID); err != nil {
		t.Fatal(err)
	}
	if after := headsNow(); len(after) != 1 || after[0].ID != h[0].ID {
		t.Fatalf("heads after the sweep: %+v", after)
	}
	if n := chunks(); n != int64(h[0].Chunks)+1 {
		t.Fatalf("%d chunks after the sweep, want the snapshot's %d and the one being written", n, h[0].Chunks)
	}
}

func TestTheShapeOfASnapshotChangesWithAnyField(t *testing.T) {
	type a struct {
		ID    string
		Marks []household.Mark
	}
	type b struct {
		ID    string
		Marks []struct{ Seq int64 }
	}
	type c struct {
		ID    int
		Marks []household.Mark
	}
	shapes := map[string]string{}
	for name, s := range map[string]string{"a": shapeOf(reflect.TypeFor[a]()), "b": shapeOf(reflect.TypeFor[b]()), "c": shapeOf(reflect.TypeFor[c]())} {
		if other, ok := shapes[s]; ok {
			t.Errorf("%s and %s have the same shape", name, other)
		}
		shapes[s] = name
	}
	if shapeOf(reflect.TypeFor[a]()) != shapeOf(reflect.TypeFor[a]()) {
		t.Error("a shape is not stable")
	}
}

// sameFacts compares facts as reports read them: an empty list and none
// are the same (a snapshot keeps no empty list).
func sameFacts(a, b []household.Facts) bool {
	clean := func(fs []household.Facts) []household.Facts {
		out := make([]household.Facts, len(fs))
		for i, f := range fs {
			if len(f.People) == 0 {
				f.People = nil
			}
			if len(f.Interventions) == 0 {
				f.Interventions = nil
			}
			if len(f.Marks) == 0 {
				f.Marks = nil
			}
			out[i] = f
		}
		return out
	}
	return reflect.DeepEqual(clean(a), clean(b))
}

// TestAReportWhileTheFactsAreStillReadIsToldToComeBack: loaded without a
// snapshot, an index reads the facts after the summaries; a report that
// waited factsWait for them is refused with ErrFactsLoading (the API's
// 503), not answered by a second read of every document.
func TestAReportWhileTheFactsAreStillReadIsToldToComeBack(t *testing.T) {
	ctx := context.Background()
	st := connectTo(t, ferrettest.URI(), "facts_loading")
	if err := st.SaveCase(ctx, testCase("case-1")); err != nil {
		t.Fatal(err)
	}
	x := newIndex(st, nil)
	x.factsWait = 50 * time.Millisecond
	x.facts.begin() // a whole read under way, not yet done
	x.install(newHeld([]Summary{newSummary(testCase("case-1"))}), map[string]int64{}, time.Now())
	if _, err := x.Facts(ctx, "64"); !errors.Is(err, ErrFactsLoading) {
		t.Fatalf("a report while the facts are read: %v, want ErrFactsLoading", err)
	}
	if n := x.Fallbacks(); n != 0 {
		t.Fatalf("%d reports fell back to the store's query", n)
	}
}
