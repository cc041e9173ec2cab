package archive_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive"
)

func TestHoldsPlaceListReleaseAudited(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	h, err := e.svc.PlaceHold(ctx, "user:2", 7, archive.HoldInput{Reason: "  纪委调查 2026-15 号  "})
	require.NoError(t, err)
	require.True(t, h.Active)
	require.Equal(t, "纪委调查 2026-15 号", h.Reason, "trimmed")
	require.Equal(t, "user:2", h.PlacedBy)
	require.Equal(t, t0.Add(time.Hour), h.PlacedAt)
	room, err := e.svc.PlaceHold(ctx, "user:5", 7, archive.HoldInput{Room: 4, Reason: "投诉处理"})
	require.NoError(t, err)
	require.EqualValues(t, 4, room.Room)

	e.clock.Advance(time.Hour)
	rel, err := e.svc.ReleaseHold(ctx, "user:5", 7, h.ID, "调查结束")
	require.NoError(t, err)
	require.False(t, rel.Active)
	require.Equal(t, "user:5", rel.ReleasedBy)
	require.Equal(t, "调查结束", rel.ReleaseReason)
	require.Equal(t, t0.Add(2*time.Hour), *rel.ReleasedAt)

	list, err := e.svc.Holds(ctx, 7)
	require.NoError(t, err)
	require.Len(t, list, 2, "a released hold stays on record")
	require.False(t, list[0].Active)
	require.True(t, list[1].Active)
	none, err := e.svc.Holds(ctx, 8)
	require.NoError(t, err)
	require.Empty(t, none)

	placed, err := e.audit.List(ctx, audit.Filter{Action: "archive.hold"})
	require.NoError(t, err)
	require.Len(t, placed, 2)
	require.Equal(t, "session:7", placed[0].Object)
	require.Contains(t, string(placed[0].Detail), "纪委调查 2026-15 号")
	released, err := e.audit.List(ctx, audit.Filter{Action: "archive.hold_release"})
	require.NoError(t, err)
	require.Len(t, released, 1)
	require.Equal(t, "user:5", released[0].Actor)
	require.Contains(t, string(released[0].Detail), "调查结束")

	// A hold is never deleted.
	_, err = e.db.Exec(ctx, `DELETE FROM archive.holds WHERE id = $1`, room.ID)
	require.ErrorContains(t, err, "kept")
}

func TestHoldsBadInputChangesNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	h, err := e.svc.PlaceHold(ctx, "user:2", 7, archive.HoldInput{Reason: "保全"})
	require.NoError(t, err)
	_, err = e.svc.ReleaseHold(ctx, "user:2", 7, h.ID, "解除")
	require.NoError(t, err)
	active, err := e.svc.PlaceHold(ctx, "user:2", 7, archive.HoldInput{Reason: "再次保全"})
	require.NoError(t, err)
	before := e.count(t, "holds")
	auditBefore, err := e.audit.List(ctx, audit.Filter{})
	require.NoError(t, err)

	cases := []struct {
		name string
		do   func() error
		want error
		text string
	}{
		{"no reason", func() error {
			_, err := e.svc.PlaceHold(ctx, "user:2", 7, archive.HoldInput{Reason: "   "})
			return err
		}, archive.ErrInvalid, "必须填写法律保全的原因"},
		{"reason too long", func() error {
			_, err := e.svc.PlaceHold(ctx, "user:2", 7, archive.HoldInput{Reason: strings.Repeat("长", 501)})
			return err
		}, archive.ErrInvalid, "不能超过500字"},
		{"bad session", func() error {
			_, err := e.svc.PlaceHold(ctx, "user:2", 0, archive.HoldInput{Reason: "保全"})
			return err
		}, archive.ErrInvalid, "评标编号"},
		{"release without reason", func() error {
			_, err := e.svc.ReleaseHold(ctx, "user:2", 7, active.ID, "")
			return err
		}, archive.ErrInvalid, "必须填写解除保全的原因"},
		{"release unknown hold", func() error {
			_, err := e.svc.ReleaseHold(ctx, "user:2", 7, active.ID+100, "解除")
			return err
		}, archive.ErrNotFound, "没有编号为"},
		{"release another session's hold", func() error {
			_, err := e.svc.ReleaseHold(ctx, "user:2", 8, active.ID, "解除")
			return err
		}, archive.ErrNotFound, "没有编号为"},
		{"release twice", func() error {
			_, err := e.svc.ReleaseHold(ctx, "user:2", 7, h.ID, "解除")
			return err
		}, archive.ErrConflict, "已于"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.text)
		})
	}
	require.Equal(t, before, e.count(t, "holds"))
	list, err := e.svc.Holds(ctx, 7)
	require.NoError(t, err)
	require.True(t, list[1].Active, "the active hold is still active")
	auditAfter, err := e.audit.List(ctx, audit.Filter{})
	require.NoError(t, err)
	require.Equal(t, len(auditBefore), len(auditAfter), "nothing audited")
}
