package console

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// messageSources are the packages whose texts a person may read: the
// domain, and the layers that check input before it or report on it (the
// service, the list import, the API, the console).
var messageSources = []string{"../household", "../casework", "../listimport", "../../activities", "../../api", "."}

// templateCall is a call that makes a message from a template: the
// function's name and the index of its template argument. A receiver or
// package, when not "", must be the one written before the name.
type templateCall struct {
	recv, name string
	arg        int
	// in limits the call to one package directory ("" for all).
	in string
}

var templateCalls = []templateCall{
	{recv: "fe", name: "Add", arg: 1},
	{name: "Errorf", arg: 1, in: "../household"},
	{recv: "household", name: "Errorf", arg: 1},
	{name: "Msgf", arg: 0, in: "../household"},
	{recv: "household", name: "Msgf", arg: 0},
	{name: "NewFieldError", arg: 1, in: "../household"},
	{recv: "household", name: "NewFieldError", arg: 1},
	{recv: "c", name: "event", arg: 3, in: "../household"},
	{recv: "p", name: "event", arg: 3, in: "../household"},
	{recv: "o", name: "event", arg: 3, in: "../household"},
	{name: "record", arg: 2, in: "../household"},
	{name: "headerError", arg: 0, in: "../listimport"},
	{name: "newProblem", arg: 1, in: "../../api"},
	{name: "newProblemf", arg: 1, in: "../../api"},
	{name: "field", arg: 1, in: "../../api"},
	{name: "refuse", arg: 1, in: "../casework"},
	{name: "refusef", arg: 1, in: "../casework"},
	{name: "field", arg: 1, in: "../casework"},
	// The domain's own errors are its rules' words (a NIK's digits, a date).
	{recv: "errors", name: "New", arg: 0, in: "../household"},
	{recv: "fmt", name: "Errorf", arg: 0, in: "../household"},
}

// sourceTemplates returns every template the sources pass to a message
// constructor, literal or a package constant, with where it is; and the
// calls whose template is neither (which no test could check).
func sourceTemplates(t *testing.T) (map[string][]string, []string) {
	t.Helper()
	found := map[string][]string{}
	var opaque []string
	for _, dir := range messageSources {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		var parsed []*ast.File
		consts := map[string]string{}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(fset, f, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			parsed = append(parsed, af)
			// Constants, the package's and functions' own.
			ast.Inspect(af, func(n ast.Node) bool {
				gd, ok := n.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					return true
				}
				for _, sp := range gd.Specs {
					vs := sp.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if s, ok := stringLit(vs.Values[i]); ok {
								consts[n.Name] = s
							}
						}
					}
				}
				return true
			})
		}
		for _, af := range parsed {
			ast.Inspect(af, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				for _, tc := range templateCalls {
					if (tc.in != "" && tc.in != dir) || !calls(call, tc.recv, tc.name) || len(call.Args) <= tc.arg {
						continue
					}
					pos := fset.Position(call.Pos()).String()
					arg := call.Args[tc.arg]
					if s, ok := stringLit(arg); ok {
						if s != "%v" { // an error's own words, found where it is made
							found[s] = append(found[s], pos)
						}
					} else if id, ok := arg.(*ast.Ident); ok && consts[id.Name] != "" {
						found[consts[id.Name]] = append(found[consts[id.Name]], pos)
					} else if built(arg) {
						opaque = append(opaque, pos)
					}
				}
				return true
			})
		}
	}
	return found, opaque
}

// built reports whether a template is put together where it is used (a
// concatenation, a fmt.Sprintf): its words are no template of the table.
// Anything else that is not a literal passes on a message made elsewhere
// (a template parameter, an error's words).
func built(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BinaryExpr:
		return true
	case *ast.CallExpr:
		return calls(x, "fmt", "Sprintf") || calls(x, "strings", "Join")
	}
	return false
}

func calls(call *ast.CallExpr, recv, name string) bool {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return recv == "" && f.Name == name
	case *ast.SelectorExpr:
		x, ok := f.X.(*ast.Ident)
		return ok && recv != "" && x.Name == recv && f.Sel.Name == name
	}
	return false
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

var verb = regexp.MustCompile(`%[vsdqt]`)

// TestEveryMessageTheCodeCanSayIsInBothCatalogues reads the sources of the
// domain, the API's service, the list import and the console, collects
// every template they make a message of, and fails on one that has no key
// in the domain's table, on a key either catalogue lacks, and on a
// catalogue text that names an argument the template does not have.
func TestEveryMessageTheCodeCanSayIsInBothCatalogues(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	found, opaque := sourceTemplates(t)
	for _, pos := range opaque {
		t.Errorf("%s: a message whose template is not a literal or a constant; no test can check its translation", pos)
	}
	if len(found) < 100 {
		t.Fatalf("found only %d templates in the sources; is the scan still reading them?", len(found))
	}
	var unkeyed []string
	for tpl, where := range found {
		if household.MessageKey(tpl) == "" {
			unkeyed = append(unkeyed, where[0]+": "+strconv.Quote(tpl))
		}
	}
	sort.Strings(unkeyed)
	for _, u := range unkeyed {
		t.Errorf("%s has no key in household's table of messages (internal/household/messages.go)", u)
	}
	templates := household.Templates()
	used := map[string]bool{}
	for tpl := range found {
		used[tpl] = true
	}
	for key, tpl := range templates {
		if !used[tpl] {
			t.Errorf("msg.%s: template %q is in the table but no source says it", key, tpl)
		}
		args := len(verb.FindAllString(tpl, -1))
		for _, code := range languages {
			text, ok := locales[code].messages["msg."+key]
			if !ok {
				t.Errorf("the %s catalogue lacks msg.%s (%q)", code, key, tpl)
				continue
			}
			for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
				if n, _ := strconv.Atoi(m[1]); n > args {
					t.Errorf("%s msg.%s names {%d}; the template %q has %d arguments", code, key, n, tpl, args)
				}
			}
		}
	}
	t.Logf("%d templates in the sources, %d keys, each in %d catalogues", len(found), len(templates), len(languages))
}

// TestEveryValueAMessageMayNameHasALabel: an enumeration's value reaches a
// page by its label in each catalogue, never as the code.
func TestEveryValueAMessageMayNameHasALabel(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	for kind, values := range household.Enumerations() {
		for _, v := range values {
			for _, code := range languages {
				if _, ok := locales[code].messages[kind+"."+v]; !ok {
					t.Errorf("the %s catalogue has no label %s.%s", code, kind, v)
				}
			}
		}
	}
}

func TestMessagesAreSaidInTheReadersLanguage(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	id, en := locales["id"], locales["en"]
	var fe household.FieldErrors
	household.Enum(&fe, "members[0].occupation", household.Occupation("fisherman"), household.Occupations[:3])
	household.Enum(&fe, "housing.floor", "dirt", household.Floors[:2])
	fe.Money("monthlyIncome", -1)
	c, _ := household.Open(household.OpenInput{ID: "c-1", KK: "6408010101200001", HeadNIK: "6408014101850001", HeadName: "Siti",
		VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE},
		household.Actor{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"}, household.DefaultRules(),
		household.DefaultDeadlines(), time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC))
	events := c.Tick(c.Deadline)
	stageErr := c.CheckVerification(household.Actor{Sub: "v", Role: household.RoleVerifier, Region: "64.08"},
		household.VerificationInput{Outcome: household.ExtremePoor}, time.Now())
	de := stageErr.(*household.Error)
	tests := []struct {
		name, got, want string
	}{
		{"enum list", id.FieldError(fe[0]), "harus salah satu dari: Tidak bekerja, Pelajar, Petani"},
		{"enum list, English", en.FieldError(fe[0]), "must be one of: None, Student, Farmer"},
		{"plain-string enum by its field", id.FieldError(fe[1]), "harus salah satu dari: Tanah, Bambu"},
		{"number", id.FieldError(fe[2]), "harus rupiah bulat dari 0 sampai " + Num(household.MaxRupiah)},
		{"summary with a stage and a day", id.Say(events[0].Key, events[0].Args, events[0].Summary), "Tenggat tahap Pendataan (16 Nov 2026) terlewati"},
		{"conflict", id.Say(de.Key, de.Args, de.Message), "Verifikasi tidak dapat dilakukan saat kasus berada di tahap Pendataan"},
		{"no key: English only in English", en.Say("", nil, "something"), "something"},
		{"no key: nothing in Indonesian", id.Say("", nil, "something"), ""},
		{"no key: a field's general words", id.FieldError(household.FieldError{Field: "x", Message: "odd"}), "Isian ini tidak valid."},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if !slices.Contains(fe[0].Args[0].Values, "student") || fe[0].Key != "one_of" || fe[0].Message != "must be one of [none student farmer]" {
		t.Errorf("the field error keeps its English and its codes for the API: %+v", fe[0])
	}
}

func TestDatesFollowTheRegionsClock(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	id := locales["id"]
	late := time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC) // 07.30 the next morning in Kutai Timur
	tests := []struct {
		name, got, want string
	}{
		{"Kutai Timur (WITA)", id.DateTimeIn(late, "64.08.01.2001"), "29 Nov 2026 07.30"},
		{"the person's region", id.In("64.08").Date(late), "29 Nov 2026"},
		{"a WIB province", id.DateTimeIn(late, "61"), "29 Nov 2026 06.30"},
		{"a WIT province", id.DateTimeIn(late, "91"), "29 Nov 2026 08.30"},
		{"no region: WITA", id.DateTime(late), "29 Nov 2026 07.30"},
		{"at 15.59 UTC still the same day in WITA", id.DateIn(time.Date(2026, 11, 28, 15, 59, 0, 0, time.UTC), "64.08"), "28 Nov 2026"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
