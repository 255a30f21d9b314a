package casework

import (
	"context"
	"errors"
	"io"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/imports"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/workflows"
)

// ImportStore keeps uploaded household lists and their progress
// (imports.Store in MongoDB).
type ImportStore interface {
	listimport.Sink
	SaveImportProgress(ctx context.Context, p listimport.Progress) error
	// Import is an import's progress; imports.ErrNotFound when there is
	// none.
	Import(ctx context.Context, id string) (listimport.Progress, error)
	RowErrors(ctx context.Context, importID string, limit int) ([]listimport.RowError, error)
}

// StartImport reads an uploaded list (every row checked, valid ones
// stored in chunks) and starts the workflow that opens their cases. A
// header it cannot use is a field error of "file"; a body that fails to
// read (one over its transport's cap, say) is returned as it failed.
func (s *Service) StartImport(ctx context.Context, who Caller, body io.Reader, name string) (listimport.Progress, error) {
	p := who.Principal
	if p.Role != household.RoleAdmin {
		return listimport.Progress{}, errRole()
	}
	prog := listimport.Progress{ID: "imp-" + newRequestID()[:16], FileName: name, CreatedBy: p.Sub, Status: listimport.Running}
	if err := listimport.Ingest(ctx, body, p.Region, s.imports, &prog); err != nil {
		var header *listimport.HeaderError
		if errors.As(err, &header) {
			return listimport.Progress{}, invalid(household.FieldError{Field: "file", Message: header.Reason, Key: header.Key, Args: header.Args})
		}
		return listimport.Progress{}, err
	}
	prog.Start(s.now().UTC())
	if err := s.imports.SaveImportProgress(ctx, prog); err != nil {
		return listimport.Progress{}, err
	}
	if prog.Status != listimport.Done {
		_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflows.ImportWorkflowID(prog.ID), TaskQueue: workflows.TaskQueue,
		}, workflows.Import, workflows.ImportInput{Progress: prog, Actor: actor(p)})
		if err != nil {
			return listimport.Progress{}, temporalError(err)
		}
	}
	return prog, nil
}

// Import reports an import's progress and its first row errors.
func (s *Service) Import(ctx context.Context, who Caller, id string) (listimport.Report, error) {
	if who.Role != household.RoleAdmin {
		return listimport.Report{}, errRole()
	}
	prog, err := s.imports.Import(ctx, id)
	if errors.Is(err, imports.ErrNotFound) {
		return listimport.Report{}, refuse(household.CodeNotFound, "no such import")
	}
	if err != nil {
		return listimport.Report{}, err
	}
	rowErrs, err := s.imports.RowErrors(ctx, prog.ID, listimport.MaxRowErrors)
	if err != nil {
		return listimport.Report{}, err
	}
	return listimport.Report{Import: prog, Errors: rowErrs, ErrorsShown: len(rowErrs)}, nil
}
