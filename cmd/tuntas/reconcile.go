package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

func runReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf prodFlags
	pf.register(fs)
	dir := fs.String("data", "", "reconcile a stopped `tuntas dev` data directory instead (starts its embedded stack)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var (
		c  client.Client
		st *store.Store
	)
	if *dir != "" {
		d, err := startDev(ctx, devConfig{DataDir: *dir, HTTPAddr: "127.0.0.1:0"})
		if err != nil {
			return err
		}
		defer d.Close()
		c, st = d.Client, d.Store
	} else {
		var closeAll func()
		var err error
		if c, st, closeAll, err = pf.connect(ctx, jsonLogger(stderr)); err != nil {
			return err
		}
		defer closeAll()
	}
	r, err := reconcile(ctx, c, st)
	fmt.Fprintf(stdout, "checked %d running cases: %d in sync, %d repaired, %d failed\n", r.Checked, r.InSync, r.Repaired, r.Failed)
	return err
}

// reconcileReport counts what reconcile saw.
type reconcileReport struct {
	Checked, InSync, Repaired, Failed int
}

// caseRepairer is the part of the store reconcile writes through.
type caseRepairer interface {
	Case(ctx context.Context, id string) (household.Case, error)
	SaveCase(ctx context.Context, c household.Case) error
	ReplaceCase(ctx context.Context, c household.Case) error
}

var _ caseRepairer = (*store.Store)(nil)

// reconcile walks every running case workflow (Temporal is the source of
// truth), queries its state and rewrites the snapshot where it differs: a
// missing or older snapshot through the ordinary versioned write, a
// snapshot that differs at the same or a higher version by replacement.
func reconcile(ctx context.Context, c client.Client, st caseRepairer) (reconcileReport, error) {
	var r reconcileReport
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query:         "WorkflowType = 'Case' AND ExecutionStatus = 'Running'",
			NextPageToken: token,
		})
		if err != nil {
			return r, fmt.Errorf("list workflows: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			r.Checked++
			repaired, err := reconcileOne(ctx, c, st, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId())
			switch {
			case err != nil:
				r.Failed++
			case repaired:
				r.Repaired++
			default:
				r.InSync++
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	if r.Failed > 0 {
		return r, fmt.Errorf("%d cases could not be reconciled", r.Failed)
	}
	return r, nil
}

func reconcileOne(ctx context.Context, c client.Client, st caseRepairer, workflowID, runID string) (bool, error) {
	v, err := c.QueryWorkflow(ctx, workflowID, runID, workflows.QueryState)
	if err != nil {
		return false, fmt.Errorf("query %s: %w", workflowID, err)
	}
	var state workflows.State
	if err := v.Get(&state); err != nil {
		return false, fmt.Errorf("decode %s: %w", workflowID, err)
	}
	want := state.Case
	got, err := st.Case(ctx, want.ID)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && got.Version < want.Version:
		return true, st.SaveCase(ctx, want)
	case err != nil:
		return false, err
	case reflect.DeepEqual(got, store.Normalize(want)):
		return false, nil
	}
	return true, st.ReplaceCase(ctx, want)
}
