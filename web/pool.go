package web

import (
	"github.com/gin-gonic/gin"
)

// ExpertPool is what the API needs of the expert pool;
// *expertpool.Service satisfies it.
type ExpertPool interface {
}

// poolRoutes registers the expert pool's routes: public ones on e and api,
// logged-in ones on in.
func (s *Server) poolRoutes(e *gin.Engine, api, in *gin.RouterGroup) {
}

// funnelOf extracts the funnel of an unfilled-quota error.
func funnelOf(err error) any { return nil }
