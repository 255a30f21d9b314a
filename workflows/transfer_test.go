package workflows_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// The household moves from Senyiur (Muara Ancalong) to Muara Bengkal Ulu
// (Muara Bengkal), or to Samurangau in Paser, another regency.
var (
	toBengkal = household.TransferInput{ToVillage: "64.08.03.2004", Address: "RT 05, Muara Bengkal Ulu", Reason: "pindah ke rumah orang tua"}
	toPaser   = household.TransferInput{ToVillage: "64.01.01.2009", Address: "RT 02, Samurangau", Reason: "bekerja di kebun sawit"}
	acceptTr1 = household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferAccept}
	cancelTr1 = household.TransferCancelInput{ID: "tr-1", Reason: "keluarga kembali"}
	paserSup  = household.Actor{Sub: "sup-paser", Role: household.RoleSupervisor, Region: "64.01", Case: testCase}
)

// refused reports whether r was refused with code, by its validator or, when
// another update accepted in the same workflow task applied first, by the
// check its handler runs again.
func refused(r *result, code household.Code) bool {
	var app *temporal.ApplicationError
	return errors.As(r.err, &app) && app.Type() == string(code)
}

// TestAnAcceptedTransferMovesTheCaseItsSearchAttributesAndItsPeople: a
// household in follow-up moves to Muara Bengkal. On acceptance the case
// lies there (read model, search attributes, its people's claims), and
// the next visit is Muara Bengkal's caseworker's to record, not Muara
// Ancalong's; the receiving supervisors were told of the request, and the
// sending ones of the answer.
func TestAnAcceptedTransferMovesTheCaseItsSearchAttributesAndItsPeople(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	var upserts []temporal.SearchAttributes
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		upserts = append(upserts, args.Get(0).(temporal.SearchAttributes))
	}).Return(nil)
	steps := h.toFollowUp()
	ask := h.update(6*step, workflows.UpdateTransfer, super, toBengkal)
	early := h.update(7*step, workflows.UpdateFollowUp, cwOther, visitAbove)
	held := h.update(8*step, workflows.UpdateFollowUp, cw, visitAbove)
	answer := h.update(9*step, workflows.UpdateTransferAnswer, super, acceptTr1)
	oldCW := h.update(10*step, workflows.UpdateFollowUp, cw, visitAbove)
	newCW := h.update(11*step, workflows.UpdateFollowUp, cwOther, visitAbove)
	h.update(12*step, workflows.UpdateClose, super, closeMoved)
	closed, _ := h.run(openInput())
	mustAccept(t, append(steps, ask, answer, newCW)...)
	mustReject(t, early, household.CodeForbidden) // not theirs before the answer
	mustReject(t, held, household.CodeConflict)   // the old caseworker waits for the answer
	mustReject(t, oldCW, household.CodeForbidden) // and is outside it after
	if c := answer.c; c.VillageCode != toBengkal.ToVillage || c.DistrictCode != "64.08.03" || c.Stage != household.StageFollowUp {
		t.Fatalf("after acceptance the case is %s in %s", c.Stage, c.VillageCode)
	}
	if stored := store.only(t); stored.VillageCode != toBengkal.ToVillage || stored.Version != closed.Version {
		t.Fatalf("read model in %s at v%d", stored.VillageCode, stored.Version)
	}
	var moved bool
	for _, sa := range upserts {
		v, ok := sa.GetKeyword(workflows.AttrVillage)
		d, _ := sa.GetKeyword(workflows.AttrDistrict)
		if ok {
			if v != toBengkal.ToVillage || d != "64.08.03" || moved {
				t.Fatalf("search attributes upserted %v %v (moved before: %t)", v, d, moved)
			}
			moved = true
		}
	}
	if !moved {
		t.Fatal("the kecamatan and village search attributes were not moved")
	}
	store.mu.Lock()
	for _, c := range store.claims {
		if c.CaseID == closed.ID && c.Village != toBengkal.ToVillage {
			t.Errorf("claim of %s still names %s", c.Person, c.Village)
		}
	}
	var notes []activities.Notification
	for _, n := range store.notified {
		if n.Key == "ev_transfer_requested" || n.Key == "ev_transfer_accepted" {
			notes = append(notes, n)
		}
	}
	store.mu.Unlock()
	if len(notes) != 2 || notes[0].To != household.RoleSupervisor || notes[0].Region != "64.08" || notes[1].Region != "64.08" {
		t.Fatalf("transfer notifications %+v", notes)
	}
}

// TestAnUnansweredTransferRemindsTheReceivingSupervisorThenEscalates: a
// move to Paser left unanswered reminds Paser's supervisors at day 14 and
// escalates to the province at day 28, on the durable timer of the case;
// an answer that comes late is still taken.
func TestAnUnansweredTransferRemindsTheReceivingSupervisorThenEscalates(t *testing.T) {
	day := 24 * time.Hour
	store := newMemStore()
	h := newHarness(t, store)
	h.update(step, workflows.UpdateSurvey, cw, extremePoorSurvey)
	h.update(2*step, workflows.UpdateVillage, village, confirm)
	h.update(3*step, workflows.UpdateTransfer, super, toPaser)
	var halfway, late workflows.State
	h.state(3*step+14*day-time.Minute, &halfway)
	h.state(3*step+28*day+time.Minute, &late)
	answer := h.update(29*day, workflows.UpdateTransferAnswer, paserSup, acceptTr1)
	h.update(30*day, workflows.UpdateClose, paserSup, closeMoved)
	closed, _ := h.run(openInput())
	mustAccept(t, answer)
	if tr, _ := halfway.Case.PendingTransfer(); tr.Reminded {
		t.Fatal("reminded before the deadline")
	}
	var got []activities.Notification
	for _, n := range store.notified {
		if n.Key == "ev_transfer_due" || n.Key == "ev_transfer_escalated" {
			got = append(got, n)
		}
	}
	if len(got) != 2 || got[0].To != household.RoleSupervisor || got[0].Region != "64.01" ||
		got[1].To != household.RoleProvince || got[1].Region != "64" {
		t.Fatalf("deadline notifications %+v, want Paser's supervisors then the province", got)
	}
	if want := testStart.Add(3*step + 14*day); !got[0].At.Equal(want) {
		t.Errorf("reminded at %v, want %v", got[0].At, want)
	}
	if !late.Case.Escalated || len(late.Case.Escalations) != 1 || late.Case.Escalations[0].Level != household.EscalateProvince {
		t.Fatalf("after twice the deadline: escalations %+v", late.Case.Escalations)
	}
	if closed.RegencyCode != "64.01" || closed.ClosedAt.IsZero() {
		t.Fatalf("the late answer did not move the case: %s", closed.RegencyCode)
	}
}

// TestATransferAndACompetingActionResolveInHistoryOrder: two actions sent
// at the same moment are applied in the order the case's history holds
// them, and the second is checked against what the first left, whichever
// comes first.
func TestATransferAndACompetingActionResolveInHistoryOrder(t *testing.T) {
	t.Run("village confirmation, then the transfer", func(t *testing.T) {
		h := newHarness(t, newMemStore())
		h.update(step, workflows.UpdateSurvey, cw, extremePoorSurvey)
		vill := h.update(2*step, workflows.UpdateVillage, village, confirm)
		ask := h.update(2*step, workflows.UpdateTransfer, super, toBengkal)
		h.update(3*step, workflows.UpdateClose, super, closeMoved)
		h.run(openInput())
		mustAccept(t, vill, ask)
		if ask.c.Stage != household.StageVerification || ask.c.Village == nil {
			t.Fatalf("the transfer did not see the confirmation: %s", ask.c.Stage)
		}
	})
	t.Run("the transfer, then village confirmation", func(t *testing.T) {
		h := newHarness(t, newMemStore())
		h.update(step, workflows.UpdateSurvey, cw, extremePoorSurvey)
		ask := h.update(2*step, workflows.UpdateTransfer, super, toBengkal)
		vill := h.update(2*step, workflows.UpdateVillage, village, confirm)
		h.update(3*step, workflows.UpdateClose, super, closeMoved)
		closed, _ := h.run(openInput())
		mustAccept(t, ask)
		if !refused(vill, household.CodeConflict) || closed.Village != nil {
			t.Fatalf("the old village confirmed a household moving away: %v", vill.err)
		}
	})
	for _, tt := range []struct {
		name   string
		first  string
		second string
	}{{"acceptance, then the sender's cancel", workflows.UpdateTransferAnswer, workflows.UpdateTransferCancel},
		{"the sender's cancel, then acceptance", workflows.UpdateTransferCancel, workflows.UpdateTransferAnswer}} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, newMemStore())
			inputs := map[string]any{workflows.UpdateTransferAnswer: acceptTr1, workflows.UpdateTransferCancel: cancelTr1}
			ask := h.update(step, workflows.UpdateTransfer, super, toBengkal)
			first := h.update(2*step, tt.first, super, inputs[tt.first])
			second := h.update(2*step, tt.second, super, inputs[tt.second])
			h.update(3*step, workflows.UpdateClose, super, closeMoved)
			closed, _ := h.run(openInput())
			mustAccept(t, ask, first)
			if !refused(second, household.CodeConflict) {
				t.Fatalf("the second answer to one transfer: accepted=%t err=%v", second.accepted, second.err)
			}
			want := map[string]household.TransferStatus{workflows.UpdateTransferAnswer: household.TransferAccepted,
				workflows.UpdateTransferCancel: household.TransferCancelled}[tt.first]
			moved := closed.VillageCode == toBengkal.ToVillage
			if closed.Transfers[0].Status != want || moved != (want == household.TransferAccepted) {
				t.Fatalf("transfer %s, case in %s", closed.Transfers[0].Status, closed.VillageCode)
			}
		})
	}
}

// TestARefusedTransferLeavesTheCaseToItsRegion: refused with a reason, the
// case stays, the old caseworker goes on, and the sender is told.
func TestARefusedTransferLeavesTheCaseToItsRegion(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store)
	ask := h.update(step, workflows.UpdateTransfer, super, toPaser)
	wrong := h.update(2*step, workflows.UpdateTransferAnswer, super, acceptTr1)
	no := h.update(3*step, workflows.UpdateTransferAnswer, paserSup, household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferRefuse, Reason: "tidak ditemukan"})
	survey := h.update(4*step, workflows.UpdateSurvey, cw, extremePoorSurvey)
	h.update(5*step, workflows.UpdateClose, super, closeMoved)
	closed, _ := h.run(openInput())
	mustAccept(t, ask, no, survey)
	mustReject(t, wrong, household.CodeForbidden)
	if closed.VillageCode != "64.08.01.2001" || closed.Transfers[0].Status != household.TransferRefused {
		t.Fatalf("after a refusal: %s, %+v", closed.VillageCode, closed.Transfers)
	}
	var told bool
	for _, n := range store.notified {
		told = told || (n.Key == "ev_transfer_refused" && n.To == household.RoleSupervisor && n.Region == "64.08")
	}
	if !told {
		t.Fatalf("the sender was not told of the refusal: %+v", store.notified)
	}
	if !slices.ContainsFunc(store.timeline(closed.ID), func(e household.Event) bool { return e.Type == household.EventTransferRefused }) {
		t.Fatal("the refusal is not on the timeline")
	}
}
