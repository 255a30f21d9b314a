package systemtest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// TestForgedActionsOverTemporalAreRefused tries what anyone who reaches the
// Temporal port could: close a case with an unsealed update, and, holding
// the payload key, close or graduate it as the system actor or as a
// supervisor of another regency. The case must not move.
func TestForgedActionsOverTemporalAreRefused(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	kk := nextKK()
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, openBody(kk, "64.08.01.2001"), &c)
	// Read as the admin reads it after: the caseworker's version leaves out
	// the versions possible duplicates made (the head's NIK is shared).
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+c.ID, p.admin, nil, &c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	plain, err := client.Dial(client.Options{HostPort: sys.Stack.TemporalAddress, Namespace: sys.Stack.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	closeAs := func(cl client.Client, by household.Actor) error {
		h, err := cl.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: workflows.WorkflowID(sys.Pseudonyms, kk), UpdateName: workflows.UpdateClose,
			Args:         []any{by, household.CloseInput{Reason: household.OutcomeWithdrawn}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err != nil {
			return err
		}
		return h.Get(ctx, nil)
	}
	tests := []struct {
		name   string
		client client.Client
		by     household.Actor
		code   household.Code // the rejection's type, when the codec lets it through
	}{
		{"unsealed update from a client without the key", plain, household.Actor{Sub: "x", Role: household.RoleAdmin, Region: "64"}, ""},
		{"sealed update claiming the system actor", sys.Client, household.System, household.CodeForbidden},
		{"sealed update from another regency's supervisor", sys.Client, household.Actor{Sub: "s", Role: household.RoleSupervisor, Region: "64.01"}, household.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := closeAs(tt.client, tt.by)
			if err == nil {
				t.Fatal("the forged close was accepted")
			}
			var app *temporal.ApplicationError
			if tt.code != "" && (!errors.As(err, &app) || app.Type() != string(tt.code)) {
				t.Fatalf("error %v, want a %s rejection", err, tt.code)
			}
		})
	}
	var after household.Case
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+c.ID, p.admin, nil, &after)
	if after.Status != household.StatusOpen || after.Version != c.Version {
		t.Fatalf("the case moved: %s v%d → v%d", after.Status, c.Version, after.Version)
	}
	// And the case still works for its own people.
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+c.ID+"/survey", p.cw, surveyBody(600_000), nil)
}
