package household_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// The household moves from Senyiur (Muara Ancalong) to Muara Bengkal Ulu
// (Muara Bengkal), both of Kutai Timur, or to Samurangau (Batu Sopang) in
// Paser, another regency.
const (
	bengkalUlu = "64.08.03.2004"
	samurangau = "64.01.01.2009"
)

var (
	toBengkal    = household.TransferInput{ToVillage: bengkalUlu, Address: "RT 05, Muara Bengkal Ulu", Reason: "pindah ke rumah orang tua"}
	toPaser      = household.TransferInput{ToVillage: samurangau, Address: "RT 02, Samurangau", Reason: "bekerja di kebun sawit"}
	paserSup     = household.Actor{Sub: "sup-paser", Role: household.RoleSupervisor, Region: "64.01"}
	paserCW      = household.Actor{Sub: "cw-paser", Role: household.RoleCaseworker, Region: "64.01.01"}
	bengkalCW    = otherCW // 64.08.03
	accept       = household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferAccept}
	paserDinsos  = household.Actor{Sub: "dinsos-paser", Role: household.RoleAgency, Region: "64.01", Agency: household.AgencyDinsos}
	senyiurGone  = household.Actor{Sub: "vo-1", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"}
	kutaiTimurVO = officer
)

// moving opens a case at stage with a transfer asked for to in.
func moving(t *testing.T, stage household.Stage, in household.TransferInput) (*household.Case, time.Time) {
	t.Helper()
	c, now := newCase(t, stage)
	if err := c.CheckTransfer(supervisor, in, now); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	c.RequestTransfer(supervisor, in, now)
	return c, now.Add(time.Hour)
}

func TestTransferRequestChecks(t *testing.T) {
	tests := []struct {
		name  string
		by    household.Actor
		in    household.TransferInput
		want  household.Code
		field string
	}{
		{"the case's supervisor", supervisor, toBengkal, "", ""},
		{"to another regency", supervisor, toPaser, "", ""},
		{"admin", admin, toBengkal, "", ""},
		{"a caseworker", caseworker, toBengkal, household.CodeForbidden, ""},
		{"the province", province, toBengkal, household.CodeForbidden, ""},
		{"the receiving regency's supervisor", paserSup, toPaser, household.CodeForbidden, ""},
		{"to the village it is in", supervisor, household.TransferInput{ToVillage: "64.08.01.2001", Address: "RT 1", Reason: "r"}, household.CodeInvalid, "toVillage"},
		{"to a kecamatan, not a village", supervisor, household.TransferInput{ToVillage: "64.08.03", Address: "RT 1", Reason: "r"}, household.CodeInvalid, "toVillage"},
		{"without an address", supervisor, household.TransferInput{ToVillage: bengkalUlu, Reason: "r"}, household.CodeInvalid, "address"},
		{"without a reason", supervisor, household.TransferInput{ToVillage: bengkalUlu, Address: "RT 1"}, household.CodeInvalid, "reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, now := newCase(t, household.StageVerification)
			err := c.CheckTransfer(tt.by, tt.in, now)
			if got := household.ErrorCode(err); got != tt.want {
				t.Fatalf("CheckTransfer = %v (%s), want %q", err, got, tt.want)
			}
			if tt.field != "" && !namesField(err, tt.field) {
				t.Fatalf("%v does not name %s", err, tt.field)
			}
		})
	}
}

func namesField(err error, field string) bool {
	fe, ok := err.(household.FieldErrors)
	return ok && slices.ContainsFunc(fe, func(e household.FieldError) bool { return e.Field == field })
}

// TestAPendingTransferHoldsBackOnlyThoseWhoLoseTheCase: while the move to
// Muara Bengkal is pending, the old kecamatan's caseworker and the old
// village's officer wait; the regency's people, who keep the case, act as
// before; a second transfer waits for the first's answer.
func TestAPendingTransferHoldsBackOnlyThoseWhoLoseTheCase(t *testing.T) {
	tests := []struct {
		name  string
		stage household.Stage
		check func(c *household.Case, now time.Time) error
		want  household.Code
	}{
		{"the old caseworker's survey", household.StageCollecting, func(c *household.Case, now time.Time) error {
			return c.CheckSurvey(caseworker, validSurvey, now)
		}, household.CodeConflict},
		{"the old village's confirmation", household.StageVillageReview, func(c *household.Case, now time.Time) error {
			return c.CheckVillage(kutaiTimurVO, confirmed, now)
		}, household.CodeConflict},
		{"the old caseworker's visit", household.StageFollowUp, func(c *household.Case, now time.Time) error {
			return c.CheckFollowUp(caseworker, household.FollowUpInput{VisitDate: "2026-11-02", MonthlyExpenditure: 1}, now)
		}, household.CodeConflict},
		{"the new caseworker before the answer", household.StageCollecting, func(c *household.Case, now time.Time) error {
			return c.CheckSurvey(bengkalCW, validSurvey, now)
		}, household.CodeForbidden},
		{"the regency's verifier", household.StageVerification, func(c *household.Case, now time.Time) error {
			return c.CheckVerification(verifier, extremePoor, now)
		}, ""},
		{"the regency's agency", household.StageFollowUp, func(c *household.Case, now time.Time) error {
			return c.CheckIntervention(dinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionDelivered}, now)
		}, ""},
		{"the supervisor's closing", household.StageVerification, func(c *household.Case, now time.Time) error {
			return c.CheckClose(supervisor, household.CloseInput{Reason: household.OutcomeDeceased}, now)
		}, ""},
		{"a second transfer", household.StageVerification, func(c *household.Case, now time.Time) error {
			return c.CheckTransfer(supervisor, toPaser, now)
		}, household.CodeConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, now := moving(t, tt.stage, toBengkal)
			err := tt.check(c, now)
			if got := household.ErrorCode(err); got != tt.want {
				t.Fatalf("= %v (%s), want %q", err, got, tt.want)
			}
		})
	}
	// Moving to another regency holds back the whole old regency but the
	// sender's cancel.
	c, now := moving(t, household.StageVerification, toPaser)
	if err := c.CheckVerification(verifier, extremePoor, now); household.ErrorCode(err) != household.CodeConflict {
		t.Errorf("the old regency's verifier while the move to Paser is pending: %v", err)
	}
	if err := c.CheckClose(supervisor, household.CloseInput{Reason: household.OutcomeDeceased}, now); household.ErrorCode(err) != household.CodeConflict {
		t.Errorf("the old regency's supervisor closing while the move to Paser is pending: %v", err)
	}
	if err := c.CheckTransferCancel(supervisor, household.TransferCancelInput{ID: "tr-1"}, now); err != nil {
		t.Errorf("the sender's cancel: %v", err)
	}
	if err := c.CheckVerification(province, extremePoor, now); household.ErrorCode(err) != household.CodeForbidden {
		t.Errorf("the province is no verifier: %v", err)
	}
}

func TestTransferAnswerChecks(t *testing.T) {
	tests := []struct {
		name string
		to   household.TransferInput
		by   household.Actor
		in   household.TransferAnswerInput
		want household.Code
	}{
		{"the receiving regency's supervisor accepts", toPaser, paserSup, accept, ""},
		{"the receiving regency's supervisor refuses with a reason", toPaser, paserSup,
			household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferRefuse, Reason: "tidak ditemukan di alamat"}, ""},
		{"a refusal without a reason", toPaser, paserSup, household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferRefuse}, household.CodeInvalid},
		{"the sending regency's supervisor", toPaser, supervisor, accept, household.CodeForbidden},
		{"the receiving regency's caseworker", toPaser, paserCW, accept, household.CodeForbidden},
		{"a move within the regency: its supervisor", toBengkal, supervisor, accept, ""},
		{"another transfer's ID", toBengkal, supervisor, household.TransferAnswerInput{ID: "tr-9", Decision: household.TransferAccept}, household.CodeNotFound},
		{"an unknown decision", toBengkal, supervisor, household.TransferAnswerInput{ID: "tr-1", Decision: "maybe"}, household.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, now := moving(t, household.StageVerification, tt.to)
			err := c.CheckTransferAnswer(tt.by, tt.in, now)
			if got := household.ErrorCode(err); got != tt.want {
				t.Fatalf("= %v (%s), want %q", err, got, tt.want)
			}
		})
	}
	c, now := newCase(t, household.StageVerification)
	if err := c.CheckTransferAnswer(supervisor, accept, now); household.ErrorCode(err) != household.CodeConflict {
		t.Errorf("answering when nothing is pending: %v", err)
	}
	c, now = moving(t, household.StageVerification, toBengkal)
	c.CancelTransfer(supervisor, household.TransferCancelInput{ID: "tr-1"}, now)
	if err := c.CheckTransferAnswer(supervisor, accept, now); household.ErrorCode(err) != household.CodeConflict {
		t.Errorf("answering a cancelled transfer: %v", err)
	}
	if err := c.CheckTransferCancel(paserSup, household.TransferCancelInput{ID: "tr-1"}, now); household.ErrorCode(err) != household.CodeForbidden {
		t.Errorf("a cancel from outside the case's region: %v", err)
	}
}

// TestAnAcceptedTransferMovesTheCaseAndEndsWhatTheOldPlaceHeld: the case
// keeps its stage, escalations and deadline, and moves its village,
// kecamatan, regency and address; from then on the new region's people
// act and the old ones are outside. The village government's BLT Dana
// Desa and a CSR unit's program (its company works in Kutai Timur) end as
// moved for a supervisor to assign again; Dinsos's program goes on at
// Paser's Dinsos, and what was delivered stays delivered.
func TestAnAcceptedTransferMovesTheCaseAndEndsWhatTheOldPlaceHeld(t *testing.T) {
	c, now := newCase(t, household.StageFollowUp)
	c.AssignInterventions(supervisor, household.AssignInput{Interventions: []household.Assignment{
		{Program: household.ProgramBLTDanaDesa, Agency: household.AgencyPemdes},
		{Program: household.ProgramCSR, Agency: household.AgencyCSR},
		{Program: household.ProgramRTLH, Agency: household.AgencyDisperkim},
		{Program: household.ProgramSembako, Agency: household.AgencyPemdes},
	}}, now)
	c.UpdateIntervention(household.Actor{Sub: "pemdes", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyPemdes},
		household.InterventionInput{ID: "iv-5", Status: household.InterventionAcknowledged}, now)
	c.UpdateIntervention(household.Actor{Sub: "pemdes", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyPemdes},
		household.InterventionInput{ID: "iv-5", Status: household.InterventionDelivered}, now)
	deadline, stage := c.FollowUp.NextDue, c.Stage
	c.Escalate(household.EscalateInput{ID: "esc-1", Level: household.EscalateRegency, Reason: "r", Actor: supervisor}, now)
	c.RequestTransfer(supervisor, toPaser, now)
	now = now.Add(time.Hour)
	if err := c.CheckTransferAnswer(paserSup, accept, now); err != nil {
		t.Fatal(err)
	}
	events := c.AnswerTransfer(paserSup, accept, now)
	if c.VillageCode != samurangau || c.DistrictCode != "64.01.01" || c.RegencyCode != "64.01" || c.Address != toPaser.Address {
		t.Fatalf("after acceptance the case is in %s %s %s at %q", c.VillageCode, c.DistrictCode, c.RegencyCode, c.Address)
	}
	if c.Stage != stage || !c.FollowUp.NextDue.Equal(deadline) || !c.Escalated || c.OpenedAt != opened {
		t.Fatalf("the move changed the case's stage %s, visit due %v, escalated %t", c.Stage, c.FollowUp.NextDue, c.Escalated)
	}
	status := map[string]household.InterventionStatus{}
	for _, iv := range c.Interventions {
		status[iv.ID] = iv.Status
	}
	want := map[string]household.InterventionStatus{"iv-1": household.InterventionAcknowledged, "iv-2": household.InterventionMoved,
		"iv-3": household.InterventionMoved, "iv-4": household.InterventionAssigned, "iv-5": household.InterventionDelivered}
	for id, st := range want {
		if status[id] != st {
			t.Errorf("%s is %s, want %s", id, status[id], st)
		}
	}
	tr := c.Transfers[0]
	if tr.Status != household.TransferAccepted || !slices.Equal(tr.Moved, []string{"iv-2", "iv-3"}) || !tr.Deadline.IsZero() {
		t.Fatalf("transfer after acceptance: %+v", tr)
	}
	if len(events) != 3 || events[0].Type != household.EventTransferAccepted || events[1].Ref != "iv-2" {
		t.Fatalf("events %+v", events)
	}
	// Who acts now.
	if err := c.CheckFollowUp(caseworker, household.FollowUpInput{VisitDate: "2026-11-02", MonthlyExpenditure: 1}, now); household.ErrorCode(err) != household.CodeForbidden {
		t.Errorf("the old caseworker after the move: %v", err)
	}
	if err := c.CheckFollowUp(paserCW, household.FollowUpInput{VisitDate: "2026-11-02", MonthlyExpenditure: 900_000}, now); err != nil {
		t.Errorf("the new caseworker after the move: %v", err)
	}
	if err := c.CheckIntervention(dinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionDelivered}, now); household.ErrorCode(err) != household.CodeForbidden {
		t.Errorf("Kutai Timur's Dinsos after the move: %v", err)
	}
	if err := c.CheckIntervention(paserDinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionDelivered}, now); err != nil {
		t.Errorf("Paser's Dinsos after the move: %v", err)
	}
	if c.HasAgency(household.AgencyCSR) || !c.HasAgency(household.AgencyPemdes) {
		t.Error("an agency whose intervention the move ended still reads the case, or one that delivered no longer does")
	}
	// The moved programs may be assigned again, and are asked for until they are.
	pending := c.PendingActions()
	if !slices.Contains(pending, "supervisor: assign blt_dana_desa again (iv-2 ended by the move)") {
		t.Errorf("pending actions %v", pending)
	}
	again := household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramBLTDanaDesa, Agency: household.AgencyPemdes}}}
	if err := c.CheckAssign(paserSup, again, now); err != nil {
		t.Fatalf("assigning a moved program again: %v", err)
	}
	c.AssignInterventions(paserSup, again, now)
	if slices.Contains(c.PendingActions(), "supervisor: assign blt_dana_desa again (iv-2 ended by the move)") {
		t.Error("the program is still asked for after its new assignment")
	}
	if err := c.CheckIntervention(paserDinsos, household.InterventionInput{ID: "iv-2", Status: household.InterventionAcknowledged}, now); household.ErrorCode(err) == "" {
		t.Error("a moved intervention can still be acknowledged")
	}
}

func TestAMoveWithinTheRegencyEndsOnlyTheVillagesOwnProgram(t *testing.T) {
	c, now := newCase(t, household.StageFollowUp)
	c.AssignInterventions(supervisor, household.AssignInput{Interventions: []household.Assignment{
		{Program: household.ProgramBLTDanaDesa, Agency: household.AgencyPemdes},
		{Program: household.ProgramCSR, Agency: household.AgencyCSR},
	}}, now)
	c.RequestTransfer(supervisor, toBengkal, now)
	c.AnswerTransfer(supervisor, accept, now.Add(time.Hour))
	if c.Interventions[1].Status != household.InterventionMoved || c.Interventions[2].Status != household.InterventionAssigned {
		t.Fatalf("interventions after a move within Kutai Timur: %+v", c.Interventions)
	}
	if err := c.CheckFollowUp(bengkalCW, household.FollowUpInput{VisitDate: "2026-11-02", MonthlyExpenditure: 900_000}, now.Add(time.Hour)); err != nil {
		t.Errorf("Muara Bengkal's caseworker: %v", err)
	}
	if err := c.CheckVillage(senyiurGone, confirmed, now); household.ErrorCode(err) != household.CodeForbidden {
		t.Errorf("Senyiur's officer: %v", err)
	}
}

func TestARefusedOrCancelledTransferLeavesTheCaseWhereItWas(t *testing.T) {
	c, now := moving(t, household.StageVillageReview, toBengkal)
	refuse := household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferRefuse, Reason: "tidak tinggal di Muara Bengkal Ulu"}
	c.AnswerTransfer(supervisor, refuse, now)
	if c.VillageCode != "64.08.01.2001" || c.Transfers[0].Status != household.TransferRefused || c.Transfers[0].Note != refuse.Reason {
		t.Fatalf("after a refusal: %s %+v", c.VillageCode, c.Transfers[0])
	}
	if err := c.CheckVillage(kutaiTimurVO, confirmed, now); err != nil {
		t.Fatalf("the village confirms again after the refusal: %v", err)
	}
	if err := c.CheckTransfer(supervisor, toBengkal, now); err != nil {
		t.Fatalf("a new transfer after a refusal: %v", err)
	}
	c.RequestTransfer(supervisor, toBengkal, now)
	c.CancelTransfer(supervisor, household.TransferCancelInput{ID: "tr-2"}, now)
	if c.Transfers[1].Status != household.TransferCancelled || c.IncomingTo() != "" {
		t.Fatalf("after a cancel: %+v", c.Transfers[1])
	}
	if err := c.CheckVillage(kutaiTimurVO, confirmed, now); err != nil {
		t.Fatalf("the village confirms after the cancel: %v", err)
	}
}

func TestClosingACaseEndsItsPendingTransfer(t *testing.T) {
	c, now := moving(t, household.StageVerification, toBengkal)
	c.Close(supervisor, household.CloseInput{Reason: household.OutcomeDeceased}, now)
	if c.Transfers[0].Status != household.TransferCancelled || !c.NextWake().IsZero() || c.IncomingTo() != "" {
		t.Fatalf("a closed case keeps its transfer pending: %+v, wakes %v", c.Transfers[0], c.NextWake())
	}
	if err := c.CheckTransferAnswer(supervisor, accept, now); household.ErrorCode(err) != household.CodeConflict {
		t.Fatalf("answering the transfer of a closed case: %v", err)
	}
}

// TestAnUnansweredTransferRemindsThenEscalates: at the deadline (14 days)
// the receiving supervisor is reminded; at twice the deadline the case
// escalates, to the regency when the household moved within it, to the
// province when it moved to another regency.
func TestAnUnansweredTransferRemindsThenEscalates(t *testing.T) {
	for _, tt := range []struct {
		to    household.TransferInput
		level household.EscalationLevel
	}{{toBengkal, household.EscalateRegency}, {toPaser, household.EscalateProvince}} {
		t.Run(string(tt.level), func(t *testing.T) {
			c, _ := newCase(t, household.StageFollowUp)
			asked := c.FollowUp.NextDue.Add(-29 * 24 * time.Hour) // a day into follow-up
			c.RequestTransfer(supervisor, tt.to, asked)
			tr, _ := c.PendingTransfer()
			if want := asked.Add(14 * 24 * time.Hour); !tr.Deadline.Equal(want) || !c.NextWake().Equal(want) {
				t.Fatalf("deadline %v, next wake %v, want %v", tr.Deadline, c.NextWake(), want)
			}
			if ev := c.Tick(tr.Deadline.Add(-time.Minute)); ev != nil {
				t.Fatalf("a tick before the deadline recorded %+v", ev)
			}
			ev := c.Tick(tr.Deadline)
			if len(ev) != 1 || ev[0].Type != household.EventReminder || ev[0].Ref != "tr-1" || ev[0].Key != "ev_transfer_due" {
				t.Fatalf("at the deadline: %+v", ev)
			}
			if c.Overdue {
				t.Error("a late answer to a transfer made the stage overdue")
			}
			if !c.NextWake().Equal(tr.EscalateAt) {
				t.Fatalf("next wake %v, want the escalation at %v", c.NextWake(), tr.EscalateAt)
			}
			ev = c.Tick(tr.EscalateAt)
			if len(ev) != 1 || ev[0].Type != household.EventEscalated {
				t.Fatalf("at twice the deadline: %+v", ev)
			}
			esc, ok := c.Escalation(ev[0].Ref)
			if !ok || esc.Level != tt.level || !esc.Open || !c.Escalated || esc.ReasonKey != "transfer_escalation_reason" {
				t.Fatalf("escalation %+v", esc)
			}
			if ev := c.Tick(tr.EscalateAt.Add(time.Hour)); ev != nil {
				t.Fatalf("the rules fired again: %+v", ev)
			}
			if err := c.CheckTransferAnswer(map[household.EscalationLevel]household.Actor{household.EscalateRegency: supervisor, household.EscalateProvince: paserSup}[tt.level],
				accept, tr.EscalateAt.Add(time.Hour)); err != nil {
				t.Fatalf("a late answer is still taken: %v", err)
			}
		})
	}
}

func TestTransferDeadlinesOfCasesOpenedBeforeTransfersAreTheDefault(t *testing.T) {
	c, now := newCase(t, household.StageVerification)
	c.Deadlines.TransferDays = 0
	c.RequestTransfer(supervisor, toBengkal, now)
	if tr, _ := c.PendingTransfer(); !tr.Deadline.Equal(now.Add(household.DefaultTransferDays * household.Day)) {
		t.Fatalf("deadline %v", tr.Deadline)
	}
}
