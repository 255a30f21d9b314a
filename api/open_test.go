package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// openRequest opens caseKK's case in village.
func openRequest(village string) map[string]any {
	return map[string]any{"kk": caseKK, "headNik": headNIK, "headName": "Siti Aminah",
		"villageCode": village, "address": "RT 03", "source": "p3ke"}
}

// TestOpeningStartsOneWorkflowPerFamilyCard: the open is an
// update-with-start of the family card's workflow; the request that
// created the case gets 201 and where to find it.
func TestOpeningStartsOneWorkflowPerFamilyCard(t *testing.T) {
	ht := newHandlerTest(t)
	ht.temporal.answer = workflows.OpenResult{Case: openCase("run-1"), Created: true}
	rec := ht.do(http.MethodPost, "/v1/cases", ht.token(household.RoleCaseworker, "64.08.01"), openRequest(senyiur))
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/v1/cases/run-1" {
		t.Fatalf("= %d (Location %q), want 201 at /v1/cases/run-1: %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	sent := ht.temporal.sent()
	if len(sent) != 1 || sent[0].kind != "open" || sent[0].name != workflows.UpdateOpened || sent[0].workflowID != workflows.WorkflowID(caseKK) {
		t.Fatalf("sent %+v, want one update-with-start of %s", sent, workflows.WorkflowID(caseKK))
	}
	if in, ok := sent[0].args[0].(workflows.CaseInput); !ok || in.Open.KK != caseKK || in.Actor.Role != household.RoleCaseworker || in.RequestID == "" {
		t.Errorf("the workflow starts with %+v, want the request, the caller and a request ID", sent[0].args)
	}
}

// TestADuplicateOpenNamesTheCaseOnlyToWhoMaySeeIt: a second open of a
// family card with an open case is 409; inside the case's region the
// answer names the case, outside it says only that one exists.
func TestADuplicateOpenNamesTheCaseOnlyToWhoMaySeeIt(t *testing.T) {
	existing := openCase("run-1") // in Senyiur, Muara Ancalong
	tests := []struct {
		name    string
		region  string // the caseworker's kecamatan
		village string // where the caseworker believes the household lives
		named   bool
	}{
		{"from the case's kecamatan", "64.08.01", senyiur, true},
		{"from another kecamatan", "64.08.03", "64.08.03.2001", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ht := newHandlerTest(t)
			ht.temporal.answer = workflows.OpenResult{Case: existing, Created: false}
			rec := ht.do(http.MethodPost, "/v1/cases", ht.token(household.RoleCaseworker, tt.region), openRequest(tt.village))
			if rec.Code != http.StatusConflict {
				t.Fatalf("= %d, want 409: %s", rec.Code, rec.Body)
			}
			p := problemOf(t, rec)
			body := rec.Body.String()
			if tt.named {
				if p.CaseID != "run-1" || !strings.Contains(p.Detail, "run-1") {
					t.Errorf("problem %+v does not name the open case run-1", p)
				}
				return
			}
			if p.CaseID != "" {
				t.Errorf("caseId %q given to a caseworker outside the case's region", p.CaseID)
			}
			for _, secret := range []string{"run-1", caseKK, senyiur, "64.08.01"} {
				if strings.Contains(body, secret) {
					t.Errorf("the answer to an outsider shows %s: %s", secret, body)
				}
			}
		})
	}
}

// A head's name that shows nothing (Hangul fillers, a blank Braille
// pattern) is refused as blank, naming the field, before any workflow.
func TestAnInvisibleHeadNameIsRefusedAsBlank(t *testing.T) {
	for _, name := range []string{"\u3164", "\u115F\u115F", "\u2800"} {
		ht := newHandlerTest(t)
		body := openRequest(senyiur)
		body["headName"] = name
		rec := ht.do(http.MethodPost, "/v1/cases", ht.token(household.RoleCaseworker, "64.08.01"), body)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"headName"`) || len(ht.temporal.sent()) != 0 {
			t.Errorf("headName %q: %d %s, sent %d", name, rec.Code, rec.Body, len(ht.temporal.sent()))
		}
	}
}
