package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/household"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type      string                 `json:"type"`
	Title     string                 `json:"title"`
	Status    int                    `json:"status"`
	Detail    string                 `json:"detail,omitempty"`
	Instance  string                 `json:"instance,omitempty"`
	RequestID string                 `json:"requestId,omitempty"`
	Errors    []household.FieldError `json:"errors,omitempty"`
	// CaseID names the existing case on a duplicate open.
	CaseID string `json:"caseId,omitempty"`
}

// problemType is the URI of each kind of problem, relative to the API.
var problemType = map[int]string{
	http.StatusBadRequest:            "/problems/bad-request",
	http.StatusUnauthorized:          "/problems/unauthorized",
	http.StatusForbidden:             "/problems/forbidden",
	http.StatusNotFound:              "/problems/not-found",
	http.StatusMethodNotAllowed:      "/problems/method-not-allowed",
	http.StatusConflict:              "/problems/conflict",
	http.StatusRequestEntityTooLarge: "/problems/too-large",
	http.StatusUnsupportedMediaType:  "/problems/unsupported-media-type",
	http.StatusUnprocessableEntity:   "/problems/validation",
	http.StatusInternalServerError:   "/problems/internal",
	http.StatusServiceUnavailable:    "/problems/unavailable",
	http.StatusGatewayTimeout:        "/problems/timeout",
}

// problemError is an error that is answered as a problem.
type problemError struct{ p Problem }

func (e *problemError) Error() string { return e.p.Title + ": " + e.p.Detail }

func newProblem(status int, detail string, fields ...household.FieldError) *problemError {
	return &problemError{Problem{Type: problemType[status], Title: http.StatusText(status), Status: status, Detail: detail, Errors: fields}}
}

func invalid(fields ...household.FieldError) *problemError {
	return newProblem(http.StatusUnprocessableEntity, "the request has invalid fields", fields...)
}

func field(name, message string) household.FieldError {
	return household.FieldError{Field: name, Message: message}
}

// fail answers err as a problem: a problemError as itself, anything else as
// a generic 500 whose cause is logged once, with the request ID, and never
// shown to the client.
func (s *Server) fail(c *gin.Context, err error) {
	var pe *problemError
	if !errors.As(err, &pe) {
		s.logger.ErrorContext(c.Request.Context(), "internal error", "request_id", requestID(c), "path", c.FullPath(), "error", err)
		pe = newProblem(http.StatusInternalServerError, "an internal error occurred; quote the request ID when reporting it")
	}
	p := pe.p
	p.Instance = c.Request.URL.Path
	p.RequestID = requestID(c)
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(p.Status, p)
}
