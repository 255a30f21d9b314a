package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/imports"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/internal/pseudonym"
	"github.com/tuntas-id/tuntas/internal/publications"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// The Indonesian walk: every page of the console, and every form refused
// (by the console's parsing, the domain's checks before Temporal, and the
// case workflow's own rejections), as the role that sees it, in Bahasa
// Indonesia; no page may show an English template of the domain, a
// catalogue key, a placeholder, an internal code or an ISO date.

// walkWorld is the console's world in memory: cases walked through the
// domain's own methods (so their timelines hold the domain's events), the
// notifications those events raise, an import's row errors from the real
// reader, and a workflow service that answers an update with the next
// rejection the test sets.
type walkWorld struct {
	client.Client // any other call panics
	casework.ReadModel

	mu       sync.Mutex
	cases    map[string]*household.Case
	events   map[string][]household.Event
	notes    []store.Notification
	rowErrs  []listimport.RowError
	reject   error
	openKK   string
	openCase household.Case

	proposals  []household.Proposal
	objections []household.Objection
	posted     map[string]publications.Publication
}

func newWalkWorld() *walkWorld {
	return &walkWorld{cases: map[string]*household.Case{}, events: map[string][]household.Event{}, posted: map[string]publications.Publication{}}
}

// The living list's read model and the posted lists.
func (w *walkWorld) Proposal(_ context.Context, id string) (household.Proposal, error) {
	for _, p := range w.proposals {
		if p.ID == id {
			return p, nil
		}
	}
	return household.Proposal{}, store.ErrNotFound
}

func (w *walkWorld) Proposals(_ context.Context, f store.ListFilter) ([]household.Proposal, error) {
	var out []household.Proposal
	for _, p := range w.proposals {
		if region.Within(p.VillageCode, f.Scope) && (f.Status == "" || string(p.Status) == f.Status) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (w *walkWorld) Objection(_ context.Context, id string) (household.Objection, error) {
	for _, o := range w.objections {
		if o.ID == id {
			return o, nil
		}
	}
	return household.Objection{}, store.ErrNotFound
}

func (w *walkWorld) Objections(_ context.Context, f store.ListFilter) ([]household.Objection, error) {
	var out []household.Objection
	for _, o := range w.objections {
		if region.Within(o.VillageCode, f.Scope) && (f.Status == "" || string(o.Status) == f.Status) && (f.CaseID == "" || o.CaseID == f.CaseID) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (w *walkWorld) Publish(_ context.Context, p publications.Publication) error {
	w.posted[p.Village] = p
	return nil
}

func (w *walkWorld) Publication(_ context.Context, village string) (publications.Publication, bool, error) {
	p, ok := w.posted[village]
	return p, ok, nil
}

// keep stores a case and its events, and the notifications its
// reminders and escalations raise.
func (w *walkWorld) keep(c *household.Case, events ...household.Event) {
	w.cases[c.ID] = c
	w.events[c.ID] = append(w.events[c.ID], events...)
	for _, e := range events {
		to := household.RoleCaseworker
		switch e.Type {
		case household.EventEscalated:
			to = household.RoleSupervisor
		case household.EventReminder:
		default:
			continue
		}
		w.notes = append(w.notes, store.Notification{ID: fmt.Sprintf("%s-%d", c.ID, e.Seq), CaseID: c.ID, Seq: e.Seq, To: to,
			Region: c.DistrictCode, Message: e.Summary, At: e.At, Key: e.Key, Args: e.Args, HeadName: c.HeadName})
	}
}

func (w *walkWorld) Case(_ context.Context, id string) (household.Case, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.cases[id]
	if !ok {
		return household.Case{}, store.ErrNotFound
	}
	return *c, nil
}

func (w *walkWorld) Summary(ctx context.Context, id string) (store.Summary, error) {
	c, err := w.Case(ctx, id)
	return store.SummaryOf(c), err
}

func (w *walkWorld) List(_ context.Context, f store.Filter) (store.Page, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	page := store.Page{Items: []store.Summary{}}
	for _, c := range w.cases {
		in := region.Within(c.VillageCode, f.Scope)
		if f.Transfer == household.TransferIncoming {
			// Households moving into the scope, as the store lists them.
			to := c.IncomingTo()
			in = to != "" && region.Within(to, f.Scope) && (in || f.SeesIncoming)
		}
		if in && (f.Stage == "" || c.Stage == f.Stage) {
			page.Items = append(page.Items, store.SummaryOf(*c))
		}
	}
	sort.Slice(page.Items, func(i, j int) bool { return page.Items[i].ID < page.Items[j].ID })
	return page, nil
}

func (w *walkWorld) Timeline(_ context.Context, id string, _ int64) ([]household.Event, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.events[id], nil
}

func (w *walkWorld) RecordAccess(context.Context, store.Access) error { return nil }

// Facts are the walked cases' facts, as the projection keeps them: the
// quarterly report counts them.
func (w *walkWorld) Facts(_ context.Context, scope string) ([]household.Facts, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []household.Facts
	for id, c := range w.cases {
		if !region.Within(c.VillageCode, scope) {
			continue
		}
		f := household.FactsOf(*c)
		for _, e := range w.events[id] {
			f.Marks = append(f.Marks, household.MarkOf(e))
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ProgressOf are the monthly points of the walked cases since the first
// month, counted as the progress schedule counts them.
func (w *walkWorld) ProgressOf(ctx context.Context, regions []string) ([]report.Point, error) {
	facts, err := w.Facts(ctx, "64")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var out []report.Point
	for _, m := range report.Months(report.FirstMonth("64", facts), report.MonthOf("64", now), 36) {
		points, err := report.Points("64", m, facts, now)
		if err != nil {
			return nil, err
		}
		for _, p := range points {
			if slices.Contains(regions, p.Region) {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func (w *walkWorld) Dashboard(_ context.Context, scope, _ string) (store.Dashboard, error) {
	return store.Dashboard{Scope: scope, AsOf: time.Now()}, nil
}

func (w *walkWorld) NotificationsFor(_ context.Context, role household.Role, _, _ string, _ int) ([]store.Notification, error) {
	var out []store.Notification
	for _, n := range w.notes {
		if n.To == role {
			out = append(out, n)
		}
	}
	return out, nil
}

func (w *walkWorld) NotificationsReadAt(context.Context, string) (time.Time, error) {
	return time.Time{}, nil
}

func (w *walkWorld) MarkNotificationsRead(context.Context, string, time.Time) error { return nil }

// The import store.
func (w *walkWorld) SaveImportChunk(context.Context, string, int, []listimport.Row) error { return nil }
func (w *walkWorld) AddRowErrors(_ context.Context, errs []listimport.RowError) error {
	w.rowErrs = append(w.rowErrs, errs...)
	return nil
}
func (w *walkWorld) SaveImportProgress(context.Context, listimport.Progress) error { return nil }
func (w *walkWorld) Import(_ context.Context, id string) (listimport.Progress, error) {
	if id != "imp-1" {
		return listimport.Progress{}, imports.ErrNotFound
	}
	return listimport.Progress{ID: id, Status: listimport.Done, FileName: "daftar.csv", Rejected: len(w.rowErrs)}, nil
}
func (w *walkWorld) RowErrors(context.Context, string, int) ([]listimport.RowError, error) {
	return w.rowErrs, nil
}

// The workflow service: an update is answered with the rejection set.
func (w *walkWorld) UpdateWorkflow(context.Context, client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var nf *serviceerror.NotFound
	if errors.As(w.reject, &nf) {
		return nil, w.reject
	}
	return walkUpdate{rejection: w.reject}, nil
}

func (w *walkWorld) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	return walkStart{}
}

// DescribeWorkflowExecution finds no workflow: no family card of the walk
// has a case opened before workflow IDs were pseudonyms.
func (w *walkWorld) DescribeWorkflowExecution(context.Context, string, string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	return nil, serviceerror.NewNotFound("workflow not found")
}

func (w *walkWorld) UpdateWithStartWorkflow(_ context.Context, opts client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return walkUpdate{answer: workflows.OpenResult{Created: false, Case: w.openCase}}, nil
}

type walkStart struct {
	client.WithStartWorkflowOperation
}

// walkUpdate is a completed update whose outcome crosses Temporal's
// converters, as a real one does.
type walkUpdate struct {
	client.WorkflowUpdateHandle
	answer    any
	rejection error
}

func (u walkUpdate) Get(_ context.Context, v any) error {
	if u.rejection != nil {
		fc := temporal.GetDefaultFailureConverter()
		return fc.FailureToError(fc.ErrorToFailure(rejectionOf(u.rejection)))
	}
	dc := converter.GetDefaultDataConverter()
	p, err := dc.ToPayload(u.answer)
	if err != nil {
		return err
	}
	return dc.FromPayload(p, v)
}

// rejectionOf is a domain error as the case workflow answers it
// (workflows.rejection): its code as the type, its field errors or the
// rejection itself as details.
func rejectionOf(err error) error {
	code := household.ErrorCode(err)
	var (
		fe household.FieldErrors
		de *household.Error
	)
	switch {
	case errors.As(err, &fe):
		return temporal.NewApplicationError(err.Error(), string(code), []household.FieldError(fe))
	case errors.As(err, &de):
		return temporal.NewApplicationError(err.Error(), string(code), *de)
	}
	return err
}

var (
	walkCW       = household.Actor{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"}
	walkOfficer  = household.Actor{Sub: "budi", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"}
	walkVerifier = household.Actor{Sub: "citra", Role: household.RoleVerifier, Region: "64.08"}
	walkSup      = household.Actor{Sub: "dewi", Role: household.RoleSupervisor, Region: "64.08"}
	walkDinsos   = household.Actor{Sub: "eka", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyDinsos}
	walkProvince = household.Actor{Sub: "fajar", Role: household.RoleProvince, Region: "64"}
	walkAdmin    = household.Actor{Sub: "gita", Role: household.RoleAdmin, Region: "64"}
)

var walkSurvey = household.SurveyInput{Survey: household.Survey{
	Members: []household.Member{
		{NIK: "6408014101850001", Name: "Siti Aminah", Relation: household.RelationHead, BirthDate: "1985-01-01", Sex: household.Female, Education: household.EduPrimary, Occupation: household.OccFarmer},
		{NIK: "6408010203100002", Name: "Rudi", Relation: household.RelationChild, BirthDate: "2010-03-02", Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccStudent},
	},
	MonthlyExpenditure: 600_000, MonthlyIncome: 500_000,
	Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"},
}}

// walkCases walks cases to every stage through the domain, from start;
// each step an hour (or a day) later.
func walkCases(t *testing.T, w *walkWorld, start time.Time) {
	t.Helper()
	day := func(t time.Time) string { return region.Today("64.08", t) }
	open := func(id, kk string, at time.Time) (*household.Case, []household.Event) {
		return household.Open(household.OpenInput{ID: id, KK: kk, HeadNIK: "6408014101850001", HeadName: "Siti Aminah " + id[2:],
			VillageCode: "64.08.01.2001", Address: "RT 03, Senyiur", Source: household.SourceP3KE},
			walkCW, household.DefaultRules(), household.DefaultDeadlines(), at)
	}
	at := start
	next := func(d time.Duration) time.Time { at = at.Add(d); return at }
	to := func(c *household.Case, stage household.Stage) (evs []household.Event) {
		for c.Stage != stage {
			switch c.Stage {
			case household.StageCollecting:
				draft := walkSurvey
				draft.Draft = true
				evs = append(evs, c.SubmitSurvey(walkCW, draft, next(time.Hour))...)
				evs = append(evs, c.SubmitSurvey(walkCW, walkSurvey, next(time.Hour))...)
			case household.StageVillageReview:
				evs = append(evs, c.ConfirmByVillage(walkOfficer, household.VillageInput{Decision: household.VillageConfirmed,
					MusdesDate: day(at), MusdesMinutes: "12/MUSDES/XI/2026"}, next(time.Hour))...)
			case household.StageVerification:
				evs = append(evs, c.RecordVerification(walkVerifier, household.VerificationInput{Outcome: household.ExtremePoor}, next(time.Hour))...)
			case household.StageIntervention:
				evs = append(evs, c.AssignInterventions(walkSup, household.AssignInput{Interventions: []household.Assignment{
					{Program: household.ProgramPKH, Agency: household.AgencyDinsos}, {Program: household.ProgramRTLH, Agency: household.AgencyDisperkim}}}, next(time.Hour))...)
				evs = append(evs, c.UpdateIntervention(walkDinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged}, next(time.Hour))...)
			default:
				t.Fatalf("no way from %s to %s", c.Stage, stage)
			}
		}
		return evs
	}

	c, evs := open("c-collect", "6408010101200001", next(time.Hour))
	draft := walkSurvey
	draft.Draft = true
	evs = append(evs, c.SubmitSurvey(walkCW, draft, next(time.Hour))...)
	w.keep(c, evs...)

	c, evs = open("c-village", "6408010101200002", next(time.Hour))
	w.keep(c, append(evs, to(c, household.StageVillageReview)...)...)

	c, evs = open("c-verify", "6408010101200003", next(time.Hour))
	evs = append(evs, to(c, household.StageVerification)...)
	w.keep(c, evs...)

	// Intervention, never assigned: the deadline passes, then twice over
	// (an automatic escalation to the regency).
	c, evs = open("c-assign", "6408010101200004", next(time.Hour))
	evs = append(evs, to(c, household.StageIntervention)...)
	evs = append(evs, c.Tick(c.Deadline)...)
	evs = append(evs, c.Tick(c.EscalateAt)...)
	w.keep(c, evs...)

	// Follow-up: two visits above the line, the second too soon to count;
	// the visit falls due, then overdue; a possible duplicate; an escalation
	// to the province; one answered at the regency.
	c, evs = open("c-follow", "6408010101200005", next(time.Hour))
	evs = append(evs, c.RecordVerification(walkVerifier, household.VerificationInput{Outcome: household.ExtremePoor}, next(time.Hour))...)
	c.Stage = household.StageCollecting // walk on from the survey
	evs = append(evs, to(c, household.StageFollowUp)...)
	evs = append(evs, c.RecordFollowUp(walkCW, household.FollowUpInput{VisitDate: day(next(24 * time.Hour)), MonthlyExpenditure: 2_000_000}, at)...)
	evs = append(evs, c.RecordFollowUp(walkCW, household.FollowUpInput{VisitDate: day(next(48 * time.Hour)), MonthlyExpenditure: 2_000_000}, at)...)
	evs = append(evs, c.Tick(c.FollowUp.NextDue)...)
	evs = append(evs, c.Tick(c.FollowUp.NextDue.AddDate(0, 0, 30))...)
	evs = append(evs, c.RecordDuplicate("6408010203100002", "c-other", "6408010101209999", "64.08.01.2002", false, next(time.Hour))...)
	evs = append(evs, c.Escalate(household.EscalateInput{ID: "esc-1", Level: household.EscalateRegency, Reason: "rumah tidak dapat dijangkau", Actor: walkSup}, next(time.Hour))...)
	evs = append(evs, c.ResolveEscalation(walkSup, household.ResolveInput{ID: "esc-1", Resolution: "dikunjungi lewat sungai"}, next(time.Hour))...)
	evs = append(evs, c.Escalate(household.EscalateInput{ID: "esc-2", Level: household.EscalateProvince, Reason: "banjir di Kelinjau", Actor: walkSup}, next(time.Hour))...)
	w.keep(c, evs...)

	// Closed three ways: rejected by the village, graduated after two
	// counted visits, excluded by the verification (and a duplicate decided).
	c, evs = open("c-rejected", "6408010101200006", next(time.Hour))
	evs = append(evs, to(c, household.StageVillageReview)...)
	evs = append(evs, c.ConfirmByVillage(walkOfficer, household.VillageInput{Decision: household.VillageRejected, Reason: household.OutcomeMoved,
		MusdesDate: day(at), MusdesMinutes: "13/MUSDES/XI/2026"}, next(time.Hour))...)
	w.keep(c, evs...)

	c, evs = open("c-graduated", "6408010101200007", next(time.Hour))
	evs = append(evs, to(c, household.StageFollowUp)...)
	evs = append(evs, c.RecordFollowUp(walkCW, household.FollowUpInput{VisitDate: day(at), MonthlyExpenditure: 2_000_000}, next(time.Hour))...)
	evs = append(evs, c.RecordFollowUp(walkCW, household.FollowUpInput{VisitDate: day(at.AddDate(0, 0, 22)), MonthlyExpenditure: 2_000_000}, at.AddDate(0, 0, 22))...)
	w.keep(c, evs...)

	c, evs = open("c-excluded", "6408010101200008", next(time.Hour))
	evs = append(evs, to(c, household.StageVerification)...)
	evs = append(evs, c.RecordDuplicate("6408010203100002", "c-other", "6408010101209999", "64.08.01.2002", true, next(time.Hour))...)
	evs = append(evs, c.ResolveDuplicate(walkSup, household.DuplicateResolutionInput{ID: "dup-1", Decision: household.DecisionSplit, Keep: household.KeepThis}, next(time.Hour))...)
	evs = append(evs, c.RecordVerification(walkVerifier, household.VerificationInput{Outcome: household.NotPoor}, next(time.Hour))...)
	w.keep(c, evs...)

	c, evs = open("c-settled", "6408010101200009", next(time.Hour))
	evs = append(evs, to(c, household.StageVillageReview)...)
	evs = append(evs, c.RecordDuplicate("6408010203100002", "c-other", "6408010101209999", "64.08.01.2002", true, next(time.Hour))...)
	evs = append(evs, c.SettleDuplicate("6408010203100002", "c-other", household.DecisionSplit, true, next(time.Hour))...)
	evs = append(evs, c.Graduate(walkVerifier, household.GraduateInput{Notes: "x"}, next(time.Hour))...) // refused by stage: no event
	w.keep(c, evs...)

	// Transfers (pindah domisili): a household of Senyiur moving to Paser
	// (an earlier move cancelled), with the old caseworker's survey held
	// back; one of Paser moving into Muara Bengkal, for Kutai Timur's
	// supervisor to answer; and one that moved from Senyiur to Muara
	// Bengkal after a refusal, its answer late (a reminder, then an
	// escalation) and the village's own program ended by the move.
	toBengkal := household.TransferInput{ToVillage: "64.08.03.2004", Address: "RT 05, Muara Bengkal Ulu", Reason: "pindah ke rumah orang tua"}
	c, evs = open("c-moving", "6408010101200012", next(time.Hour))
	evs = append(evs, c.RequestTransfer(walkSup, toBengkal, next(time.Hour))...)
	evs = append(evs, c.CancelTransfer(walkSup, household.TransferCancelInput{ID: "tr-1", Reason: "salah desa"}, next(time.Hour))...)
	evs = append(evs, c.RequestTransfer(walkSup, household.TransferInput{ToVillage: "64.01.01.2009", Address: "RT 02, Samurangau", Reason: "bekerja di kebun sawit"}, next(time.Hour))...)
	w.keep(c, evs...)

	paserCW := household.Actor{Sub: "hadi", Role: household.RoleCaseworker, Region: "64.01.01"}
	paserSup := household.Actor{Sub: "indah", Role: household.RoleSupervisor, Region: "64.01"}
	c, evs = household.Open(household.OpenInput{ID: "c-moving-in", KK: "6401010101200013", HeadNIK: "6401014101850001", HeadName: "Siti Aminah moving-in",
		VillageCode: "64.01.01.2009", Address: "RT 02, Samurangau", Source: household.SourceP3KE},
		paserCW, household.DefaultRules(), household.DefaultDeadlines(), next(time.Hour))
	evs = append(evs, c.RequestTransfer(paserSup, toBengkal, next(time.Hour))...)
	w.keep(c, evs...)

	c, evs = open("c-moved", "6408010101200014", next(time.Hour))
	evs = append(evs, to(c, household.StageFollowUp)...)
	evs = append(evs, c.AssignInterventions(walkSup, household.AssignInput{Interventions: []household.Assignment{
		{Program: household.ProgramBLTDanaDesa, Agency: household.AgencyPemdes}}}, next(time.Hour))...)
	evs = append(evs, c.RequestTransfer(walkSup, toBengkal, next(time.Hour))...)
	evs = append(evs, c.AnswerTransfer(walkSup, household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferRefuse, Reason: "tidak ditemukan di alamat itu"}, next(time.Hour))...)
	evs = append(evs, c.RequestTransfer(walkSup, toBengkal, next(time.Hour))...)
	tr, _ := c.PendingTransfer()
	evs = append(evs, c.Tick(tr.Deadline)...)
	evs = append(evs, c.Tick(tr.EscalateAt)...)
	evs = append(evs, c.AnswerTransfer(walkSup, household.TransferAnswerInput{ID: "tr-2", Decision: household.TransferAccept}, tr.EscalateAt.Add(time.Hour))...)
	w.keep(c, evs...)

	c, evs = open("c-halted", "6408010101200010", next(time.Hour))
	c.Status = household.StatusHalted
	w.keep(c, evs...)
	c, evs = open("c-closing", "6408010101200011", next(time.Hour))
	evs = append(evs, c.Close(walkSup, household.CloseInput{Reason: household.OutcomeWithdrawn, Notes: "pindah ke Samarinda"}, next(time.Hour))...)
	w.keep(c, evs...)
}

// walkLiving puts the living list in the world through the domain: village
// proposals in every status, objections in every status against the
// walked cases, a case opened from a proposal and one an upheld objection
// sent back to verification, and Senyiur's list posted for objection.
func walkLiving(t *testing.T, w *walkWorld, start time.Time) {
	t.Helper()
	at := start.Add(30 * 24 * time.Hour)
	next := func() time.Time { at = at.Add(time.Hour); return at }
	day := region.Today("64.08.01.2001", start)
	in := func(kk string) household.ProposalInput {
		return household.ProposalInput{KK: kk, HeadNIK: "6408015506800003", HeadName: "Wati " + kk[12:], VillageCode: "64.08.01.2001",
			Address: "RT 05, Senyiur", MusdesDate: day, MusdesMinutes: "7/MUSDES/XI/2026", Notes: "janda, tiga anak"}
	}
	d := household.DefaultDeadlines()
	waiting, _ := household.Propose("usl-wait", in("6408010101209001"), walkOfficer, d, next())
	waiting.Tick(waiting.Deadline)
	waiting.Tick(waiting.EscalateAt)
	accepted, _ := household.Propose("usl-acc", in("6408010101209002"), walkOfficer, d, next())
	accepted.Accept(walkSup, "c-proposed", next())
	rejected, _ := household.Propose("usl-rej", in("6408010101209003"), walkOfficer, d, next())
	rejected.Reject(walkSup, household.ScreenInput{Decision: household.ScreenReject, Reason: "memiliki usaha toko"}, next())
	refused, _ := household.Propose("usl-dup", in("6408010101209004"), walkOfficer, d, next())
	refused.Refuse(walkOfficer, household.ProposalFinding{By: household.HeldHead, CaseID: "c-other", VillageCode: "64.08.01.2002"}, next())
	w.proposals = []household.Proposal{*waiting, *accepted, *rejected, *refused}

	c, evs := household.Open(accepted.Opening(), walkSup, household.DefaultRules(), d, next())
	c.ID = "c-proposed"
	for i := range evs {
		evs[i].CaseID = c.ID
	}
	w.keep(c, evs...)

	follow := *w.cases["c-follow"]
	record := func(id string, reason household.ObjectionReason) *household.Objection {
		o, _ := household.NewObjection(id, follow, walkOfficer, household.ObjectionInput{Relation: household.ObjectorNeighbour, Reason: reason,
			Notes: "membuka toko", Evidence: &household.Evidence{Location: &household.Location{Lat: 0.98, Lon: 116.97, AccuracyM: 12}}}, d, next())
		return o
	}
	open := record("sgh-open", household.ObjectNotPoor)
	upheld := record("sgh-upheld", household.ObjectNotPoor)
	upheld.AnswerWith(walkSup, household.AnswerInput{Decision: household.AnswerUphold, Note: "benar, dua mobil"}, next())
	upheld.Reached(household.StageVerification, next())
	lapsed := record("sgh-lapsed", household.ObjectMoved)
	lapsed.Lapse(lapsed.DueAt)
	lapsed.Reached(household.StageVerification, lapsed.DueAt.Add(time.Minute))
	dismissed := record("sgh-dismissed", household.ObjectDeceased)
	dismissed.AnswerWith(walkSup, household.AnswerInput{Decision: household.AnswerDismiss, Note: "masih tinggal di sini"}, next())
	gone := record("sgh-refused", household.ObjectDuplicate)
	gone.AnswerWith(walkSup, household.AnswerInput{Decision: household.AnswerUphold, Note: "benar"}, next())
	m := household.Msgf("the case is no longer running")
	gone.Refused(household.Error{Code: household.CodeConflict, Message: m.Text, Key: m.Key}, next())
	w.objections = []household.Objection{*open, *upheld, *lapsed, *dismissed, *gone}

	// A case in follow-up sent back to verification by an upheld objection.
	objected := *w.cases["c-graduated"]
	objected.ID, objected.Status, objected.Stage, objected.Outcome = "c-objected", household.StatusOpen, household.StageFollowUp, ""
	by, up := upheld.Uphold()
	w.keep(&objected, objected.UpholdObjection(by, up, next())...)

	// A case whose village's list is not posted.
	c, evs = household.Open(household.OpenInput{ID: "c-unposted", KK: "6408010101200099", HeadNIK: "6408014101850001", HeadName: "Siti Aminah unposted",
		VillageCode: "64.08.01.2002", Address: "RT 01", Source: household.SourceP3KE}, walkCW, household.DefaultRules(), d, next())
	w.keep(c, evs...)
	w.posted["64.08.01.2001"] = publications.Publication{Village: "64.08.01.2001", From: time.Now().Add(-time.Hour),
		Until: time.Now().In(region.WITA).AddDate(0, 0, 14).Format(time.DateOnly), By: walkOfficer.Sub}
}

// englishFragments are the words of every template of the domain's table
// long enough to be told apart from Indonesian: an Indonesian page must
// show none of them.
func englishFragments() []string {
	var out []string
	for _, tpl := range household.Templates() {
		for _, f := range verb.Split(tpl, -1) {
			f = strings.Trim(f, " :;,.()\"")
			if len(f) >= 10 && strings.Contains(f, " ") {
				out = append(out, f)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var (
	tagRe       = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	readAttrs   = regexp.MustCompile(`(?:placeholder|aria-label|title|alt)="([^"]*)"`)
	mainRe      = regexp.MustCompile(`(?s)<main[^>]*>.*</main>`)
	codeRe      = regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`)
	isoDayRe    = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b|\d{2}:\d{2}:\d{2}|\bUTC\b`)
	englishRe   = regexp.MustCompile(`\b(the|must|cannot|already|between|outside|twice|deadline|missed|resolved|recommendation|members)\b`)
	placeholdRe = regexp.MustCompile(`\{[1-9]\}|%!|\bmsg\.[a-z_]+`)
)

// readable is what a person reads of a page's main part: its text and the
// attributes read aloud.
func readable(page string) string {
	m := mainRe.FindString(page)
	if m == "" {
		m = page
	}
	var b strings.Builder
	b.WriteString(html.UnescapeString(tagRe.ReplaceAllString(m, " ")))
	for _, a := range readAttrs.FindAllStringSubmatch(m, -1) {
		b.WriteString(" " + html.UnescapeString(a[1]))
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// fileColumns are the columns of a household list, named as the file
// names them: pages about imports show them as they are.
var fileColumns = regexp.MustCompile(`\b(` + strings.Join(listimport.Columns, "|") + `)\b`)

// noEnglish fails when what a person reads of page shows an English
// template's words, a catalogue key or placeholder, an internal code or
// an ISO date.
func noEnglish(t *testing.T, what, page string, fragments []string) {
	t.Helper()
	text := fileColumns.ReplaceAllString(readable(page), "kolom")
	for _, f := range fragments {
		if strings.Contains(text, f) {
			t.Errorf("%s shows the English template words %q:\n%s", what, f, text)
		}
	}
	for _, re := range []*regexp.Regexp{englishRe, codeRe, isoDayRe, placeholdRe} {
		if m := re.FindString(text); m != "" {
			t.Errorf("%s shows %q:\n%s", what, m, text)
		}
	}
}

// walkClient is one person signed in to the console.
type walkClient struct {
	t       *testing.T
	h       http.Handler
	session *http.Cookie
}

const walkCSRF = "walk-csrf-token-walk-csrf-token-walk-csrf-t" // 43 characters, as the console's own

func (c walkClient) do(req *http.Request) *httptest.ResponseRecorder {
	req.AddCookie(c.session)
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: walkCSRF})
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec
}

func (c walkClient) get(path string) (int, string) {
	rec := c.do(httptest.NewRequest(http.MethodGet, "https://tuntas.test"+path, nil))
	return rec.Code, rec.Body.String()
}

func (c walkClient) post(path string, form url.Values) (int, string) {
	form.Set("csrf", walkCSRF)
	if form.Get("nonce") == "" {
		form.Set("nonce", "n-"+path)
	}
	req := httptest.NewRequest(http.MethodPost, "https://tuntas.test"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := c.do(req)
	return rec.Code, rec.Body.String()
}

func TestTheIndonesianWalkMeetsNoEnglish(t *testing.T) {
	w := newWalkWorld()
	start := time.Now().Add(-90 * 24 * time.Hour)
	walkCases(t, w, start)
	walkLiving(t, w, start)

	// The import's row errors, from the real reader and ingest.
	list := "kk,head_nik,head_name,village_code,address,desil,source\n" +
		"6408 0101 0120 0099,6408014101850001,Siti,64.08.01.2001,RT 1,1,p3ke\n" + // valid: the KK is tidied
		"6408010101200099,6408014101850001,Siti,64.08.01.2001,RT 1,1,p3ke\n" + // repeats both numbers
		"12345,6408019999850001,,64.99.01.2001,,11,koran\n" +
		"6408010101200098,6408014101850001,\"Siti \"x,64.08.01.2001,RT 1,1,p3ke\n"
	prog := listimport.Progress{ID: "imp-1"}
	if err := listimport.Ingest(context.Background(), strings.NewReader(list), "64.08", w, &prog); err != nil {
		t.Fatal(err)
	}
	m := household.Msgf("head is a member of another open case (%s)", "c-other")
	w.rowErrs = append(w.rowErrs, listimport.RowError{Row: 2, Field: "head_nik", Kind: listimport.KindFlag, Message: m.Text, Key: m.Key, Args: m.Args})
	if len(w.rowErrs) < 6 {
		t.Fatalf("the list gave only %d row errors: %+v", len(w.rowErrs), w.rowErrs)
	}

	issuer, err := auth.NewIssuer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pseudonym.ParseKey("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=")
	if err != nil {
		t.Fatal(err)
	}
	svc := casework.New(casework.Config{Store: w, Imports: w, Temporal: w, Lists: w, Publications: w, Households: keys})
	srv := api.NewServer(api.Config{Service: svc, Verifier: issuer.Verifier(), RateLimit: api.RateLimit{PerSecond: -1}})
	cons, err := New(Config{Service: svc, API: srv, Notes: w, Sessions: newMemSessions()})
	if err != nil {
		t.Fatal(err)
	}
	as := func(a household.Actor) walkClient {
		token, err := issuer.Issue(auth.Principal{Sub: a.Sub, Role: a.Role, Region: a.Region, Agency: a.Agency}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ck := cookieOf(signIn(t, cons, "https://tuntas.test", token, "/"), sessionCookie)
		if ck == nil {
			t.Fatalf("%s could not sign in", a.Sub)
		}
		return walkClient{t: t, h: cons, session: ck}
	}
	cw, officer, verifier, sup, dinsos, prov, admin := as(walkCW), as(walkOfficer), as(walkVerifier), as(walkSup), as(walkDinsos), as(walkProvince), as(walkAdmin)
	fragments := englishFragments()
	if len(fragments) < 60 {
		t.Fatalf("only %d English fragments to look for", len(fragments))
	}

	// Every page each person reaches.
	pages := 0
	visit := func(who string, c walkClient, path string, want int) string {
		t.Helper()
		status, body := c.get(path)
		if status != want {
			t.Fatalf("%s GET %s: %d, want %d\n%s", who, path, status, want, readable(body))
		}
		noEnglish(t, who+" GET "+path, body, fragments)
		pages++
		return body
	}
	for _, c := range []struct {
		who string
		c   walkClient
	}{{"caseworker", cw}, {"village officer", officer}, {"verifier", verifier}, {"supervisor", sup}, {"agency", dinsos}, {"province", prov}, {"admin", admin}} {
		visit(c.who, c.c, "/", http.StatusOK)
		visit(c.who, c.c, "/cases", http.StatusOK)
		for id := range w.cases {
			status, body := c.c.get("/cases/" + id)
			if status != http.StatusOK && status != http.StatusNotFound {
				t.Fatalf("%s GET /cases/%s: %d", c.who, id, status)
			}
			noEnglish(t, c.who+" GET /cases/"+id, body, fragments)
			pages++
		}
		visit(c.who, c.c, "/no/such/page", http.StatusNotFound)
	}
	// The living list's pages, as each person reaches them.
	for _, c := range []struct {
		who string
		c   walkClient
	}{{"caseworker", cw}, {"village officer", officer}, {"verifier", verifier}, {"supervisor", sup}, {"province", prov}, {"admin", admin}} {
		visit(c.who, c.c, "/proposals", http.StatusOK)
		visit(c.who, c.c, "/objections", http.StatusOK)
		for _, p := range w.proposals {
			visit(c.who, c.c, "/proposals/"+p.ID, http.StatusOK)
		}
		for _, o := range w.objections {
			visit(c.who, c.c, "/objections/"+o.ID, http.StatusOK)
		}
	}
	for _, c := range []struct {
		who string
		c   walkClient
	}{{"caseworker", cw}, {"village officer", officer}, {"supervisor", sup}, {"admin", admin}} {
		visit(c.who, c.c, "/villages/posting?village=64.08.01.2001", http.StatusOK)
	}
	visit("village officer", officer, "/proposals/new", http.StatusOK)
	visit("village officer", officer, "/proposals?done=proposed&status=screening", http.StatusOK)
	visit("supervisor", sup, "/objections?case=c-follow&status=open", http.StatusOK)
	visit("village officer", officer, "/proposals/usl-acc?done=proposed", http.StatusOK)
	visit("supervisor", sup, "/objections/sgh-open?done=answered", http.StatusOK)
	visit("village officer", officer, "/villages/posting?done=published", http.StatusOK)
	visit("caseworker", cw, "/villages/posting?village=64.08.01.2002", http.StatusOK)
	visit("caseworker", cw, "/proposals/new", http.StatusForbidden)
	visit("agency", dinsos, "/proposals", http.StatusForbidden)
	visit("agency", dinsos, "/villages/posting", http.StatusForbidden)
	visit("supervisor", sup, "/proposals?status=bogus&region=64.99", http.StatusUnprocessableEntity)
	visit("supervisor", sup, "/objections?status=bogus", http.StatusUnprocessableEntity)
	visit("village officer", officer, "/villages/posting?village=64.08.03.2001", http.StatusUnprocessableEntity)
	visit("village officer", officer, "/proposals/usl-none", http.StatusNotFound)
	visit("supervisor", sup, "/objections/sgh-none", http.StatusNotFound)
	living := readable(visit("supervisor", sup, "/", http.StatusOK))
	for _, want := range []string{"Usulan desa untuk disaring", "Sanggah untuk dijawab", "Wati 9001"} {
		if !strings.Contains(living, want) {
			t.Errorf("the supervisor's queue lacks %q:\n%s", want, living)
		}
	}
	objectedPage := readable(visit("caseworker", cw, "/cases/c-objected", http.StatusOK))
	for _, want := range []string{"Sanggahan yang diterima", "Sanggahan sgh-upheld diterima (Tidak miskin): rumah tangga diverifikasi ulang", "Catat sanggahan"} {
		if !strings.Contains(objectedPage, want) {
			t.Errorf("the objected case's page lacks %q:\n%s", want, objectedPage)
		}
	}
	posting := visit("village officer", officer, "/villages/posting", http.StatusOK)
	if strings.Contains(posting, "6408010101200001") || strings.Contains(posting, "640801******") || !strings.Contains(posting, "…0001") {
		t.Errorf("the posted list shows more than the KK's last four digits:\n%s", readable(posting))
	}
	// The documents an office hands in or prints, and the trend to zero.
	visit("supervisor", sup, "/reports/quarterly", http.StatusOK)
	small := readable(visit("supervisor", sup, "/reports/quarterly?region=64.08.01", http.StatusOK))
	if !strings.Contains(small, "<5") || !strings.Contains(small, "ditampilkan sebagai") {
		t.Errorf("the kecamatan's report hides no small cell or does not say why:\n%s", small)
	}
	visit("province", prov, "/reports/quarterly?region=64.08", http.StatusOK)
	visit("admin", admin, "/reports/quarterly", http.StatusOK)
	visit("supervisor", sup, "/reports/quarterly?from=2026-13-01&to=kemarin", http.StatusUnprocessableEntity)
	visit("supervisor", sup, "/reports/quarterly?region=64.01", http.StatusUnprocessableEntity)
	visit("caseworker", cw, "/reports/quarterly", http.StatusForbidden)
	bnba := readable(visit("village officer", officer, "/villages/bnba", http.StatusOK))
	if !strings.Contains(bnba, "Siti Aminah") || !strings.Contains(bnba, "Berita Acara") {
		t.Errorf("the village's list lacks its households or its minutes' line:\n%s", bnba)
	}
	visit("caseworker", cw, "/villages/bnba?village=64.08.01.2001&stage=follow_up", http.StatusOK)
	visit("supervisor", sup, "/villages/bnba?village=64.08.01.2001", http.StatusOK)
	visit("supervisor", sup, "/villages/bnba?village=64.01.01.2009", http.StatusUnprocessableEntity)
	visit("supervisor", sup, "/villages/bnba?village=64.08.01.2001&stage=closed", http.StatusUnprocessableEntity)
	visit("agency", dinsos, "/villages/bnba", http.StatusForbidden)
	progress := visit("supervisor", sup, "/dashboard/progress", http.StatusOK)
	if !strings.Contains(progress, "<svg") {
		t.Errorf("the progress page draws no chart:\n%s", readable(progress))
	}
	visit("province", prov, "/dashboard/progress", http.StatusOK)
	visit("caseworker", cw, "/dashboard/progress", http.StatusForbidden)

	visit("caseworker", cw, "/cases/new", http.StatusOK)
	visit("supervisor", sup, "/cases?transfer=incoming", http.StatusOK)
	visit("supervisor", sup, "/cases?transfer=sideways", http.StatusUnprocessableEntity)
	visit("supervisor", sup, "/dashboard", http.StatusOK)
	visit("province", prov, "/province", http.StatusOK)
	visit("admin", admin, "/imports", http.StatusOK)
	visit("admin", admin, "/imports/imp-1", http.StatusOK)
	visit("caseworker", cw, "/cases?stage=bogus&overdue=maybe&limit=0&district=64.08.03", http.StatusUnprocessableEntity)
	visit("supervisor", sup, "/dashboard?district=64.08.99", http.StatusUnprocessableEntity)
	visit("caseworker", cw, "/dashboard", http.StatusForbidden)
	visit("admin", admin, "/imports/imp-2", http.StatusNotFound)
	if status, csvText := admin.get("/imports/imp-1/errors.csv"); status != http.StatusOK {
		t.Fatalf("errors.csv: %d", status)
	} else {
		noEnglish(t, "errors.csv", strings.TrimPrefix(csvText, "row,column,reason\n"), fragments)
	}

	// The case page tells a deadline-driven day on the case's clock and
	// names the household in each notification.
	queue := visit("supervisor", sup, "/", http.StatusOK)
	for _, want := range []string{"Siti Aminah assign: Dieskalasi ke kabupaten", "Siti Aminah follow: Ke Provinsi: banjir di Kelinjau"} {
		if !strings.Contains(readable(queue), want) {
			t.Errorf("the supervisor's queue lacks %q:\n%s", want, readable(queue))
		}
	}
	// Households moving in are the supervisor's to answer, first in the
	// queue; a moved case tells its story in Indonesian.
	if !strings.Contains(readable(queue), "Perpindahan masuk") || !strings.Contains(readable(queue), "Siti Aminah moving-in") {
		t.Errorf("the supervisor's queue lacks the household moving in:\n%s", readable(queue))
	}
	if page := visit("supervisor", sup, "/cases/c-moving-in", http.StatusOK); !strings.Contains(page, `id="form-transfer-answer"`) {
		t.Errorf("the receiving supervisor is not offered the answer:\n%s", readable(page))
	}
	if page := visit("supervisor", sup, "/cases/c-moving", http.StatusOK); !strings.Contains(page, `id="form-transfer-cancel"`) ||
		strings.Contains(page, `id="form-transfer-answer"`) || strings.Contains(page, `id="form-transfer"`) {
		t.Errorf("the sending supervisor is offered the wrong transfer forms:\n%s", readable(page))
	}
	if page := visit("supervisor", sup, "/cases/c-collect", http.StatusOK); !strings.Contains(page, `id="form-transfer"`) || !strings.Contains(page, "Muara Bengkal Ulu") {
		t.Errorf("the supervisor is not offered the transfer form with the regency's villages:\n%s", readable(page))
	}
	if page := visit("caseworker", cw, "/cases/c-moving", http.StatusOK); strings.Contains(page, `id="form-survey"`) || !strings.Contains(page, `id="case-moving"`) {
		t.Errorf("the caseworker the move takes the case from may survey, or is not told of the move:\n%s", readable(page))
	}
	visit("caseworker", cw, "/cases/c-moved", http.StatusNotFound)
	moved := readable(visit("admin", admin, "/cases/c-moved", http.StatusOK))
	for _, want := range []string{"Ditolak: tidak ditemukan di alamat itu", "Diterima: kasus pindah dari Senyiur", "Berakhir karena pindah",
		"Jawaban atas kepindahan ke Muara Bengkal Ulu", "perpindahan belum dijawab sampai dua kali lipat tenggatnya", "Perpindahan diajukan"} {
		if !strings.Contains(moved, want) {
			t.Errorf("the moved case's page lacks %q:\n%s", want, moved)
		}
	}
	follow := readable(visit("caseworker", cw, "/cases/c-follow", http.StatusOK))
	for _, want := range []string{"Kunjungan ke-2, di atas garis: Ya (tidak dihitung untuk graduasi", "Kunjungan pemantauan terlambat",
		"Seorang anggota rumah tangga ini juga tercatat di kasus terbuka lain", "Ditetapkan: PKH → Dinsos", "Hasil: Miskin ekstrem"} {
		if !strings.Contains(follow, want) {
			t.Errorf("the follow-up case's timeline lacks %q:\n%s", want, follow)
		}
	}

	// Every form refused, with each field's problem in one round.
	type refusal struct {
		who    string
		c      walkClient
		path   string
		form   url.Values
		reject error // the workflow's answer, for what passes the checks before it
		status int
		fields []string // fields that must carry a message, all in this one answer
		says   []string // words the answer must hold
	}
	future := "2099-01-01"
	at := time.Now()
	caseOf := func(id string) *household.Case { c := *w.cases[id]; return &c }
	full := caseOf("c-collect")
	full.Drafts = household.MaxDrafts
	crowded := caseOf("c-verify")
	crowded.Seq = household.MaxEvents
	refusals := []refusal{
		{who: "caseworker", c: cw, path: "/cases", form: url.Values{"kk": {"6408 0101 0120 00x1"}, "headNik": {"12345"},
			"headName": {""}, "villageCode": {"64.08.03.2001"}, "address": {""}, "source": {"koran"}, "desil": {"satu"}},
			status: 422, fields: []string{"kk", "headNik", "headName", "villageCode", "address", "source", "desil"}},
		{who: "caseworker", c: cw, path: "/cases", form: url.Values{"kk": {"6408.0101.0120.0001"}, "headNik": {"6408 0141 0185 0001"},
			"headName": {"Siti Aminah"}, "villageCode": {"64.08.01.2001"}, "address": {"RT 03"}, "source": {"p3ke"}}, status: 409},
		{who: "caseworker", c: cw, path: "/cases/c-collect/survey", form: url.Values{
			"members[0].nik": {"6408 0141 0185 00x1"}, "members[0].name": {""}, "members[0].relation": {""}, "members[0].birthDate": {future},
			"members[0].sex": {"X"}, "members[0].education": {"s3"}, "members[0].occupation": {"nelayan laut"},
			"members[1].nik": {"6408.0102.0310.0002"}, "members[1].name": {"Rudi"}, "members[1].relation": {"head"}, "members[1].birthDate": {"2010-03-02"},
			"members[2].nik": {"6408010203100002"}, "members[2].name": {"Rudi"}, "members[2].relation": {"head"}, "members[2].birthDate": {"2010-13-02"},
			"monthlyExpenditure": {"900.000x"}, "monthlyIncome": {"-5"}, "assets.landAreaM2": {"200000000"}, "assets.motorbikes": {"dua"},
			"housing.floor": {"pasir"}, "programs": {"pkh", "pkh", "csr"}, "incomeSources": {strings.Repeat("tani, ", 11)}},
			status: 422, fields: []string{"members[0].nik", "members[0].name", "members[0].birthDate", "members[0].occupation", "members[2].nik",
				"members[2].birthDate", "members", "monthlyExpenditure", "monthlyIncome", "assets.landAreaM2", "assets.motorbikes", "housing.floor"}},
		{who: "caseworker", c: cw, path: "/cases/c-collect/survey", form: surveyForm(casework.SurveyView{Members: []casework.MemberView{{NIK: "6408014101850001",
			Name: "Siti", Relation: household.RelationHead, BirthDate: "1985-01-01", Sex: household.Female, Education: household.EduPrimary, Occupation: household.OccFarmer}},
			MonthlyExpenditure: 1, Housing: walkSurvey.Survey.Housing}), reject: full.CheckSurvey(walkCW, household.SurveyInput{Draft: true, Survey: walkSurvey.Survey}, at), status: 409},
		{who: "village officer", c: officer, path: "/cases/c-village/village-confirmation", form: url.Values{"decision": {"confirmed"}, "reason": {"moved"},
			"musdesDate": {future}, "musdesMinutes": {""}}, status: 422, fields: []string{"reason", "musdesDate", "musdesMinutes"}},
		{who: "village officer", c: officer, path: "/cases/c-village/village-confirmation", form: url.Values{"decision": {"confirmed"},
			"musdesDate": {"2020-01-01"}, "musdesMinutes": {"1/2020"}},
			reject: caseOf("c-village").CheckVillage(walkOfficer, household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: "2020-01-01", MusdesMinutes: "1"}, at),
			status: 422, fields: []string{"musdesDate"}},
		{who: "verifier", c: verifier, path: "/cases/c-verify/verification", form: url.Values{"outcome": {"kaya"}, "notes": {"a\x01b"}},
			status: 422, fields: []string{"outcome", "notes"}},
		{who: "verifier", c: verifier, path: "/cases/c-verify/verification", form: url.Values{"outcome": {"poor"}},
			reject: crowded.CheckVerification(walkVerifier, household.VerificationInput{Outcome: household.Poor}, at), status: 409},
		{who: "verifier", c: verifier, path: "/cases/c-verify/verification", form: url.Values{"outcome": {"poor"}},
			reject: caseOf("c-verify").CheckVerification(walkCW, household.VerificationInput{Outcome: household.Poor}, at), status: 403},
		{who: "supervisor", c: sup, path: "/cases/c-assign/interventions", form: url.Values{}, status: 422, fields: []string{"interventions"}},
		{who: "supervisor", c: sup, path: "/cases/c-assign/interventions", form: url.Values{"program": {"pkh", "pkh"}, "agency.pkh": {"dinas"}},
			status: 422, says: []string{"harus salah satu dari: Baznas, CSR perusahaan, Dinsos", "tercantum dua kali"}},
		{who: "supervisor", c: sup, path: "/cases/c-follow/interventions", form: url.Values{"program": {"pkh"}, "agency.pkh": {"dinsos"}},
			reject: caseOf("c-follow").CheckAssign(walkSup, household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramPKH, Agency: household.AgencyDinsos}}}, at),
			status: 422},
		{who: "agency", c: dinsos, path: "/cases/c-follow/interventions/iv-1/status", form: url.Values{"status": {"acknowledged"}},
			reject: caseOf("c-follow").CheckIntervention(walkDinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged}, at), status: 409},
		{who: "agency", c: dinsos, path: "/cases/c-follow/interventions/iv-1/status", form: url.Values{"status": {"lost"}}, status: 422},
		{who: "caseworker", c: cw, path: "/cases/c-follow/follow-ups", form: url.Values{"visitDate": {future}, "monthlyExpenditure": {"sembilan ratus ribu"}},
			status: 422, fields: []string{"visitDate", "monthlyExpenditure"}},
		{who: "caseworker", c: cw, path: "/cases/c-follow/follow-ups", form: url.Values{"visitDate": {"2020-01-01"}, "monthlyExpenditure": {"900.000"}},
			reject: caseOf("c-follow").CheckFollowUp(walkCW, household.FollowUpInput{VisitDate: "2020-01-01", MonthlyExpenditure: 900_000}, at),
			status: 422, fields: []string{"visitDate"}},
		{who: "verifier", c: verifier, path: "/cases/c-follow/graduation", form: url.Values{"notes": {""}}, status: 422, fields: []string{"notes"}},
		{who: "supervisor", c: sup, path: "/cases/c-follow/escalations", form: url.Values{"level": {"province"}, "reason": {"banjir lagi"}}, status: 409},
		{who: "supervisor", c: sup, path: "/cases/c-collect/escalations", form: url.Values{"level": {"kecamatan"}, "reason": {""}},
			status: 422, fields: []string{"level", "reason"}},
		{who: "province", c: prov, path: "/cases/c-follow/escalations/esc-2/resolution", form: url.Values{"resolution": {""}}, status: 422, fields: []string{"resolution"}},
		{who: "supervisor", c: sup, path: "/cases/c-follow/escalations/esc-1/resolution", form: url.Values{"resolution": {"sudah"}},
			reject: caseOf("c-follow").CheckResolve(walkSup, household.ResolveInput{ID: "esc-1", Resolution: "sudah"}, at), status: 409},
		{who: "supervisor", c: sup, path: "/cases/c-follow/escalations/esc-2/resolution", form: url.Values{"resolution": {"sudah"}},
			reject: caseOf("c-follow").CheckResolve(walkSup, household.ResolveInput{ID: "esc-2", Resolution: "sudah"}, at), status: 403},
		{who: "supervisor", c: sup, path: "/cases/c-follow/close", form: url.Values{"reason": {"bosan"}}, status: 422, fields: []string{"reason"}},
		{who: "supervisor", c: sup, path: "/cases/c-follow/duplicate-resolution", form: url.Values{"id": {"dup-1"}}, status: 422},
		{who: "supervisor", c: sup, path: "/cases/c-follow/duplicate-resolution", form: url.Values{"id": {"dup-1"}, "choice": {"duplicate"}},
			reject: caseOf("c-excluded").CheckDuplicateResolution(walkSup, household.DuplicateResolutionInput{ID: "dup-1", Decision: household.DecisionDuplicate}, at), status: 409},
		{who: "supervisor", c: sup, path: "/cases/c-graduated/close", form: url.Values{"reason": {"moved"}}, reject: serviceerror.NewNotFound("gone"), status: 409},
		{who: "supervisor", c: sup, path: "/cases/c-halted/close", form: url.Values{"reason": {"moved"}}, status: 409},
		{who: "caseworker", c: cw, path: "/cases/c-village/village-confirmation", form: url.Values{"decision": {"confirmed"}}, status: 403},
		// Transfers.
		{who: "supervisor", c: sup, path: "/cases/c-collect/transfers", form: url.Values{"toVillage": {"64.08.03"}, "address": {""}, "reason": {""}},
			status: 422, fields: []string{"toVillage", "address", "reason"}},
		{who: "supervisor", c: sup, path: "/cases/c-collect/transfers", form: url.Values{"toVillage": {"64.08.01.2001"}, "address": {"RT 1"}, "reason": {"pindah"}},
			reject: caseOf("c-collect").CheckTransfer(walkSup, household.TransferInput{ToVillage: "64.08.01.2001", Address: "RT 1", Reason: "pindah"}, at),
			status: 422, fields: []string{"toVillage"}},
		{who: "supervisor", c: sup, path: "/cases/c-moving-in/transfers", form: url.Values{"toVillage": {"64.08.03.2001"}, "address": {"RT 1"}, "reason": {"pindah"}},
			reject: caseOf("c-moving").CheckTransfer(walkSup, household.TransferInput{ToVillage: "64.08.03.2001", Address: "RT 1", Reason: "pindah"}, at), status: 409},
		{who: "supervisor", c: sup, path: "/cases/c-moving-in/transfers/tr-1/answer", form: url.Values{"decision": {"refused"}, "reason": {""}},
			status: 422, fields: []string{"reason"}},
		{who: "supervisor", c: sup, path: "/cases/c-moving-in/transfers/tr-1/answer", form: url.Values{"decision": {"mungkin"}},
			status: 422, fields: []string{"decision"}},
		{who: "supervisor", c: sup, path: "/cases/c-moving/transfers/tr-2/answer", form: url.Values{"decision": {"accepted"}},
			reject: caseOf("c-moving").CheckTransferAnswer(walkSup, household.TransferAnswerInput{ID: "tr-2", Decision: household.TransferAccept}, at), status: 403},
		{who: "admin", c: admin, path: "/cases/c-moving/transfers/tr-1/answer", form: url.Values{"decision": {"accepted"}},
			reject: caseOf("c-moving").CheckTransferAnswer(walkAdmin, household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferAccept}, at), status: 409},
		{who: "supervisor", c: sup, path: "/cases/c-moved/transfers/tr-2/cancel", form: url.Values{},
			reject: caseOf("c-moved").CheckTransferCancel(walkSup, household.TransferCancelInput{ID: "tr-2"}, at), status: 409},
		{who: "caseworker", c: cw, path: "/cases/c-moving/survey", form: surveyForm(casework.SurveyView{Members: []casework.MemberView{{NIK: "6408014101850001",
			Name: "Siti", Relation: household.RelationHead, BirthDate: "1985-01-01", Sex: household.Female, Education: household.EduPrimary, Occupation: household.OccFarmer}},
			MonthlyExpenditure: 1, Housing: walkSurvey.Survey.Housing}), reject: caseOf("c-moving").CheckSurvey(walkCW, walkSurvey, at), status: 409},
		{who: "caseworker", c: cw, path: "/cases/c-moving/transfers/tr-2/cancel", form: url.Values{}, status: 403},
		// The living list's forms.
		{who: "village officer", c: officer, path: "/proposals", form: url.Values{"kk": {"12345"}, "headNik": {"6408 0155 0680 00x3"}, "headName": {""},
			"villageCode": {"64.08.01.2001"}, "address": {"RT 5"}, "musdesDate": {future}, "musdesMinutes": {""}},
			status: 422, fields: []string{"kk", "headNik", "headName", "musdesDate", "musdesMinutes"}},
		{who: "caseworker", c: cw, path: "/proposals", form: url.Values{"kk": {"6408010101209009"}}, status: 403},
		{who: "supervisor", c: sup, path: "/proposals/usl-wait/screening", form: url.Values{"decision": {"reject"}, "reason": {""}},
			status: 422, fields: []string{"reason"}},
		{who: "supervisor", c: sup, path: "/proposals/usl-acc/screening", form: url.Values{"decision": {"accept"}},
			reject: func() error {
				p := w.proposals[1]
				return p.CheckScreen(walkSup, household.ScreenInput{Decision: household.ScreenAccept}, at)
			}(), status: 409},
		{who: "village officer", c: officer, path: "/proposals/usl-wait/screening", form: url.Values{"decision": {"accept"}}, status: 403},
		{who: "village officer", c: officer, path: "/cases/c-follow/objections", form: url.Values{"relation": {"musuh"}, "reason": {"other"}, "notes": {""},
			"evidence.location.lat": {"utara"}}, status: 422, fields: []string{"evidence.location.lat"}},
		{who: "village officer", c: officer, path: "/cases/c-follow/objections", form: url.Values{"relation": {"musuh"}, "reason": {"other"}, "notes": {""}},
			status: 422, fields: []string{"relation", "notes"}},
		{who: "caseworker", c: cw, path: "/cases/c-unposted/objections", form: url.Values{"relation": {"neighbour"}, "reason": {"moved"}}, status: 409},
		{who: "supervisor", c: sup, path: "/cases/c-follow/objections", form: url.Values{"relation": {"neighbour"}, "reason": {"moved"}}, status: 403},
		{who: "supervisor", c: sup, path: "/objections/sgh-open/answer", form: url.Values{"decision": {"uphold"}, "note": {""}}, status: 422, fields: []string{"note"}},
		{who: "supervisor", c: sup, path: "/objections/sgh-upheld/answer", form: url.Values{"decision": {"dismiss"}, "note": {"x"}},
			reject: func() error {
				o := w.objections[1]
				return o.CheckAnswer(walkSup, household.AnswerInput{Decision: household.AnswerDismiss, Note: "x"}, at)
			}(), status: 409},
		{who: "village officer", c: officer, path: "/villages/posting", form: url.Values{"village": {"64.08.01.2001"}, "until": {"2000-01-01"}}, status: 422, fields: []string{"until"}},
		{who: "caseworker", c: cw, path: "/villages/posting", form: url.Values{"village": {"64.08.01.2001"}}, status: 403},
	}
	for _, r := range refusals {
		w.mu.Lock()
		w.reject, w.openCase = r.reject, *w.cases["c-collect"]
		w.mu.Unlock()
		status, body := r.c.post(r.path, r.form)
		what := r.who + " POST " + r.path
		if status != r.status {
			t.Errorf("%s: %d, want %d\n%s", what, status, r.status, readable(body))
			continue
		}
		noEnglish(t, what, body, fragments)
		pages++
		for _, f := range r.fields {
			if !strings.Contains(body, `id="err-`+f+`"`) && !(f == "interventions" && strings.Contains(body, `class="field-error"`)) {
				t.Errorf("%s: no message beside %s in this answer\n%s", what, f, readable(body))
			}
		}
		for _, s := range r.says {
			if !strings.Contains(readable(body), s) {
				t.Errorf("%s: the answer does not say %q\n%s", what, s, readable(body))
			}
		}
		if r.status == 409 && !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: the conflict is not said", what)
		}
	}

	// An upload whose header cannot be used.
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("csrf", walkCSRF)
	fw, _ := mw.CreateFormFile("file", "daftar.csv")
	_, _ = fw.Write([]byte("kk,nama\n1,2\n"))
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, "https://tuntas.test/imports", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := admin.do(req)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(readable(rec.Body.String()), "baris judul tidak memuat kolom") {
		t.Errorf("a bad header answered %d:\n%s", rec.Code, readable(rec.Body.String()))
	}
	noEnglish(t, "admin POST /imports", rec.Body.String(), fragments)
	pages++
	t.Logf("%d pages and refused forms read in Indonesian, %d English fragments looked for", pages, len(fragments))
}
