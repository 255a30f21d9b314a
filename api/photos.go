package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/household"
)

// uploadPhoto stores a photo of the house with the case, sent as the
// request's body (image/jpeg); the survey or visit then names it by the ID
// it is answered with. Bytes that are no JPEG are refused as a field
// error on "photo", and a body past household.MaxPhotoBytes as 413 naming
// the same field.
func (s *Server) uploadPhoto(c *gin.Context) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || !(strings.HasPrefix(mt, "image/") || mt == "application/octet-stream") {
		s.fail(c, newProblem(codeUnsupportedMedia, "send the photo as image/jpeg"))
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, household.MaxPhotoBytes))
	if errors.As(err, new(*http.MaxBytesError)) {
		pe := newProblemf(codeTooLarge, "the photo is larger than %d KB", household.MaxPhotoBytes>>10)
		pe.p.Errors = []household.FieldError{household.NewFieldError("photo", "the photo is larger than %d KB", household.MaxPhotoBytes>>10)}
		s.fail(c, pe)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	ref, err := s.svc.UploadPhoto(c.Request.Context(), caller(c), c.Param("id"), b)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/v1/cases/"+ref.CaseID+"/photos/"+ref.ID)
	c.JSON(http.StatusCreated, ref)
}

// photo answers a photo of the case's house to a caller who may read the
// case; the view is recorded. It is never kept by a cache, so that every
// view reaches the record.
func (s *Server) photo(c *gin.Context) {
	p, err := s.svc.Photo(c.Request.Context(), caller(c), c.Param("id"), c.Param("pid"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Length", strconv.Itoa(len(p.Bytes)))
	c.Data(http.StatusOK, "image/jpeg", p.Bytes)
}
