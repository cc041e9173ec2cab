package web_test

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// public are the routes that need no login.
var public = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /api/openapi.yaml": true, "POST /api/login": true,
	"GET /confirm": true, "POST /confirm": true, "POST /api/gateway/callback": true,
	// Authorised by the recorder's signature and, under /media, by media tokens.
	"POST /api/devices/token": true, "GET /media/ws": true,
	// Reveals only the server's time (limited per client address).
	"POST /api/clock":  true,
	"POST /media/whip": true, "PATCH /media/whip/:id": true, "DELETE /media/whip/:id": true,
	"POST /media/whep": true, "PATCH /media/whep/:id": true, "DELETE /media/whep/:id": true,
	// Authorised by device tokens.
	"PUT /archive/segments/:hash": true, "HEAD /archive/segments/:hash": true,
	"POST /archive/manifests": true, "GET /archive/chain": true, "POST /api/devices/status": true,
	// The evaluators' way in: a one-time code (limited per client address).
	"POST /api/login/code": true,
	// Prometheus scrapes without a login (metrics.token puts a bearer
	// token in front; it is not configured here).
	"GET /metrics": true,
	// The server's public evidence-export key, for verifying exports.
	"GET /api/archive/server-key": true,
	// Only a demo server has a demo phone; any other answers 404.
	"GET /api/demo/messages": true,
}

// TestEveryRouteNeedsLogin sends every registered non-public route without
// a session and expects 401, so a route added without authentication
// fails here.
func TestEveryRouteNeedsLogin(t *testing.T) {
	e := newEnv(t)
	c := e.anon(t)
	param := regexp.MustCompile(`[:*][A-Za-z_]+`)
	for _, r := range e.srv.Routes() {
		key := r.Method + " " + r.Path
		if public[key] {
			continue
		}
		t.Run(key, func(t *testing.T) {
			status, body, _ := c.raw(r.Method, param.ReplaceAllString(r.Path, "1"), "{}")
			require.Equal(t, http.StatusUnauthorized, status, string(body))
		})
	}
}

func TestRoleChecks(t *testing.T) {
	e := newEnv(t)
	evaluator, _ := e.login(t, "pingwei", auth.RoleEvaluator)
	archivist, _ := e.login(t, "dangan", auth.RoleArchivist)
	supervisor, _ := e.login(t, "jiandu", auth.RoleSupervisor)
	cases := []struct {
		name   string
		c      *client
		method string
		path   string
		status int
	}{
		{"evaluator lists users", evaluator, http.MethodGet, "/api/users", http.StatusForbidden},
		{"evaluator creates user", evaluator, http.MethodPost, "/api/users", http.StatusForbidden},
		{"evaluator reads audit", evaluator, http.MethodGet, "/api/audit", http.StatusForbidden},
		{"archivist verifies audit", archivist, http.MethodGet, "/api/audit/verify", http.StatusForbidden},
		{"supervisor lists users", supervisor, http.MethodGet, "/api/users", http.StatusForbidden},
		{"supervisor reads audit", supervisor, http.MethodGet, "/api/audit", http.StatusOK},
		{"evaluator reads self", evaluator, http.MethodGet, "/api/me", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == http.MethodPost {
				body = map[string]string{"username": "x", "password": "12345678", "role": "admin"}
			}
			status, b, _ := tc.c.raw(tc.method, tc.path, body)
			require.Equal(t, tc.status, status, string(b))
			if tc.status == http.StatusForbidden {
				require.Contains(t, string(b), "无权执行此操作")
			}
		})
	}
}
