package web

import (
	"net/http"
	"strings"

	"github.com/evalroom/evalroom/web/auth"
	"github.com/gin-gonic/gin"
)

func (s *Server) listUsers(c *gin.Context) {
	users, err := s.p.Auth.ListUsers(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"users": users})
}

// createUser creates a user; the API asks for a name (display_name),
// which the page shows everywhere the user acts.
func (s *Server) createUser(c *gin.Context) {
	var in auth.UserInput
	if err := bindJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	if strings.TrimSpace(in.DisplayName) == "" {
		s.writeError(c, fieldInvalid("display_name", "请填写姓名"))
		return
	}
	u, err := s.p.Auth.CreateUser(c.Request.Context(), me(c).Actor(), in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

func (s *Server) getUser(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	u, err := s.p.Auth.GetUser(c.Request.Context(), id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

// updateUser changes role, venue, session, display name or the disabled
// flag. An admin may not disable themself or give up their own admin role,
// so the last admin cannot lock everyone out by accident.
func (s *Server) updateUser(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var p auth.UserPatch
	if err := bindJSON(c, &p); err != nil {
		s.writeError(c, err)
		return
	}
	if id == me(c).ID && ((p.Disabled != nil && *p.Disabled) || (p.Role != nil && *p.Role != string(auth.RoleAdmin))) {
		s.writeError(c, &requestError{status: http.StatusUnprocessableEntity, code: "invalid",
			message: "不能停用自己的账号或取消自己的管理员角色"})
		return
	}
	u, err := s.p.Auth.UpdateUser(c.Request.Context(), me(c).Actor(), id, p)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

type passwordReset struct {
	Password string `json:"password"`
}

// resetPassword sets a user's password (admin) and ends their sessions.
func (s *Server) resetPassword(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req passwordReset
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.p.Auth.SetPassword(c.Request.Context(), me(c).Actor(), id, req.Password); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
