package web

import (
	"net/http"

	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

// CookieName is the name of the session cookie.
const CookieName = "evalroom_session"

const userKey = "evalroom.user"

// authenticate loads the user of the session cookie, or answers 401.
func (s *Server) authenticate(c *gin.Context) {
	token, err := c.Cookie(CookieName)
	if err != nil || token == "" {
		s.writeError(c, auth.ErrUnauthenticated)
		return
	}
	u, err := s.p.Auth.Authenticate(c.Request.Context(), token)
	if err != nil {
		if err == auth.ErrUnauthenticated {
			s.clearCookie(c)
		}
		s.writeError(c, err)
		return
	}
	c.Set(userKey, u)
}

// requireRole lets the request through only for a user with one of roles.
// It must run after authenticate.
func (s *Server) requireRole(roles ...auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u, ok := userOf(c)
		if !ok {
			s.writeError(c, auth.ErrUnauthenticated)
			return
		}
		if !u.HasRole(roles...) {
			s.writeError(c, auth.ErrForbidden)
			return
		}
	}
}

// anyRole lets every logged-in user through; it marks routes open to every
// role on purpose.
func (s *Server) anyRole() gin.HandlerFunc { return s.requireRole(auth.Roles...) }

// userOf returns the logged-in user of the request.
func userOf(c *gin.Context) (auth.User, bool) {
	v, ok := c.Get(userKey)
	if !ok {
		return auth.User{}, false
	}
	u, ok := v.(auth.User)
	return u, ok
}

// me returns the logged-in user; routes behind authenticate always have
// one.
func me(c *gin.Context) auth.User {
	u, _ := userOf(c)
	return u
}

func (s *Server) setCookie(c *gin.Context, sess auth.Session) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: CookieName, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		MaxAge: int(s.p.Auth.SessionLifetime().Seconds()), HttpOnly: true,
		Secure: s.p.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.p.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}
