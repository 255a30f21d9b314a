package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// TestWorkflowAnswersBecomeProblems: an action is an update of the case's
// workflow; however the workflow or the service answers, the caller gets a
// problem+json with the status that says what to do next, and never the
// text of an internal failure.
func TestWorkflowAnswersBecomeProblems(t *testing.T) {
	const secret = "dial tcp 10.0.3.7:7233: connection refused by frontend-2"
	tests := []struct {
		name       string
		rpcErr     error // the call fails
		rejection  error // the workflow refuses
		status     int
		detail     string // a substring of the detail, if any
		field      string // a field named in errors, for 422
		retryAfter bool
	}{
		{name: "a stage conflict is 409 with the workflow's reason",
			rejection: temporal.NewApplicationError("village confirmation is not possible while the case is collecting", string(household.CodeConflict)),
			status:    http.StatusConflict, detail: "not possible while the case is collecting"},
		{name: "a refusal of the actor is 403",
			rejection: temporal.NewApplicationError("the case lies outside region 64.08.03", string(household.CodeForbidden)),
			status:    http.StatusForbidden, detail: "outside region"},
		{name: "something the case lacks is 404",
			rejection: temporal.NewApplicationError(`no escalation "esc-9" in this case`, string(household.CodeNotFound)),
			status:    http.StatusNotFound, detail: "esc-9"},
		{name: "invalid content is 422 naming each field",
			rejection: temporal.NewApplicationError("survey invalid", string(household.CodeInvalid),
				[]household.FieldError{{Field: "members[0].birthDate", Message: "must be between 1900-01-01 and today"}, {Field: "monthlyExpenditure", Message: "must not be negative"}}),
			status: http.StatusUnprocessableEntity, field: "members[0].birthDate"},
		{name: "a case whose workflow has ended is 409",
			rpcErr: serviceerror.NewNotFound("workflow execution already completed"),
			status: http.StatusConflict, detail: "no longer running"},
		{name: "an unavailable service is 503 with Retry-After",
			rpcErr: serviceerror.NewUnavailable(secret),
			status: http.StatusServiceUnavailable, retryAfter: true},
		{name: "a deadline is 504 with Retry-After",
			rpcErr: fmt.Errorf("update survey: %w", context.DeadlineExceeded),
			status: http.StatusGatewayTimeout, retryAfter: true},
		{name: "an unknown error is a bare 500",
			rpcErr: errors.New(secret),
			status: http.StatusInternalServerError},
		{name: "a workflow failure of an unknown type is a bare 500",
			rejection: temporal.NewApplicationError(secret, "PanicError"),
			status:    http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ht := newHandlerTest(t, openCase("run-1"))
			ht.temporal.rpcErr, ht.temporal.rejection = tt.rpcErr, tt.rejection
			rec := ht.do(http.MethodPost, "/v1/cases/run-1/survey", ht.token(household.RoleCaseworker, "64.08.01"),
				validSurvey())
			if rec.Code != tt.status {
				t.Fatalf("= %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			p := problemOf(t, rec)
			if p.Instance != "/v1/cases/run-1/survey" {
				t.Errorf("instance %q", p.Instance)
			}
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail %q does not carry %q", p.Detail, tt.detail)
			}
			if tt.field != "" && !slices.ContainsFunc(p.Errors, func(fe household.FieldError) bool { return fe.Field == tt.field }) {
				t.Errorf("errors %+v do not name %s", p.Errors, tt.field)
			}
			if got := rec.Header().Get("Retry-After"); (got != "") != tt.retryAfter {
				t.Errorf("Retry-After %q, want one: %t", got, tt.retryAfter)
			}
			if strings.Contains(rec.Body.String(), "10.0.3.7") || strings.Contains(rec.Body.String(), "frontend-2") {
				t.Errorf("the answer leaks the internal error: %s", rec.Body)
			}
		})
	}
}

// TestActionsAreUpdatesOfTheCasesWorkflow: each action goes to the live
// workflow of the case's family card, pinned to the case's first run, as
// the update of its name carrying who acts, and answers with the case the
// workflow returns.
func TestActionsAreUpdatesOfTheCasesWorkflow(t *testing.T) {
	tests := []struct {
		path   string
		role   household.Role
		region string
		agency string
		body   any
		update string
	}{
		{"/survey", household.RoleCaseworker, "64.08.01", "", map[string]any{"draft": true, "survey": validSurvey()["survey"]}, workflows.UpdateSurvey},
		{"/village-confirmation", household.RoleVillageOfficer, senyiur, "", map[string]any{"decision": "confirmed", "musdesDate": "2026-01-05", "musdesMinutes": "1/MUSDES"}, workflows.UpdateVillage},
		{"/verification", household.RoleVerifier, "64.08", "", map[string]any{"outcome": "extreme_poor"}, workflows.UpdateVerification},
		{"/graduation", household.RoleVerifier, "64.08", "", map[string]any{"notes": "n"}, workflows.UpdateGraduate},
		{"/interventions", household.RoleSupervisor, "64.08", "", map[string]any{"interventions": []any{map[string]any{"program": "pkh", "agency": household.AgencyDinsos}}}, workflows.UpdateAssign},
		{"/interventions/iv-1/status", household.RoleAgency, "64.08", household.AgencyDinsos, map[string]any{"status": "acknowledged"}, workflows.UpdateIntervention},
		{"/follow-ups", household.RoleCaseworker, "64.08.01", "", map[string]any{"visitDate": "2026-01-05", "monthlyExpenditure": 1}, workflows.UpdateFollowUp},
		{"/escalations/esc-1/resolution", household.RoleProvince, "64", "", map[string]any{"resolution": "done"}, workflows.UpdateResolve},
		{"/close", household.RoleSupervisor, "64.08", "", map[string]any{"reason": "moved"}, workflows.UpdateClose},
		{"/transfers", household.RoleSupervisor, "64.08", "", map[string]any{"toVillage": "64.08.03.2004", "address": "RT 05", "reason": "pindah"}, workflows.UpdateTransfer},
		{"/transfers/tr-1/answer", household.RoleSupervisor, "64.08", "", map[string]any{"decision": "accepted"}, workflows.UpdateTransferAnswer},
		{"/transfers/tr-1/cancel", household.RoleSupervisor, "64.08", "", map[string]any{}, workflows.UpdateTransferCancel},
	}
	for _, tt := range tests {
		t.Run(tt.update, func(t *testing.T) {
			c := surveyedCase("run-1")
			ht := newHandlerTest(t, c)
			after := c
			after.Version = 9
			ht.temporal.answer = after
			var agency []string
			if tt.agency != "" {
				agency = []string{tt.agency}
			}
			rec := ht.do(http.MethodPost, "/v1/cases/run-1"+tt.path, ht.token(tt.role, tt.region, agency...), tt.body)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"version":9`) {
				t.Fatalf("= %d, want 200 with the workflow's case: %s", rec.Code, rec.Body)
			}
			sent := ht.temporal.sent()
			if len(sent) != 1 {
				t.Fatalf("sent %+v, want one update", sent)
			}
			u := sent[0]
			if u.kind != "update" || u.name != tt.update || u.workflowID != workflows.WorkflowID(testKeys, caseKK) || u.runID != "run-1" {
				t.Errorf("sent %s %q to %s run %s, want update %q to %s run run-1", u.kind, u.name, u.workflowID, u.runID, tt.update, workflows.WorkflowID(testKeys, caseKK))
			}
			if a, ok := u.args[0].(household.Actor); !ok || a.Role != tt.role || a.Region != tt.region || a.Agency != tt.agency || a.Sub == "" {
				t.Errorf("the update names the actor %+v, want the caller", u.args[0])
			}
		})
	}
}

// TestItemIDsComeFromThePath: the intervention, escalation or transfer an
// action concerns is the one named in the path, whatever the body says.
func TestItemIDsComeFromThePath(t *testing.T) {
	ht := newHandlerTest(t, surveyedCase("run-1"))
	ht.temporal.answer = surveyedCase("run-1")
	ht.do(http.MethodPost, "/v1/cases/run-1/interventions/iv-2/status", ht.token(household.RoleAgency, "64.08", household.AgencyDinsos),
		map[string]any{"status": "delivered"})
	ht.do(http.MethodPost, "/v1/cases/run-1/escalations/esc-7/resolution", ht.token(household.RoleSupervisor, "64.08"),
		map[string]any{"resolution": "answered"})
	ht.do(http.MethodPost, "/v1/cases/run-1/transfers/tr-3/answer", ht.token(household.RoleSupervisor, "64.08"),
		map[string]any{"decision": "refused", "reason": "tidak ditemukan"})
	sent := ht.temporal.sent()
	if len(sent) != 3 {
		t.Fatalf("sent %+v, want three updates", sent)
	}
	if in, ok := sent[2].args[1].(household.TransferAnswerInput); !ok || in.ID != "tr-3" || in.Decision != household.TransferRefuse {
		t.Errorf("transfer answer carries %+v, want tr-3 refused", sent[2].args[1])
	}
	if in, ok := sent[0].args[1].(household.InterventionInput); !ok || in.ID != "iv-2" || in.Status != household.InterventionDelivered {
		t.Errorf("intervention update carries %+v, want iv-2 delivered", sent[0].args[1])
	}
	if in, ok := sent[1].args[1].(household.ResolveInput); !ok || in.ID != "esc-7" || in.Resolution != "answered" {
		t.Errorf("resolution update carries %+v, want esc-7", sent[1].args[1])
	}
}

func TestAClosedCaseTakesNoActions(t *testing.T) {
	c := openCase("run-1")
	c.Stage, c.Status, c.Outcome = household.StageClosed, household.StatusClosed, household.OutcomeGraduated
	ht := newHandlerTest(t, c)
	rec := ht.do(http.MethodPost, "/v1/cases/run-1/close", ht.token(household.RoleSupervisor, "64.08"), map[string]any{"reason": "moved"})
	if rec.Code != http.StatusConflict || !strings.Contains(problemOf(t, rec).Detail, "graduated") {
		t.Fatalf("= %d, want 409 naming the outcome: %s", rec.Code, rec.Body)
	}
	if sent := ht.temporal.sent(); len(sent) != 0 {
		t.Errorf("sent %+v to the workflow of a closed case", sent)
	}
}

// TestEscalationIsOneUpdate: an escalation is one update of the case,
// answered once the case has recorded it; the API answers 201 with its ID.
func TestEscalationIsOneUpdate(t *testing.T) {
	sup := func(ht *handlerTest) string { return ht.token(household.RoleSupervisor, "64.08") }
	body := map[string]any{"level": "province", "reason": "no KTP, no program can enrol the household"}

	t.Run("recorded", func(t *testing.T) {
		c := openCase("run-1")
		ht := newHandlerTest(t, c)
		c.Escalated = true
		ht.temporal.answer = c
		rec := ht.do(http.MethodPost, "/v1/cases/run-1/escalations", sup(ht), body)
		if rec.Code != http.StatusCreated {
			t.Fatalf("= %d, want 201: %s", rec.Code, rec.Body)
		}
		sent := ht.temporal.sent()
		if len(sent) != 1 || sent[0].kind != "update" || sent[0].name != workflows.UpdateEscalate {
			t.Fatalf("sent %+v, want the escalate update alone", sent)
		}
		by, _ := sent[0].args[0].(household.Actor)
		in, ok := sent[0].args[1].(household.EscalateInput)
		if !ok || in.ID == "" || by.Update == "" || by.Case != "run-1" || !strings.Contains(rec.Body.String(), `"escalationId":"`+in.ID+`"`) {
			t.Errorf("update args %+v, answer %s: want the bound actor and one escalation ID throughout", sent[0].args, rec.Body)
		}
		if loc := rec.Header().Get("Location"); loc != "/v1/cases/run-1/escalations/"+in.ID {
			t.Errorf("Location %q", loc)
		}
	})
	t.Run("refused by the domain before anything is sent", func(t *testing.T) {
		ht := newHandlerTest(t, openCase("run-1"))
		rec := ht.do(http.MethodPost, "/v1/cases/run-1/escalations", sup(ht), map[string]any{"level": "nation", "reason": "r"})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("= %d, want 422: %s", rec.Code, rec.Body)
		}
		if sent := ht.temporal.sent(); len(sent) != 0 {
			t.Errorf("sent %+v", sent)
		}
	})
	t.Run("the signal cannot be delivered", func(t *testing.T) {
		ht := newHandlerTest(t, openCase("run-1"))
		ht.temporal.rpcErr = serviceerror.NewUnavailable("frontend down")
		rec := ht.do(http.MethodPost, "/v1/cases/run-1/escalations", sup(ht), body)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("= %d (Retry-After %q), want 503 with Retry-After: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
		if sent := ht.temporal.sent(); len(sent) != 1 {
			t.Errorf("sent %+v, want only the failed signal", sent)
		}
	})
}

func TestReadyzNamesTheUnreachableDependency(t *testing.T) {
	ht := newHandlerTest(t)
	if rec := ht.do(http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("ready: %d %s", rec.Code, rec.Body)
	}
	ht.temporal.rpcErr = serviceerror.NewUnavailable("frontend down")
	rec := ht.do(http.MethodGet, "/readyz", "", nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"temporal":"unreachable"`) ||
		!strings.Contains(rec.Body.String(), `"mongodb":"ok"`) {
		t.Fatalf("= %d %s, want 503 naming temporal", rec.Code, rec.Body)
	}
}

// TestAnUpdateThatMeetsAnEndingRunIsSentAgain: after a follow-up visit the
// case continues as new; an update that reaches the old run as it ends is
// refused unapplied, and the API sends it again to the next run.
func TestAnUpdateThatMeetsAnEndingRunIsSentAgain(t *testing.T) {
	retries := func(cfg *casework.Config) { cfg.UpdateRetries = []time.Duration{time.Millisecond, time.Millisecond} }
	tests := []struct {
		name   string
		ending int
		status int
		calls  int
	}{
		{"answered by the next run", 2, http.StatusOK, 3},
		{"still ending after every retry", 5, http.StatusServiceUnavailable, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := surveyedCase("run-1")
			ht := newHandlerTestWith(t, retries, c)
			ht.temporal.answer, ht.temporal.endingRuns = c, tt.ending
			rec := ht.do(http.MethodPost, "/v1/cases/run-1/close", ht.token(household.RoleSupervisor, "64.08"), map[string]any{"reason": "moved"})
			if rec.Code != tt.status || len(ht.temporal.sent()) != tt.calls {
				t.Fatalf("= %d after %d updates, want %d after %d: %s", rec.Code, len(ht.temporal.sent()), tt.status, tt.calls, rec.Body)
			}
			if tt.status == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		})
	}
}

// validSurvey is a survey body the domain accepts, so that a test of what
// the workflow answers reaches the workflow.
func validSurvey() map[string]any {
	return map[string]any{"survey": map[string]any{
		"members": []map[string]any{{"nik": "6408014101850001", "name": "Siti Aminah", "relation": "head", "birthDate": "1985-01-01",
			"sex": "F", "education": "sd", "occupation": "farmer"}},
		"monthlyExpenditure": 600000, "monthlyIncome": 600000,
		"housing": map[string]any{"floor": "earth", "wall": "bamboo", "roof": "zinc", "water": "unprotected", "sanitation": "none", "electricity": "pln_450"},
	}}
}
