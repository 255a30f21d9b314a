package api

import (
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// TestProblemsCarryTheirMessageKeys: beside the English detail for
// machines, a problem and each of its field errors carry the catalogue key
// and arguments a person's page says them with, whether the domain refused
// before Temporal or the case's workflow did.
func TestProblemsCarryTheirMessageKeys(t *testing.T) {
	c := openCase("run-1")
	conflict := c.CheckVerification(household.Actor{Sub: "v", Role: household.RoleVerifier, Region: "64.08"},
		household.VerificationInput{Outcome: household.Poor}, time.Now())
	de := conflict.(*household.Error)
	tests := []struct {
		name      string
		rejection error
		body      map[string]any
		status    int
		key       string // the problem's
		field     string
		fieldKey  string
		argKind   string // of the first argument, problem's or field's
	}{
		{name: "the workflow's stage conflict", rejection: temporal.NewApplicationError(de.Message, string(de.Code), *de),
			body: validSurvey(), status: http.StatusConflict, key: "stage_conflict", argKind: "action"},
		{name: "the workflow's field errors", rejection: temporal.NewApplicationError("invalid", string(household.CodeInvalid),
			[]household.FieldError{household.NewFieldError("musdesDate", "must not be before the case was opened (%s)", "2026-11-02")}),
			body: validSurvey(), status: http.StatusUnprocessableEntity, field: "musdesDate", fieldKey: "before_opened", argKind: "date"},
		{name: "the domain's checks before Temporal", body: map[string]any{"survey": map[string]any{"members": []any{}}},
			status: http.StatusUnprocessableEntity, key: "invalid_fields", field: "housing.floor", fieldKey: "one_of", argKind: "floor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ht := newHandlerTest(t, c)
			ht.temporal.rejection = tt.rejection
			rec := ht.do(http.MethodPost, "/v1/cases/run-1/survey", ht.token(household.RoleCaseworker, "64.08.01"), tt.body)
			if rec.Code != tt.status {
				t.Fatalf("= %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			p := problemOf(t, rec)
			if p.Detail == "" || p.Key != tt.key && tt.key != "" {
				t.Errorf("problem detail %q key %q, want the English detail and key %q", p.Detail, p.Key, tt.key)
			}
			if tt.field == "" {
				if len(p.Args) == 0 || p.Args[0].Kind != tt.argKind {
					t.Errorf("problem args %+v, want the first of kind %q", p.Args, tt.argKind)
				}
				return
			}
			for _, fe := range p.Errors {
				if fe.Field == tt.field {
					if fe.Key != tt.fieldKey || fe.Message == "" || len(fe.Args) == 0 || fe.Args[0].Kind != tt.argKind {
						t.Errorf("field error %+v, want key %q with English and a first argument of kind %q", fe, tt.fieldKey, tt.argKind)
					}
					return
				}
			}
			t.Errorf("no error for %s in %+v", tt.field, p.Errors)
		})
	}
}

// TestNumbersTypedWithSpacesOrDotsAreTidied: a KK or NIK copied as
// "6408 0101 0120 0001" or "6408.0101.0120.0001" is taken as its digits,
// not refused, when opening a case and in a survey.
func TestNumbersTypedWithSpacesOrDotsAreTidied(t *testing.T) {
	ht := newHandlerTest(t)
	ht.temporal.answer = workflows.OpenResult{Case: openCase("run-1"), Created: true}
	req := openRequest(senyiur)
	req["kk"], req["headNik"] = "6408 0101 0120 0001", "6408.0141.0185.0001"
	if rec := ht.do(http.MethodPost, "/v1/cases", ht.token(household.RoleCaseworker, "64.08.01"), req); rec.Code != http.StatusCreated {
		t.Fatalf("open = %d: %s", rec.Code, rec.Body)
	}
	sent := ht.temporal.sent()
	in, _ := sent[0].args[0].(workflows.CaseInput)
	if sent[0].workflowID != workflows.WorkflowID(testKeys, caseKK) || in.Open.KK != caseKK || in.Open.HeadNIK != headNIK {
		t.Fatalf("opened %s with %+v, want the tidied numbers", sent[0].workflowID, in.Open)
	}

	ht = newHandlerTest(t, openCase("run-1"))
	ht.temporal.answer = surveyedCase("run-1")
	body := validSurvey()
	body["survey"].(map[string]any)["members"].([]map[string]any)[0]["nik"] = "6408 0141\u00a00185-0001"
	if rec := ht.do(http.MethodPost, "/v1/cases/run-1/survey", ht.token(household.RoleCaseworker, "64.08.01"), body); rec.Code != http.StatusOK {
		t.Fatalf("survey = %d: %s", rec.Code, rec.Body)
	}
	s, _ := ht.temporal.sent()[0].args[1].(household.SurveyInput)
	if len(s.Survey.Members) != 1 || s.Survey.Members[0].NIK != headNIK {
		t.Fatalf("the survey went on with %+v, want the tidied NIK", s.Survey.Members)
	}
}
