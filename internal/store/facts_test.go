package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// factsOf is what the store must answer for b's case: its facts and the
// marks of all its events, by sequence.
func factsOf(b *built) household.Facts {
	f := household.FactsOf(*b.c)
	for _, e := range b.events {
		f.Marks = append(f.Marks, household.MarkOf(e))
	}
	return f
}

func TestFactsAreWrittenWithTheProjectionAndReadByScope(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	a := open(t, "case-a", senyiur, t0).surveyed(300_000).confirmed().verified(household.ExtremePoor).
		assigned(household.Assignment{Program: household.ProgramPKH, Agency: household.AgencyDinsos}).acknowledged().save(st)
	// A retried projection writes the same events and snapshot again.
	a.save(st)
	b := open(t, "case-b", senambah, t0).surveyed(300_000).save(st)
	open(t, "case-p", samurangau, t0).save(st)

	got, err := st.Facts(ctx, "64.08")
	if err != nil {
		t.Fatal(err)
	}
	want := []household.Facts{factsOf(a), factsOf(b)}
	if !reflect.DeepEqual(normalized(got), normalized(want)) {
		t.Fatalf("facts of 64.08:\n%+v\nwant\n%+v", got, want)
	}
	got, err = st.Facts(ctx, "64.08.03.2001")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "case-b" {
		t.Fatalf("facts of one village: %+v", got)
	}
}

func TestRebuildFactsRestoresWhatTheProjectionWrote(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	a := open(t, "case-a", senyiur, t0).surveyed(300_000).confirmed().verified(household.NotPoor).save(st)
	if err := store.DropFacts(ctx, st); err != nil {
		t.Fatal(err)
	}
	if n, err := st.EnsureFacts(ctx); err != nil || n != 1 {
		t.Fatalf("EnsureFacts = %d, %v; want the one case rebuilt", n, err)
	}
	if n, err := st.EnsureFacts(ctx); err != nil || n != 0 {
		t.Fatalf("EnsureFacts again = %d, %v; want nothing to do", n, err)
	}
	got, err := st.Facts(ctx, "64")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalized(got), normalized([]household.Facts{factsOf(a)})) {
		t.Fatalf("rebuilt facts:\n%+v\nwant\n%+v", got, factsOf(a))
	}
}

// normalized drops what a round trip through the store may change without
// changing the meaning: time zones and monotonic readings.
func normalized(fs []household.Facts) []household.Facts {
	out := make([]household.Facts, len(fs))
	for i, f := range fs {
		f.Marks = append([]household.Mark(nil), f.Marks...)
		for j := range f.Marks {
			f.Marks[j].At = f.Marks[j].At.UTC().Truncate(1e6)
		}
		f.Interventions = append([]household.InterventionFact(nil), f.Interventions...)
		for j := range f.Interventions {
			f.Interventions[j].AssignedAt = f.Interventions[j].AssignedAt.UTC().Truncate(1e6)
		}
		out[i] = f
	}
	return out
}

// TestTheIndexAnswersFactsFromMemoryAndFollowsTheFeed: the index reads the
// facts once, then reads again only the cases the feed brings, and answers
// what the store answers.
func TestTheIndexAnswersFactsFromMemoryAndFollowsTheFeed(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	x := newIndex(t, st)
	a := open(t, "case-a", senyiur, t0).surveyed(300_000).save(st)
	open(t, "case-b", senambah, t0).save(st)
	open(t, "case-p", samurangau, t0).save(st)
	same := func(scope string) {
		t.Helper()
		want, err := st.Facts(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		got, err := x.Facts(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalized(got), normalized(want)) {
			t.Fatalf("index facts of %s:\n%+v\nstore:\n%+v", scope, got, want)
		}
	}
	same("64.08")
	// A case moves on and one opens after the index read the facts.
	a.confirmed().verified(household.ExtremePoor).save(st)
	open(t, "case-c", kelinjauIlir, t0).save(st)
	same("64.08")
	same("64.08.01")
	same("64")
	got, _ := x.Facts(ctx, "64.08.01")
	if len(got) != 2 || got[0].Verification != household.ExtremePoor {
		t.Fatalf("the index missed the verification or the new case: %+v", got)
	}
}

// TestSaveProjectionWritesWhatAppendAndSaveWrite: the projection's one
// call leaves the same facts, timeline and snapshot as AppendEvents and
// SaveCase, step by step, retried, and late with an older snapshot.
func TestSaveProjectionWritesWhatAppendAndSaveWrite(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	b := open(t, "case-a", senyiur, t0)
	var older household.Case
	done := 0
	for i, step := range []func() *built{
		func() *built { return b },
		func() *built { return b.surveyed(300_000) },
		func() *built { return b.confirmed() },
		func() *built { return b.verified(household.ExtremePoor) },
	} {
		step()
		if err := st.SaveProjection(ctx, *b.c, b.events[done:]); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			older = *b.c
		}
		done = len(b.events)
	}
	// A retry of the last step, and a late write of an older snapshot
	// with an event it carried, change nothing.
	if err := st.SaveProjection(ctx, *b.c, b.events[len(b.events)-1:]); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveProjection(ctx, older, b.events[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := st.Facts(ctx, "64")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalized(got), normalized([]household.Facts{factsOf(b)})) {
		t.Fatalf("facts after projections:\n%+v\nwant\n%+v", got, factsOf(b))
	}
	c, err := st.Case(ctx, "case-a")
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != b.c.Version || c.Stage != b.c.Stage {
		t.Fatalf("snapshot v%d at %s, want v%d at %s", c.Version, c.Stage, b.c.Version, b.c.Stage)
	}
	tl, err := st.Timeline(ctx, "case-a", int64(len(b.events)))
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != len(b.events) {
		t.Fatalf("timeline has %d events, want %d", len(tl), len(b.events))
	}
}

// TestAReportAsTheIndexStartsWaitsForItsFacts: an index started over
// cases reads their facts after the summaries, in the background; a
// report that comes meanwhile waits for them rather than scanning the
// store (the cleanup checks that no read fell back).
func TestAReportAsTheIndexStartsWaitsForItsFacts(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	open(t, "case-a", senyiur, t0).surveyed(300_000).confirmed().verified(household.ExtremePoor).save(st)
	open(t, "case-b", senambah, t0).save(st)
	want, err := st.Facts(ctx, "64.08")
	if err != nil {
		t.Fatal(err)
	}
	x := newIndex(t, st)
	got, err := x.Facts(ctx, "64.08")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalized(got), normalized(want)) {
		t.Fatalf("index facts:\n%+v\nstore:\n%+v", got, want)
	}
}

// TestAnIndexOverItsBoundHoldsNothingAndTheStoreAnswers: an index that
// may hold fewer cases than the store has holds none; lists, dashboards
// and facts are the store's answers, and it says so. With room for them,
// it holds them.
func TestAnIndexOverItsBoundHoldsNothingAndTheStoreAnswers(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	open(t, "case-a", senyiur, t0).surveyed(300_000).save(st)
	open(t, "case-b", senambah, t0).save(st)
	open(t, "case-p", samurangau, t0).save(st)
	for _, tt := range []struct {
		max   int
		state string
	}{{2, store.IndexOver}, {0, store.IndexOff}, {3, store.IndexLoaded}} {
		x := newBoundedIndex(t, st, tt.max)
		if got := x.State(); got != tt.state {
			t.Fatalf("an index that may hold %d of 3 cases is %s, want %s", tt.max, got, tt.state)
		}
		wantList, err := st.List(ctx, store.Filter{Scope: "64", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		gotList, err := x.List(ctx, store.Filter{Scope: "64", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		wantDash, err := st.Dashboard(ctx, "64.08", "")
		if err != nil {
			t.Fatal(err)
		}
		gotDash, err := x.Dashboard(ctx, "64.08", "")
		if err != nil {
			t.Fatal(err)
		}
		wantFacts, err := st.Facts(ctx, "64")
		if err != nil {
			t.Fatal(err)
		}
		gotFacts, err := x.Facts(ctx, "64")
		if err != nil {
			t.Fatal(err)
		}
		gotDash.AsOf, wantDash.AsOf = time.Time{}, time.Time{}
		if !reflect.DeepEqual(ids(gotList.Items), ids(wantList.Items)) || !reflect.DeepEqual(gotDash, wantDash) ||
			!reflect.DeepEqual(normalized(gotFacts), normalized(wantFacts)) {
			t.Fatalf("at most %d: the index answered otherwise than the store:\nlist %v / %v\ndashboard %+v / %+v\nfacts %+v / %+v",
				tt.max, ids(gotList.Items), ids(wantList.Items), gotDash, wantDash, gotFacts, wantFacts)
		}
		fellBack := int64(3)
		if tt.state == store.IndexLoaded {
			fellBack = 0
		}
		if n := x.Fallbacks(); n != fellBack {
			t.Fatalf("at most %d: %d reads fell back to the store, want %d", tt.max, n, fellBack)
		}
	}
}

func ids(sums []store.Summary) []string {
	out := []string{}
	for _, s := range sums {
		out = append(out, s.ID)
	}
	return out
}

// TestCountOfReadsTheCollectionsStatistics: the count the index's bound
// and EnsureFacts use is the number of documents, from FerretDB's
// statistics as from MongoDB's.
func TestCountOfReadsTheCollectionsStatistics(t *testing.T) {
	st := newStore(t)
	for i := range 3 {
		open(t, fmt.Sprintf("case-%d", i), senyiur, t0).save(st)
	}
	for _, coll := range []string{store.CaseSummaries, store.Cases, store.CaseFacts} {
		if n, err := store.CountOf(context.Background(), st, coll); err != nil || n != 3 {
			t.Errorf("count of %s = %d, %v; want 3", coll, n, err)
		}
	}
}
