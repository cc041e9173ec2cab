package web

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// OpenAPI is the OpenAPI 3.0 document describing every route.
//
//go:embed openapi.yaml
var OpenAPI []byte

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", OpenAPI)
}
