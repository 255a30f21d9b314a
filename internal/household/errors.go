package household

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Code is the kind of an error, as everyone who must answer it sees it:
// the workflow carries it as its application error type, and the API maps
// each code to one HTTP status and problem type in one table. The values
// are the application error types recorded in workflow histories, so they
// never change.
type Code string

// Error codes.
const (
	// Invalid: the input breaks a rule; FieldErrors name each field.
	CodeInvalid Code = "Invalid"
	// Conflict: the action does not fit the case's stage or state now.
	CodeConflict Code = "StageConflict"
	// Forbidden: the actor's role or region may not take the action.
	CodeForbidden Code = "Forbidden"
	// NotFound: the case, or an item in it, does not exist for the actor.
	CodeNotFound Code = "NotFound"
)

// Codes lists every domain error code.
var Codes = []Code{CodeInvalid, CodeConflict, CodeForbidden, CodeNotFound}

// Error is a domain rejection: a code and a message that may be shown to
// the person who acted, in English (Message) and by catalogue key and
// arguments (Key, Args; see Msg).
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Key     string `json:"key,omitempty"`
	Args    []Arg  `json:"args,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error of code with a formatted message.
func Errorf(code Code, format string, args ...any) error {
	m := msgf("", format, args)
	return &Error{Code: code, Message: m.Text, Key: m.Key, Args: m.Args}
}

// ErrorCode returns the code of a domain error in err's chain (FieldErrors
// are Invalid), or "" when err is not one.
func ErrorCode(err error) Code {
	var (
		e  *Error
		fe FieldErrors
	)
	switch {
	case errors.As(err, &fe):
		return CodeInvalid
	case errors.As(err, &e):
		return e.Code
	}
	return ""
}

// FieldError names a field and the rule it broke: in English (Message)
// and by catalogue key and arguments (Key, Args; see Msg).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Key     string `json:"key,omitempty"`
	Args    []Arg  `json:"args,omitempty"`
}

// NewFieldError is the failure of field with a formatted message.
func NewFieldError(field, format string, args ...any) FieldError {
	m := msgf(field, format, args)
	return FieldError{Field: field, Message: m.Text, Key: m.Key, Args: m.Args}
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// FieldErrors is a list of validation failures; nil when valid.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	if len(fe) == 0 {
		return "valid"
	}
	s := fe[0].Error()
	if len(fe) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(fe)-1)
	}
	return s
}

// Add records a failure.
func (fe *FieldErrors) Add(field, format string, args ...any) {
	*fe = append(*fe, NewFieldError(field, format, args...))
}

// Err returns fe as an error, or nil when empty.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Money checks a rupiah amount.
func (fe *FieldErrors) Money(field string, v int64) {
	if v < 0 || v > MaxRupiah {
		fe.Add(field, "must be whole rupiah between 0 and %d", MaxRupiah)
	}
}

// Enum checks that v is exactly one of set.
func Enum[T ~string](fe *FieldErrors, field string, v T, set []T) {
	if !OneOf(v, set) {
		fe.Add(field, "must be one of %v", set)
	}
}

// sortFieldErrors orders errors by field so that a map range cannot make
// the message order vary (validators run inside workflows).
func sortFieldErrors(fe FieldErrors) {
	slices.SortStableFunc(fe, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
}
