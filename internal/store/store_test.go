package store_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// TestSaveCaseKeepsTheNewestVersion: projections may be retried or arrive
// late, and the snapshot and its summary never go back to an older version.
func TestSaveCaseKeepsTheNewestVersion(t *testing.T) {
	st := newStore(t)
	index := newIndex(t, st)
	ctx := context.Background()
	b := open(t, "", senyiur, t0)
	v1 := *b.c
	b.surveyed(600_000)
	v2 := *b.c
	v2renamed := v2
	v2renamed.HeadName = "Siti Aminah binti Rusli"

	tests := []struct {
		name   string
		writes []household.Case // in the order they arrive
		want   household.Case
	}{
		{"a newer version replaces an older one", []household.Case{v1, v2}, v2},
		{"an older version arriving late changes nothing", []household.Case{v2, v1}, v2},
		// A workflow task retried after its projection landed decides the
		// same version again; the retry's decision is the one in history.
		{"another write of the stored version replaces it", []household.Case{v2, v2renamed}, v2renamed},
		{"the first write of a case is stored", []household.Case{v1}, v1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("case-%d", i)
			for _, c := range tt.writes {
				c.ID = id
				if err := st.SaveCase(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			want := tt.want
			want.ID = id
			got, err := st.Case(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, store.Normalize(want)) {
				t.Errorf("stored v%d %s %q, want v%d %s %q", got.Version, got.Stage, got.HeadName, want.Version, want.Stage, want.HeadName)
			}
			if sum, err := st.Summary(ctx, id); err != nil || !reflect.DeepEqual(sum, store.SummaryOf(store.Normalize(want))) {
				t.Errorf("Summary: %+v, %v; want v%d %s %q", sum, err, want.Version, want.Stage, want.HeadName)
			}
			for _, rm := range []readModel{st, index} {
				sum := summaryOf(t, rm, senyiur, id)
				if sum.Version != want.Version || sum.Stage != want.Stage || sum.HeadName != want.HeadName {
					t.Errorf("%T: summary v%d %s %q, want v%d %s %q", rm, sum.Version, sum.Stage, sum.HeadName, want.Version, want.Stage, want.HeadName)
				}
			}
		})
	}
}

func TestCaseNotStoredIsErrNotFound(t *testing.T) {
	st := newStore(t)
	if _, err := st.Case(context.Background(), "no-such-case"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Case of a missing ID: %v, want ErrNotFound", err)
	}
	if _, err := st.Summary(context.Background(), "no-such-case"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Summary of a missing ID: %v, want ErrNotFound", err)
	}
}

// summaryOf finds case id in the list of scope.
func summaryOf(t *testing.T, st readModel, scope, id string) store.Summary {
	t.Helper()
	page, err := st.List(context.Background(), store.Filter{Scope: scope, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range page.Items {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("case %s is not listed in %s", id, scope)
	return store.Summary{}
}

// TestTimelineHoldsEachEventOnceBySeq: the projection appends events after
// every change and repeats them when it is retried; the timeline holds
// each sequence number once, in order, and only the case's own, as its
// last write left it (a workflow task retried after its projection
// landed decides the event again, at another time).
func TestTimelineHoldsEachEventOnceBySeq(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	b := open(t, "case-1", senyiur, t0).surveyed(600_000).confirmed()
	other := open(t, "case-2", senyiur, t0).surveyed(600_000)
	events := b.events
	if len(events) != 3 {
		t.Fatalf("the domain produced %d events, want 3 (opened, survey, village)", len(events))
	}

	retried := events[1]
	retried.Summary = "a retried attempt that differs"
	for _, batch := range [][]household.Event{
		events[:1],
		events,       // a retry that overlaps what is stored
		{retried},    // a late duplicate of seq 2
		other.events, // another case's timeline
		{events[2]},  // the last one again
	} {
		if err := st.AppendEvents(ctx, batch); err != nil {
			t.Fatalf("append %d events: %v", len(batch), err)
		}
	}

	got, err := st.Timeline(ctx, b.c.ID, b.c.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(events) {
		t.Fatalf("timeline has %d events, want %d: %+v", len(got), len(events), got)
	}
	for i, e := range got {
		want := events[i]
		if i == 1 {
			want = retried
		}
		if e.Seq != int64(i+1) || e.CaseID != b.c.ID || e.Type != want.Type || e.Summary != want.Summary || !e.At.Equal(want.At) || e.Actor != want.Actor {
			t.Errorf("event %d = %+v, want %+v", i, e, want)
		}
	}
	if none, err := st.Timeline(ctx, "no-such-case", 0); err != nil || len(none) != 0 {
		t.Errorf("timeline of a case without events: %v, %v; want empty", none, err)
	}
}

// listed returns the IDs of one list page.
func listed(t *testing.T, st readModel, f store.Filter) ([]string, string) {
	t.Helper()
	page, err := st.List(context.Background(), f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	if page.AsOf.IsZero() {
		t.Errorf("List(%+v) says no asOf", f)
	}
	ids := []string{}
	for _, s := range page.Items {
		ids = append(ids, s.ID)
	}
	return ids, page.Next
}

func ptr[T any](v T) *T { return &v }

// TestListFilters seeds cases in two kecamatan of Kutai Timur and one of
// Paser, each an hour apart (the list is newest first), and lists them
// with each filter the API offers.
func TestListFilters(t *testing.T) {
	st := newStore(t)
	rms := newReadModels(t, st)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	dinsosPKH := household.Assignment{Program: household.ProgramPKH, Agency: household.AgencyDinsos}
	baznasCSR := household.Assignment{Program: household.ProgramCSR, Agency: household.AgencyBaznas}
	open(t, "collecting", senyiur, at(1)).save(st)
	open(t, "verification-overdue", kelinjauIlir, at(2)).surveyed(600_000).confirmed().overdue().save(st)
	open(t, "intervention-escalated", senambah, at(3)).surveyed(600_000).confirmed().verified(household.ExtremePoor).
		assigned(dinsosPKH, baznasCSR).escalated().save(st)
	open(t, "excluded", senambah, at(4)).surveyed(3_000_000).confirmed().verified(household.NotPoor).save(st)
	open(t, "follow-up", senyiur, at(5)).surveyed(600_000).confirmed().verified(household.ExtremePoor).
		assigned(dinsosPKH).acknowledged().save(st)
	open(t, "paser", samurangau, at(6)).save(st)

	regency := []string{"follow-up", "excluded", "intervention-escalated", "verification-overdue", "collecting"}
	tests := []struct {
		name string
		f    store.Filter
		want []string
	}{
		{"a regency's scope, newest first", store.Filter{Scope: "64.08"}, regency},
		{"the province's scope holds every regency", store.Filter{Scope: "64"}, append([]string{"paser"}, regency...)},
		{"a kecamatan's scope", store.Filter{Scope: "64.08.01"}, []string{"follow-up", "verification-overdue", "collecting"}},
		{"a village's scope", store.Filter{Scope: senyiur}, []string{"follow-up", "collecting"}},
		{"a scope without cases", store.Filter{Scope: "64.02"}, []string{}},
		{"district", store.Filter{Scope: "64.08", District: "64.08.03"}, []string{"excluded", "intervention-escalated"}},
		{"village", store.Filter{Scope: "64.08", Village: kelinjauIlir}, []string{"verification-overdue"}},
		{"a district outside the scope finds nothing", store.Filter{Scope: "64.08.01", District: "64.08.03"}, []string{}},
		{"stage", store.Filter{Scope: "64", Stage: household.StageCollecting}, []string{"paser", "collecting"}},
		{"status closed", store.Filter{Scope: "64.08", Status: household.StatusClosed}, []string{"excluded"}},
		{"status open", store.Filter{Scope: "64.08", Status: household.StatusOpen}, []string{"follow-up", "intervention-escalated", "verification-overdue", "collecting"}},
		{"outcome", store.Filter{Scope: "64.08", Outcome: household.OutcomeExcludedNotPoor}, []string{"excluded"}},
		{"escalated", store.Filter{Scope: "64.08", Escalated: ptr(true)}, []string{"intervention-escalated"}},
		{"not escalated", store.Filter{Scope: "64.08", Escalated: ptr(false)}, []string{"follow-up", "excluded", "verification-overdue", "collecting"}},
		{"overdue", store.Filter{Scope: "64.08", Overdue: ptr(true)}, []string{"verification-overdue"}},
		{"agency with interventions in two cases", store.Filter{Scope: "64.08", Agency: household.AgencyDinsos}, []string{"follow-up", "intervention-escalated"}},
		{"agency sharing one case", store.Filter{Scope: "64.08", Agency: household.AgencyBaznas}, []string{"intervention-escalated"}},
		{"agency without interventions", store.Filter{Scope: "64.08", Agency: household.AgencyDisnakertrans}, []string{}},
		{"agency within a kecamatan", store.Filter{Scope: "64.08.01", Agency: household.AgencyDinsos}, []string{"follow-up"}},
		{"agency's interventions to acknowledge", store.Filter{Scope: "64.08", Agency: household.AgencyDinsos, Intervention: household.InterventionAssigned}, []string{"intervention-escalated"}},
		{"agency's interventions to deliver", store.Filter{Scope: "64.08", Agency: household.AgencyDinsos, Intervention: household.InterventionAcknowledged}, []string{"follow-up"}},
		{"another agency's acknowledgement is not its own", store.Filter{Scope: "64.08", Agency: household.AgencyBaznas, Intervention: household.InterventionAcknowledged}, []string{}},
		{"filters combine", store.Filter{Scope: "64.08", District: "64.08.01", Status: household.StatusOpen, Escalated: ptr(false), Overdue: ptr(false)}, []string{"follow-up", "collecting"}},
	}
	rms.each(func(t *testing.T, rm readModel) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.f.Limit = 50
				got, next := listed(t, rm, tt.f)
				if !slices.Equal(got, tt.want) || next != "" {
					t.Errorf("List = %v (next %q), want %v", got, next, tt.want)
				}
			})
		}
	})
}

// TestListTransfersInAndOut: a case moving from Muara Ancalong to Paser is
// listed as incoming to Paser's supervisors (it lies outside their scope
// until they accept it) and as outgoing in Kutai Timur; one moving within
// Kutai Timur is both; an accepted move lies in its new region only.
func TestListTransfersInAndOut(t *testing.T) {
	st := newStore(t)
	rms := newReadModels(t, st)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	open(t, "to-paser", senyiur, at(1)).transferred(samurangau).save(st)
	open(t, "to-bengkal", kelinjauIlir, at(2)).surveyed(600_000).transferred(senambah).save(st)
	open(t, "moved", kelinjauUlu, at(3)).transferred(senambah).accepted().save(st)
	open(t, "staying", senyiur, at(4)).save(st)
	in, out := household.TransferIncoming, household.TransferOutgoing
	tests := []struct {
		name string
		f    store.Filter
		want []string
	}{
		{"incoming to Paser's supervisors", store.Filter{Scope: "64.01", Transfer: in, SeesIncoming: true}, []string{"to-paser"}},
		{"incoming to Paser, for who may not see it", store.Filter{Scope: "64.01", Transfer: in}, []string{}},
		{"Paser's own list", store.Filter{Scope: "64.01"}, []string{}},
		{"incoming within Kutai Timur", store.Filter{Scope: "64.08", Transfer: in, SeesIncoming: true}, []string{"to-bengkal"}},
		{"incoming to Muara Bengkal's kecamatan, not seen", store.Filter{Scope: "64.08.03", Transfer: in}, []string{}},
		{"outgoing from Kutai Timur", store.Filter{Scope: "64.08", Transfer: out}, []string{"to-bengkal", "to-paser"}},
		{"Muara Bengkal's own list holds the accepted move", store.Filter{Scope: "64.08.03"}, []string{"moved"}},
		{"Muara Ancalong's list no longer does", store.Filter{Scope: "64.08.01"}, []string{"staying", "to-bengkal", "to-paser"}},
		{"the province's incoming", store.Filter{Scope: "64", Transfer: in}, []string{"to-bengkal", "to-paser"}},
	}
	rms.each(func(t *testing.T, rm readModel) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.f.Limit = 50
				got, _ := listed(t, rm, tt.f)
				if !slices.Equal(got, tt.want) {
					t.Errorf("List = %v, want %v", got, tt.want)
				}
			})
		}
	})
	sum, err := st.Summary(context.Background(), "to-bengkal")
	if err != nil {
		t.Fatal(err)
	}
	if sum.TransferTo != senambah || sum.TransferDeadline.IsZero() {
		t.Fatalf("summary of a pending transfer: to %q due %v", sum.TransferTo, sum.TransferDeadline)
	}
}

// TestListPagesAreStable pages through a village newest first, ties on
// the opening time broken by ID, while cases are opened and updated
// between pages: every case present at the start is seen once, in order.
func TestListPagesAreStable(t *testing.T) {
	for _, kind := range []string{"store", "index following the feed", "index loaded"} {
		t.Run(kind, func(t *testing.T) {
			st := newStore(t)
			var rm readModel = st
			if kind == "index following the feed" {
				rm = newIndex(t, st)
			}
			ctx := context.Background()
			cases := map[string]*built{}
			for i, h := range []int{1, 2, 2, 2, 3, 4, 5} {
				id := fmt.Sprintf("case-%d", 7-i)
				cases[id] = open(t, id, kelinjauUlu, t0.Add(time.Duration(h)*time.Hour)).save(st)
			}
			if kind == "index loaded" {
				rm = newIndex(t, st)
			}
			// Hours 5, 4, 3, then three cases opened together at hour 2 (by ID),
			// then hour 1.
			want := []string{"case-1", "case-2", "case-3", "case-4", "case-5", "case-6", "case-7"}
			if all, _ := listed(t, rm, store.Filter{Scope: kelinjauUlu, Limit: 7}); !slices.Equal(all, want) {
				t.Fatalf("one page of 7 = %v, want %v", all, want)
			}

			var seen []string
			f := store.Filter{Scope: kelinjauUlu, Limit: 3}
			for page := 1; ; page++ {
				ids, next := listed(t, rm, f)
				seen = append(seen, ids...)
				if next == "" {
					break
				}
				if page == 1 {
					// A case opened now is newer than the cursor, and a case
					// that moves on keeps its place.
					open(t, "case-0", kelinjauUlu, t0.Add(9*time.Hour)).save(st)
					cases["case-5"].surveyed(600_000).save(st)
				}
				if page > 3 {
					t.Fatal("more than three pages of three for seven cases")
				}
				f.Cursor = next
			}
			if !slices.Equal(seen, want) {
				t.Fatalf("paged %v, want %v", seen, want)
			}
			if s, err := st.Case(ctx, "case-5"); err != nil || s.Stage != household.StageVillageReview {
				t.Fatalf("case-5 was not updated between pages: %v %v", s.Stage, err)
			}
			// The list reads the update the projection made between pages.
			if sum := summaryOf(t, rm, kelinjauUlu, "case-5"); sum.Stage != household.StageVillageReview {
				t.Errorf("listed case-5 at %s, want %s", sum.Stage, household.StageVillageReview)
			}
		})
	}
}

func TestListRefusesACursorItDidNotIssue(t *testing.T) {
	st := newStore(t)
	rms := newReadModels(t, st)
	open(t, "case-1", senyiur, t0).save(st)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, cursor := range []string{
		"garbage!",                          // not base64url
		enc("not json"),                     // not JSON
		enc(`{"t":"2026-11-02T08:00:00Z"}`), // no ID
		enc(`{"t":"yesterday","i":"case-1"}`),
		base64.StdEncoding.EncodeToString([]byte(`{"t":"2026-11-02T08:00:00Z","i":"case-1"}`)), // padded standard base64
	} {
		rms.each(func(t *testing.T, rm readModel) {
			_, err := rm.List(context.Background(), store.Filter{Scope: senyiur, Limit: 10, Cursor: cursor})
			if !errors.Is(err, store.ErrBadCursor) {
				t.Errorf("cursor %q: %v, want ErrBadCursor", cursor, err)
			}
		})
	}
}

func TestEveryFullReadIsRecorded(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	reads := []struct {
		caseID string
		sub    string
		role   household.Role
	}{
		{"case-1", "sup-1", household.RoleSupervisor},
		{"case-1", "ver-1", household.RoleVerifier},
		{"case-1", "sup-1", household.RoleSupervisor}, // every read counts, not every reader
		{"case-2", "prov-1", household.RoleProvince},
	}
	for i, r := range reads {
		a := store.Access{Sub: r.sub, Role: r.role, Route: "GET /v1/cases/:id", CaseID: r.caseID, At: t0.Add(time.Duration(i) * time.Minute)}
		if err := st.RecordAccess(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[string]int64{"case-1": 3, "case-2": 1, "case-3": 0} {
		if got, err := st.Reads(ctx, id); err != nil || got != want {
			t.Errorf("Reads(%s) = %d, %v; want %d", id, got, err, want)
		}
	}
}

func TestRepairOlderNeverPutsBackAnOlderSnapshot(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	b := open(t, "repair", senyiur, t0)
	v1 := *b.c
	b.surveyed(600_000)
	v2 := *b.c
	tests := []struct {
		name   string
		stored *household.Case
		repair household.Case
		wrote  bool
		want   int64
	}{
		{"a missing snapshot is written", nil, v1, true, v1.Version},
		{"an older snapshot is replaced", &v1, v2, true, v2.Version},
		{"a newer snapshot is left alone", &v2, v1, false, v2.Version},
		{"the same version is left alone", &v2, v2, false, v2.Version},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("repair-%d", i)
			if tt.stored != nil {
				c := *tt.stored
				c.ID = id
				if err := st.SaveCase(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			c := tt.repair
			c.ID = id
			wrote, err := st.RepairOlder(ctx, c)
			if err != nil || wrote != tt.wrote {
				t.Fatalf("RepairOlder = %t, %v; want %t", wrote, err, tt.wrote)
			}
			got, err := st.Case(ctx, id)
			if err != nil || got.Version != tt.want {
				t.Fatalf("stored v%d (%v), want v%d", got.Version, err, tt.want)
			}
		})
	}
}

// TestRepairLeavesANewerSummary stages a repair beside a live projection
// that has written its summary and not yet its snapshot: the repair of the
// snapshot must not put the summary back, or a late projection of the
// older version would pass SaveCase's check, which reads the summary.
func TestRepairLeavesANewerSummary(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	b := open(t, "racing", senyiur, t0)
	v1 := *b.c
	b.surveyed(600_000)
	v2 := *b.c
	tests := []struct {
		name   string
		stored bool // the snapshot at v1 is stored
		repair func(household.Case) (bool, error)
	}{
		{"RepairCase at the snapshot's version", true, func(c household.Case) (bool, error) { return st.RepairCase(ctx, c) }},
		{"RepairOlder of a missing snapshot", false, func(c household.Case) (bool, error) { return st.RepairOlder(ctx, c) }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, live := v1, v2
			old.ID, live.ID = fmt.Sprintf("racing-%d", i), fmt.Sprintf("racing-%d", i)
			if tt.stored {
				if err := st.SaveCase(ctx, old); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.WriteSummary(ctx, live); err != nil {
				t.Fatal(err)
			}
			if wrote, err := tt.repair(old); err != nil || !wrote {
				t.Fatalf("repair = %t, %v; want the snapshot written", wrote, err)
			}
			if sum, err := st.Summary(ctx, old.ID); err != nil || sum.Version != live.Version {
				t.Fatalf("summary v%d (%v) after the repair, want v%d", sum.Version, err, live.Version)
			}
			// The late projection of the older version changes nothing.
			if err := st.SaveCase(ctx, old); err != nil {
				t.Fatal(err)
			}
			if sum, err := st.Summary(ctx, old.ID); err != nil || sum.Version != live.Version {
				t.Errorf("summary v%d (%v) after a late SaveCase, want v%d", sum.Version, err, live.Version)
			}
		})
	}
}
