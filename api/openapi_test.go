package api

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	return doc
}

var ginParam = regexp.MustCompile(`:([a-z]+)`)

func TestOpenAPIDocumentDescribesExactlyTheRouterRoutes(t *testing.T) {
	doc := loadDocument(t)
	engine := New(Config{}).(*gin.Engine)
	var routes, documented []string
	for _, r := range engine.Routes() {
		routes = append(routes, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	if strings.Join(routes, "\n") != strings.Join(documented, "\n") {
		t.Fatalf("router and document differ\nrouter:\n%s\n\ndocument:\n%s", strings.Join(routes, "\n"), strings.Join(documented, "\n"))
	}
}

func TestOpenAPIExampleRequestsValidateAgainstTheirSchemas(t *testing.T) {
	doc := loadDocument(t)
	checked := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil {
				mt = op.RequestBody.Value.Content.Get("text/csv")
			}
			if mt == nil || mt.Example == nil {
				t.Errorf("%s %s has no example request", method, path)
				continue
			}
			if err := mt.Schema.Value.VisitJSON(mt.Example); err != nil {
				t.Errorf("%s %s: example does not validate: %v", method, path, err)
			}
			checked++
		}
	}
	if checked < 12 {
		t.Fatalf("only %d example requests checked", checked)
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	rec := serve(t, New(Config{}), http.MethodGet, "/openapi.json", "", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"openapi": "3.0.3"`) {
		t.Fatalf("GET /openapi.json = %d", rec.Code)
	}
}
