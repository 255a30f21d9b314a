package household_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

func TestMessagesCarryTheirKeyAndTypedArguments(t *testing.T) {
	tests := []struct {
		name  string
		msg   household.Msg
		text  string
		key   string
		kinds []string
	}{
		{"an enumeration's allowed values", household.Msgf("must be one of %v", household.Sexes), "must be one of [M F]", "one_of", []string{"sex"}},
		{"a stage and a day", household.Msgf("%s deadline %s passed", household.StageVerification, "2026-11-29"),
			"verification deadline 2026-11-29 passed", "ev_deadline_passed", []string{"stage", household.ArgDate}},
		{"a count and a yes or no", household.Msgf("visit %d, above line: %t", 2, true), "visit 2, above line: true", "ev_visit",
			[]string{household.ArgNumber, household.ArgBool}},
		{"a region", household.Msgf("lies outside your region %s", "64.08.01"), "lies outside your region 64.08.01", "outside_region",
			[]string{household.ArgRegion}},
		{"an ID as text", household.Msgf("escalation %s is already resolved", "esc-1"), "escalation esc-1 is already resolved",
			"escalation_resolved", []string{household.ArgText}},
		{"a template not in the table", household.Msgf("something new %d", 1), "something new 1", "", []string{household.ArgNumber}},
	}
	for _, tt := range tests {
		var kinds []string
		for _, a := range tt.msg.Args {
			kinds = append(kinds, a.Kind)
		}
		if tt.msg.Text != tt.text || tt.msg.Key != tt.key || !slices.Equal(kinds, tt.kinds) {
			t.Errorf("%s: %+v, want %q key %q kinds %v", tt.name, tt.msg, tt.text, tt.key, tt.kinds)
		}
	}
	// A plain-string enumeration is named by its field; a rule's error by
	// its own words.
	var fe household.FieldErrors
	household.Enum(&fe, "housing.roof", "daun", household.Roofs)
	fe.Add("members[0].nik", "%v", household.ErrDigits)
	if fe[0].Key != "one_of" || fe[0].Args[0].Kind != "roof" || fe[1].Key != "digits16" || fe[1].Message != household.ErrDigits.Error() {
		t.Errorf("field errors %+v", fe)
	}
}

func TestNumbersAreTidiedNotRefused(t *testing.T) {
	for _, typed := range []string{"6408010101200001", "6408 0101 0120 0001", "6408.0101.0120.0001", "6408-0101-0120-0001", " 6408\u00a00101 0120 0001 "} {
		if got := household.TidyNumber(typed); got != "6408010101200001" {
			t.Errorf("TidyNumber(%q) = %q", typed, got)
		}
	}
	if got := household.TidyNumber("6408 0101 0120 00x1"); got != "64080101012000x1" {
		t.Errorf("a letter stays for the rules to refuse: %q", got)
	}
	in := household.OpenInput{KK: "6408 0101 0120 0001", HeadNIK: "6408.0141.0185.0001", HeadName: "Siti", VillageCode: "64.08.01.2001",
		Address: "RT 03", Source: household.SourceP3KE}
	if err := in.Validate("64.08.01"); err == nil {
		t.Fatal("untidied numbers pass the rules")
	}
	if err := in.Tidy().Validate("64.08.01"); err != nil {
		t.Fatalf("tidied: %v", err)
	}
	s := validSurvey
	s.Survey.Members = slices.Clone(s.Survey.Members)
	s.Survey.Members[0].NIK = "6408 0141 0185 0001"
	if err := s.Tidy().Validate(time.Now()); err != nil {
		t.Fatalf("a survey with a spaced NIK, tidied: %v", err)
	}
	if validSurvey.Survey.Members[0].NIK != "6408014101850001" {
		t.Fatal("Tidy changed the survey it was given")
	}
}
