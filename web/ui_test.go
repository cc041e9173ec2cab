package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPanelsServed: pages and static files are served with their types;
// "/" sends a visitor to the login page; folders, paths outside static/
// and unknown pages are 404.
func TestPanelsServed(t *testing.T) {
	e := newEnv(t)
	c := e.anon(t)
	status, body, h := c.raw(http.MethodGet, "/login", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, h.Get("Content-Type"), "text/html")
	require.Contains(t, string(body), "evalroom 远程异地评标系统")
	require.Contains(t, h.Get("Content-Security-Policy"), "default-src 'self'")

	status, body, h = c.raw(http.MethodGet, "/static/app.js", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, h.Get("Content-Type"), "javascript")
	require.Contains(t, string(body), "export async function api(")

	for _, p := range []string{"/static/", "/static/pages/", "/static/../ui/login.html", "/nosuchpage", "/ui/login.html"} {
		status, body, _ = c.raw(http.MethodGet, p, nil)
		require.Equal(t, http.StatusNotFound, status, p)
		require.False(t, strings.Contains(string(body), "<a href"), "no folder listing at %s", p)
	}
}
