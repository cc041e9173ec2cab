package web_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

func TestLoginMeLogout(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "zhang", auth.RoleSupervisor)
	c := e.anon(t)
	c.fail(http.MethodGet, "/api/me", nil, http.StatusUnauthorized, "unauthenticated")

	e401 := c.fail(http.MethodPost, "/api/login", map[string]string{"username": "zhang", "password": "wrong password"}, http.StatusUnauthorized, "bad_credentials")
	require.Equal(t, "用户名或密码错误", e401.Error.Message)
	c.fail(http.MethodPost, "/api/login", map[string]string{"username": "nobody", "password": testPassword}, http.StatusUnauthorized, "bad_credentials")

	status, body, h := c.raw(http.MethodPost, "/api/login", map[string]string{"username": "zhang", "password": testPassword})
	require.Equal(t, http.StatusOK, status, string(body))
	cookie := h.Get("Set-Cookie")
	require.Regexp(t, regexp.MustCompile(`^evalroom_session=[A-Za-z0-9_-]{43}; `), cookie)
	require.Contains(t, cookie, "HttpOnly")
	require.Contains(t, cookie, "SameSite=Lax")
	require.NotContains(t, string(body), testPassword)

	var got auth.User
	c.call(http.MethodGet, "/api/me", nil, http.StatusOK, &got)
	require.Equal(t, u.ID, got.ID)
	require.Equal(t, auth.RoleSupervisor, got.Role)

	c.call(http.MethodPost, "/api/logout", nil, http.StatusNoContent, nil)
	c.fail(http.MethodGet, "/api/me", nil, http.StatusUnauthorized, "unauthenticated")

	entries, err := e.audit.List(context.Background(), audit.Filter{Object: u.Actor()})
	require.NoError(t, err)
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
		require.NotContains(t, string(en.Detail), "wrong password")
	}
	require.Equal(t, []string{"user.create", "auth.login_failed", "auth.login", "auth.logout"}, actions)
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	c, _ := e.login(t, "root", auth.RoleAdmin)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code, message      string
	}{
		{"broken JSON", http.MethodPost, "/api/users", `{"username": "x",`, http.StatusBadRequest, "bad_request", "请求体不是有效的 JSON"},
		{"empty body", http.MethodPost, "/api/users", "", http.StatusBadRequest, "bad_request", "请求体为空，需要 JSON"},
		{"wrong type", http.MethodPost, "/api/users", `{"username": 5}`, http.StatusBadRequest, "bad_request", "字段 username 的类型错误（应为 string）"},
		{"unknown field", http.MethodPost, "/api/users", `{"nickname": "x"}`, http.StatusBadRequest, "bad_request", `未知字段 "nickname"`},
		{"unknown role", http.MethodPost, "/api/users", map[string]string{"display_name": "某人", "username": "bob", "password": "12345678", "role": "root"}, http.StatusUnprocessableEntity, "invalid", `未知角色 "root"（可选：admin、staff、evaluator、supervisor、archivist）`},
		{"staff without venue", http.MethodPost, "/api/users", map[string]string{"display_name": "某人", "username": "bob", "password": "12345678", "role": "staff"}, http.StatusUnprocessableEntity, "invalid", "现场工作人员必须指定场地编码（venue_code）"},
		{"no name", http.MethodPost, "/api/users", map[string]string{"username": "bob", "password": "12345678", "role": "admin"}, http.StatusUnprocessableEntity, "invalid", "请填写姓名"},
		{"duplicate username", http.MethodPost, "/api/users", map[string]string{"display_name": "某人", "username": "ROOT", "password": "12345678", "role": "admin"}, http.StatusConflict, "conflict", "用户名 ROOT 已存在"},
		{"bad id", http.MethodGet, "/api/users/abc", nil, http.StatusBadRequest, "bad_request", "路径参数 id 必须是正整数"},
		{"no such user", http.MethodGet, "/api/users/999", nil, http.StatusNotFound, "not_found", "用户不存在"},
		{"no such route", http.MethodGet, "/api/nothing", nil, http.StatusNotFound, "not_found", "未找到该地址"},
		{"bad audit limit", http.MethodGet, "/api/audit?limit=-1", nil, http.StatusBadRequest, "bad_request", "查询参数 limit 必须是非负整数"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.fail(tc.method, tc.path, tc.body, tc.status, tc.code)
			require.Equal(t, tc.message, got.Error.Message)
		})
	}
	var list struct{ Users []auth.User }
	c.call(http.MethodGet, "/api/users", nil, http.StatusOK, &list)
	require.Len(t, list.Users, 1, "nothing was created by bad requests")
}

func TestCSRFHeaderRequired(t *testing.T) {
	e := newEnv(t)
	c, _ := e.login(t, "root", auth.RoleAdmin)
	c.csrf = false
	got := c.fail(http.MethodPost, "/api/users", map[string]string{"username": "bob", "password": "12345678", "role": "admin"}, http.StatusForbidden, "csrf")
	require.Contains(t, got.Error.Message, "X-Requested-With")
	c.call(http.MethodGet, "/api/me", nil, http.StatusOK, nil)
}

func TestUsersAdmin(t *testing.T) {
	e := newEnv(t)
	c, root := e.login(t, "root", auth.RoleAdmin)
	var u auth.User
	c.call(http.MethodPost, "/api/users", map[string]string{"username": "li", "display_name": "李四", "password": "12345678", "role": "staff", "venue_code": "NJ"}, http.StatusCreated, &u)
	require.Equal(t, "NJ", u.VenueCode)

	li := e.anon(t)
	li.call(http.MethodPost, "/api/login", map[string]string{"username": "li", "password": "12345678"}, http.StatusOK, nil)
	li.fail(http.MethodGet, "/api/users", nil, http.StatusForbidden, "forbidden")

	c.call(http.MethodPatch, "/api/users/"+itoa(u.ID), map[string]any{"role": "supervisor"}, http.StatusOK, &u)
	require.Equal(t, auth.RoleSupervisor, u.Role)
	li.fail(http.MethodGet, "/api/me", nil, http.StatusUnauthorized, "unauthenticated")

	c.call(http.MethodPost, "/api/users/"+itoa(u.ID)+"/password", map[string]string{"password": "abcdefgh"}, http.StatusNoContent, nil)
	li.call(http.MethodPost, "/api/login", map[string]string{"username": "li", "password": "abcdefgh"}, http.StatusOK, nil)
	c.call(http.MethodPatch, "/api/users/"+itoa(u.ID), map[string]any{"disabled": true}, http.StatusOK, &u)
	require.True(t, u.Disabled)
	li.fail(http.MethodGet, "/api/me", nil, http.StatusUnauthorized, "unauthenticated")
	li.fail(http.MethodPost, "/api/login", map[string]string{"username": "li", "password": "abcdefgh"}, http.StatusUnauthorized, "bad_credentials")

	c.fail(http.MethodPatch, "/api/users/"+itoa(root.ID), map[string]any{"disabled": true}, http.StatusUnprocessableEntity, "invalid")
	c.call(http.MethodPost, "/api/me/password", map[string]string{"current_password": testPassword, "new_password": "new password"}, http.StatusNoContent, nil)
	c.fail(http.MethodGet, "/api/me", nil, http.StatusUnauthorized, "unauthenticated")
}
