package store_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/devstack/ferret/ferrettest"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
)

// TestMain starts the package's FerretDB. No Temporal is needed: the read
// model is written here as the case workflow's projection would.
func TestMain(m *testing.M) { os.Exit(ferrettest.Main(m)) }

// newStore returns a store on a fresh database, set up as `tuntas-dev dev`
// sets up its own: collections and indexes, then the SQLite _id index.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	name := ferrettest.Name(t)
	st, err := store.Connect(ctx, ferrettest.URI(), name)
	if err != nil {
		t.Fatal(err)
	}
	// FerretDB gives clients still connected seconds to leave when it stops.
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	if err := st.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	ferrettest.IndexIDs(t, name)
	return st
}

// readModel answers lists and dashboards: the Store with its queries, or
// an Index from memory.
type readModel interface {
	List(ctx context.Context, f store.Filter) (store.Page, error)
	Dashboard(ctx context.Context, scope, district string) (store.Dashboard, error)
}

// readModels are every way a list or dashboard of one store is answered.
type readModels struct {
	t  *testing.T
	st *store.Store
	// following started before the test wrote any case: it learns each
	// one from the change feed.
	following *store.Index
	// bounded also started before any case, and may hold two: the feed
	// takes it over its bound, and the store answers its reads.
	bounded *store.Index
}

// newReadModels starts the indexes on st before any case is written.
func newReadModels(t *testing.T, st *store.Store) *readModels {
	t.Helper()
	return &readModels{t: t, st: st, following: newIndex(t, st), bounded: newBoundedIndex(t, st, 2)}
}

func newIndex(t *testing.T, st *store.Store) *store.Index {
	t.Helper()
	x := store.NewIndex(st, nil)
	t.Cleanup(func() {
		x.Close()
		if n := x.Fallbacks(); n != 0 {
			t.Errorf("the index answered %d reads with the store's queries", n)
		}
	})
	ready(t, x)
	return x
}

// newBoundedIndex is an index that may hold max cases (0: off); over its
// bound, the store's queries answer it.
func newBoundedIndex(t *testing.T, st *store.Store, max int) *store.Index {
	t.Helper()
	x := store.NewIndex(st, nil, store.MaxCases(max))
	t.Cleanup(x.Close)
	ready(t, x)
	return x
}

func ready(t *testing.T, x *store.Index) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := x.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

// each runs fn with the store's queries, the following index, an index
// loaded now, an index that is off and one over its bound (the store
// answers both), over what the test has written.
func (r *readModels) each(fn func(t *testing.T, rm readModel)) {
	r.t.Helper()
	loaded := newIndex(r.t, r.st)
	off := newBoundedIndex(r.t, r.st, 0)
	for _, m := range []struct {
		name string
		rm   readModel
	}{{"store", r.st}, {"index following the feed", r.following}, {"index loaded", loaded}, {"index off", off},
		{"index over its bound", r.bounded}} {
		r.t.Run(m.name, func(t *testing.T) {
			x, bounded := m.rm.(*store.Index)
			before := int64(0)
			if bounded {
				before = x.Fallbacks()
			}
			fn(t, m.rm)
			if bounded && (x.State() == store.IndexOff || x.State() == store.IndexOver) && x.Fallbacks() == before {
				t.Errorf("an index %s answered from memory", x.State())
			}
		})
	}
}

// t0 is when the first case of a test opens.
var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// Villages the tests place cases in: two kecamatan of Kutai Timur (64.08)
// and one of Paser (64.01), another regency of the province.
const (
	senyiur      = "64.08.01.2001" // Muara Ancalong
	kelinjauIlir = "64.08.01.2002" // Muara Ancalong
	kelinjauUlu  = "64.08.01.2003" // Muara Ancalong
	senambah     = "64.08.03.2001" // Muara Bengkal
	samurangau   = "64.01.01.2009" // Batu Sopang, Paser
)

// built is a case walked through its lifecycle by the domain's own rules,
// with every event the rules produced, as the case workflow would hold it.
type built struct {
	t      *testing.T
	c      *household.Case
	events []household.Event
	at     time.Time
}

var kks atomic.Int64

// open opens case id in village at the given time.
func open(t *testing.T, id, village string, at time.Time) *built {
	t.Helper()
	in := household.OpenInput{ID: id, KK: fmt.Sprintf("6408010101%06d", kks.Add(1)), HeadNIK: "6408014101850001",
		HeadName: "Siti Aminah", VillageCode: village, Address: "RT 03", Source: household.SourceP3KE}
	c, events := household.Open(in, actor(household.RoleCaseworker, village), household.DefaultRules(), household.DefaultDeadlines(), at)
	return &built{t: t, c: c, events: events, at: at}
}

// actor is someone of role whose region covers village at the level the
// role works at.
func actor(role household.Role, village string) household.Actor {
	region := village[:len("64.08")]
	switch role {
	case household.RoleCaseworker:
		region = village[:len("64.08.01")]
	case household.RoleVillageOfficer:
		region = village
	}
	a := household.Actor{Sub: string(role) + "@" + region, Role: role, Region: region}
	if role == household.RoleAgency {
		a.Agency = household.AgencyDinsos
	}
	return a
}

// then advances the clock an hour, checks the action with the domain and
// applies it.
func (b *built) then(check func(at time.Time) error, apply func(at time.Time) []household.Event) *built {
	b.t.Helper()
	b.at = b.at.Add(time.Hour)
	if err := check(b.at); err != nil {
		b.t.Fatalf("case %s at %s: %v", b.c.ID, b.c.Stage, err)
	}
	b.events = append(b.events, apply(b.at)...)
	return b
}

// surveyed submits a survey of two members spending monthly rupiah a month.
func (b *built) surveyed(monthly int64) *built {
	in := household.SurveyInput{Survey: household.Survey{
		Members: []household.Member{
			{NIK: "6408014101850001", Name: "Siti Aminah", Relation: household.RelationHead, BirthDate: "1985-01-01", Sex: household.Female, Education: household.EduPrimary, Occupation: household.OccFarmer},
			{NIK: "6408010203100002", Name: "Rudi", Relation: household.RelationChild, BirthDate: "2010-03-02", Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccStudent},
		},
		MonthlyExpenditure: monthly, MonthlyIncome: monthly,
		Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"},
	}}
	cw := actor(household.RoleCaseworker, b.c.VillageCode)
	return b.then(
		func(at time.Time) error { return b.c.CheckSurvey(cw, in, at) },
		func(at time.Time) []household.Event { return b.c.SubmitSurvey(cw, in, at) })
}

// confirmed is the village's confirmation after musdes.
func (b *built) confirmed() *built {
	in := household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: "2026-11-02", MusdesMinutes: "12/MUSDES/XI/2026"}
	vo := actor(household.RoleVillageOfficer, b.c.VillageCode)
	return b.then(
		func(at time.Time) error { return b.c.CheckVillage(vo, in, at) },
		func(at time.Time) []household.Event { return b.c.ConfirmByVillage(vo, in, at) })
}

// verified records the verifier's outcome.
func (b *built) verified(outcome household.VerificationOutcome) *built {
	in := household.VerificationInput{Outcome: outcome}
	v := actor(household.RoleVerifier, b.c.VillageCode)
	return b.then(
		func(at time.Time) error { return b.c.CheckVerification(v, in, at) },
		func(at time.Time) []household.Event { return b.c.RecordVerification(v, in, at) })
}

// assigned gives the programs to the agencies.
func (b *built) assigned(as ...household.Assignment) *built {
	in := household.AssignInput{Interventions: as}
	sup := actor(household.RoleSupervisor, b.c.VillageCode)
	return b.then(
		func(at time.Time) error { return b.c.CheckAssign(sup, in, at) },
		func(at time.Time) []household.Event { return b.c.AssignInterventions(sup, in, at) })
}

// acknowledged is dinsos acknowledging intervention iv-1, which moves the
// case to follow-up.
func (b *built) acknowledged() *built {
	in := household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged}
	ag := actor(household.RoleAgency, b.c.VillageCode)
	return b.then(
		func(at time.Time) error { return b.c.CheckIntervention(ag, in, at) },
		func(at time.Time) []household.Event { return b.c.UpdateIntervention(ag, in, at) })
}

// visited records a follow-up visit.
func (b *built) visited(monthly int64) *built {
	cw := actor(household.RoleCaseworker, b.c.VillageCode)
	return b.then(
		func(at time.Time) error {
			return b.c.CheckFollowUp(cw, household.FollowUpInput{VisitDate: region.Today(b.c.VillageCode, at), MonthlyExpenditure: monthly}, at)
		},
		func(at time.Time) []household.Event {
			return b.c.RecordFollowUp(cw, household.FollowUpInput{VisitDate: region.Today(b.c.VillageCode, at), MonthlyExpenditure: monthly}, at)
		})
}

// later lets days pass before the next step (visits count toward
// graduation 21 days apart).
func (b *built) later(days int) *built {
	b.at = b.at.AddDate(0, 0, days)
	return b
}

// escalated is a supervisor's escalation to the regency.
func (b *built) escalated() *built {
	in := household.EscalateInput{ID: "esc-" + b.c.ID, Level: household.EscalateRegency, Reason: "the survey is blocked by flooding",
		Actor: actor(household.RoleSupervisor, b.c.VillageCode)}
	return b.then(
		func(time.Time) error { return b.c.CheckEscalate(in) },
		func(at time.Time) []household.Event { return b.c.Escalate(in, at) })
}

// overdue lets the stage's deadline pass: the deadline rules mark the case
// overdue.
func (b *built) overdue() *built {
	b.t.Helper()
	b.at = b.c.Deadline
	b.events = append(b.events, b.c.Tick(b.at)...)
	if !b.c.Overdue {
		b.t.Fatalf("case %s is not overdue after its deadline", b.c.ID)
	}
	return b
}

// transferred is a transfer asked for by the case's supervisor, to village.
func (b *built) transferred(village string) *built {
	in := household.TransferInput{ToVillage: village, Address: "RT 01", Reason: "pindah"}
	sup := actor(household.RoleSupervisor, b.c.VillageCode)
	return b.then(
		func(at time.Time) error { return b.c.CheckTransfer(sup, in, at) },
		func(at time.Time) []household.Event { return b.c.RequestTransfer(sup, in, at) })
}

// accepted is the receiving region's supervisor accepting the pending transfer.
func (b *built) accepted() *built {
	t, _ := b.c.PendingTransfer()
	in := household.TransferAnswerInput{ID: t.ID, Decision: household.TransferAccept}
	sup := actor(household.RoleSupervisor, t.ToVillage)
	return b.then(
		func(at time.Time) error { return b.c.CheckTransferAnswer(sup, in, at) },
		func(at time.Time) []household.Event { return b.c.AnswerTransfer(sup, in, at) })
}

// save writes the snapshot and its events as the projection does.
func (b *built) save(st *store.Store) *built {
	b.t.Helper()
	ctx := context.Background()
	if err := st.SaveCase(ctx, *b.c); err != nil {
		b.t.Fatal(err)
	}
	if err := st.AppendEvents(ctx, b.events); err != nil {
		b.t.Fatal(err)
	}
	return b
}
