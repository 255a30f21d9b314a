package api

import (
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"

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
	if len(sent) != 1 || sent[0].kind != "open" || sent[0].name != workflows.UpdateOpened || sent[0].workflowID != workflows.WorkflowID(testKeys, caseKK) {
		t.Fatalf("sent %+v, want one update-with-start of %s", sent, workflows.WorkflowID(testKeys, caseKK))
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

// TestCasesOpenedBeforePseudonymousIDsAreReachedUnderTheirOwnIDs: a case
// opened when workflow IDs were the KK keeps that ID. Its snapshot, written
// before the read model recorded IDs, names none, and its actions go to
// the legacy ID; and while it runs, opening its family card again answers
// 409 naming it instead of starting a second case under the new ID.
func TestCasesOpenedBeforePseudonymousIDsAreReachedUnderTheirOwnIDs(t *testing.T) {
	before := surveyedCase("run-0")
	before.WorkflowID = "" // projected before the read model recorded workflow IDs
	ht := newHandlerTest(t, before)
	ht.temporal.answer = before
	if rec := ht.do(http.MethodPost, "/v1/cases/run-0/close", ht.token(household.RoleSupervisor, "64.08"), map[string]any{"reason": "moved"}); rec.Code != http.StatusOK {
		t.Fatalf("close = %d: %s", rec.Code, rec.Body)
	}
	if sent := ht.temporal.sent(); len(sent) != 1 || sent[0].workflowID != workflows.LegacyWorkflowID(caseKK) || sent[0].runID != "run-0" {
		t.Fatalf("sent %+v, want the update to %s run run-0", sent, workflows.LegacyWorkflowID(caseKK))
	}

	village, err := converter.GetDefaultDataConverter().ToPayload(senyiur)
	if err != nil {
		t.Fatal(err)
	}
	ht = newHandlerTest(t)
	ht.temporal.described = map[string]*workflowpb.WorkflowExecutionInfo{workflows.LegacyWorkflowID(caseKK): {
		FirstRunId: "run-0", Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{workflows.AttrVillage.GetName(): village}},
	}}
	rec := ht.do(http.MethodPost, "/v1/cases", ht.token(household.RoleCaseworker, "64.08.01"), openRequest(senyiur))
	if rec.Code != http.StatusConflict {
		t.Fatalf("open of a card with a case opened before = %d, want 409: %s", rec.Code, rec.Body)
	}
	if p := problemOf(t, rec); p.CaseID != "run-0" {
		t.Fatalf("problem %+v does not name the case run-0", p)
	}
	if sent := ht.temporal.sent(); len(sent) != 0 {
		t.Fatalf("sent %+v beside the open case, want nothing", sent)
	}

	// Once that case has completed, the card gets a case of its own, under
	// the pseudonymous ID.
	ht.temporal.described[workflows.LegacyWorkflowID(caseKK)].Status = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	ht.temporal.answer = workflows.OpenResult{Case: openCase("run-1"), Created: true}
	if rec := ht.do(http.MethodPost, "/v1/cases", ht.token(household.RoleCaseworker, "64.08.01"), openRequest(senyiur)); rec.Code != http.StatusCreated {
		t.Fatalf("open after the old case completed = %d: %s", rec.Code, rec.Body)
	}
	if sent := ht.temporal.sent(); len(sent) != 1 || sent[0].workflowID != workflows.WorkflowID(testKeys, caseKK) {
		t.Fatalf("sent %+v, want one update-with-start of %s", sent, workflows.WorkflowID(testKeys, caseKK))
	}
}
