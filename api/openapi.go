package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
)

// The OpenAPI document is kept in two files. openapi.json is written by
// hand: routes, parameters, examples, security and the shared error
// responses. openapi.schemas.json holds the schemas of the request and
// response bodies, generated from the Go types by `go generate ./api`
// (openapi_gen_test.go), so that a body cannot change without its schema;
// a test fails when the committed file differs from a fresh generation.
// The two are joined once, when the package loads.
//
//go:generate go test -run ^TestOpenAPISchemasAreGeneratedFromTheGoTypes$ -update

var (
	//go:embed openapi.json
	handWrittenDocument []byte
	//go:embed openapi.schemas.json
	generatedSchemas []byte

	// openAPIDocument is joined on first use, not when the package loads,
	// so that `go generate` still runs when openapi.schemas.json is broken
	// (by a merge conflict, say); New uses it, so a server does not start
	// with a broken document.
	openAPIDocument = sync.OnceValue(func() []byte {
		b, err := joinDocument(handWrittenDocument, generatedSchemas)
		if err != nil {
			panic(err) // both files are compiled in; a bad one is a build defect the tests catch
		}
		return b
	})
)

// OpenAPI returns the OpenAPI 3 document of the API.
func OpenAPI() []byte { return openAPIDocument() }

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", OpenAPI())
}

// joinDocument adds the generated schemas to the components of the
// hand-written document; a schema may come from one file only.
func joinDocument(doc, schemas []byte) ([]byte, error) {
	var d map[string]any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber() // keep example numbers as written
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("api: openapi.json: %w", err)
	}
	var generated map[string]json.RawMessage
	if err := json.Unmarshal(schemas, &generated); err != nil {
		return nil, fmt.Errorf("api: openapi.schemas.json: %w", err)
	}
	components, ok := d["components"].(map[string]any)
	if !ok {
		return nil, errors.New("api: openapi.json has no components")
	}
	written, _ := components["schemas"].(map[string]any)
	if written == nil {
		written = map[string]any{}
	}
	for name, s := range generated {
		if _, dup := written[name]; dup {
			return nil, fmt.Errorf("api: schema %s is both written in openapi.json and generated", name)
		}
		written[name] = s
	}
	components["schemas"] = written
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("api: OpenAPI document: %w", err)
	}
	return out.Bytes(), nil
}
