package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
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
	// Key and Args say the detail in a person's language: the key of a
	// catalogue of messages, and the values it names (see
	// household.Msg). Absent when the detail has no key.
	Key  string          `json:"key,omitempty"`
	Args []household.Arg `json:"args,omitempty"`
}

// Codes of the problems only HTTP has (a body that is not JSON, a missing
// token, …), beside the domain's and the service's own codes in the same
// table.
const (
	codeBadRequest       household.Code = "BadRequest"
	codeUnauthorized     household.Code = "Unauthorized"
	codeMethodNotAllowed household.Code = "MethodNotAllowed"
	codeTooLarge         household.Code = "TooLarge"
	codeUnsupportedMedia household.Code = "UnsupportedMedia"
	codeInternal         household.Code = "Internal"
	codeUnavailable                     = casework.CodeUnavailable
	codeTimeout                         = casework.CodeTimeout
	codeTooManyRequests  household.Code = "TooManyRequests"
)

// problemKind is how one code is answered.
type problemKind struct {
	status int
	// slug names the problem type, /problems/<slug>.
	slug string
}

// problemKinds is the one table from error codes, the domain's, the
// service's and HTTP's, to statuses and problem types. A code missing here is answered as an
// internal error, and a test checks that every domain code is present.
var problemKinds = map[household.Code]problemKind{
	household.CodeInvalid:   {http.StatusUnprocessableEntity, "validation"},
	household.CodeConflict:  {http.StatusConflict, "conflict"},
	household.CodeForbidden: {http.StatusForbidden, "forbidden"},
	household.CodeNotFound:  {http.StatusNotFound, "not-found"},
	codeBadRequest:          {http.StatusBadRequest, "bad-request"},
	codeUnauthorized:        {http.StatusUnauthorized, "unauthorized"},
	codeMethodNotAllowed:    {http.StatusMethodNotAllowed, "method-not-allowed"},
	codeTooLarge:            {http.StatusRequestEntityTooLarge, "too-large"},
	codeUnsupportedMedia:    {http.StatusUnsupportedMediaType, "unsupported-media-type"},
	codeInternal:            {http.StatusInternalServerError, "internal"},
	codeUnavailable:         {http.StatusServiceUnavailable, "unavailable"},
	codeTimeout:             {http.StatusGatewayTimeout, "timeout"},
	codeTooManyRequests:     {http.StatusTooManyRequests, "too-many-requests"},
}

// problemError is an error that is answered as a problem.
type problemError struct{ p Problem }

func (e *problemError) Error() string { return e.p.Title + ": " + e.p.Detail }

func newProblem(code household.Code, detail string, fields ...household.FieldError) *problemError {
	k, ok := problemKinds[code]
	if !ok {
		k = problemKinds[codeInternal]
	}
	return &problemError{Problem{Type: "/problems/" + k.slug, Title: http.StatusText(k.status), Status: k.status, Detail: detail,
		Errors: fields, Key: household.MessageKey(detail)}}
}

// newProblemf is newProblem with a detail formatted from a template of
// household's table of messages, so that it keeps its key and arguments.
func newProblemf(code household.Code, format string, args ...any) *problemError {
	m := household.Msgf(format, args...)
	pe := newProblem(code, m.Text)
	pe.p.Key, pe.p.Args = m.Key, m.Args
	return pe
}

func invalid(fields ...household.FieldError) *problemError {
	return newProblem(household.CodeInvalid, "the request has invalid fields", fields...)
}

func field(name, message string) household.FieldError {
	return household.FieldError{Field: name, Message: message, Key: household.MessageKey(message)}
}

// ProblemOf returns the problem err is answered with, and false for an
// internal error (whose cause must not be shown). The console answers
// with it too.
func ProblemOf(err error) (Problem, bool) {
	var (
		pe       *problemError
		refused  *casework.Error
		tooLarge *http.MaxBytesError
	)
	switch {
	case errors.As(err, &pe):
	case errors.As(err, &refused):
		pe = newProblem(refused.Code, refused.Detail, refused.Fields...)
		pe.p.CaseID, pe.p.Key, pe.p.Args = refused.CaseID, refused.Key, refused.Args
	case household.ErrorCode(err) != "":
		_ = errors.As(domainProblem(err), &pe)
	case errors.As(err, &tooLarge):
		pe = tooLargeProblem(tooLarge.Limit)
	default:
		return Problem{}, false
	}
	return pe.p, true
}

// tooLargeProblem answers a body read past its cap: an action's, or an
// uploaded list's.
func tooLargeProblem(limit int64) *problemError {
	if limit >= maxImport {
		return newProblemf(codeTooLarge, "the file is larger than %d MiB", maxImport>>20)
	}
	return newProblemf(codeTooLarge, "the body is larger than %d KiB", maxBody>>10)
}

// domainProblem answers a domain rejection with its code's problem and the
// domain's message; any other error is returned as it is.
func domainProblem(err error) error {
	code := household.ErrorCode(err)
	if code == "" {
		return err
	}
	var (
		fe household.FieldErrors
		de *household.Error
	)
	if errors.As(err, &fe) {
		return invalid(fe...)
	}
	pe := newProblem(code, err.Error())
	if errors.As(err, &de) {
		pe.p.Key, pe.p.Args = de.Key, de.Args
	}
	return pe
}

// retryAfterSeconds is what a client is told to wait when a dependency is
// down or slow.
const retryAfterSeconds = "5"

// fail answers err as a problem: a refusal by its code (see ProblemOf), a
// deadline as 504 and the store unavailable as 503, both with Retry-After,
// and anything else as a generic 500 whose cause is logged once, with the
// request ID, and never shown to the client.
func (s *Server) fail(c *gin.Context, err error) {
	var pe *problemError
	switch p, ok := ProblemOf(err); {
	case ok:
		pe = &problemError{p}
	case errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil:
		// The caller went away; nobody reads the answer, and it is no fault.
		s.logger.InfoContext(c.Request.Context(), "request canceled by the client", "request_id", requestID(c), "path", c.FullPath())
		pe = newProblem(codeUnavailable, "the request was canceled")
	case errors.Is(err, context.DeadlineExceeded):
		s.logger.WarnContext(c.Request.Context(), "timeout", "request_id", requestID(c), "path", c.FullPath(), "error", err)
		pe = newProblem(codeTimeout, "a service Tuntas depends on did not answer in time; retry later")
	case store.Unavailable(err):
		// MongoDB unreachable or dropping connections is an outage a retry
		// gets past, not an internal error.
		s.logger.WarnContext(c.Request.Context(), "read model unavailable", "request_id", requestID(c), "path", c.FullPath(), "error", err)
		pe = newProblem(codeUnavailable, "the case store is unavailable; retry later")
	default:
		s.logger.ErrorContext(c.Request.Context(), "internal error", "request_id", requestID(c), "path", c.FullPath(), "error", err)
		pe = newProblem(codeInternal, "an internal error occurred; quote the request ID when reporting it")
	}
	p := pe.p
	p.Instance = c.Request.URL.Path
	p.RequestID = requestID(c)
	if p.Status == http.StatusServiceUnavailable || p.Status == http.StatusGatewayTimeout {
		c.Header("Retry-After", retryAfterSeconds)
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(p.Status, p)
}
