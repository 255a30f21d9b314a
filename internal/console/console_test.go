package console

import (
	"io/fs"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
)

func TestCataloguesHoldTheSameKeysAndEveryKeyTheTemplatesUse(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	id, en := locales["id"].messages, locales["en"].messages
	for k := range id {
		if _, ok := en[k]; !ok {
			t.Errorf("%q is in the Indonesian catalogue, not the English one", k)
		}
	}
	for k := range en {
		if _, ok := id[k]; !ok {
			t.Errorf("%q is in the English catalogue, not the Indonesian one", k)
		}
	}
	used := regexp.MustCompile(`L\.T "([a-zA-Z0-9_.-]+)"`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := templateFS.ReadFile(f)
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := id[m[1]]; !ok {
				t.Errorf("%s uses %q, which the catalogue lacks", f, m[1])
			}
		}
	}
	// Every value a page shows by kind has a label.
	kinds := map[string][]string{
		"stage": strs(household.Stages), "outcome": strs(household.Outcomes), "role": strs(household.Roles),
		"program": strs(household.Programs), "agency": household.Agencies, "verdict": strs(household.VerificationOutcomes),
		"ivstatus": strs(household.InterventionStatuses), "relation": strs(household.Relations), "education": strs(household.Educations),
		"occupation": strs(household.Occupations), "floor": household.Floors, "electricity": household.Electricities,
	}
	for kind, values := range kinds {
		for _, v := range values {
			if _, ok := id[kind+"."+v]; !ok {
				t.Errorf("no label for %s %q", kind, v)
			}
		}
	}
	// Every action's redirect names a known flash, and every flash a message.
	for _, a := range household.Actions {
		if _, ok := flashes[string(a)]; !ok {
			t.Errorf("no flash for a done %s", a)
		}
	}
	for done, key := range flashes {
		if _, ok := id[key]; !ok {
			t.Errorf("no message %q for a done %s", key, done)
		}
	}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func TestFormats(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name, got, want string
	}{
		{"money", Money(1_250_000), "Rp 1.250.000"},
		{"small money", Money(950), "Rp 950"},
		{"zero money", Money(0), "Rp 0"},
		{"thousands", Num(6000), "6.000"},
		{"negative", Num(-1234567), "-1.234.567"},
		{"date id", locales["id"].Date(day), "29 Nov 2026"},
		{"date id august", locales["id"].Date(time.Date(2026, 8, 17, 0, 0, 0, 0, time.UTC)), "17 Agu 2026"},
		{"date en", locales["en"].Date(time.Date(2026, 8, 17, 0, 0, 0, 0, time.UTC)), "17 Aug 2026"},
		{"date in WITA", locales["id"].Date(time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC)), "29 Nov 2026"},
		{"day string", locales["id"].Day("2026-12-05"), "5 Des 2026"},
		{"percent", Pct(18.18), "18,2%"},
		{"small percent", Pct(0.0013), "0,00%"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestLocalPathKeepsSignInLinksOnThisSite(t *testing.T) {
	tests := map[string]string{
		"/cases/x?done=1": "/cases/x?done=1", "": "/", "https://evil.example/": "/",
		"//evil.example/": "/", `/\evil.example`: "/", "cases": "/",
		`/./\127.0.0.1:18999/x`: "/", "/\t/host": "/", "/%5Cevil": "/", "/%09/evil": "/", "/./%5C127.0.0.1/x": "/",
		"\t/x": "/", "/cases?stage=collecting": "/cases?stage=collecting", "/cases/a%2Fb?x=1#f": "/cases/a%2Fb?x=1",
	}
	for in, want := range tests {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSurveyFormReadsRowsMoneyAndDraft(t *testing.T) {
	f := url.Values{
		"members[0].nik": {"6408014101850001"}, "members[0].name": {"Siti"}, "members[0].relation": {"head"},
		"members[1].nik": {""}, "members[1].name": {""}, // an extra empty row from a phone
		"members[2].nik": {"6408010203100002"}, "members[2].name": {"Rudi"}, "members[2].disability": {"on"},
		"monthlyExpenditure": {"Rp 1.250.000"}, "monthlyIncome": {"500000"}, "assets.motorbikes": {"2"},
		"programs": {"pkh", "sembako"}, "incomeSources": {"tani, ojek"}, "draft": {"1"},
	}
	in, err := surveyInput(f)
	if err != nil {
		t.Fatal(err)
	}
	s := in.Survey
	if len(s.Members) != 2 || s.Members[1].Name != "Rudi" || !s.Members[1].Disability {
		t.Fatalf("members %+v", s.Members)
	}
	if s.MonthlyExpenditure != 1_250_000 || s.MonthlyIncome != 500_000 || s.Assets.Motorbikes != 2 || !in.Draft {
		t.Fatalf("survey %+v draft %t", s, in.Draft)
	}
	if !slices.Equal(s.IncomeSources, []string{"tani", "ojek"}) || len(s.Programs) != 2 {
		t.Fatalf("sources %v programs %v", s.IncomeSources, s.Programs)
	}
	f.Set("monthlyIncome", "lima ratus ribu")
	var fe household.FieldErrors
	if _, err := surveyInput(f); !asFieldErrors(err, &fe) || fe[0].Field != "monthlyIncome" {
		t.Fatalf("a word for money: %v", err)
	}
	// A saved survey opens the form filled in, and reads back the same.
	back, err := surveyInput(surveyForm(casework.SurveyView{Members: []casework.MemberView{{NIK: "6408014101850001", Name: "Siti",
		Relation: household.RelationHead, BirthDate: "1985-01-01"}}, MonthlyExpenditure: 600_000, Programs: []household.Program{"pkh"}}))
	if err != nil || len(back.Survey.Members) != 1 || back.Survey.MonthlyExpenditure != 600_000 || back.Draft {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestWorkQueueOrdersOverdueFirstThenByDeadline(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 29, h, 0, 0, 0, time.UTC) }
	items := []casework.SummaryView{
		{ID: "later", Deadline: at(12)}, {ID: "none"}, {ID: "overdue-late", Overdue: true, Deadline: at(9)},
		{ID: "sooner", Deadline: at(10)}, {ID: "overdue-early", Overdue: true, Deadline: at(1)},
	}
	slices.SortStableFunc(items, urgency)
	var got []string
	for _, it := range items {
		got = append(got, it.ID)
	}
	want := []string{"overdue-early", "overdue-late", "sooner", "later", "none"}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestEveryPageParses(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"signin", "queue", "dashboard", "list", "open", "case", "imports", "import", "province", "error", "notfound"} {
		if pages[name] == nil {
			t.Errorf("no page %s", name)
		}
	}
}
