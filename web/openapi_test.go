package web_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/web"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_][A-Za-z0-9_]*)`)

// documented returns "METHOD /path" for every operation in the OpenAPI
// document.
func documented(t *testing.T) map[string]bool {
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(web.OpenAPI, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3.0"), doc.OpenAPI)
	out := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				out[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	return out
}

// TestOpenAPICoversEveryRoute fails when a registered route is missing from
// the document, or the document lists a route that is not registered.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	srv, err := web.New(web.Params{Auth: auth.NewStore(nil), Audit: audit.New(nil), Pool: (*expertpool.Service)(nil)})
	require.NoError(t, err)
	registered := map[string]bool{}
	for _, r := range srv.Routes() {
		registered[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	docs := documented(t)
	var missing, extra []string
	for r := range registered {
		if !docs[r] {
			missing = append(missing, r)
		}
	}
	for d := range docs {
		if !registered[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	require.Empty(t, missing, "routes missing from web/openapi.yaml")
	require.Empty(t, extra, "web/openapi.yaml lists routes that are not registered")
	require.Greater(t, len(registered), 10)
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	status, body, h := e.anon(t).raw(http.MethodGet, "/api/openapi.yaml", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, h.Get("Content-Type"), "yaml")
	require.Equal(t, web.OpenAPI, body)
}
