package web

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/evalroom/evalroom/web/assets"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// pages are the panels, by path name (/<name> serves
// assets/ui/<name>.html), with the roles whose home or navigation they
// are. Every page is served to anyone: the API behind it enforces access,
// and the page says 无权访问 to a user of another role.
var pages = map[string][]auth.Role{
	"login":     nil,
	"join":      nil,
	"phone":     nil,
	"admin":     {auth.RoleAdmin},
	"draw":      {auth.RoleAdmin, auth.RoleStaff, auth.RoleSupervisor},
	"control":   {auth.RoleAdmin, auth.RoleStaff},
	"display":   {auth.RoleAdmin, auth.RoleStaff},
	"evaluator": {auth.RoleEvaluator},
	"wall":      {auth.RoleAdmin, auth.RoleSupervisor},
	"archive":   {auth.RoleAdmin, auth.RoleArchivist, auth.RoleSupervisor},
}

// homes is each role's first page after login.
var homes = map[auth.Role]string{
	auth.RoleAdmin:      "/admin",
	auth.RoleStaff:      "/control",
	auth.RoleEvaluator:  "/evaluator",
	auth.RoleSupervisor: "/wall",
	auth.RoleArchivist:  "/archive",
}

// serveUI answers GET and HEAD requests for the panels: "/" sends the
// user to their role's home page (or to /login), /<page> serves a page,
// /static/... the shared scripts and styles. It reports false for any
// other request.
func (s *Server) serveUI(c *gin.Context) bool {
	r := c.Request
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	switch {
	case p == "/":
		c.Redirect(http.StatusFound, s.homeOf(c))
		return true
	case strings.HasPrefix(p, "/static/"):
		name := strings.TrimPrefix(path.Clean(p), "/")
		if fi, err := fs.Stat(assets.UI, name); err != nil || !fi.Mode().IsRegular() || !strings.HasPrefix(name, "static/") {
			return false // no folder listings, nothing outside static/
		}
		c.Header("Cache-Control", "no-cache")
		c.FileFromFS(name, http.FS(assets.UI))
		return true
	}
	name := strings.TrimPrefix(p, "/")
	if _, ok := pages[name]; !ok {
		return false
	}
	page, err := fs.ReadFile(assets.UI, "ui/"+name+".html")
	if err != nil {
		return false
	}
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Frame-Options", "DENY")
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	return true
}

// homeOf is where "/" sends the request's user: their role's home page,
// or the login page.
func (s *Server) homeOf(c *gin.Context) string {
	token, err := c.Cookie(CookieName)
	if err != nil || token == "" {
		return "/login"
	}
	u, err := s.p.Auth.Authenticate(c.Request.Context(), token)
	if err != nil {
		return "/login"
	}
	if h, ok := homes[u.Role]; ok {
		return h
	}
	return "/login"
}
