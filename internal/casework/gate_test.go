package casework

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/household"
)

// Every action sent as an update checks its own input before Temporal
// sees it (Act refuses one that does not).
var (
	_ actionInput = household.SurveyInput{}
	_ actionInput = household.VillageInput{}
	_ actionInput = household.VerificationInput{}
	_ actionInput = household.GraduateInput{}
	_ actionInput = household.AssignInput{}
	_ actionInput = household.InterventionInput{}
	_ actionInput = household.FollowUpInput{}
	_ actionInput = household.ResolveInput{}
	_ actionInput = household.CloseInput{}
	_ actionInput = household.DuplicateResolutionInput{}
	_ actionInput = household.TransferInput{}
	_ actionInput = household.TransferAnswerInput{}
	_ actionInput = household.TransferCancelInput{}
)

// The worker's answer to a workflow task carries every update delivered
// with it, input and all. With the largest inputs the domain accepts
// (texts of characters that JSON escapes to six bytes), sealed by the
// codec as in production, the updates one API process lets in flight at a
// case stay under a quarter of gRPC's 4 MiB.
func TestLargestActionsFitTheWorkflowTaskBudget(t *testing.T) {
	spec, err := codec.NewKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := codec.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	dc := codec.DataConverter(ring)
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	long := func(n int) string { return strings.Repeat("<", n) }
	survey := household.SurveyInput{Draft: true, Survey: household.Survey{
		MonthlyExpenditure: household.MaxRupiah, MonthlyIncome: household.MaxRupiah,
		Housing:  household.Housing{Floor: "ceramic", Wall: "unplastered", Roof: "concrete", Water: "protected_well", Sanitation: "private", Electricity: "pln_above_900"},
		Programs: household.ReceivablePrograms,
	}}
	for i := range household.MaxMembers {
		m := household.Member{NIK: "6408014101850001", Name: long(household.MaxName), Relation: household.RelationChild, BirthDate: "1985-01-01",
			Sex: household.Female, Education: household.EduTertiary, Occupation: household.OccInformalTrade, Disability: true}
		m.NIK = m.NIK[:12] + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "01"
		if i == 0 {
			m.Relation = household.RelationHead
		}
		survey.Survey.Members = append(survey.Survey.Members, m)
	}
	for range household.MaxIncomeSources {
		survey.Survey.IncomeSources = append(survey.Survey.IncomeSources, long(household.MaxName))
	}
	inputs := []actionInput{
		survey,
		household.VerificationInput{Outcome: household.ExtremePoor, Notes: long(household.MaxNote)},
		household.CloseInput{Reason: household.OutcomeWithdrawn, Notes: long(household.MaxNote)},
		household.ResolveInput{ID: long(household.MaxID), Resolution: long(household.MaxNote)},
		household.DuplicateResolutionInput{ID: long(household.MaxID), Decision: household.DecisionDuplicate, Notes: long(household.MaxNote)},
	}
	largest := 0
	for _, in := range inputs {
		if err := in.Validate(now); err != nil {
			t.Fatalf("%T is not at the bound but refused: %v", in, err)
		}
		// The update's arguments: the actor, bound to case and update, then the input.
		by := household.Actor{Sub: long(128), Role: household.RoleCaseworker, Region: "64.08.01", Case: long(64), Update: long(64)}
		p, err := dc.ToPayloads(by, in)
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, proto.Size(p))
	}
	const budget = 1 << 20 // a quarter of gRPC's 4 MiB
	if got := maxUpdatesInFlight * largest; got > budget {
		t.Fatalf("%d updates of up to %d bytes = %d bytes in one task's answer, over %d", maxUpdatesInFlight, largest, got, budget)
	}
	t.Logf("largest action %d bytes sealed; %d in flight = %d bytes", largest, maxUpdatesInFlight, maxUpdatesInFlight*largest)
}

func TestGateAdmitsAtMostNPerKeyAndForgetsIdleKeys(t *testing.T) {
	g := newGate(3)
	var leaves []func()
	for range 3 {
		leave, err := g.enter(context.Background(), "case-1")
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, leave)
	}
	// A full key makes its next caller wait, here until its deadline;
	// another key passes.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := g.enter(ctx, "case-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a fourth holder: %v, want to wait until its deadline", err)
	}
	leave, err := g.enter(context.Background(), "case-2")
	if err != nil {
		t.Fatal(err)
	}
	leave()
	// A turn given back lets a waiting caller in.
	entered := make(chan func())
	go func() {
		leave, err := g.enter(context.Background(), "case-1")
		if err != nil {
			t.Error(err)
		}
		entered <- leave
	}()
	leaves[0]()
	leaves[0] = <-entered
	for _, leave := range leaves {
		leave()
	}
	if len(g.slots) != 0 {
		t.Fatalf("%d keys kept after every holder left", len(g.slots))
	}
}
