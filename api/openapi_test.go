package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

func loadDocument(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	return doc
}

var ginParam = regexp.MustCompile(`:([a-z]+)`)

func TestOpenAPIDocumentDescribesExactlyTheRouterRoutes(t *testing.T) {
	doc := loadDocument(t)
	engine := New(Config{}).(*gin.Engine)
	var routes, documented []string
	for _, r := range engine.Routes() {
		routes = append(routes, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	if strings.Join(routes, "\n") != strings.Join(documented, "\n") {
		t.Fatalf("router and document differ\nrouter:\n%s\n\ndocument:\n%s", strings.Join(routes, "\n"), strings.Join(documented, "\n"))
	}
}

func TestOpenAPIExampleRequestsValidateAgainstTheirSchemas(t *testing.T) {
	doc := loadDocument(t)
	checked := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value.Content.Get("image/jpeg") != nil {
				continue // a photo's example would be a file, not text
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil {
				mt = op.RequestBody.Value.Content.Get("text/csv")
			}
			if mt == nil || mt.Example == nil {
				t.Errorf("%s %s has no example request", method, path)
				continue
			}
			if err := mt.Schema.Value.VisitJSON(mt.Example); err != nil {
				t.Errorf("%s %s: example does not validate: %v", method, path, err)
			}
			checked++
		}
	}
	if checked < 12 {
		t.Fatalf("only %d example requests checked", checked)
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	rec := serve(t, New(Config{}), http.MethodGet, "/openapi.json", "", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"openapi": "3.0.3"`) {
		t.Fatalf("GET /openapi.json = %d", rec.Code)
	}
}

// checked is the served document and its router, for checkResponse.
var checked = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		return nil, err
	}
	doc.Servers = nil // match paths alone, whatever host the test server has
	return doc, nil
})

var checkedRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := checked()
	if err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

// checkResponse fails the test unless the response is what the document
// says the route answers with that status; a route the document does not
// know may only answer a problem.
func checkResponse(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	doc, err := checked()
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	router, err := checkedRouter()
	if err != nil {
		t.Fatalf("OpenAPI router: %v", err)
	}
	// The body is printed with each failure; the schema would bury the reason.
	quiet := []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}
	route, params, err := router.FindRoute(req)
	if err != nil {
		var v any
		if jerr := json.Unmarshal(body, &v); jerr != nil || status < 400 ||
			doc.Components.Schemas["Problem"].Value.VisitJSON(v, append(quiet, openapi3.VisitAsResponse())...) != nil {
			t.Errorf("%s %s answered %d, which the document does not describe: %s", req.Method, req.URL.Path, status, body)
		}
		return
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SchemaValidationOptions: quiet},
	})
	if err != nil {
		t.Errorf("%s %s answered %d against the document: %v\nbody: %s", req.Method, req.URL.Path, status, err, body)
	}
}

// eachEnum calls fn with every enum the document holds and where it is.
func eachEnum(doc *openapi3.T, fn func(where string, enum []any)) {
	var schema func(where string, s *openapi3.SchemaRef)
	schema = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || (s.Ref != "" && where != "") {
			return // a reference is visited as its component
		}
		v := s.Value
		if len(v.Enum) > 0 {
			fn(where, v.Enum)
		}
		for name, p := range v.Properties {
			schema(where+"."+name, p)
		}
		schema(where+"[]", v.Items)
		schema(where+"{}", v.AdditionalProperties.Schema)
		for _, all := range [][]*openapi3.SchemaRef{v.AllOf, v.AnyOf, v.OneOf} {
			for _, o := range all {
				schema(where+"|", o)
			}
		}
	}
	content := func(where string, c openapi3.Content) {
		for mt, m := range c {
			if m.Schema != nil && m.Schema.Ref == "" {
				schema(where+" "+mt, m.Schema)
			}
		}
	}
	for _, s := range doc.Components.Schemas {
		schema("", s) // the component itself; references to it are skipped
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value != nil && p.Value.Schema != nil {
					schema(where+" ?"+p.Value.Name, p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				content(where+" request", op.RequestBody.Value.Content)
			}
			for status, r := range op.Responses.Map() {
				if r.Ref == "" && r.Value != nil {
					content(where+" "+status, r.Value.Content)
				}
			}
		}
	}
	for name, r := range doc.Components.Responses {
		content("responses."+name, r.Value.Content)
	}
}

func TestOpenAPIEnumsAreTheGoLists(t *testing.T) {
	doc := loadDocument(t)
	var lists []enumList
	for _, l := range typeEnums {
		lists = append(lists, l)
	}
	for _, l := range fieldEnums {
		lists = append(lists, l)
	}
	lists = append(lists, handWrittenEnums...)
	set := func(vs []string) string {
		vs = slices.Clone(vs)
		slices.Sort(vs)
		return strings.Join(vs, ",")
	}
	known := map[string]string{}
	for _, l := range lists {
		known[set(l.values)] = l.name
	}
	checked := 0
	eachEnum(doc, func(where string, enum []any) {
		vs := make([]string, len(enum))
		for i, e := range enum {
			vs[i] = fmt.Sprint(e)
		}
		if _, ok := known[set(vs)]; !ok {
			t.Errorf("%s: enum %v is none of the Go lists; regenerate (go generate ./api) or correct openapi.json", where, vs)
		}
		checked++
	})
	if checked < 30 {
		t.Fatalf("only %d enums found in the document", checked)
	}
}

// TestEveryNamedStringOfTheDomainHasAnEnum walks the Go types of the
// bodies: a field whose type is a named string (household.Stage, …) must
// carry exactly its type's values, or the narrower list of fieldEnums.
func TestEveryNamedStringOfTheDomainHasAnEnum(t *testing.T) {
	doc := loadDocument(t)
	for f := range fieldEnums {
		if !slices.ContainsFunc(jsonFields(f.in), func(jf jsonField) bool { return jf.name == f.name }) {
			t.Errorf("fieldEnums names %s.%s, which is no field", f.in, f.name)
		}
	}
	for f := range fieldRules {
		if !slices.ContainsFunc(jsonFields(f.in), func(jf jsonField) bool { return jf.name == f.name }) {
			t.Errorf("fieldRules names %s.%s, which is no field", f.in, f.name)
		}
	}
	enumOf := func(s *openapi3.Schema) []string {
		var out []string
		for _, e := range s.Enum {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	seen := map[reflect.Type]bool{}
	var walk func(st reflect.Type)
	walk = func(st reflect.Type) {
		if seen[st] {
			return
		}
		seen[st] = true
		component := doc.Components.Schemas[componentName(st)]
		if component == nil {
			t.Errorf("%s has no component %s", st, componentName(st))
			return
		}
		for _, f := range jsonFields(st) {
			where := componentName(st) + "." + f.name
			prop := component.Value.Properties[f.name]
			if prop == nil {
				t.Errorf("%s is not in the document; run go generate ./api", where)
				continue
			}
			ft := deref(f.typ)
			if ft.Kind() == reflect.Slice {
				ft, prop = deref(ft.Elem()), prop.Value.Items
			}
			if ft.Kind() == reflect.Map {
				if named := ft.Key(); named.Kind() == reflect.String && named.PkgPath() != "" {
					l, ok := typeEnums[named]
					var keys []string
					for k := range prop.Value.Properties {
						keys = append(keys, k)
					}
					slices.Sort(keys)
					want := slices.Sorted(slices.Values(l.values))
					if !ok || !slices.Equal(keys, want) {
						t.Errorf("%s: keys %v, want the values of %s (add it to typeEnums)", where, keys, named)
					}
				}
				ft = deref(ft.Elem())
			}
			switch {
			case ft == reflect.TypeFor[time.Time]():
			case ft.Kind() == reflect.Struct:
				walk(ft)
			case ft.Kind() == reflect.String:
				want, narrowed := fieldEnums[schemaField{st, f.name}]
				byType, typed := typeEnums[ft]
				if ft.PkgPath() != "" && !typed {
					t.Errorf("%s: %s has no list of values; add it to typeEnums", where, ft)
					continue
				}
				if !narrowed {
					want = byType
				}
				if typed && narrowed && slices.ContainsFunc(want.values, func(v string) bool { return !slices.Contains(byType.values, v) }) {
					t.Errorf("%s: %s is not part of %s", where, want.name, byType.name)
				}
				if got := enumOf(prop.Value); (typed || narrowed) && !slices.Equal(got, want.values) {
					t.Errorf("%s: enum %v, want %s %v", where, got, want.name, want.values)
				}
			}
		}
	}
	for _, v := range schemaRoots {
		walk(reflect.TypeOf(v))
	}
	if len(seen) < 30 {
		t.Fatalf("only %d types walked", len(seen))
	}
}

// TestCaseViewsMatchTheDocumentThroughTheLifecycle checks what the API
// shows of a case at every stage, in full and masked, against the
// document, without a Temporal server.
func TestCaseViewsMatchTheDocumentThroughTheLifecycle(t *testing.T) {
	doc := loadDocument(t)
	at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	next := func() time.Time { at = at.Add(time.Hour); return at }
	cw := household.Actor{Sub: "cw-1", Role: household.RoleCaseworker, Region: "64.08.01"}
	vo := household.Actor{Sub: "vo-1", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"}
	ver := household.Actor{Sub: "ver-1", Role: household.RoleVerifier, Region: "64.08"}
	sup := household.Actor{Sub: "sup-1", Role: household.RoleSupervisor, Region: "64.08"}
	dinsos := household.Actor{Sub: "dinsos-1", Role: household.RoleAgency, Region: "64.08", Agency: household.AgencyDinsos}
	open := func(id string) (*household.Case, []household.Event) {
		return household.Open(household.OpenInput{ID: id, KK: "6408010101200001", HeadNIK: "6408014101850001",
			HeadName: "Siti Aminah", VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE, Desil: 1},
			cw, household.DefaultRules(), household.DefaultDeadlines(), next())
	}
	survey := household.SurveyInput{Survey: household.Survey{
		Members: []household.Member{
			{NIK: "6408014101850001", Name: "Siti Aminah", Relation: household.RelationHead, BirthDate: "1985-01-01", Sex: household.Female, Education: household.EduPrimary, Occupation: household.OccFarmer, Disability: true},
			{NIK: "6408010203100002", Name: "Rudi", Relation: household.RelationChild, BirthDate: "2010-03-02", Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccStudent},
		},
		MonthlyExpenditure: 600_000, MonthlyIncome: 500_000, IncomeSources: []string{"rubber tapping"},
		Housing:  household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"},
		Programs: []household.Program{household.ProgramPKH},
	}}

	c, events := open("case-1")
	snapshots := []household.Case{*c}
	step := func(evs []household.Event) {
		events = append(events, evs...)
		// A copy of its own: the case's lists change in place.
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var snap household.Case
		if err := json.Unmarshal(b, &snap); err != nil {
			t.Fatal(err)
		}
		snapshots = append(snapshots, snap)
	}
	step(c.Escalate(household.EscalateInput{ID: "esc-1", Level: household.EscalateProvince, Reason: "flooded road", Actor: sup}, next()))
	step(c.SubmitSurvey(cw, survey, next()))
	step(c.ConfirmByVillage(vo, household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: "2026-11-02", MusdesMinutes: "12/MUSDES/XI/2026"}, next()))
	step(c.ResolveEscalation(household.Actor{Sub: "prov-1", Role: household.RoleProvince, Region: "64"}, household.ResolveInput{ID: "esc-1", Resolution: "road open"}, next()))
	step(c.RecordVerification(ver, household.VerificationInput{Outcome: household.ExtremePoor, Notes: "seen"}, next()))
	step(c.AssignInterventions(sup, household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramPKH, Agency: household.AgencyDinsos}}}, next()))
	step(c.UpdateIntervention(dinsos, household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged, Notes: "enrolled"}, next()))
	// A move refused, and one to Muara Bengkal accepted (the village's own
	// program ends as moved).
	to := household.TransferInput{ToVillage: "64.08.03.2004", Address: "RT 05, Muara Bengkal Ulu", Reason: "moved in with her parents"}
	step(c.RequestTransfer(sup, to, next()))
	step(c.AnswerTransfer(sup, household.TransferAnswerInput{ID: "tr-1", Decision: household.TransferRefuse, Reason: "not found there"}, next()))
	step(c.AssignInterventions(sup, household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramBLTDanaDesa, Agency: household.AgencyPemdes}}}, next()))
	step(c.RequestTransfer(sup, to, next()))
	step(c.AnswerTransfer(sup, household.TransferAnswerInput{ID: "tr-2", Decision: household.TransferAccept}, next()))
	cw = household.Actor{Sub: "cw-2", Role: household.RoleCaseworker, Region: "64.08.03"}
	step(c.Tick(at.Add(400 * 24 * time.Hour))) // overdue, reminded, escalated by the system
	step(c.RecordFollowUp(cw, household.FollowUpInput{VisitDate: "2026-12-01", MonthlyExpenditure: 900_000}, next()))
	step(c.RecordFollowUp(cw, household.FollowUpInput{VisitDate: "2027-01-01", MonthlyExpenditure: 950_000, Notes: "works"}, next()))
	rejected, _ := open("case-2")
	rejected.SubmitSurvey(cw, survey, next())
	rejected.ConfirmByVillage(vo, household.VillageInput{Decision: household.VillageRejected, Reason: household.OutcomeMoved, MusdesDate: "2026-11-02", MusdesMinutes: "13/MUSDES"}, next())
	snapshots = append(snapshots, *rejected)
	if c.Outcome != household.OutcomeGraduated || rejected.Outcome != household.OutcomeMoved {
		t.Fatalf("the cases ended %s and %s", c.Outcome, rejected.Outcome)
	}

	check := func(schema string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var decoded any
		if err := json.Unmarshal(b, &decoded); err != nil {
			t.Fatal(err)
		}
		if err := doc.Components.Schemas[schema].Value.VisitJSON(decoded, openapi3.VisitAsResponse(), openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails()); err != nil {
			t.Errorf("%s does not match the document: %v\n%s", schema, err, b)
		}
	}
	for _, role := range []household.Role{household.RoleAdmin, household.RoleSupervisor} {
		p := auth.Principal{Sub: "someone", Role: role, Region: "64"}
		for _, snap := range snapshots {
			check("CaseView", casework.ViewCase(p, snap, time.Now()))
			check("CaseList", casework.CaseList{Items: []casework.SummaryView{casework.ViewSummary(p, store.Summary{ID: snap.ID, KK: snap.KK, HeadNIK: snap.HeadNIK,
				Stage: snap.Stage, Status: snap.Status, Outcome: snap.Outcome, Source: snap.Source, OpenedAt: snap.OpenedAt,
				UpdatedAt: snap.UpdatedAt, Deadline: snap.Deadline, MemberCount: 2})}, NextCursor: ""})
			check("CaseList", casework.CaseList{Items: []casework.SummaryView{casework.ViewSummary(p, store.SummaryOf(snap))}})
		}
		check("EscalationCreated", casework.EscalationCreated{EscalationID: "esc-1", Case: casework.ViewCase(p, snapshots[1], time.Now())})
	}
	check("Timeline", casework.Timeline{CaseID: c.ID, Events: casework.ViewEvents(auth.Principal{Sub: "someone", Role: household.RoleAdmin, Region: "64"}, *c, events)})
	if !slices.ContainsFunc(events, func(e household.Event) bool { return e.Role == household.RoleSystem }) {
		t.Fatal("no event of the system was checked")
	}
	if !slices.ContainsFunc(snapshots, func(c household.Case) bool { _, ok := c.PendingTransfer(); return ok }) ||
		c.VillageCode != "64.08.03.2004" || c.Interventions[1].Status != household.InterventionMoved {
		t.Fatalf("no pending transfer, accepted move or moved intervention was checked: %s %+v", c.VillageCode, c.Interventions)
	}
}

// TestResponsesWithoutBackendsMatchTheDocument sends the requests the
// router answers on its own, through serve, which checks each answer.
func TestResponsesWithoutBackendsMatchTheDocument(t *testing.T) {
	issuer, _ := auth.NewIssuer([]byte(strings.Repeat("k", 32)))
	h := New(Config{Verifier: issuer.Verifier()})
	tok, err := issuer.Issue(auth.Principal{Sub: "ani", Role: household.RoleVerifier, Region: "64.08"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, token string
		status              int
	}{
		{http.MethodGet, "/healthz", "", 200},
		{http.MethodGet, "/openapi.json", "", 200},
		{http.MethodGet, "/v1/regions", tok, 200},
		{http.MethodGet, "/v1/regions?parent=64.08.01", tok, 200},
		{http.MethodGet, "/v1/regions?parent=99", tok, 422},
		{http.MethodGet, "/v1/cases", "", 401},
		{http.MethodGet, "/v1/dashboard", tok, 403},
		{http.MethodGet, "/v1/nothing", tok, 404},
		{http.MethodDelete, "/v1/cases", tok, 405},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if rec := serve(t, h, tt.method, tt.path, tt.token, "", nil); rec.Code != tt.status {
				t.Fatalf("= %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
		})
	}
}
