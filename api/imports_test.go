package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
)

// TestImportAnswersWhyAListCannotBeRead posts lists that never reach
// Temporal (the server has no client): each is refused as a problem, or
// read to the end with nothing to open.
func TestImportAnswersWhyAListCannotBeRead(t *testing.T) {
	issuer, _ := auth.NewIssuer([]byte(strings.Repeat("k", 32)))
	imports := newImports()
	h := New(Config{Verifier: issuer.Verifier(), Service: casework.New(casework.Config{Imports: imports})})
	admin, err := issuer.Issue(auth.Principal{Sub: "admin-1", Role: household.RoleAdmin, Region: "64"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const header = "kk,head_nik,head_name,village_code,address,desil,source\n"
	tests := []struct {
		name, contentType string
		body              io.Reader
		status            int
		detail            string // in the problem's body
	}{
		{"JSON is not a list", "application/json", strings.NewReader(`{}`), http.StatusUnsupportedMediaType, "text/csv"},
		{"empty file", "text/csv", strings.NewReader(""), http.StatusUnprocessableEntity, `"field":"file","message":"must start with a header row`},
		{"header lacks columns", "text/csv", strings.NewReader("kk,head_nik,head_name\n"), http.StatusUnprocessableEntity,
			`"field":"file","message":"the header lacks village_code, address, source"`},
		{"file over the limit", "text/csv", io.MultiReader(strings.NewReader("kk,"), bytes.NewReader(bytes.Repeat([]byte("a"), maxImport+1))),
			http.StatusRequestEntityTooLarge, "larger than 64 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, http.MethodPost, "/v1/imports", admin, tt.contentType, tt.body)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.detail) {
				t.Fatalf("= %d %s, want %d naming %q", rec.Code, rec.Body, tt.status, tt.detail)
			}
		})
	}

	t.Run("nothing valid is done at once", func(t *testing.T) {
		list := header + "6408010101190001,6408014101750001,Siti,64.08.01.2001,RT 1,0,p3ke\n" +
			"640801010119000,6408014101750001,Siti,64.08.01.2001,RT 1,,survey\n"
		rec := serve(t, h, http.MethodPost, "/v1/imports", admin, "text/csv", strings.NewReader(list))
		var p listimport.Progress
		if err := json.Unmarshal(rec.Body.Bytes(), &p); rec.Code != http.StatusAccepted || err != nil {
			t.Fatalf("= %d %s", rec.Code, rec.Body)
		}
		if p.Status != listimport.Done || p.RowsRead != 2 || p.Rejected != 2 || p.Chunks != 0 || rec.Header().Get("Location") != "/v1/imports/"+p.ID {
			t.Fatalf("import %+v", p)
		}
		rec = serve(t, h, http.MethodGet, "/v1/imports/"+p.ID, admin, "", nil)
		var got map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != http.StatusOK || err != nil {
			t.Fatalf("= %d %s", rec.Code, rec.Body)
		}
		if len(got) != 3 || string(got["errorsShown"]) != "3" ||
			!strings.Contains(string(got["errors"]), `{"importId":"`+p.ID+`","row":3,"field":"kk",`) {
			t.Fatalf("report %s", rec.Body)
		}
	})
}
