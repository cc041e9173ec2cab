package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

var scoreSheet = map[string]any{
	"bidders":  []map[string]any{{"code": "B1", "name": "甲建设集团有限公司"}, {"code": "B2", "name": "乙建工有限公司"}},
	"criteria": []map[string]any{{"code": "tech", "name": "技术标", "min": 0, "max": 60}, {"code": "price", "name": "价格分", "min": 0, "max": 30}},
}

type scoreList struct {
	Items []room.ScoreRecord
	Total int
}

// archiveIndex is an in-memory archive index: each room's recording is
// one 10 s segment starting at a given instant.
type archiveIndex struct{ starts map[int64]time.Time }

func (a archiveIndex) Locate(_ context.Context, roomID int64, at time.Time) (room.Position, error) {
	start, ok := a.starts[roomID]
	if !ok || at.Before(start) || !at.Before(start.Add(10*time.Second)) {
		return room.Position{}, fmt.Errorf("room %d: %w", roomID, room.ErrNotFound)
	}
	return room.Position{RecorderID: fmt.Sprintf("edge-%d", roomID), Segment: fmt.Sprintf("seg-%d", roomID), SegmentStart: start, Offset: at.Sub(start)}, nil
}

func TestScoringAPI(t *testing.T) {
	f := newSessionFixture(t)
	second, secondUser := f.e.loginAt(t, "pingwei3", auth.RoleEvaluator, "S1")
	var firstUser auth.User
	f.evaluator.call(http.MethodGet, "/api/me", nil, http.StatusOK, &firstUser)
	require.NotZero(t, firstUser.ID)
	scores := f.path + "/scores"

	// The sheet: admins set it before evaluation.
	f.staff1.fail(http.MethodPut, f.path+"/scoresheet", scoreSheet, http.StatusForbidden, "forbidden")
	f.admin.fail(http.MethodPut, f.path+"/scoresheet", map[string]any{"bidders": []any{}, "criteria": scoreSheet["criteria"]}, http.StatusUnprocessableEntity, "invalid")
	var sh room.ScoreSheet
	f.admin.call(http.MethodPut, f.path+"/scoresheet", scoreSheet, http.StatusOK, &sh)
	require.Len(t, sh.Criteria, 2)
	f.evaluator.call(http.MethodGet, f.path+"/scoresheet", nil, http.StatusOK, &sh)
	require.Len(t, sh.Bidders, 2)
	f.stranger.fail(http.MethodGet, f.path+"/scoresheet", nil, http.StatusForbidden, "forbidden")

	score := map[string]any{"bidder": "B1", "criterion": "tech", "value": 52.5, "comment": "方案完整"}
	got := f.evaluator.fail(http.MethodPost, scores, score, http.StatusConflict, "phase")
	require.Contains(t, got.Error.Message, "评标进行中")
	f.openSignin(t)
	second.relogin()
	f.evaluator.fail(http.MethodPost, scores, score, http.StatusConflict, "phase")
	f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": "evaluating"}, http.StatusOK, nil)
	f.admin.fail(http.MethodPut, f.path+"/scoresheet", scoreSheet, http.StatusConflict, "phase")

	// Who may score.
	for name, c := range map[string]*client{"admin": f.admin, "staff": f.staff1, "supervisor": f.supervisor} {
		t.Run("no score by "+name, func(t *testing.T) { c.fail(http.MethodPost, scores, score, http.StatusForbidden, "forbidden") })
	}
	f.stranger.fail(http.MethodPost, scores, score, http.StatusForbidden, "forbidden")

	var r1 room.ScoreRecord
	f.evaluator.call(http.MethodPost, scores, score, http.StatusCreated, &r1)
	require.Equal(t, firstUser.ID, r1.EvaluatorUserID)
	require.True(t, r1.RecordedAt.Equal(f.e.clock.Now()), "server UTC")
	var o1 room.ScoreRecord
	second.call(http.MethodPost, scores, map[string]any{"bidder": "B1", "criterion": "tech", "value": 48}, http.StatusCreated, &o1)
	require.Equal(t, secondUser.ID, o1.EvaluatorUserID)

	// Bad input: 422 and nothing stored.
	bad := []struct {
		name string
		body map[string]any
	}{
		{"value above the maximum", map[string]any{"bidder": "B2", "criterion": "tech", "value": 60.5}},
		{"negative value", map[string]any{"bidder": "B2", "criterion": "price", "value": -1}},
		{"three decimals", map[string]any{"bidder": "B2", "criterion": "price", "value": 1.234}},
		{"unknown bidder", map[string]any{"bidder": "B7", "criterion": "price", "value": 1}},
		{"unknown criterion", map[string]any{"bidder": "B2", "criterion": "looks", "value": 1}},
		{"correction of another evaluator's record", map[string]any{"bidder": "B1", "criterion": "tech", "value": 1, "comment": "x", "corrects": o1.ID}},
		{"correction without a reason", map[string]any{"bidder": "B1", "criterion": "tech", "value": 1, "corrects": r1.ID}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			f.evaluator.fail(http.MethodPost, scores, tc.body, http.StatusUnprocessableEntity, "invalid")
			var all scoreList
			f.supervisor.call(http.MethodGet, scores, nil, http.StatusOK, &all)
			require.Equal(t, 2, all.Total, "nothing stored")
		})
	}
	f.evaluator.fail(http.MethodPost, scores, map[string]any{"bidder": "B1", "criterion": "tech", "value": "高"}, http.StatusBadRequest, "bad_request")
	got = f.evaluator.fail(http.MethodPost, scores, map[string]any{"bidder": "B1", "criterion": "tech", "value": 40}, http.StatusConflict, "conflict")
	require.Contains(t, got.Error.Message, "更正")

	// Corrections.
	f.e.clock.Advance(time.Minute)
	var r2, r3 room.ScoreRecord
	f.evaluator.call(http.MethodPost, scores, map[string]any{"bidder": "B1", "criterion": "tech", "value": 55, "comment": "漏看第3章", "corrects": r1.ID}, http.StatusCreated, &r2)
	f.evaluator.fail(http.MethodPost, scores, map[string]any{"bidder": "B1", "criterion": "tech", "value": 56, "comment": "再改", "corrects": r1.ID}, http.StatusConflict, "conflict")
	f.evaluator.call(http.MethodPost, scores, map[string]any{"bidder": "B1", "criterion": "tech", "value": 54, "comment": "复核", "corrects": r2.ID}, http.StatusCreated, &r3)

	var ch room.ScoreChain
	f.evaluator.call(http.MethodGet, "/api/scores/"+itoa(r1.ID), nil, http.StatusOK, &ch)
	require.Equal(t, r1.ID, ch.Record.ID)
	require.Len(t, ch.Chain, 3)
	require.Equal(t, r3.ID, ch.Effective.ID)
	require.Equal(t, 54.0, ch.Effective.Value)
	require.Equal(t, r2.ID, ch.Chain[0].CorrectedBy)

	// Who reads what.
	var list scoreList
	f.evaluator.call(http.MethodGet, scores, nil, http.StatusOK, &list)
	require.Equal(t, 3, list.Total, "an evaluator sees their own records")
	f.evaluator.call(http.MethodGet, scores+"?effective=true", nil, http.StatusOK, &list)
	require.Equal(t, 1, list.Total)
	require.Equal(t, r3.ID, list.Items[0].ID)
	f.supervisor.call(http.MethodGet, scores+"?effective=true", nil, http.StatusOK, &list)
	require.Equal(t, 2, list.Total)
	f.staff2.call(http.MethodGet, scores, nil, http.StatusOK, &list)
	require.Equal(t, 4, list.Total, "staff of a venue of the session see all")
	f.staff3.fail(http.MethodGet, scores, nil, http.StatusForbidden, "forbidden")
	f.stranger.fail(http.MethodGet, scores, nil, http.StatusForbidden, "forbidden")
	f.supervisor.fail(http.MethodGet, scores+"?effective=maybe", nil, http.StatusBadRequest, "bad_request")
	second.fail(http.MethodGet, "/api/scores/"+itoa(r1.ID), nil, http.StatusForbidden, "forbidden")
	f.staff3.fail(http.MethodGet, "/api/scores/"+itoa(r1.ID), nil, http.StatusForbidden, "forbidden")
	f.archivist.call(http.MethodGet, "/api/scores/"+itoa(r2.ID), nil, http.StatusOK, &ch)
	require.Len(t, ch.Chain, 3)
	f.admin.fail(http.MethodGet, "/api/scores/999999", nil, http.StatusNotFound, "not_found")

	// Playback: 503 until the archive index is enabled.
	got = f.supervisor.fail(http.MethodGet, "/api/scores/"+itoa(r3.ID)+"/playback", nil, http.StatusServiceUnavailable, "unavailable")
	require.Equal(t, "录像索引尚未启用", got.Error.Message)
	f.evaluator.fail(http.MethodGet, "/api/scores/"+itoa(r3.ID)+"/playback", nil, http.StatusForbidden, "forbidden")

	idx := archiveIndex{starts: map[int64]time.Time{f.room1.ID: r3.RecordedAt.Add(-4 * time.Second)}}
	srv, err := web.New(web.Params{Auth: f.e.auth, Audit: f.e.audit, Pool: f.e.pool, Sessions: f.e.rooms, Archive: idx,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: f.e.clock.Now})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	archivist := *f.archivist
	archivist.base = ts.URL
	var pb room.Playback
	archivist.call(http.MethodGet, "/api/scores/"+itoa(r3.ID)+"/playback", nil, http.StatusOK, &pb)
	require.True(t, pb.At.Equal(r3.RecordedAt))
	require.Len(t, pb.Rooms, 2)
	require.Equal(t, f.room1.ID, pb.Rooms[0].RoomID)
	require.NotNil(t, pb.Rooms[0].Position)
	require.Equal(t, 4*time.Second, pb.Rooms[0].Position.Offset)
	require.Nil(t, pb.Rooms[1].Position)
	require.NotEmpty(t, pb.Rooms[1].Missing)

	// Phase ends: no more scores.
	f.staff1.call(http.MethodPost, f.path+"/phase", map[string]string{"phase": "paused"}, http.StatusOK, nil)
	f.evaluator.fail(http.MethodPost, scores, map[string]any{"bidder": "B2", "criterion": "tech", "value": 1}, http.StatusConflict, "phase")

	actions := f.auditActions(t, "session:"+itoa(f.sess.ID))
	require.Contains(t, actions, "scoring.sheet")
	require.Contains(t, actions, "score.record")
	require.Contains(t, actions, "score.correct")
}
