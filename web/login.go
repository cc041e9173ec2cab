package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// login checks the password and sets the session cookie.
func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if req.Username == "" || req.Password == "" {
		s.writeError(c, badRequest("请输入用户名和密码"))
		return
	}
	sess, err := s.p.Auth.Login(c.Request.Context(), req.Username, req.Password, c.ClientIP())
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.setCookie(c, sess)
	c.JSON(http.StatusOK, gin.H{"user": sess.User, "expires_at": sess.ExpiresAt})
}

// logout ends the session and clears the cookie.
func (s *Server) logout(c *gin.Context) {
	token, _ := c.Cookie(CookieName)
	if err := s.p.Auth.Logout(c.Request.Context(), token); err != nil {
		s.writeError(c, err)
		return
	}
	s.clearCookie(c)
	c.Status(http.StatusNoContent)
}

// getMe returns the logged-in user.
func (s *Server) getMe(c *gin.Context) {
	c.JSON(http.StatusOK, me(c))
}

type passwordChange struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// changeMyPassword lets a user change their own password; it ends their
// sessions, so they log in again.
func (s *Server) changeMyPassword(c *gin.Context) {
	var req passwordChange
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.p.Auth.ChangeOwnPassword(c.Request.Context(), me(c).ID, req.Current, req.New); err != nil {
		s.writeError(c, err)
		return
	}
	s.clearCookie(c)
	c.Status(http.StatusNoContent)
}
