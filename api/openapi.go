package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument describes every route; a test holds it to the router.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3 document of the API.
func OpenAPI() []byte { return openAPIDocument }

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIDocument)
}
