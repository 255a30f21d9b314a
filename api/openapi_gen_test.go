package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
	"github.com/tuntas-id/tuntas/internal/store"
)

// This file generates openapi.schemas.json from the Go types with
// kin-openapi's openapi3gen (`go generate ./api` runs the first test with
// -update). It lives in a test so that the server does not link the
// generator.

var update = flag.Bool("update", false, "rewrite openapi.schemas.json from the Go types")

// schemaRoots are the bodies of the API: what the handlers answer and
// what they decode. Every struct they reach becomes a component named
// after its Go type. The import routes' bodies are still written by hand.
var schemaRoots = []any{
	casework.CaseView{}, casework.CaseList{}, casework.Timeline{}, casework.CaseReads{}, casework.DuplicateList{},
	casework.EscalationCreated{}, store.Dashboard{}, casework.ProvinceReport{}, report.Report{}, casework.BNBA{}, casework.PhotoRef{},
	Regions{}, Problem{}, Health{}, Readiness{},

	casework.OpenRequest{}, household.SurveyInput{}, household.VillageInput{}, household.VerificationInput{},
	household.GraduateInput{}, household.AssignInput{}, statusRequest{}, household.FollowUpInput{},
	resolutionRequest{}, casework.EscalationRequest{}, household.CloseInput{}, household.DuplicateResolutionInput{},
	household.TransferInput{}, transferAnswerRequest{}, transferCancelRequest{},

	// The living list (docs/living-list.md).
	casework.ProposalView{}, casework.ProposalList{}, casework.ObjectionView{}, casework.ObjectionList{},
	casework.Publication{}, casework.PublishedList{},
	household.ProposalInput{}, household.ScreenInput{}, household.ObjectionInput{}, household.AnswerInput{}, casework.PublishRequest{},
}

// enumList is a Go list that an enum of the document is taken from.
type enumList struct {
	name   string
	values []string
}

func listOf[T ~string](name string, vs []T) enumList {
	l := enumList{name: name, values: make([]string, len(vs))}
	for i, v := range vs {
		l.values[i] = string(v)
	}
	return l
}

func (l enumList) enum() []any {
	out := make([]any, len(l.values))
	for i, v := range l.values {
		out[i] = v
	}
	return out
}

// typeEnums gives every named string type of the domain the list of its
// values. A type missing here fails TestEveryNamedStringOfTheDomainHasAnEnum.
var typeEnums = map[reflect.Type]enumList{
	reflect.TypeFor[household.Stage]():               listOf("household.Stages", household.Stages),
	reflect.TypeFor[household.Status]():              listOf("household.Statuses", household.Statuses),
	reflect.TypeFor[household.Outcome]():             listOf("household.Outcomes", household.Outcomes),
	reflect.TypeFor[household.Source]():              listOf("household.Sources", household.Sources),
	reflect.TypeFor[household.VerificationOutcome](): listOf("household.VerificationOutcomes", household.VerificationOutcomes),
	reflect.TypeFor[household.Program]():             listOf("household.Programs", household.Programs),
	reflect.TypeFor[household.InterventionStatus]():  listOf("household.InterventionStatuses", household.InterventionStatuses),
	reflect.TypeFor[household.EscalationLevel]():     listOf("household.EscalationLevels", household.EscalationLevels),
	reflect.TypeFor[household.VillageDecision]():     listOf("household.VillageDecisions", household.VillageDecisions),
	reflect.TypeFor[household.Relation]():            listOf("household.Relations", household.Relations),
	reflect.TypeFor[household.Sex]():                 listOf("household.Sexes", household.Sexes),
	reflect.TypeFor[household.Education]():           listOf("household.Educations", household.Educations),
	reflect.TypeFor[household.Occupation]():          listOf("household.Occupations", household.Occupations),
	reflect.TypeFor[region.Level]():                  listOf("region.Levels", region.Levels),
	reflect.TypeFor[household.Strategy]():            listOf("household.Strategies", household.Strategies),
	reflect.TypeFor[household.AgeGroup]():            listOf("household.AgeGroups", household.AgeGroups),
	reflect.TypeFor[report.Measure]():                listOf("report.Measures", report.Measures),
	reflect.TypeFor[household.DuplicateDecision]():   listOf("household.DuplicateDecisions", household.DuplicateDecisions),
	reflect.TypeFor[household.Keep]():                listOf("household.Keeps", household.Keeps),
	reflect.TypeFor[household.TransferStatus]():      listOf("household.TransferStatuses", household.TransferStatuses),
	reflect.TypeFor[household.TransferDecision]():    listOf("household.TransferDecisions", household.TransferDecisions),
	reflect.TypeFor[household.TransferDirection]():   listOf("household.TransferDirections", household.TransferDirections),
	reflect.TypeFor[household.ProposalStatus]():      listOf("household.ProposalStatuses", household.ProposalStatuses),
	reflect.TypeFor[household.ScreenDecision]():      listOf("household.ScreenDecisions", household.ScreenDecisions),
	reflect.TypeFor[household.HeldBy]():              listOf("household.HeldBys", household.HeldBys),
	reflect.TypeFor[household.ObjectionReason]():     listOf("household.ObjectionReasons", household.ObjectionReasons),
	reflect.TypeFor[household.ObjectorRelation]():    listOf("household.ObjectorRelations", household.ObjectorRelations),
	reflect.TypeFor[household.ObjectionStatus]():     listOf("household.ObjectionStatuses", household.ObjectionStatuses),
	reflect.TypeFor[household.AnswerDecision]():      listOf("household.AnswerDecisions", household.AnswerDecisions),
	// An event's role may be the system's: the deadline rules act too.
	reflect.TypeFor[household.Role](): listOf("household.Roles and RoleSystem", append(slices.Clone(household.Roles), household.RoleSystem)),
}

// schemaField is one property of a generated schema: its Go struct type
// and JSON name.
type schemaField struct {
	in   reflect.Type
	name string
}

func fieldOf[T any](name string) schemaField { return schemaField{reflect.TypeFor[T](), name} }

// fieldEnums are the enums of single fields: plain strings whose values
// the domain lists (agencies, housing), and fields that take only part of
// their type's values (a supervisor closes with a close reason, not any
// outcome).
var fieldEnums = map[schemaField]enumList{
	fieldOf[household.Intervention]("agency"):  listOf("household.Agencies", household.Agencies),
	fieldOf[household.Assignment]("agency"):    listOf("household.Agencies", household.Agencies),
	fieldOf[household.Housing]("floor"):        listOf("household.Floors", household.Floors),
	fieldOf[household.Housing]("wall"):         listOf("household.Walls", household.Walls),
	fieldOf[household.Housing]("roof"):         listOf("household.Roofs", household.Roofs),
	fieldOf[household.Housing]("water"):        listOf("household.Waters", household.Waters),
	fieldOf[household.Housing]("sanitation"):   listOf("household.Sanitations", household.Sanitations),
	fieldOf[household.Housing]("electricity"):  listOf("household.Electricities", household.Electricities),
	fieldOf[household.CloseInput]("reason"):    listOf("household.CloseReasons", household.CloseReasons),
	fieldOf[household.VillageInput]("reason"):  listOf("household.RejectionReasons", household.RejectionReasons),
	fieldOf[household.VillageReview]("reason"): listOf("household.RejectionReasons", household.RejectionReasons),
	fieldOf[household.Survey]("programs"):      listOf("household.ReceivablePrograms", household.ReceivablePrograms),
	fieldOf[statusRequest]("status"):           listOf("household.ReportedStatuses", household.ReportedStatuses),
	fieldOf[casework.OpenRequest]("source"):    listOf("household.OpenSources", household.OpenSources),
}

// handWrittenEnums are the lists behind enums of openapi.json itself.
var handWrittenEnums = []enumList{
	listOf("casework.ReportFormats", casework.ReportFormats),
	listOf("casework.QuarterlyDownloads", casework.QuarterlyDownloads),
	listOf("casework.BNBADownloads", casework.BNBADownloads),
	listOf("casework.BNBAStages", casework.BNBAStages),
	listOf("listimport.Running and Done", []listimport.Status{listimport.Running, listimport.Done}),
	listOf("listimport.KindError and KindFlag", []listimport.Kind{listimport.KindError, listimport.KindFlag}),
}

// fieldRules carry the domain's limits into the schemas, so that a client
// learns them from the document rather than from a 422.
var fieldRules = map[schemaField]func(*openapi3.Schema){
	fieldOf[casework.OpenRequest]("kk"):                    digits16,
	fieldOf[casework.OpenRequest]("headNik"):               digits16,
	fieldOf[casework.OpenRequest]("headName"):              maxChars(household.MaxName),
	fieldOf[casework.OpenRequest]("address"):               maxChars(household.MaxAddress),
	fieldOf[casework.OpenRequest]("desil"):                 between(1, 10),
	fieldOf[household.Member]("nik"):                       digits16,
	fieldOf[household.Member]("name"):                      maxChars(household.MaxName),
	fieldOf[household.Member]("birthDate"):                 date,
	fieldOf[casework.MemberView]("birthDate"):              date,
	fieldOf[household.Survey]("members"):                   itemsBetween(1, household.MaxMembers),
	fieldOf[household.Survey]("monthlyExpenditure"):        between(0, household.MaxRupiah),
	fieldOf[household.Survey]("monthlyIncome"):             between(0, household.MaxRupiah),
	fieldOf[household.Survey]("incomeSources"):             itemsBetween(0, 10),
	fieldOf[household.Assets]("landAreaM2"):                between(0, 100_000_000),
	fieldOf[household.Assets]("motorbikes"):                between(0, 10_000),
	fieldOf[household.Assets]("cars"):                      between(0, 10_000),
	fieldOf[household.Assets]("livestock"):                 between(0, 10_000),
	fieldOf[household.VillageInput]("musdesDate"):          date,
	fieldOf[household.VillageInput]("musdesMinutes"):       maxChars(household.MaxMinutes),
	fieldOf[household.VillageReview]("musdesDate"):         date,
	fieldOf[household.VerificationInput]("notes"):          maxChars(household.MaxNote),
	fieldOf[household.GraduateInput]("notes"):              maxChars(household.MaxNote),
	fieldOf[household.AssignInput]("interventions"):        itemsBetween(1, len(household.Programs)),
	fieldOf[statusRequest]("notes"):                        maxChars(household.MaxNote),
	fieldOf[household.FollowUpInput]("visitDate"):          date,
	fieldOf[household.FollowUpInput]("monthlyExpenditure"): between(0, household.MaxRupiah),
	fieldOf[household.FollowUpInput]("notes"):              maxChars(household.MaxNote),
	fieldOf[household.Visit]("visitDate"):                  date,
	fieldOf[resolutionRequest]("resolution"):               maxChars(household.MaxNote),
	fieldOf[casework.EscalationRequest]("reason"):          maxChars(household.MaxNote),
	fieldOf[household.CloseInput]("notes"):                 maxChars(household.MaxNote),
	fieldOf[household.TransferInput]("address"):            maxChars(household.MaxAddress),
	fieldOf[household.TransferInput]("reason"):             maxChars(household.MaxNote),
	fieldOf[transferAnswerRequest]("reason"):               maxChars(household.MaxNote),
	fieldOf[transferCancelRequest]("reason"):               maxChars(household.MaxNote),
	fieldOf[household.ProposalInput]("kk"):                 digits16,
	fieldOf[household.ProposalInput]("headNik"):            digits16,
	fieldOf[household.ProposalInput]("headName"):           maxChars(household.MaxName),
	fieldOf[household.ProposalInput]("address"):            maxChars(household.MaxAddress),
	fieldOf[household.ProposalInput]("musdesDate"):         date,
	fieldOf[household.ProposalInput]("musdesMinutes"):      maxChars(household.MaxMinutes),
	fieldOf[household.ProposalInput]("notes"):              maxChars(household.MaxNote),
	fieldOf[household.ScreenInput]("reason"):               maxChars(household.MaxNote),
	fieldOf[household.ObjectionInput]("notes"):             maxChars(household.MaxNote),
	fieldOf[household.AnswerInput]("note"):                 maxChars(household.MaxNote),
	fieldOf[casework.PublishRequest]("until"):              date,
	fieldOf[casework.ProposalView]("musdesDate"):           date,
}

func digits16(s *openapi3.Schema) { s.Pattern = "^[0-9]{16}$" }

func date(s *openapi3.Schema) { s.Format = "date" }

func maxChars(n int) func(*openapi3.Schema) {
	return func(s *openapi3.Schema) { s.MaxLength = openapi3.Ptr(uint64(n)) }
}

func between[N int | int64](lo, hi N) func(*openapi3.Schema) {
	return func(s *openapi3.Schema) { s.Min, s.Max = openapi3.Ptr(float64(lo)), openapi3.Ptr(float64(hi)) }
}

func itemsBetween(lo, hi int) func(*openapi3.Schema) {
	return func(s *openapi3.Schema) { s.MinItems, s.MaxItems = uint64(lo), openapi3.Ptr(uint64(hi)) }
}

// jsonField is a struct field as encoding/json writes it.
type jsonField struct {
	name     string
	typ      reflect.Type
	optional bool // omitempty or omitzero: may be absent
}

// jsonFields lists what encoding/json writes of struct t, with the fields
// of untagged embedded structs promoted, as openapi3gen does.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-":
			continue
		case f.Anonymous && name == "":
			out = append(out, jsonFields(deref(f.Type))...)
			continue
		case !f.IsExported():
			continue
		}
		if name == "" {
			name = f.Name
		}
		optional := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
		out = append(out, jsonField{name: name, typ: f.Type, optional: optional})
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// customize is the SchemaCustomizer: objects refuse undocumented
// properties and require what Go always writes; named strings of the
// domain and maps keyed by them get their values; times are date-time.
func customize(_ string, t reflect.Type, tag reflect.StructTag, s *openapi3.Schema) error {
	if _, opts, _ := strings.Cut(tag.Get("json"), ","); strings.Contains(opts, "omitempty") {
		s.Nullable = false // an absent pointer is left out, never written as null
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		s.Format = "date-time"
	case t.Kind() == reflect.String:
		if l, ok := typeEnums[t]; ok {
			s.Enum = l.enum()
		}
	case t.Kind() == reflect.Map:
		l, ok := typeEnums[t.Key()]
		if !ok {
			break
		}
		// The store fills every key of a count keyed by an enum (by stage,
		// by outcome), so each value is a required property.
		elem := s.AdditionalProperties.Schema
		s.Properties = openapi3.Schemas{}
		for _, v := range l.values {
			s.Properties[v] = elem
		}
		s.Required = slices.Clone(l.values)
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
	case t.Kind() == reflect.Struct:
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
		s.Required = nil
		for _, f := range jsonFields(t) {
			if !f.optional {
				s.Required = append(s.Required, f.name)
			}
		}
		for name, p := range s.Properties {
			if p.Value == nil {
				continue
			}
			if l, ok := fieldEnums[schemaField{t, name}]; ok {
				target := p.Value
				if p.Value.Items != nil {
					target = p.Value.Items.Value
				}
				target.Enum = l.enum()
			}
			if rule, ok := fieldRules[schemaField{t, name}]; ok {
				rule(p.Value)
			}
		}
	}
	return nil
}

// componentName is a Go type's component name: its own, capitalized
// (statusRequest is StatusRequest).
func componentName(t reflect.Type) string {
	r, n := utf8.DecodeRuneInString(t.Name())
	return string(unicode.ToUpper(r)) + t.Name()[n:]
}

// generateSchemas returns the component schemas of schemaRoots as JSON.
func generateSchemas() ([]byte, error) {
	named := map[string]reflect.Type{}
	var clash error
	g := openapi3gen.NewGenerator(
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{
			ExportComponentSchemas: true, ExportTopLevelSchema: true,
		}),
		openapi3gen.CreateTypeNameGenerator(func(t reflect.Type) string {
			if t.Name() == "" {
				return ""
			}
			name := componentName(t)
			if other, ok := named[name]; ok && other != t && clash == nil {
				clash = fmt.Errorf("%s and %s would both be the component %s", other, t, name)
			}
			named[name] = t
			return name
		}),
		openapi3gen.SchemaCustomizer(customize),
		openapi3gen.ThrowErrorOnCycle(),
	)
	schemas := openapi3.Schemas{}
	for _, v := range schemaRoots {
		if _, err := g.NewSchemaRefForValue(v, schemas); err != nil {
			return nil, fmt.Errorf("schema of %T: %w", v, err)
		}
	}
	if clash != nil {
		return nil, clash
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(schemas); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func TestOpenAPISchemasAreGeneratedFromTheGoTypes(t *testing.T) {
	got, err := generateSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("openapi.schemas.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, generatedSchemas) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(generatedSchemas), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		line := func(l []string) string {
			if i < len(l) {
				return strings.TrimSpace(l[i])
			}
			return "(end of file)"
		}
		t.Fatalf("api/openapi.schemas.json is not what the Go types generate: run `go generate ./api` and review the diff\n"+
			"first difference at line %d: committed %q, generated %q", i+1, line(wl), line(gl))
	}
}
