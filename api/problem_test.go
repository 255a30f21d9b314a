package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/tuntas-id/tuntas/internal/household"
)

func TestEveryDomainCodeHasOneProblemKind(t *testing.T) {
	for _, code := range household.Codes {
		k, ok := problemKinds[code]
		if !ok || k.status < 400 || k.status >= 500 {
			t.Errorf("domain code %s: kind %+v, want a 4xx row in problemKinds", code, k)
		}
	}
	slugs := map[string]household.Code{}
	for code, k := range problemKinds {
		if other, dup := slugs[k.slug]; dup {
			t.Errorf("codes %s and %s share the problem type %s", code, other, k.slug)
		}
		slugs[k.slug] = code
	}
}

func TestDomainErrorsBecomeTheirProblems(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{household.Errorf(household.CodeConflict, "survey is not possible while the case is closed"), http.StatusConflict},
		{household.Errorf(household.CodeForbidden, "no"), http.StatusForbidden},
		{household.Errorf(household.CodeNotFound, "no intervention"), http.StatusNotFound},
		{household.FieldErrors{{Field: "kk", Message: "must be 16 digits"}}, http.StatusUnprocessableEntity},
		{fmt.Errorf("open: %w", household.FieldErrors{{Field: "kk", Message: "x"}}), http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		pe, ok := domainProblem(tt.err).(*problemError)
		if !ok || pe.p.Status != tt.status {
			t.Errorf("domainProblem(%v) = %v, want status %d", tt.err, domainProblem(tt.err), tt.status)
		}
	}
	if _, ok := domainProblem(fmt.Errorf("mongo: boom")).(*problemError); ok {
		t.Error("a non-domain error became a problem; it must stay internal")
	}
}
