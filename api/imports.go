package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/listimport"
)

// ImportStore keeps uploaded household lists and their progress.
type ImportStore interface {
	listimport.Sink
	SaveImportProgress(ctx context.Context, p listimport.Progress) error
	Import(ctx context.Context, id string) (listimport.Progress, error)
	RowErrors(ctx context.Context, importID string, limit int) ([]listimport.RowError, error)
}

// maxImport bounds an uploaded file: a regency's yearly 20,000 rows are
// about 3 MB.
const maxImport = 64 << 20

// startImport reads the uploaded list (listimport checks every row and
// stores the valid ones in chunks) and starts the workflow that opens
// their cases.
func (s *Server) startImport(c *gin.Context) {
	body, name, err := importFile(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	prog, err := s.StartImport(c.Request.Context(), caller(c), body, name)
	if err != nil {
		s.fail(c, err)
		return
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

// importProblem answers why a list could not be read: a header it cannot
// use names the file, a file over the limit is too large; anything else
// (the store failing) is the server's.
func importProblem(err error) error {
	var (
		header   *listimport.HeaderError
		tooLarge *http.MaxBytesError
	)
	switch {
	case errors.As(err, &header):
		return invalid(field("file", header.Reason))
	case errors.As(err, &tooLarge):
		return newProblem(codeTooLarge, "the file is larger than 64 MiB")
	}
	return err
}

func (s *Server) getImport(c *gin.Context) {
	r, err := s.Import(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
