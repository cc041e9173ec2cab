package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

func TestAuditListAndVerify(t *testing.T) {
	e := newEnv(t)
	c, root := e.login(t, "root", auth.RoleAdmin)
	ctx := context.Background()
	for _, obj := range []string{"draw:1", "draw:2", "expert:3"} {
		_, err := e.audit.AppendNow(ctx, audit.Record{Actor: "system", Action: "test.touch", Object: obj})
		require.NoError(t, err)
	}
	type list struct{ Entries []audit.Entry }
	cases := []struct {
		name, query string
		want        []string // objects
	}{
		{"by prefix", "?object_prefix=draw:", []string{"draw:1", "draw:2"}},
		{"by object", "?object=expert:3", []string{"expert:3"}},
		{"by action and limit", "?action=test.touch&limit=1", []string{"draw:1"}},
		{"by actor", "?actor=" + root.Actor(), []string{root.Actor()}},
		{"nothing", "?action=none", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got list
			c.call(http.MethodGet, "/api/audit"+tc.query, nil, http.StatusOK, &got)
			var objs []string
			for _, en := range got.Entries {
				objs = append(objs, en.Object)
			}
			require.Equal(t, tc.want, objs)
		})
	}
	var page list
	c.call(http.MethodGet, "/api/audit?after_seq=2", nil, http.StatusOK, &page)
	require.Equal(t, int64(3), page.Entries[0].Seq)

	var rep audit.Report
	c.call(http.MethodGet, "/api/audit/verify", nil, http.StatusOK, &rep)
	require.True(t, rep.Intact)
	require.GreaterOrEqual(t, rep.Entries, int64(5))

	// An edited entry (triggers off, as an intruder with DBA rights would)
	// is reported.
	_, err := e.db.Exec(ctx, `ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only;
		UPDATE audit.entries SET object = 'draw:99' WHERE object = 'draw:2'`)
	require.NoError(t, err)
	c.call(http.MethodGet, "/api/audit/verify", nil, http.StatusOK, &rep)
	require.False(t, rep.Intact)
	require.NotZero(t, rep.BrokenAt)
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	c := e.anon(t)
	var h struct {
		Status string
		Checks map[string]string
	}
	c.call(http.MethodGet, "/healthz", nil, http.StatusOK, &h)
	require.Equal(t, "ok", h.Status)
	c.call(http.MethodGet, "/readyz", nil, http.StatusOK, &h)
	require.Equal(t, map[string]string{"postgres": "ok"}, h.Checks)
	e.db.Close()
	c.call(http.MethodGet, "/readyz", nil, http.StatusServiceUnavailable, &h)
	require.Equal(t, "unavailable", h.Status)
}
