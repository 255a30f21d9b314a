package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
)

func serve(t *testing.T, h http.Handler, method, path, token, contentType string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	checkResponse(t, req, rec.Code, rec.Header(), rec.Body.Bytes())
	return rec
}

const validOpen = `{"kk":"6408010101200001","headNik":"6408014101850001","headName":"Siti","villageCode":"64.08.01.2001","address":"RT 3","source":"p3ke"}`

// TestOpenCaseRejectsBadRequestsNamingTheField runs bad bodies through the
// router; none reaches Temporal, so the server has no Temporal client.
func TestOpenCaseRejectsBadRequestsNamingTheField(t *testing.T) {
	issuer, _ := auth.NewIssuer([]byte(strings.Repeat("k", 32)))
	h := New(Config{Verifier: issuer.Verifier()})
	tok, err := issuer.Issue(auth.Principal{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		field       string
	}{
		{"not JSON", "application/json", "{", 400, ""},
		{"empty", "application/json", "", 400, ""},
		{"two objects", "application/json", validOpen + validOpen, 400, ""},
		{"text/plain", "text/plain", validOpen, 415, ""},
		{"unknown field", "application/json", strings.Replace(validOpen, `"source"`, `"sauce":1,"source"`, 1), 422, "sauce"},
		{"kk as a number", "application/json", strings.Replace(validOpen, `"6408010101200001"`, `6408010101200001`, 1), 422, "kk"},
		{"kk of 15 digits", "application/json", strings.Replace(validOpen, `6408010101200001`, `640801010120000`, 1), 422, "kk"},
		{"kk of a regency outside the registry", "application/json", strings.Replace(validOpen, `6408010101200001`, `6499010101200001`, 1), 422, "kk"},
		{"NIK with day 32", "application/json", strings.Replace(validOpen, `6408014101850001`, `6408013201850001`, 1), 422, "headNik"},
		{"NIK from a province that does not exist", "application/json", strings.Replace(validOpen, `6408014101850001`, `9908014101850001`, 1), 422, "headNik"},
		{"village outside the caseworker's kecamatan", "application/json", strings.Replace(validOpen, `64.08.01.2001`, `64.08.03.2001`, 1), 422, "villageCode"},
		{"a kecamatan, not a village", "application/json", strings.Replace(validOpen, `64.08.01.2001`, `64.08.01`, 1), 422, "villageCode"},
		{"unknown source", "application/json", strings.Replace(validOpen, `"p3ke"`, `"P3KE"`, 1), 422, "source"},
		{"desil 11", "application/json", strings.Replace(validOpen, `"source"`, `"desil":11,"source"`, 1), 422, "desil"},
		{"blank name", "application/json", strings.Replace(validOpen, `"Siti"`, `"  "`, 1), 422, "headName"},
		{"NUL in the name", "application/json", strings.Replace(validOpen, `"Siti"`, `"Si\u0000ti"`, 1), 422, "headName"},
		{"escape sequence in the address", "application/json", strings.Replace(validOpen, `"source"`, `"address":"RT 03 \u001b[2J","source"`, 1), 422, "address"},
		{"body over 64 KiB", "application/json", `{"address":"` + strings.Repeat("a", maxBody) + `"}`, 413, ""},
		// The object fits; white space after it passes the cap.
		{"one byte over 64 KiB after the object", "application/json", validOpen + strings.Repeat(" ", maxBody-len(validOpen)+1), 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, http.MethodPost, "/v1/cases", tok, tt.contentType, strings.NewReader(tt.body))
			if rec.Code != tt.status {
				t.Fatalf("= %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			if tt.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+tt.field+`"`) {
				t.Fatalf("problem does not name %s: %s", tt.field, rec.Body)
			}
		})
	}
}

// FuzzRequestDecoding feeds arbitrary bodies to the decoding and
// validation of the case-opening and survey requests: every failure must
// be a 4xx problem, never a panic or a 5xx.
func FuzzRequestDecoding(f *testing.F) {
	f.Add([]byte(validOpen))
	f.Add([]byte(`{"survey":{"members":[{"nik":"6408014101850001","name":"a","relation":"head","birthDate":"1985-01-01","sex":"F","education":"sd","occupation":"farmer"}],"monthlyExpenditure":1}}`))
	f.Add([]byte(`{"kk":1e400}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"survey":{"members":[{"birthDate":"0000-02-30"}],"monthlyExpenditure":-9223372036854775808}}`))
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	check := func(t *testing.T, err error) {
		if err == nil {
			return
		}
		var pe *problemError
		if !errors.As(err, &pe) || pe.p.Status < 400 || pe.p.Status >= 500 {
			t.Fatalf("not a 4xx problem: %v", err)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var open casework.OpenRequest
		err := decodeBody("application/json", bytes.NewReader(body), &open)
		if err == nil {
			err = domainProblem(open.Validate("64.08.01"))
		}
		check(t, err)

		var sv household.SurveyInput
		err = decodeBody("application/json", bytes.NewReader(body), &sv)
		if err == nil {
			err = domainProblem(sv.Survey.Validate(now))
		}
		check(t, err)
	})
}
