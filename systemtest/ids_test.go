package systemtest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/workflows"
)

// openAsBefore opens a case as Tuntas did before workflow IDs were
// pseudonyms (workflows.ChangeHouseholdIDs): the same update-with-start of
// the same workflow at the same baseline, under household-<KK>. It returns
// the case's ID.
func openAsBefore(t *testing.T, s *testSystem, kk, head string) string {
	t.Helper()
	const village = "64.08.01.2001"
	in := workflows.CaseInput{Baseline: workflows.Baseline,
		Open:  household.OpenInput{KK: kk, HeadNIK: head, HeadName: "Kepala Lama", VillageCode: village, Address: "RT 01", Source: household.SourceP3KE},
		Actor: household.Actor{Sub: "caseworker@64.08.01", Role: household.RoleCaseworker, Region: "64.08.01"},
		Rules: household.DefaultRules(), Deadlines: household.DefaultDeadlines(), RequestID: "before-" + kk}
	ctx := context.Background()
	start := s.Client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: workflows.LegacyWorkflowID(kk), TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.AttrStage.ValueSet(string(household.StageCollecting)),
			workflows.AttrDistrict.ValueSet(region.Ancestor(village, region.District)),
			workflows.AttrVillage.ValueSet(village),
			workflows.AttrEscalated.ValueSet(false),
		),
	}, workflows.Case, in)
	h, err := s.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: workflows.UpdateOpened, Args: []any{in.RequestID},
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out workflows.OpenResult
	if err := h.Get(ctx, &out); err != nil || !out.Created {
		t.Fatalf("open as before: %+v, %v", out, err)
	}
	return out.Case.ID
}

// surveyOf is a survey of the head and members, by NIK.
func surveyOf(head string, members ...string) map[string]any {
	list := []map[string]any{{"nik": head, "name": "Kepala", "relation": "head", "birthDate": "1985-01-01", "sex": "F", "education": "sd", "occupation": "farmer"}}
	for _, m := range members {
		list = append(list, map[string]any{"nik": m, "name": "Anggota", "relation": "child", "birthDate": "2010-03-02", "sex": "M", "education": "sd", "occupation": "student"})
	}
	survey := surveyBody(600_000)
	survey["survey"].(map[string]any)["members"] = list
	return survey
}

// TestCasesOpenedBeforePseudonymousIDsStayReachable: a case opened under
// household-<KK>, whose snapshot was written before the read model
// recorded workflow IDs, still takes actions through the API (and its next
// projection records its ID); a case tells it about a shared person and it
// tells a new case, under each one's own form of ID; while it runs, its
// family card is not opened again beside it, and once it has closed the
// card's next case opens under the pseudonym.
func TestCasesOpenedBeforePseudonymousIDsStayReachable(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	ctx := context.Background()
	kk, head, shared1, shared2 := nextKK(), nextNIK(), nextNIK(), nextNIK()
	old := openAsBefore(t, sys, kk, head)

	// Its snapshot as the read model held it before IDs were recorded.
	c, err := sys.Store.Case(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if c.WorkflowID != workflows.LegacyWorkflowID(kk) {
		t.Fatalf("the projection recorded workflow %q, want %q", c.WorkflowID, workflows.LegacyWorkflowID(kk))
	}
	c.WorkflowID = ""
	if err := sys.Store.ReplaceCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() bool {
		sum, err := sys.Index.Summary(ctx, old)
		return err == nil && sum.WorkflowID == ""
	})

	// A new case holds shared1 first.
	newer := householdWith(t, p, nextNIK(), shared1)
	// The old case takes its survey through the API; it finds shared1 held
	// by the new case and tells it (under the pseudonym).
	var after household.Case
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+old+"/survey", p.cw, surveyOf(head, shared1, shared2), &after)
	if after.Stage != household.StageVillageReview {
		t.Fatalf("the old case moved to %s", after.Stage)
	}
	eventually(t, 10*time.Second, func() bool {
		sum, err := sys.Store.Summary(ctx, old)
		return err == nil && sum.WorkflowID == workflows.LegacyWorkflowID(kk)
	})
	// A third case surveys shared2, which the old case holds, and tells it
	// (no case lives under the old card's pseudonym: under its KK).
	third := householdWith(t, p, nextNIK(), shared2)
	eventually(t, 30*time.Second, func() bool {
		return len(readDup(t, p.supervisor, newer.id).Duplicates) == 1 && len(readDup(t, p.supervisor, old).Duplicates) == 2 &&
			len(readDup(t, p.supervisor, third.id).Duplicates) == 1
	})

	// While it runs, its family card is its open case.
	status, raw := sys.call(t, http.MethodPost, "/v1/cases", p.cw, map[string]any{"kk": kk, "headNik": head, "headName": "Kepala Lama",
		"villageCode": "64.08.01.2001", "address": "RT 01", "source": "p3ke"}, nil)
	if status != http.StatusConflict || !strings.Contains(string(raw), old) {
		t.Fatalf("open of the old case's card = %d: %s", status, raw)
	}

	// Closed, the card opens again, under the pseudonym.
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+old+"/close", p.supervisor, map[string]any{"reason": "moved"}, nil)
	var reopened household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, map[string]any{"kk": kk, "headNik": head, "headName": "Kepala Baru",
		"villageCode": "64.08.01.2001", "address": "RT 01", "source": "p3ke"}, &reopened)
	if reopened.ID == old {
		t.Fatal("the closed case was answered, not a new one opened")
	}
	d, err := sys.Client.DescribeWorkflowExecution(ctx, workflows.WorkflowID(sys.Pseudonyms, kk), "")
	if err != nil || d.GetWorkflowExecutionInfo().GetFirstRunId() != reopened.ID {
		t.Fatalf("the new case is not the pseudonym's workflow: %v %v", d.GetWorkflowExecutionInfo(), err)
	}
	// An operator finds a case's workflow by the case's ID, its first run
	// (docs/operations.md).
	eventually(t, 10*time.Second, func() bool { // visibility follows the start by moments
		list, err := sys.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "RunId='" + reopened.ID + "'"})
		return err == nil && len(list.GetExecutions()) == 1 && list.GetExecutions()[0].GetExecution().GetWorkflowId() == workflows.WorkflowID(sys.Pseudonyms, kk)
	})
	if strings.Contains(workflows.WorkflowID(sys.Pseudonyms, kk), kk) {
		t.Fatalf("workflow ID %s holds the KK", workflows.WorkflowID(sys.Pseudonyms, kk))
	}
}
