package casework

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// Codes of the service's own refusals, beside the domain's
// (household.Codes): a dependency that did not answer, now or in time.
// Both are worth a retry later.
const (
	CodeUnavailable household.Code = "Unavailable"
	CodeTimeout     household.Code = "Timeout"
)

// Error is a request the service refuses: a code, words the caller may be
// shown, the fields at fault (CodeInvalid), and the case it concerns when
// the caller may know of it (an open case of the same family card, a
// halted one). Any other error from the service is an internal failure
// whose words must not be shown.
type Error struct {
	Code   household.Code
	Detail string
	Fields []household.FieldError
	CaseID string
	// Key and Args say Detail in a person's language (see household.Msg);
	// Key is "" for words no catalogue holds.
	Key  string
	Args []household.Arg
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Detail }

func refuse(code household.Code, detail string) *Error {
	return &Error{Code: code, Detail: detail, Key: household.MessageKey(detail)}
}

// refusef is refuse with words formatted from a template of household's
// table of messages, keeping its key and arguments.
func refusef(code household.Code, format string, args ...any) *Error {
	m := household.Msgf(format, args...)
	return &Error{Code: code, Detail: m.Text, Key: m.Key, Args: m.Args}
}

func invalid(fields ...household.FieldError) *Error {
	return &Error{Code: household.CodeInvalid, Detail: "the request has invalid fields", Fields: fields,
		Key: household.MessageKey("the request has invalid fields")}
}

func field(name, message string) household.FieldError {
	return household.FieldError{Field: name, Message: message, Key: household.MessageKey(message)}
}

// domainError is a domain rejection as the service's Error; any other
// error is returned as it is.
func domainError(err error) error {
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
	e := refuse(code, err.Error())
	if errors.As(err, &de) {
		e.Key, e.Args = de.Key, de.Args
	}
	return e
}

// errRole is the answer to a role that may not use an action or read.
func errRole() error {
	return refuse(household.CodeForbidden, "your role may not use this endpoint")
}

// errHalted answers an action on, or an open beside, a case whose workflow
// ended abnormally.
func errHalted(id string) error {
	e := refusef(household.CodeConflict, "case %s ended abnormally (its workflow is no longer running); an administrator must look at it before anything more is done for this family card", id)
	e.CaseID = id
	return e
}

// Types of the failures the Temporal server gives an update whose run
// ended around it (go.temporal.io/server service/history/workflow/update).
const (
	// failUnprocessedUpdate: the worker completed the run's task without
	// taking the update in; nothing was applied.
	failUnprocessedUpdate = "UnprocessedUpdate"
	// failAcceptedUpdateCompletedWorkflow: the update was accepted but the
	// run completed first.
	failAcceptedUpdateCompletedWorkflow = "AcceptedUpdateCompletedWorkflow"
)

// temporalError maps an error from a workflow call: the workflow's
// rejections keep their reason; a case that is no longer running is a
// conflict; a service that refuses for the moment is unavailable, one that
// does not answer in time a timeout; anything else is internal.
func temporalError(err error) error {
	var (
		app         *temporal.ApplicationError
		notFound    *serviceerror.NotFound
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
	)
	switch {
	case errors.As(err, &app):
		code := household.Code(app.Type())
		if code == household.CodeInvalid {
			var fe []household.FieldError
			_ = app.Details(&fe)
			return invalid(fe...)
		}
		if household.OneOf(code, household.Codes) {
			// The details, when the workflow sent them, are the domain's
			// rejection itself: its key and arguments.
			e := refuse(code, app.Message())
			var de household.Error
			if app.HasDetails() && app.Details(&de) == nil {
				e.Key, e.Args = de.Key, de.Args
			}
			return e
		}
		switch app.Type() {
		case workflows.ErrTypeRunEnding, failUnprocessedUpdate, failAcceptedUpdateCompletedWorkflow:
			// The case's run ended around the update; the next one answers.
			return refuse(CodeUnavailable, "the case is starting its next cycle; retry in a moment")
		}
	case errors.As(err, &notFound):
		return refuse(household.CodeConflict, "the case is no longer running")
	case errors.As(err, &unavailable), errors.As(err, new(*serviceerror.WorkflowNotReady)),
		errors.As(err, new(*serviceerror.ResourceExhausted)), errors.As(err, new(*serviceerror.FailedPrecondition)):
		// A limit of Temporal's (requests, updates of a run) is a moment's
		// refusal, not an internal error.
		return refuse(CodeUnavailable, "the workflow service is unavailable; retry later")
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &deadline):
		return refuse(CodeTimeout, "the case did not answer in time; retry later")
	}
	return fmt.Errorf("temporal: %w", err)
}
