package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/imports"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// This file is the API's service layer: every rule of who may read or do
// what (role × region × agency), the masking of views and the audit of
// reads live in these methods, which the /v1 handlers and the console both
// call. A page is therefore never a second copy of an authorization rule.

// Caller is the person a service call acts for and the route it came
// through, which the audit of reads records.
type Caller struct {
	auth.Principal
	// Route names the route or page, e.g. "GET /v1/cases/:id" or
	// "console GET /cases/{id}".
	Route string
	// UpdateID names the workflow update (from an Idempotency-Key), so a
	// retry is deduplicated by the case; "" lets the SDK choose.
	UpdateID string
}

// NewServer returns the API's service, whose Handler serves /v1.
func NewServer(cfg Config) *Server {
	s := &Server{
		temporal: cfg.Temporal, store: cfg.Store, imports: cfg.Imports, verifier: cfg.Verifier, logger: cfg.Logger,
		rules: cfg.Rules, deadlines: cfg.Deadlines, now: cfg.Now, metrics: cfg.Metrics,
	}
	s.init(cfg)
	return s
}

// Handler is the API's HTTP handler.
func (s *Server) Handler() http.Handler { return s.router() }

// Verifier is how the API checks tokens; the console signs in with it.
func (s *Server) Verifier() auth.Verifier { return s.verifier }

// Throttle takes one request from the person's bucket, shared with /v1,
// and returns how long they must wait first (zero: go ahead).
func (s *Server) Throttle(sub string) time.Duration {
	if s.limits == nil {
		return 0
	}
	return s.limits.reserve(sub, time.Now())
}

// ProblemOf returns the problem err is answered with by the API, and false
// for an internal error (whose cause must not be shown).
func ProblemOf(err error) (Problem, bool) {
	var pe *problemError
	switch {
	case errors.As(err, &pe):
		return pe.p, true
	case household.ErrorCode(err) != "":
		_ = errors.As(domainProblem(err), &pe)
		return pe.p, true
	}
	return Problem{}, false
}

// Action is one thing a person does to a case, named as its /v1 path
// segment.
type Action string

// Actions.
const (
	ActSurvey       Action = "survey"
	ActVillage      Action = "village-confirmation"
	ActVerification Action = "verification"
	ActGraduation   Action = "graduation"
	ActAssign       Action = "interventions"
	ActIntervention Action = "intervention-status"
	ActFollowUp     Action = "follow-ups"
	ActEscalate     Action = "escalations"
	ActResolve      Action = "resolution"
	ActClose        Action = "close"
	ActDuplicate    Action = "duplicate-resolution"
)

// actionRoles are the roles (besides admin) allowed each action: the /v1
// route table and the console read it, and the domain checks it again.
var actionRoles = map[Action][]household.Role{
	ActSurvey:       {household.RoleCaseworker},
	ActVillage:      {household.RoleVillageOfficer},
	ActVerification: {household.RoleVerifier},
	ActGraduation:   {household.RoleVerifier},
	ActAssign:       {household.RoleSupervisor},
	ActIntervention: {household.RoleAgency},
	ActFollowUp:     {household.RoleCaseworker},
	ActEscalate:     {household.RoleSupervisor, household.RoleProvince},
	ActResolve:      {household.RoleProvince, household.RoleSupervisor},
	ActClose:        {household.RoleSupervisor},
	ActDuplicate:    {household.RoleSupervisor},
}

// actionUpdates are the workflow updates of the actions sent as updates.
var actionUpdates = map[Action]string{
	ActSurvey: workflows.UpdateSurvey, ActVillage: workflows.UpdateVillage, ActVerification: workflows.UpdateVerification,
	ActGraduation: workflows.UpdateGraduate, ActAssign: workflows.UpdateAssign, ActIntervention: workflows.UpdateIntervention,
	ActFollowUp: workflows.UpdateFollowUp, ActResolve: workflows.UpdateResolve, ActClose: workflows.UpdateClose,
	ActDuplicate: workflows.UpdateDuplicateResolution,
}

// errRole is the answer to a role that may not use an action or page.
func errRole() error {
	return newProblem(household.CodeForbidden, "your role may not use this endpoint")
}

// readCase reads a case the caller may see; a case outside the caller's
// region is answered exactly like a missing one, and with the same work:
// whether the caller may see it is decided on its summary, which both
// answers read alike, and the whole case (ten times the bytes to fetch and
// decode) is loaded only for a caller who may. Loaded first, it made an
// existing case outside the region answer measurably slower than a
// missing one.
func (s *Server) readCase(ctx context.Context, p auth.Principal, id string) (household.Case, error) {
	sum, err := s.readSummary(ctx, p, id)
	if err != nil {
		return household.Case{}, err
	}
	return readScoped(ctx, sum.ID, s.store.Case, func(cs household.Case) bool { return mayRead(p, cs) }, "load case")
}

// readSummary is readCase for an action, from the case's summary: the
// case itself is the workflow's to check, and the summary says all the API
// checks first (who may see the case, its KK, whether it is open) in a
// tenth of the bytes.
func (s *Server) readSummary(ctx context.Context, p auth.Principal, id string) (store.Summary, error) {
	return readScoped(ctx, id, s.store.Summary, func(sum store.Summary) bool {
		return maySee(p, sum.VillageCode, slices.Contains(sum.Agencies, p.Agency))
	}, "load case summary")
}

// readScoped loads what id names with load and answers not found, alike,
// for a missing one and one the caller may not see.
func readScoped[T any](ctx context.Context, id string, load func(context.Context, string) (T, error), may func(T) bool, what string) (T, error) {
	var none T
	if len(id) > 64 {
		return none, newProblem(household.CodeNotFound, "no such case")
	}
	v, err := load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !may(v)) {
		return none, newProblem(household.CodeNotFound, "no such case")
	}
	if err != nil {
		return none, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// maxAuditFilter bounds the query kept with an access record.
const maxAuditFilter = 512

// record keeps that who read personal data through their route. A read
// that cannot be recorded is not answered: the record is what a household
// may ask for under UU 27/2022.
func (s *Server) record(ctx context.Context, who Caller, a store.Access) error {
	a.Sub, a.Role, a.Route, a.At = who.Sub, who.Role, who.Route, s.now().UTC()
	if len(a.Filter) > maxAuditFilter {
		// A query string is the caller's to choose: keep enough to tell
		// what was asked, not whatever they sent.
		a.Filter = a.Filter[:maxAuditFilter] + "…"
	}
	if err := s.store.RecordAccess(ctx, a); err != nil {
		return fmt.Errorf("record access: %w", err)
	}
	return nil
}

// Case is the case as who may see it (masked for their role), with the
// actions they may take on it now; the read is recorded.
func (s *Server) Case(ctx context.Context, who Caller, id string) (CaseView, Permits, error) {
	cs, err := s.readCase(ctx, who.Principal, id)
	if err != nil {
		return CaseView{}, nil, err
	}
	if err := s.record(ctx, who, store.Access{CaseID: cs.ID}); err != nil {
		return CaseView{}, nil, err
	}
	return view(who.Principal, cs, s.now()), s.permits(who.Principal, cs), nil
}

// CaseAndTimeline is Case and its timeline in one read of the case and one
// record of the read (a page shows both at once).
func (s *Server) CaseAndTimeline(ctx context.Context, who Caller, id string) (CaseView, Permits, Timeline, error) {
	cs, err := s.readCase(ctx, who.Principal, id)
	if err != nil {
		return CaseView{}, nil, Timeline{}, err
	}
	if err := s.record(ctx, who, store.Access{CaseID: cs.ID}); err != nil {
		return CaseView{}, nil, Timeline{}, err
	}
	events, err := s.store.Timeline(ctx, cs.ID, cs.Seq)
	if err != nil {
		return CaseView{}, nil, Timeline{}, err
	}
	return view(who.Principal, cs, s.now()), s.permits(who.Principal, cs), Timeline{CaseID: cs.ID, Events: eventViews(who.Principal, cs, events)}, nil
}

// Timeline is a case's events, for a caller who may read the case; the
// read is recorded.
func (s *Server) Timeline(ctx context.Context, who Caller, id string) (Timeline, error) {
	cs, err := s.readCase(ctx, who.Principal, id)
	if err != nil {
		return Timeline{}, err
	}
	if err := s.record(ctx, who, store.Access{CaseID: cs.ID}); err != nil {
		return Timeline{}, err
	}
	events, err := s.store.Timeline(ctx, cs.ID, cs.Seq)
	if err != nil {
		return Timeline{}, err
	}
	return Timeline{CaseID: cs.ID, Events: eventViews(who.Principal, cs, events)}, nil
}

// ListCases is one page of the cases within who's scope that match the
// raw query (the parameters of GET /v1/cases), masked for their role; the
// page, its filter and the cases shown are recorded.
func (s *Server) ListCases(ctx context.Context, who Caller, rawQuery string) (CaseList, error) {
	page, err := s.listPage(ctx, who, rawQuery, false)
	if err != nil {
		return CaseList{}, err
	}
	cases := page.Items
	items := make([]SummaryView, len(cases))
	ids := make([]string, len(cases))
	for i := range cases {
		items[i], ids[i] = listView(who.Principal, cases[i]), cases[i].ID
	}
	if err := s.record(ctx, who, store.Access{CaseIDs: ids, Filter: rawQuery, Rows: len(items)}); err != nil {
		return CaseList{}, err
	}
	return CaseList{Items: items, NextCursor: page.Next, AsOf: page.AsOf}, nil
}

// listPage reads one page of the case summaries within who's scope that
// match the raw query (the parameters of GET /v1/cases), only those with
// possible duplicates to resolve when duplicates is set.
func (s *Server) listPage(ctx context.Context, who Caller, rawQuery string, duplicates bool) (store.Page, error) {
	q, _ := url.ParseQuery(rawQuery) // as Gin reads a query: what parses
	f, err := listFilter(q, who.Principal)
	if err != nil {
		return store.Page{}, err
	}
	f.Duplicates = duplicates
	page, err := s.store.List(ctx, f)
	if errors.Is(err, store.ErrBadCursor) {
		return store.Page{}, invalid(field("cursor", "is not a cursor this API issued"))
	}
	return page, err
}

// Open opens a case for req on behalf of who. A family card with an open
// case is a conflict that names the case only to a caller who may see it.
func (s *Server) Open(ctx context.Context, who Caller, req OpenRequest) (CaseView, error) {
	p := who.Principal
	if !p.Can(household.RoleCaseworker) {
		return CaseView{}, errRole()
	}
	if err := req.Validate(p.Region); err != nil {
		return CaseView{}, domainProblem(err)
	}
	out, err := s.open(ctx, p, req, who.UpdateID)
	if err != nil {
		return CaseView{}, err
	}
	if !out.Created {
		// Name the open case only to a caller who may see it: to anyone
		// else the family card's case, and where it lies, are not theirs.
		if !p.Sees(out.Case.VillageCode) {
			return CaseView{}, newProblem(household.CodeConflict, "this family card already has an open case outside your region")
		}
		pe := newProblem(household.CodeConflict, "family card "+req.KK+" already has an open case "+out.Case.ID)
		pe.p.CaseID = out.Case.ID
		return CaseView{}, pe
	}
	return view(p, out.Case, s.now()), nil
}

// Act runs one action on a case as a workflow update and returns the case
// after it. The case is looked up before input is read, so a caller
// outside the case's region learns nothing from validation.
func (s *Server) Act(ctx context.Context, who Caller, id string, act Action, input func() (any, error)) (CaseView, error) {
	name, ok := actionUpdates[act]
	if !ok {
		return CaseView{}, fmt.Errorf("act: %q is not an update", act)
	}
	p := who.Principal
	if !p.Can(actionRoles[act]...) {
		return CaseView{}, errRole()
	}
	cs, err := s.readSummary(ctx, p, id)
	if err != nil {
		return CaseView{}, err
	}
	in, err := input()
	if err != nil {
		return CaseView{}, err
	}
	// The domain's checks that need no case run here, before anything
	// reaches Temporal: a refused update still travels, input and all, in
	// the worker's answer to its workflow task, and a burst of large ones
	// would overflow it and end the case (see maxUpdatesInFlight).
	valid, ok := in.(actionInput)
	if !ok {
		return CaseView{}, fmt.Errorf("act: %s input %T does not validate itself", act, in)
	}
	if err := valid.Validate(s.now().In(region.Zone(cs.VillageCode))); err != nil {
		return CaseView{}, domainProblem(err)
	}
	if cs.Status == household.StatusHalted {
		return CaseView{}, errHalted(cs.ID)
	}
	closed := newProblem(household.CodeConflict, "the case is closed ("+string(cs.Outcome)+")")
	if cs.Status != household.StatusOpen && who.UpdateID == "" {
		return CaseView{}, closed
	}
	// A closed case may still owe a keyed retry its answer: the action
	// that closed it (a graduation, say) landed and its answer was lost.
	// Temporal answers an update ID it has applied with its outcome, even
	// on a closed run; any other update there is refused as closed.
	// The actor is bound to this case and this update (see
	// household.Actor), so its sealed payload cannot act anywhere else.
	by := actor(p)
	by.Case, by.Update = cs.ID, who.UpdateID
	if by.Update == "" {
		by.Update = "u-" + newRequestID()
	}
	out, err := s.callUpdate(ctx, client.UpdateWorkflowOptions{
		WorkflowID:          workflows.WorkflowID(cs.KK),
		FirstExecutionRunID: cs.ID,
		UpdateName:          name,
		UpdateID:            by.Update,
		Args:                []any{by, in},
		WaitForStage:        client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		if cs.Status != household.StatusOpen && errors.As(err, new(*serviceerror.NotFound)) {
			return CaseView{}, closed
		}
		return CaseView{}, temporalProblem(err)
	}
	return view(p, out, s.now()), nil
}

// errHalted answers an action on, or an open beside, a case whose workflow
// ended abnormally.
func errHalted(id string) error {
	pe := newProblem(household.CodeConflict, "case "+id+" ended abnormally (its workflow is no longer running); an administrator must look at it before anything more is done for this family card")
	pe.p.CaseID = id
	return pe
}

// actionInput is the input of an action sent as an update: it checks what
// it carries (text and list lengths, enumerations, dates) on a day, whatever
// the case.
type actionInput interface{ Validate(now time.Time) error }

// EscalationRequest raises a case to the regency or the province.
type EscalationRequest struct {
	Level  household.EscalationLevel `json:"level"`
	Reason string                    `json:"reason"`
}

// Escalate raises the case by one update, answered once the read model
// holds the escalation. key, when not empty, names the escalation and its
// update, so that a retry is recorded once.
func (s *Server) Escalate(ctx context.Context, who Caller, id, key string, input func() (EscalationRequest, error)) (EscalationCreated, error) {
	p := who.Principal
	if !p.Can(actionRoles[ActEscalate]...) {
		return EscalationCreated{}, errRole()
	}
	cs, err := s.readCase(ctx, p, id)
	if err != nil {
		return EscalationCreated{}, err
	}
	req, err := input()
	if err != nil {
		return EscalationCreated{}, err
	}
	eid := "esc-" + newRequestID()[:12]
	if key != "" {
		eid = "esc-" + key[:12]
	}
	by := actor(p)
	by.Case, by.Update = cs.ID, who.UpdateID
	if by.Update == "" {
		by.Update = "u-" + eid
	}
	in := household.EscalateInput{ID: eid, Level: req.Level, Reason: req.Reason, Actor: by}
	// A retry whose first request was recorded skips the check (its own
	// escalation is the open one) and is answered by the case.
	if _, recorded := cs.Escalation(in.ID); !recorded {
		if err := cs.CheckEscalate(in); err != nil {
			return EscalationCreated{}, domainProblem(err)
		}
	}
	out, err := s.callUpdate(ctx, client.UpdateWorkflowOptions{
		WorkflowID:          workflows.WorkflowID(cs.KK),
		FirstExecutionRunID: cs.ID,
		UpdateName:          workflows.UpdateEscalate,
		UpdateID:            by.Update,
		Args:                []any{by, in},
		WaitForStage:        client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return EscalationCreated{}, temporalProblem(err)
	}
	return EscalationCreated{EscalationID: in.ID, Case: view(p, out, s.now())}, nil
}

// dashboardRoles may read the dashboard.
var dashboardRoles = []household.Role{household.RoleSupervisor, household.RoleProvince}

// Dashboard counts the cases in who's region, or in one kecamatan of it.
func (s *Server) Dashboard(ctx context.Context, who Caller, district string) (store.Dashboard, error) {
	p := who.Principal
	if !p.Can(dashboardRoles...) {
		return store.Dashboard{}, errRole()
	}
	if district != "" {
		if r, ok := region.Lookup(district); !ok || r.Level != region.District {
			return store.Dashboard{}, invalid(field("district", "must be a kecamatan code of the registry"))
		}
		if !region.Within(district, p.Region) {
			return store.Dashboard{}, invalid(field("district", "lies outside your region "+p.Region))
		}
	}
	return s.store.Dashboard(ctx, p.Region, district)
}

// ProvinceReport is the roll-up per kecamatan of who's region, or of one
// regency in it; the download is recorded with its query.
func (s *Server) ProvinceReport(ctx context.Context, who Caller, regency, query string) (ProvinceReport, error) {
	p := who.Principal
	if !p.Can(household.RoleProvince) {
		return ProvinceReport{}, errRole()
	}
	scope, err := reportScope(p, regency)
	if err != nil {
		return ProvinceReport{}, err
	}
	d, err := s.store.Dashboard(ctx, scope, "")
	if err != nil {
		return ProvinceReport{}, err
	}
	if err := s.record(ctx, who, store.Access{Filter: query, Rows: len(d.Districts)}); err != nil {
		return ProvinceReport{}, err
	}
	return ProvinceReport{Scope: scope, GeneratedAt: s.now().UTC(), Districts: d.Districts, Totals: d.Totals, Progress: d.Progress, AsOf: d.AsOf}, nil
}

// reportScope is the scope of a report: p's region, or a regency in it.
func reportScope(p auth.Principal, regency string) (string, error) {
	if regency == "" {
		return p.Region, nil
	}
	if r, ok := region.Lookup(regency); !ok || r.Level != region.Regency || !region.Within(regency, p.Region) {
		return "", invalid(field("regency", "must be a regency code within your region"))
	}
	return regency, nil
}

// WriteReportCSV writes the report as CSV, a row per kecamatan and a total.
func WriteReportCSV(w io.Writer, r ProvinceReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(reportColumns)
	for _, dt := range r.Districts {
		_ = cw.Write(reportRow(dt.Code, dt.Name, dt.Tally))
	}
	_ = cw.Write(reportRow(r.Scope, "total", r.Totals))
	cw.Flush()
	return cw.Error()
}

// ReportFileName is the download name of a report of scope.
func ReportFileName(scope string) string {
	return "tuntas-report-" + strings.ReplaceAll(scope, ".", "") + ".csv"
}

// StartImport reads an uploaded list (every row checked, valid ones
// stored in chunks) and starts the workflow that opens their cases.
func (s *Server) StartImport(ctx context.Context, who Caller, body io.Reader, name string) (listimport.Progress, error) {
	p := who.Principal
	if p.Role != household.RoleAdmin {
		return listimport.Progress{}, errRole()
	}
	prog := listimport.Progress{ID: "imp-" + newRequestID()[:16], FileName: name, CreatedBy: p.Sub, Status: listimport.Running}
	if err := listimport.Ingest(ctx, body, p.Region, s.imports, &prog); err != nil {
		return listimport.Progress{}, importProblem(err)
	}
	prog.Start(s.now().UTC())
	if err := s.imports.SaveImportProgress(ctx, prog); err != nil {
		return listimport.Progress{}, err
	}
	if prog.Status != listimport.Done {
		_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflows.ImportWorkflowID(prog.ID), TaskQueue: workflows.TaskQueue,
		}, workflows.Import, workflows.ImportInput{Progress: prog, Actor: actor(p)})
		if err != nil {
			return listimport.Progress{}, temporalProblem(err)
		}
	}
	return prog, nil
}

// Import reports an import's progress and its first row errors.
func (s *Server) Import(ctx context.Context, who Caller, id string) (listimport.Report, error) {
	if who.Role != household.RoleAdmin {
		return listimport.Report{}, errRole()
	}
	prog, err := s.imports.Import(ctx, id)
	if errors.Is(err, imports.ErrNotFound) {
		return listimport.Report{}, newProblem(household.CodeNotFound, "no such import")
	}
	if err != nil {
		return listimport.Report{}, err
	}
	rowErrs, err := s.imports.RowErrors(ctx, prog.ID, listimport.MaxRowErrors)
	if err != nil {
		return listimport.Report{}, err
	}
	return listimport.Report{Import: prog, Errors: rowErrs, ErrorsShown: len(rowErrs)}, nil
}

// Permits are the actions a person may take on a case now: an action
// name, or "action/ref" for one intervention or escalation.
type Permits map[string]bool

// May reports whether the action (on ref, for interventions and
// escalations) is permitted.
func (p Permits) May(act Action, ref string) bool {
	if ref != "" {
		return p[string(act)+"/"+ref]
	}
	return p[string(act)]
}

// permits asks the domain's own checks which actions p may take on cs
// now: an action whose check fails only on its (empty) input is open to
// them; one refused for role, region or stage is not.
func (s *Server) permits(p auth.Principal, cs household.Case) Permits {
	out := Permits{}
	if cs.Status != household.StatusOpen {
		return out
	}
	a := actor(p)
	now := s.now()
	open := func(err error) bool {
		return err == nil || household.ErrorCode(err) == household.CodeInvalid
	}
	mark := func(act Action, ref string, err error) {
		if !p.Can(actionRoles[act]...) || !open(err) {
			return
		}
		if ref != "" {
			out[string(act)+"/"+ref] = true
		}
		out[string(act)] = true
	}
	mark(ActSurvey, "", cs.CheckSurvey(a, household.SurveyInput{}, now))
	mark(ActVillage, "", cs.CheckVillage(a, household.VillageInput{}, now))
	mark(ActVerification, "", cs.CheckVerification(a, household.VerificationInput{}, now))
	mark(ActGraduation, "", cs.CheckGraduate(a, household.GraduateInput{}, now))
	mark(ActAssign, "", cs.CheckAssign(a, household.AssignInput{}, now))
	mark(ActFollowUp, "", cs.CheckFollowUp(a, household.FollowUpInput{}, now))
	mark(ActClose, "", cs.CheckClose(a, household.CloseInput{}, now))
	for _, iv := range cs.Interventions {
		for _, st := range household.ReportedStatuses {
			if iv.Status.CanMove(st) {
				mark(ActIntervention, iv.ID+"/"+string(st), cs.CheckIntervention(a, household.InterventionInput{ID: iv.ID, Status: st}, now))
			}
		}
	}
	for _, e := range cs.Escalations {
		if e.Open {
			mark(ActResolve, e.ID, cs.CheckResolve(a, household.ResolveInput{ID: e.ID}, now))
		}
	}
	for _, lvl := range household.EscalationLevels {
		mark(ActEscalate, string(lvl), cs.CheckEscalate(household.EscalateInput{ID: "probe", Level: lvl, Actor: a}))
	}
	for _, d := range cs.Duplicates {
		if d.Open {
			mark(ActDuplicate, d.ID, cs.CheckDuplicateResolution(a, household.DuplicateResolutionInput{ID: d.ID}, now))
		}
	}
	return out
}

// listFilter reads the list parameters of q within p's scope.
func listFilter(q url.Values, p auth.Principal) (store.Filter, error) {
	f := store.Filter{Scope: p.Region, Limit: 50, Cursor: q.Get("cursor")}
	if p.Role == household.RoleAgency {
		f.Agency = p.Agency
	}
	var fe household.FieldErrors
	scoped := func(name string, level region.Level) string {
		v := q.Get(name)
		if v == "" {
			return ""
		}
		if r, ok := region.Lookup(v); !ok || r.Level != level {
			fe.Add(name, "must be a %s code of the registry", level)
		} else if !region.Within(v, p.Region) && !region.Within(p.Region, v) {
			fe.Add(name, "lies outside your region %s", p.Region)
		}
		return v
	}
	f.District = scoped("district", region.District)
	f.Village = scoped("village", region.Village)
	if v := q.Get("stage"); v != "" {
		household.Enum(&fe, "stage", household.Stage(v), household.Stages)
		f.Stage = household.Stage(v)
	}
	if v := q.Get("status"); v != "" {
		household.Enum(&fe, "status", household.Status(v), household.Statuses)
		f.Status = household.Status(v)
	}
	if v := q.Get("outcome"); v != "" {
		household.Enum(&fe, "outcome", household.Outcome(v), household.Outcomes)
		f.Outcome = household.Outcome(v)
	}
	boolean := func(name string) *bool {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil || (v != "true" && v != "false") {
			fe.Add(name, "must be true or false")
			return nil
		}
		return &b
	}
	f.Escalated = boolean("escalated")
	f.Overdue = boolean("overdue")
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			fe.Add("limit", "must be a whole number from 1 to %d", maxLimit)
		}
		f.Limit = n
	}
	if len(f.Cursor) > 512 {
		fe.Add("cursor", "is not a cursor this API issued")
	}
	if err := fe.Err(); err != nil {
		return f, domainProblem(err)
	}
	return f, nil
}
