package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

// fakeEvidence stands for the archive: session 5 exists; it records who
// asked for what. A session's export can be made to fail midway.
type fakeEvidence struct {
	mu    sync.Mutex
	calls []string
	// failMidway makes Write fail after the first bytes.
	failMidway bool
}

type fakeExport struct{ fail bool }

func (fakeExport) FileName() string { return "evalroom-session-5-evidence.zip" }

func (x fakeExport) Write(_ context.Context, w io.Writer) error {
	if _, err := w.Write([]byte("PK\x03\x04 the start of a zip")); err != nil {
		return err
	}
	if x.fail {
		return errors.New("store went away")
	}
	return nil
}

func (f *fakeEvidence) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeEvidence) ExportSession(_ context.Context, actor string, id int64) (web.EvidenceExport, error) {
	f.note(fmt.Sprintf("export %d by %s", id, actor))
	if id != 5 {
		return nil, fmt.Errorf("%w: 评标 %d 不存在", room.ErrNotFound, id)
	}
	return fakeExport{fail: f.failMidway}, nil
}

func (f *fakeEvidence) VerifySession(_ context.Context, actor string, id int64) (archive.VerifyReport, error) {
	f.note(fmt.Sprintf("verify %d by %s", id, actor))
	if id != 5 {
		return archive.VerifyReport{}, fmt.Errorf("%w: 评标 %d 不存在", room.ErrNotFound, id)
	}
	return archive.VerifyReport{Session: 5, Segments: 2, Verified: 2, OK: true}, nil
}

func (f *fakeEvidence) OpenSegment(context.Context, string, string, string) (web.SegmentFile, error) {
	return web.SegmentFile{}, room.ErrNotFound
}

func TestEvidenceRoutesForAdminsAndArchivistsOnly(t *testing.T) {
	ev := &fakeEvidence{}
	e := buildEnv(t, false, func(_ *env, p *web.Params) { p.Evidence = ev })
	archivist, arch := e.login(t, "archivist", auth.RoleArchivist)
	admin, adm := e.login(t, "admin", auth.RoleAdmin)

	status, body, h := archivist.raw(http.MethodGet, "/api/sessions/5/archive/export", nil)
	require.Equal(t, http.StatusOK, status, string(body))
	require.Equal(t, "application/zip", h.Get("Content-Type"))
	require.Equal(t, `attachment; filename=evalroom-session-5-evidence.zip`, h.Get("Content-Disposition"))
	require.Equal(t, "PK\x03\x04 the start of a zip", string(body))

	var rep archive.VerifyReport
	admin.call(http.MethodPost, "/api/sessions/5/archive/verify", nil, http.StatusOK, &rep)
	require.True(t, rep.OK)
	require.Equal(t, 2, rep.Verified)

	for _, role := range []auth.Role{auth.RoleEvaluator, auth.RoleStaff, auth.RoleSupervisor} {
		c, _ := e.login(t, "u-"+string(role), role)
		c.fail(http.MethodGet, "/api/sessions/5/archive/export", nil, http.StatusForbidden, "forbidden")
		c.fail(http.MethodPost, "/api/sessions/5/archive/verify", nil, http.StatusForbidden, "forbidden")
	}
	e.anon(t).fail(http.MethodGet, "/api/sessions/5/archive/export", nil, http.StatusUnauthorized, "unauthenticated")
	msg := archivist.fail(http.MethodGet, "/api/sessions/6/archive/export", nil, http.StatusNotFound, "not_found")
	require.Equal(t, "评标 6 不存在", msg.Error.Message)
	archivist.fail(http.MethodPost, "/api/sessions/x/archive/verify", nil, http.StatusBadRequest, "bad_request")
	archivist.csrf = false
	archivist.fail(http.MethodPost, "/api/sessions/5/archive/verify", nil, http.StatusForbidden, "csrf")

	// Only the allowed requests reached the archive, in the users' names.
	require.Equal(t, []string{
		fmt.Sprintf("export 5 by user:%d", arch.ID), fmt.Sprintf("verify 5 by user:%d", adm.ID),
		fmt.Sprintf("export 6 by user:%d", arch.ID),
	}, ev.calls)

	// A failure while streaming breaks the connection: no whole-looking file.
	ev.failMidway = true
	// (Headers not yet flushed fail the request itself; flushed ones fail
	// the body.)
	resp, err := archivist.hc.Get(e.url + "/api/sessions/5/archive/export")
	if err == nil {
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
	}
	require.Error(t, err, "the client sees the transfer fail")
}

func TestEvidenceRoutesWithoutAnArchive(t *testing.T) {
	e := newEnv(t)
	c, _ := e.login(t, "archivist", auth.RoleArchivist)
	c.fail(http.MethodGet, "/api/sessions/5/archive/export", nil, http.StatusServiceUnavailable, "unavailable")
	c.fail(http.MethodPost, "/api/sessions/5/archive/verify", nil, http.StatusServiceUnavailable, "unavailable")
}
