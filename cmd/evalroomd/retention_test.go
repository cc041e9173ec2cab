package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/room"
)

func TestRetentionBelowLegalMinimumRefusesToStart(t *testing.T) {
	cfg := testConfig(t)
	cfg.Archive.RetentionYears = 14
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	err := m.Run(context.Background())
	defer m.Close(context.Background())
	require.ErrorIs(t, err, archive.ErrInvalid)
	require.ErrorContains(t, err, "archive.retention_years 14")
	require.ErrorContains(t, err, "法定最短期限 15 年")
}

// apiError is an error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// TestLegalHoldsAndRetention runs a finished session's archive sixteen
// years ahead: the Nanjing room's recordings, under no hold, are deleted
// and audited; the Hefei room's, under a legal hold placed through the
// API, survive until the hold is released. Bad hold requests change
// nothing.
func TestLegalHoldsAndRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cfg := testConfig(t)
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	clock := testenv.NewClock(time.Now())
	m.clock = clock.Now
	ctx := context.Background()
	require.NoError(t, m.Run(ctx))
	defer m.Close(ctx)
	base := "http://" + m.Addr
	admin, staff, expert, archivist := login(t, base, "admin"), login(t, base, "staff-nj"), login(t, base, "expert-demo"), login(t, base, "archivist")
	sess, path := startEvaluating(t, admin, staff)
	start := time.Now().Add(-time.Minute).UTC()
	hashes := map[string][]string{}
	var hefei room.Room
	for _, r := range sess.Rooms {
		hashes[r.VenueCode] = uploadSegments(t, base, cfg.Secrets.MasterKey, r.RecorderID, r.ID, sess.ID, start, 2)
		if r.VenueCode == room.DemoRemoteVenue {
			hefei = r
		}
	}
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/phase", map[string]string{"phase": "finished"}, nil))
	holds := path + "/archive/holds"

	// Bad requests change nothing.
	var e apiError
	for _, c := range []*client{expert, staff} {
		require.Equal(t, http.StatusForbidden, c.do("POST", holds, map[string]any{"reason": "保全"}, &e))
		require.Equal(t, "无权执行此操作", e.Error.Message)
	}
	require.Equal(t, http.StatusUnprocessableEntity, archivist.do("POST", holds, map[string]any{"reason": "  "}, &e))
	require.Equal(t, "必须填写法律保全的原因", e.Error.Message)
	require.Equal(t, "reason", e.Error.Field)
	require.Equal(t, http.StatusUnprocessableEntity, archivist.do("POST", holds, map[string]any{}, &e))
	require.Equal(t, http.StatusUnprocessableEntity, archivist.do("POST", holds, map[string]any{"reason": "保全", "room_id": 999999}, &e))
	require.Contains(t, e.Error.Message, "不属于该评标")
	require.Equal(t, http.StatusNotFound, archivist.do("POST", "/api/sessions/999999/archive/holds", map[string]any{"reason": "保全"}, &e))
	require.Equal(t, http.StatusBadRequest, archivist.do("POST", holds, map[string]any{"reason": "保全", "until": "forever"}, &e))
	var list struct {
		Holds []archive.Hold `json:"holds"`
	}
	require.Equal(t, http.StatusOK, archivist.do("GET", holds, nil, &list))
	require.Empty(t, list.Holds)

	// The archivist holds the Hefei room's recordings.
	var hold archive.Hold
	require.Equal(t, http.StatusCreated, archivist.do("POST", holds, map[string]any{"reason": "（2026）皖01民初88号 证据保全", "room_id": hefei.ID}, &hold))
	require.True(t, hold.Active)
	require.Equal(t, hefei.ID, hold.Room)
	holdPath := holds + "/" + itoa(hold.ID)
	require.Equal(t, http.StatusForbidden, expert.do("DELETE", holdPath, map[string]any{"reason": "x"}, &e))
	require.Equal(t, http.StatusUnprocessableEntity, archivist.do("DELETE", holdPath, map[string]any{"reason": ""}, &e))
	require.Equal(t, "必须填写解除保全的原因", e.Error.Message)
	require.Equal(t, http.StatusNotFound, archivist.do("DELETE", holds+"/"+itoa(hold.ID+1000), map[string]any{"reason": "解除"}, &e))
	require.Equal(t, http.StatusOK, admin.do("GET", holds, nil, &list))
	require.Len(t, list.Holds, 1)
	require.True(t, list.Holds[0].Active, "the refused release changed nothing")

	// Today the retention job deletes nothing; sixteen years on it
	// deletes the Nanjing room's recordings and keeps Hefei's.
	rep, err := m.retention.Expire(ctx, retentionActor, false)
	require.NoError(t, err)
	require.Zero(t, rep.Expired)
	clock.Set(time.Now().AddDate(16, 0, 0))
	rep, err = m.retention.Expire(ctx, retentionActor, false)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Expired)
	require.Equal(t, 2, rep.Held)
	for _, h := range hashes[room.DemoMainVenue] {
		require.Equal(t, http.StatusNotFound, archivist.do("GET", "/api/archive/segments/"+h, nil, &e))
		require.Contains(t, e.Error.Message, "超过保存期限删除")
		_, err := os.Stat(filepath.Join(cfg.Archive.Dir, h[0:2], h[2:4], h))
		require.ErrorIs(t, err, os.ErrNotExist)
	}
	for _, h := range hashes[room.DemoRemoteVenue] {
		resp, err := archivist.http.Get(base + "/api/archive/segments/" + h)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "held: still playable")
	}

	// Each deletion is audited, and so are the hold's placing.
	var audited struct {
		Entries []struct {
			Actor, Action, Object string
		} `json:"entries"`
	}
	require.Equal(t, http.StatusOK, admin.do("GET", "/api/audit?action=archive.expire", nil, &audited))
	require.Len(t, audited.Entries, 2)
	for _, en := range audited.Entries {
		require.Equal(t, retentionActor, en.Actor)
		require.True(t, strings.HasPrefix(en.Object, "segment:"))
	}
	require.Equal(t, http.StatusOK, admin.do("GET", "/api/audit?action=archive.hold", nil, &audited))
	require.Len(t, audited.Entries, 1, "only the accepted hold")

	// The session still verifies: two deleted after retention, two intact.
	var vr archive.VerifyReport
	require.Equal(t, http.StatusOK, archivist.do("POST", path+"/archive/verify", nil, &vr))
	require.True(t, vr.OK, "%+v", vr.First)
	require.Equal(t, 2, vr.Deleted)
	require.Equal(t, 2, vr.Verified)
	// And its export verifies offline, the deleted segments kept as links.
	resp, err := archivist.http.Get(base + path + "/archive/export")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	file := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(file)
	require.NoError(t, err)
	_, err = io.Copy(f, resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.NoError(t, f.Close())
	xrep, err := evidence.VerifyFile(ctx, file, evidence.VerifyOptions{})
	require.NoError(t, err)
	require.True(t, xrep.OK(), "%v", xrep.First)

	// Released (with a reason), the next run deletes Hefei's too.
	var released archive.Hold
	require.Equal(t, http.StatusOK, archivist.do("DELETE", holdPath, map[string]any{"reason": "案件审结"}, &released))
	require.False(t, released.Active)
	require.Equal(t, http.StatusConflict, archivist.do("DELETE", holdPath, map[string]any{"reason": "再次解除"}, &e))
	require.Contains(t, e.Error.Message, "已于")
	rep, err = m.retention.Expire(ctx, retentionActor, false)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Expired)
	for _, h := range hashes[room.DemoRemoteVenue] {
		require.Equal(t, http.StatusNotFound, archivist.do("GET", "/api/archive/segments/"+h, nil, &e))
	}
}
