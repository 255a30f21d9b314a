package casework

import (
	"errors"
	"net/url"
	"reflect"
	"slices"
	"testing"

	"github.com/tuntas-id/tuntas/internal/household"
)

// TestParseFilterNamesEveryBadParameterInOrder: one answer names every
// parameter that is not of its type and every value the scope or the
// domain refuses, in the parameters' order.
func TestParseFilterNamesEveryBadParameterInOrder(t *testing.T) {
	q, _ := url.ParseQuery("limit=ten&overdue=TRUE&outcome=rich&stage=done&district=64.01.01&escalated=1&village=64.08.01.2001&transfer=inbound")
	_, err := ParseFilter(q, "64.08")
	var fe household.FieldErrors
	if !asFieldErrors(err, &fe) {
		t.Fatalf("ParseFilter = %v, want field errors", err)
	}
	var fields []string
	for _, e := range fe {
		fields = append(fields, e.Field)
	}
	if want := []string{"district", "stage", "outcome", "escalated", "overdue", "transfer", "limit"}; !slices.Equal(fields, want) {
		t.Fatalf("fields %v, want %v", fields, want)
	}
}

// TestAFilterReadsBackFromItsQuery: what the record of a list keeps reads
// back as the same filter, parameters in ParseFilter's order.
func TestAFilterReadsBackFromItsQuery(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		f     Filter
		query string
	}{
		{Filter{}, ""},
		{Filter{Village: "64.08.01.2001", Limit: 5}, "village=64.08.01.2001&limit=5"},
		{Filter{District: "64.08.01", Village: "64.08.01.2001", Stage: household.StageCollecting, Status: household.StatusOpen,
			Outcome: household.OutcomeGraduated, Escalated: &no, Overdue: &yes, Transfer: household.TransferIncoming, Limit: 200, Cursor: "a+b/c"},
			"district=64.08.01&village=64.08.01.2001&stage=collecting&status=open&outcome=graduated&escalated=false&overdue=true&transfer=incoming&limit=200&cursor=a%2Bb%2Fc"},
	}
	for _, tt := range tests {
		if got := tt.f.Query(); got != tt.query {
			t.Errorf("Query = %q, want %q", got, tt.query)
		}
		q, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseFilter(q, "64.08")
		if err != nil || !reflect.DeepEqual(back, tt.f) {
			t.Errorf("ParseFilter(%q) = %+v, %v; want %+v", tt.query, back, err, tt.f)
		}
	}
}

// TestValidateChecksATypedFilterAsParseFilterDoes: a filter built in code
// (the console's queues) meets the same rules.
func TestValidateChecksATypedFilterAsParseFilterDoes(t *testing.T) {
	tests := []struct {
		f     Filter
		field string // "" for valid
	}{
		{Filter{Status: household.StatusOpen, Limit: MaxLimit}, ""},
		{Filter{Limit: MaxLimit + 1}, "limit"},
		{Filter{Limit: -1}, "limit"},
		{Filter{Stage: "done"}, "stage"},
		{Filter{District: "64.08.03"}, "district"}, // outside a caseworker's kecamatan
		{Filter{Village: "64.08.01"}, "village"},
		{Filter{Transfer: household.TransferOutgoing}, ""},
		{Filter{Transfer: "sideways"}, "transfer"},
	}
	for _, tt := range tests {
		err := tt.f.Validate("64.08.01")
		var fe household.FieldErrors
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%+v: %v, want valid", tt.f, err)
		case tt.field != "" && (!asFieldErrors(err, &fe) || fe[0].Field != tt.field):
			t.Errorf("%+v: %v, want an error of %s", tt.f, err, tt.field)
		}
	}
}

func asFieldErrors(err error, fe *household.FieldErrors) bool { return errors.As(err, fe) }
