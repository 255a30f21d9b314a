package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// ImportStore keeps uploaded household lists and their progress.
type ImportStore interface {
	SaveImportChunk(ctx context.Context, importID string, n int, rows []activities.ImportRow) error
	AddRowErrors(ctx context.Context, errs []activities.RowError) error
	SaveImportProgress(ctx context.Context, p activities.ImportProgress) error
	Import(ctx context.Context, id string) (activities.ImportProgress, error)
	RowErrors(ctx context.Context, importID string, limit int) ([]activities.RowError, error)
}

// ImportColumns are the columns of a household list (P3KE/DTSEN export),
// matched by header name in any order and case; desil may be empty.
var ImportColumns = []string{"kk", "head_nik", "head_name", "village_code", "address", "desil", "source"}

// maxImport bounds an uploaded file: a regency's yearly 20,000 rows are
// about 3 MB.
const maxImport = 64 << 20

// maxErrorsShown bounds the row errors GET /v1/imports/{id} returns.
const maxErrorsShown = 1000

func (s *Server) startImport(c *gin.Context) {
	p := principal(c)
	body, name, err := importFile(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	prog := activities.ImportProgress{ID: "imp-" + newRequestID()[:16], FileName: name, CreatedBy: p.Sub, Status: activities.ImportRunning}
	if err := s.readImport(ctx, body, p, &prog); err != nil {
		s.fail(c, err)
		return
	}
	prog.CreatedAt = s.now().UTC()
	prog.UpdatedAt = prog.CreatedAt
	if prog.Chunks == 0 {
		prog.Status, prog.FinishedAt = activities.ImportDone, prog.CreatedAt
	}
	if err := s.imports.SaveImportProgress(ctx, prog); err != nil {
		s.fail(c, err)
		return
	}
	if prog.Chunks > 0 {
		_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflows.ImportWorkflowID(prog.ID), TaskQueue: workflows.TaskQueue,
		}, workflows.Import, workflows.ImportInput{Progress: prog, Actor: actor(p)})
		if err != nil {
			s.fail(c, temporalProblem(err))
			return
		}
	}
	c.Header("Location", "/v1/imports/"+prog.ID)
	c.JSON(http.StatusAccepted, prog)
}

// importFile returns the CSV in the body: text/csv as it is, or the part
// named "file" of a multipart form.
func importFile(c *gin.Context) (io.Reader, string, error) {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, maxImport)
	c.Request.Body = body // the multipart reader below reads it too
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch {
	case err == nil && mt == "text/csv":
		return body, "", nil
	case err == nil && mt == "multipart/form-data":
		mr, err := c.Request.MultipartReader()
		if err != nil || params["boundary"] == "" {
			return nil, "", newProblem(codeBadRequest, "the multipart body has no boundary")
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				return nil, "", invalid(field("file", "the form has no part named file"))
			}
			if part.FormName() == "file" {
				return part, part.FileName(), nil
			}
		}
	}
	return nil, "", newProblem(codeUnsupportedMedia, "send the list as text/csv, or as the file part of multipart/form-data")
}

// readImport streams the CSV: each row is validated like POST /v1/cases;
// valid rows are stored in chunks and rejected rows as row errors, so
// memory holds one chunk whatever the file's size.
func (s *Server) readImport(ctx context.Context, body io.Reader, p auth.Principal, prog *activities.ImportProgress) error {
	r := csv.NewReader(body)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return invalid(field("file", "must start with a header row: "+strings.Join(ImportColumns, ",")))
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	var missing []string
	for _, name := range ImportColumns {
		if _, ok := col[name]; !ok && name != "desil" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return invalid(field("file", "the header lacks "+strings.Join(missing, ", ")))
	}
	var (
		rows []activities.ImportRow
		errs []activities.RowError
	)
	flushRows := func() error {
		if len(rows) == 0 {
			return nil
		}
		if err := s.imports.SaveImportChunk(ctx, prog.ID, prog.Chunks, rows); err != nil {
			return err
		}
		prog.Chunks++
		rows = rows[:0]
		return nil
	}
	flushErrs := func() error {
		err := s.imports.AddRowErrors(ctx, errs)
		errs = errs[:0]
		return err
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return newProblem(codeTooLarge, "the file is larger than 64 MiB")
		}
		prog.RowsRead++
		if err != nil && !errors.Is(err, csv.ErrFieldCount) {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("read import: %w", err)
			}
			errs = append(errs, activities.RowError{ImportID: prog.ID, Row: line, Field: "(row)", Message: "not a valid CSV row: " + pe.Err.Error()})
			prog.Rejected++
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		req := OpenRequest{KK: get("kk"), HeadNIK: get("head_nik"), HeadName: get("head_name"),
			VillageCode: get("village_code"), Address: get("address"), Source: household.Source(get("source"))}
		var fe household.FieldErrors
		if d := get("desil"); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil {
				fe.Add("desil", "must be a decile from 1 to 10")
			}
			req.Desil = &n
		}
		if err := req.Validate(p.Region); err != nil {
			errors.As(err, &fe)
		}
		if len(fe) > 0 {
			prog.Rejected++
			for _, f := range fe {
				errs = append(errs, activities.RowError{ImportID: prog.ID, Row: line, Field: columnOf(f.Field), Message: f.Message})
			}
		} else {
			prog.Valid++
			rows = append(rows, activities.ImportRow{Row: line, Open: req.input()})
		}
		if len(rows) == workflows.ImportChunkSize {
			if err := flushRows(); err != nil {
				return err
			}
		}
		if len(errs) >= 500 {
			if err := flushErrs(); err != nil {
				return err
			}
		}
	}
	if err := flushRows(); err != nil {
		return err
	}
	return flushErrs()
}

// columnOf names a request field by its CSV column.
func columnOf(field string) string {
	switch field {
	case "headNik":
		return "head_nik"
	case "headName":
		return "head_name"
	case "villageCode":
		return "village_code"
	}
	return field
}

func (s *Server) getImport(c *gin.Context) {
	ctx := c.Request.Context()
	prog, err := s.imports.Import(ctx, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.fail(c, newProblem(household.CodeNotFound, "no such import"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	rowErrs, err := s.imports.RowErrors(ctx, prog.ID, maxErrorsShown)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"import": prog, "errors": rowErrs, "errorsShown": len(rowErrs)})
}
