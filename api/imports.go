package api

import (
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"
)

// maxImport bounds an uploaded file: a regency's yearly 20,000 rows are
// about 3 MB.
const maxImport = 64 << 20

// startImport hands the uploaded list to the service, which checks every
// row, stores the valid ones in chunks and starts the workflow that opens
// their cases.
func (s *Server) startImport(c *gin.Context) {
	body, name, err := importFile(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	prog, err := s.svc.StartImport(c.Request.Context(), caller(c), body, name)
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

func (s *Server) getImport(c *gin.Context) {
	r, err := s.svc.Import(c.Request.Context(), caller(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
