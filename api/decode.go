package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/household"
)

// decode reads one JSON object into v: only application/json, at most
// maxBody bytes, no unknown fields, nothing after it.
func decode(c *gin.Context, v any) error {
	return decodeBody(c.GetHeader("Content-Type"), http.MaxBytesReader(c.Writer, c.Request.Body, maxBody), v)
}

// decodeBody is decode without Gin, for the fuzz test; body must already
// be limited.
func decodeBody(contentType string, body io.Reader, v any) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return newProblem(codeUnsupportedMedia, "send the body as application/json")
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if errors.As(err, new(*http.MaxBytesError)) {
			return decodeProblem(err) // past the cap after the object: too large, not malformed
		}
		return newProblem(codeBadRequest, "the body must hold exactly one JSON object")
	}
	return nil
}

func decodeProblem(err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooLong *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooLong):
		return tooLargeProblem(tooLong.Limit)
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem(codeBadRequest, "the body is not valid JSON")
	case errors.Is(err, io.EOF):
		return newProblem(codeBadRequest, "the body is empty")
	case errors.As(err, &typ):
		name := typ.Field
		if name == "" {
			name = "(body)"
		}
		return invalid(household.NewFieldError(name, "must be a JSON %s", jsonKind(typ.Type.Kind().String())))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalid(field(strings.Trim(name, `"`), "is not a known field"))
	}
	return newProblem(codeBadRequest, "the body could not be read as the expected JSON object")
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "slice", goKind == "array":
		return "array"
	case goKind == "struct", goKind == "map", goKind == "ptr":
		return "object"
	case goKind == "bool":
		return "boolean"
	}
	return goKind
}
