package household_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

var proposal = household.ProposalInput{KK: "6408010101209001", HeadNIK: "6408015506800003", HeadName: "Wati",
	VillageCode: "64.08.01.2001", Address: "RT 05, Senyiur", MusdesDate: "2026-11-01", MusdesMinutes: "7/MUSDES/XI/2026"}

func fieldsOf(err error) []string {
	var fe household.FieldErrors
	if !errors.As(err, &fe) {
		return nil
	}
	var out []string
	for _, e := range fe {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return out
}

func TestAProposalIsCheckedAsAnOpeningIsWithItsMusdes(t *testing.T) {
	bad := proposal
	bad.KK, bad.HeadName, bad.MusdesDate, bad.MusdesMinutes, bad.VillageCode = "12", "", "2026-11-05", "", "64.08.03.2001"
	tests := []struct {
		name   string
		in     household.ProposalInput
		scope  string
		fields []string
	}{
		{"a proposal of the officer's own village", proposal, "64.08.01.2001", nil},
		{"numbers typed with spaces are tidied first", household.ProposalInput{KK: "6408 0101 0120 9001", HeadNIK: "6408.0155.0680.0003",
			HeadName: "Wati", VillageCode: "64.08.01.2001", Address: "RT 05", MusdesDate: "2026-11-01", MusdesMinutes: "7"}.Tidy(), "64.08.01.2001", nil},
		{"every field at fault at once", bad, "64.08.01.2001", []string{"headName", "kk", "musdesDate", "musdesMinutes", "villageCode"}},
	}
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		if got := fieldsOf(tt.in.Validate(tt.scope, now)); !slices.Equal(got, tt.fields) {
			t.Errorf("%s: fields %v, want %v", tt.name, got, tt.fields)
		}
	}
	if open := proposal.OpenInput("usl-1"); open.Source != household.SourceVillageProposal || open.Validate("64.08") != nil {
		t.Errorf("the accepted proposal's opening %+v: %v", open, open.Validate("64.08"))
	}
	byHand := proposal.OpenInput("")
	byHand.Source = household.SourceVillageProposal
	if got := fieldsOf(byHand.Validate("64.08.01")); !slices.Equal(got, []string{"source"}) {
		t.Errorf("a case opened by hand as a village proposal: %v, want source refused", got)
	}
}

func TestAProposalIsScreenedOnceByTheRegencysSupervisorWithinItsDeadline(t *testing.T) {
	d := household.DefaultDeadlines()
	p, events := household.Propose("usl-1", proposal, officer, d, opened)
	if p.Status != household.ProposalScreening || p.DistrictCode != "64.08.01" || len(events) != 1 || p.Deadline != opened.Add(14*household.Day) {
		t.Fatalf("proposed: %+v %v", p, events)
	}
	reject := household.ScreenInput{Decision: household.ScreenReject, Reason: "sudah menerima PKH dari desa lain"}
	tests := []struct {
		name string
		by   household.Actor
		in   household.ScreenInput
		code household.Code
	}{
		{"the proposer cannot screen", officer, reject, household.CodeForbidden},
		{"a supervisor of another regency", household.Actor{Sub: "s", Role: household.RoleSupervisor, Region: "64.01"}, reject, household.CodeForbidden},
		{"a rejection without a reason", supervisor, household.ScreenInput{Decision: household.ScreenReject}, household.CodeInvalid},
		{"an answer that is neither", supervisor, household.ScreenInput{Decision: "maybe"}, household.CodeInvalid},
		{"the supervisor rejects with a reason", supervisor, reject, ""},
		{"admin may too", admin, reject, ""},
	}
	for _, tt := range tests {
		if got := household.ErrorCode(p.CheckScreen(tt.by, tt.in, opened)); got != tt.code {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.code)
		}
	}
	if !p.MayScreen(supervisor) || p.MayScreen(caseworker) {
		t.Error("MayScreen disagrees with CheckScreen")
	}

	// The deadline rules: a reminder to the regency, then the province.
	if w := p.NextWake(); !w.Equal(p.Deadline) {
		t.Fatalf("next wake %v, want the deadline", w)
	}
	evs := p.Tick(p.Deadline)
	if len(evs) != 1 || evs[0].Type != household.EventReminder || !p.Overdue {
		t.Fatalf("at the deadline: %+v", evs)
	}
	if to, scope, ok := p.ProposalNotice(evs[0]); !ok || to != household.RoleSupervisor || scope != "64.08" {
		t.Errorf("the reminder goes to %s of %s", to, scope)
	}
	evs = p.Tick(opened.Add(28 * household.Day))
	if len(evs) != 1 || evs[0].Type != household.EventEscalated || !p.Escalated || !p.NextWake().IsZero() {
		t.Fatalf("at twice the deadline: %+v next %v", evs, p.NextWake())
	}
	if to, scope, _ := p.ProposalNotice(evs[0]); to != household.RoleProvince || scope != "64" {
		t.Errorf("the escalation goes to %s of %s", to, scope)
	}

	p.Accept(supervisor, "case-9", opened.Add(29*household.Day))
	if p.Status != household.ProposalAccepted || p.CaseID != "case-9" || p.Overdue || p.ScreenedBy != supervisor.Sub {
		t.Fatalf("accepted: %+v", p)
	}
	if got := household.ErrorCode(p.CheckScreen(supervisor, reject, opened)); got != household.CodeConflict {
		t.Errorf("screening twice: %q, want a conflict", got)
	}
	if p.Tick(opened.Add(60*household.Day)) != nil || !p.NextWake().IsZero() {
		t.Error("an answered proposal still has deadlines")
	}
	if p.Version != int64(len(p.Events)) || p.Events[len(p.Events)-1].Key != "ev_proposal_accepted" {
		t.Errorf("version %d over %d events: %+v", p.Version, len(p.Events), p.Events)
	}
}

func TestARefusedProposalNamesWhatTheOpenCaseHolds(t *testing.T) {
	p, _ := household.Propose("usl-2", proposal, officer, household.DefaultDeadlines(), opened)
	evs := p.Refuse(officer, household.ProposalFinding{By: household.HeldHead, CaseID: "case-1", VillageCode: "64.08.03.2001"}, opened)
	if p.Status != household.ProposalDuplicate || p.Finding == nil || p.Finding.By != household.HeldHead || evs[0].Ref != "case-1" ||
		evs[0].Key != "ev_proposal_refused" || evs[0].Args[0].Kind != "heldby" {
		t.Fatalf("refused: %+v %+v", p, evs)
	}
}

// objectionAt walks a case to stage and records an objection against it.
func objectionAt(t *testing.T, stage household.Stage) (*household.Case, *household.Objection, time.Time) {
	t.Helper()
	c, now := newCase(t, stage)
	o, _ := household.NewObjection("sgh-1", *c, officer, household.ObjectionInput{Relation: household.ObjectorNeighbour,
		Reason: household.ObjectNotPoor, Notes: "punya dua mobil"}, household.DefaultDeadlines(), now)
	return c, o, now
}

func TestAnObjectionIsRecordedByTheVillageOrACaseworkerAndAnsweredByTheSupervisor(t *testing.T) {
	c, _ := newCase(t, household.StageFollowUp)
	in := household.ObjectionInput{Relation: household.ObjectorNeighbour, Reason: household.ObjectNotPoor}
	tests := []struct {
		name string
		by   household.Actor
		in   household.ObjectionInput
		code household.Code
	}{
		{"the village officer", officer, in, ""},
		{"the kecamatan's caseworker", caseworker, in, ""},
		{"another kecamatan's caseworker", otherCW, in, household.CodeForbidden},
		{"a verifier", verifier, in, household.CodeForbidden},
		{"a message claiming the system", forged, in, household.CodeForbidden},
		{"other without saying what", officer, household.ObjectionInput{Relation: household.ObjectorRelative, Reason: household.ObjectOther}, household.CodeInvalid},
		{"a relation nobody has", officer, household.ObjectionInput{Relation: "enemy", Reason: household.ObjectMoved}, household.CodeInvalid},
		{"a position outside Indonesia", officer, household.ObjectionInput{Relation: household.ObjectorNeighbour, Reason: household.ObjectMoved,
			Evidence: &household.Evidence{Location: &household.Location{Lat: 40, Lon: 10}}}, household.CodeInvalid},
	}
	for _, tt := range tests {
		if got := household.ErrorCode(c.CheckObject(tt.by, tt.in, opened)); got != tt.code {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.code)
		}
	}

	_, o, now := objectionAt(t, household.StageFollowUp)
	if o.DueAt != now.Add(14*household.Day) || o.Recorder.Sub != officer.Sub || o.Status != household.ObjectionOpen {
		t.Fatalf("recorded: %+v", o)
	}
	uphold := household.AnswerInput{Decision: household.AnswerUphold, Note: "diverifikasi ulang"}
	for _, tt := range []struct {
		name string
		by   household.Actor
		in   household.AnswerInput
		code household.Code
	}{
		{"the recorder cannot answer", officer, uphold, household.CodeForbidden},
		{"a supervisor elsewhere", household.Actor{Sub: "s", Role: household.RoleSupervisor, Region: "64.01"}, uphold, household.CodeForbidden},
		{"an answer without a note", supervisor, household.AnswerInput{Decision: household.AnswerDismiss}, household.CodeInvalid},
		{"the regency's supervisor", supervisor, uphold, ""},
	} {
		if got := household.ErrorCode(o.CheckAnswer(tt.by, tt.in, now)); got != tt.code {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.code)
		}
	}
	o.AnswerWith(supervisor, uphold, now.Add(time.Hour))
	if !o.Upheld() || !o.NextWake().IsZero() || o.Lapse(o.DueAt) != nil {
		t.Fatalf("answered: %+v", o)
	}
	by, up := o.Uphold()
	if by != (household.Actor{Sub: supervisor.Sub, Role: household.RoleSupervisor, Region: supervisor.Region}) || up.Lapsed {
		t.Errorf("an answered objection is upheld by %+v lapsed=%t", by, up.Lapsed)
	}
	_, byAdmin, _ := objectionAt(t, household.StageFollowUp)
	byAdmin.AnswerWith(admin, uphold, now)
	if by, _ := byAdmin.Uphold(); by.Role != household.RoleAdmin || by.Sub != admin.Sub {
		t.Errorf("an objection upheld by the admin reaches the case as %+v", by)
	}
}

func TestAnUnansweredObjectionIsUpheldByItsDeadlineInTheRecordersName(t *testing.T) {
	c, o, now := objectionAt(t, household.StageIntervention)
	if o.Lapse(o.DueAt.Add(-time.Second)) != nil {
		t.Fatal("lapsed before its deadline")
	}
	evs := o.Lapse(o.DueAt)
	if len(evs) != 1 || o.Status != household.ObjectionLapsed || !o.Upheld() || evs[0].Key != "ev_objection_lapsed" {
		t.Fatalf("at the deadline: %+v %+v", o, evs)
	}
	by, in := o.Uphold()
	if by.Sub != officer.Sub || by.Role != household.RoleVillageOfficer || !in.Lapsed {
		t.Fatalf("a lapsed objection is upheld by %+v lapsed=%t", by, in.Lapsed)
	}
	if got := household.ErrorCode(c.CheckUphold(by, in, now)); got != household.CodeConflict {
		t.Errorf("before its deadline the recorder may not uphold it: %q", got)
	}
	if got := household.ErrorCode(c.CheckUphold(supervisor, in, o.DueAt)); got != household.CodeForbidden {
		t.Errorf("a lapsed objection is carried by its recorder's role only: %q", got)
	}
	if err := c.CheckUphold(by, in, o.DueAt); err != nil {
		t.Fatal(err)
	}
}

func TestAnUpheldObjectionSendsAVerifiedCaseBackToVerification(t *testing.T) {
	tests := []struct {
		stage, after household.Stage
		reverified   household.VerificationOutcome
		key          string
	}{
		{household.StageCollecting, household.StageCollecting, "", "ev_objection_weighed"},
		{household.StageVerification, household.StageVerification, "", "ev_objection_weighed"},
		{household.StageIntervention, household.StageVerification, household.ExtremePoor, "ev_objection_reverify"},
		{household.StageFollowUp, household.StageVerification, household.ExtremePoor, "ev_objection_reverify"},
	}
	for _, tt := range tests {
		c, o, now := objectionAt(t, tt.stage)
		o.AnswerWith(supervisor, household.AnswerInput{Decision: household.AnswerUphold, Note: "benar"}, now)
		by, in := o.Uphold()
		if err := c.CheckUphold(by, in, now); err != nil {
			t.Fatalf("%s: %v", tt.stage, err)
		}
		seq := c.Seq
		evs := c.UpholdObjection(by, in, now)
		if c.Stage != tt.after || len(c.Objections) != 1 || c.Objections[0].Reverified != tt.reverified || len(evs) != 1 ||
			evs[0].Key != tt.key || evs[0].Ref != "sgh-1" || evs[0].Seq != seq+1 {
			t.Errorf("%s: stage %s, objections %+v, events %+v", tt.stage, c.Stage, c.Objections, evs)
		}
		if got := household.ErrorCode(c.CheckUphold(by, in, now)); got != household.CodeConflict {
			t.Errorf("%s: the same objection twice: %q", tt.stage, got)
		}
		if tt.after == household.StageVerification && tt.stage != household.StageVerification {
			if c.FollowUp.ConsecutiveAbove != 0 || !c.FollowUp.NextDue.IsZero() || c.Deadline != now.Add(21*household.Day) {
				t.Errorf("%s: back in verification with %+v, deadline %v", tt.stage, c.FollowUp, c.Deadline)
			}
		}
	}
	c, o, now := objectionAt(t, household.StageFollowUp)
	c.Close(supervisor, household.CloseInput{Reason: household.OutcomeMoved}, now)
	o.AnswerWith(supervisor, household.AnswerInput{Decision: household.AnswerUphold, Note: "benar"}, now)
	by, in := o.Uphold()
	if got := household.ErrorCode(c.CheckUphold(by, in, now)); got != household.CodeConflict {
		t.Errorf("a closed case takes an objection: %q", got)
	}
}

// TestAReverifiedCaseStandsWhereItStoodAtEachMoment replays the timeline
// of a case verified extreme-poor, sent back by an upheld objection and
// then found not poor: between the two verifications it is neither still
// extreme-poor nor excluded.
func TestAReverifiedCaseStandsWhereItStoodAtEachMoment(t *testing.T) {
	c, o, now := objectionAt(t, household.StageFollowUp)
	var events []household.Event
	events = append(events, household.Event{Seq: 1, At: opened, Type: household.EventOpened})
	// The walk to follow-up, as marks in the order newCase took them.
	at := opened
	for _, typ := range []string{household.EventSurveySubmitted, household.EventVillageConfirmed, household.EventVerified,
		household.EventInterventionsAssigned, household.EventInterventionUpdated} {
		at = at.Add(time.Hour)
		e := household.Event{Seq: int64(len(events) + 1), At: at, Type: typ}
		if typ == household.EventInterventionUpdated {
			e.Ref = "iv-1"
		}
		events = append(events, e)
	}
	o.AnswerWith(supervisor, household.AnswerInput{Decision: household.AnswerUphold, Note: "benar"}, now)
	by, in := o.Uphold()
	upheld := now.Add(time.Hour)
	events = append(events, c.UpholdObjection(by, in, upheld)...)
	refound := upheld.Add(time.Hour)
	events = append(events, c.RecordVerification(verifier, household.VerificationInput{Outcome: household.NotPoor}, refound)...)
	f := household.FactsOf(*c)
	f.Marks = nil
	for i, e := range events {
		e.Seq = int64(i + 1)
		f.Marks = append(f.Marks, household.MarkOf(e))
	}
	before, between, after := f.At(upheld), f.At(upheld.Add(time.Minute)), f.At(refound.Add(time.Minute))
	if !before.ExtremePoor() || before.Stage != household.StageFollowUp {
		t.Errorf("before the objection: %+v", before)
	}
	if between.ExtremePoor() || between.Stage != household.StageVerification || !between.Open {
		t.Errorf("between: %+v", between)
	}
	if after.Open || after.Outcome != household.OutcomeExcludedNotPoor || after.Verified != household.NotPoor {
		t.Errorf("after the second verification: %+v", after)
	}
}
