package room_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/events"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/room"
)

// monitorEnv is a session with a recorder in each room and a monitor
// storing reports in a real Redis, publishing on a real events bus.
type monitorEnv struct {
	*env
	sess  room.Session
	rdb   *testenv.RedisEnv
	store *room.RedisRecorderStatus
	mon   *room.RecorderMonitor
}

func newMonitorEnv(t *testing.T, ttl time.Duration) *monitorEnv {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	s := e.session(t, "MON")
	for i, id := range []string{"edge-nj-9", "edge-hf-9"} {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		_, err = e.svc.RegisterRecorder(ctx, admin.ID, s.Rooms[i].ID, id, pub)
		require.NoError(t, err)
	}
	s, err := e.svc.GetSession(ctx, s.ID)
	require.NoError(t, err)
	rdb := testenv.Redis(t)
	store, err := room.NewRedisRecorderStatus(rdb.Client, rdb.Prefix, ttl)
	require.NoError(t, err)
	bus := events.New(rdb.Client, events.Options{Prefix: rdb.Prefix})
	mon, err := room.NewRecorderMonitor(room.RecorderMonitorParams{Sessions: e.svc, Store: store, Events: bus,
		Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return &monitorEnv{env: e, sess: s, rdb: rdb, store: store, mon: mon}
}

// identity is what the device token of the session's room i says.
func (m *monitorEnv) identity(i int, session bool) room.RecorderIdentity {
	id := room.RecorderIdentity{RecorderID: m.sess.Rooms[i].RecorderID, RoomID: m.sess.Rooms[i].IDString()}
	if session {
		id.SessionID = m.sess.IDString()
	}
	return id
}

// goodReport is a healthy report of the session's room i.
func (m *monitorEnv) goodReport(i int) room.RecorderReport {
	last := m.clock.Now().Add(-2 * time.Second)
	return room.RecorderReport{RecorderID: m.sess.Rooms[i].RecorderID, RoomID: m.sess.Rooms[i].IDString(),
		Recording: true, Live: true, DevicesOpen: 2, BacklogSegments: 3, BacklogBytes: 3 << 20,
		ClockOffsetMS: 4000.25, ClockUncertaintyMS: 1.5, FreeDiskBytes: 80 << 30, Alarms: []string{}, LastSegmentAt: &last}
}

func TestRecorderReportsAreShownPerSession(t *testing.T) {
	m := newMonitorEnv(t, 0)
	ctx := context.Background()
	sub := m.rdb.Client.Subscribe(ctx, m.rdb.Prefix+"events")
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)

	// Nothing reported yet: both rooms are stale, with zero values.
	views, err := m.mon.SessionRecorders(ctx, m.sess)
	require.NoError(t, err)
	require.Len(t, views, 2)
	for i, v := range views {
		require.True(t, v.Stale)
		require.Nil(t, v.ReportedAt)
		require.False(t, v.Recording)
		require.Equal(t, []string{}, v.Alarms)
		require.Equal(t, m.sess.Rooms[i].RecorderID, v.RecorderID)
		require.Equal(t, m.sess.Rooms[i].Name, v.RoomName)
	}

	r := m.goodReport(0)
	st, err := m.mon.Report(ctx, m.identity(0, true), r)
	require.NoError(t, err)
	require.Equal(t, m.clock.Now().UTC(), st.ReportedAt)
	require.Equal(t, m.sess.ID, st.SessionID)
	msg, err := sub.ReceiveMessage(ctx)
	require.NoError(t, err)
	var ev events.Event
	require.NoError(t, json.Unmarshal([]byte(msg.Payload), &ev))
	require.Equal(t, room.ActionRecorderStatus, ev.Action)
	require.Equal(t, "session:"+m.sess.IDString(), ev.Object)

	// An upload-only token (no session running) reports too; its event
	// names the room.
	hf := m.goodReport(1)
	hf.Recording, hf.Live, hf.DevicesOpen, hf.DevicesLost = false, false, 1, 1
	hf.Alarms = []string{"摄像机 cam1 未在录像", "设备 cam1 已断开: 无信号"}
	_, err = m.mon.Report(ctx, m.identity(1, false), hf)
	require.NoError(t, err)
	msg, err = sub.ReceiveMessage(ctx)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(msg.Payload), &ev))
	require.Equal(t, "room:"+m.sess.Rooms[1].IDString(), ev.Object)

	views, err = m.mon.SessionRecorders(ctx, m.sess)
	require.NoError(t, err)
	nj, hfv := views[0], views[1]
	require.False(t, nj.Stale)
	require.NotNil(t, nj.ReportedAt)
	require.True(t, nj.Recording)
	require.True(t, nj.Live)
	require.Equal(t, int64(3), nj.BacklogSegments)
	require.Equal(t, int64(3<<20), nj.BacklogBytes)
	require.Equal(t, 4000.25, nj.ClockOffsetMS)
	require.Equal(t, 1.5, nj.ClockUncertaintyMS)
	require.Equal(t, int64(80<<30), nj.FreeDiskBytes)
	require.WithinDuration(t, *r.LastSegmentAt, *nj.LastSegmentAt, 0)
	require.False(t, hfv.Stale)
	require.False(t, hfv.Recording)
	require.Equal(t, 1, hfv.DevicesLost)
	require.Equal(t, hf.Alarms, hfv.Alarms)

	// A report lives 30 s in Redis.
	ttl, err := m.rdb.Client.TTL(ctx, m.rdb.Prefix+"recorder:status:"+r.RecorderID).Result()
	require.NoError(t, err)
	require.InDelta(t, room.DefaultRecorderStatusTTL.Seconds(), ttl.Seconds(), 1)

	// The metrics' view: both rooms with their session's phase.
	states, err := m.mon.RoomStates(ctx)
	require.NoError(t, err)
	require.Len(t, states, 2)
	require.Equal(t, room.Phase(""), states[0].Phase, "the session is only scheduled")
	require.False(t, states[0].Evaluating())
	require.True(t, states[0].Recording)
	m.move(t, m.sess.ID, room.PhaseSignin, room.PhaseEvaluating)
	states, err = m.mon.RoomStates(ctx)
	require.NoError(t, err)
	require.True(t, states[0].Evaluating())
	require.Equal(t, m.sess.ID, states[1].SessionID)
}

func TestBadRecorderReportsAreRefused(t *testing.T) {
	m := newMonitorEnv(t, 0)
	ctx := context.Background()
	future := m.clock.Now().Add(time.Hour)
	long := make([]rune, room.MaxRecorderAlarmRunes+1)
	for i := range long {
		long[i] = '警'
	}
	tooMany := make([]string, room.MaxRecorderAlarms+1)
	for i := range tooMany {
		tooMany[i] = "告警"
	}
	for _, tc := range []struct {
		name   string
		change func(r *room.RecorderReport, id *room.RecorderIdentity)
		want   error
		text   string
	}{
		{"another recorder's report", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.RecorderID = "edge-hf-9" }, room.ErrInvalid, "与设备令牌中的录像设备"},
		{"no recorder id", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.RecorderID = "" }, room.ErrInvalid, "缺少 recorder_id"},
		{"another room", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.RoomID = "999" }, room.ErrInvalid, "与设备令牌中的评标室"},
		{"negative backlog", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.BacklogSegments = -1 }, room.ErrInvalid, "backlog"},
		{"negative devices", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.DevicesLost = -2 }, room.ErrInvalid, "devices_open"},
		{"free disk below -1", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.FreeDiskBytes = -5 }, room.ErrInvalid, "free_disk_bytes"},
		{"clock two days off", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.ClockOffsetMS = 2 * 86400e3 }, room.ErrInvalid, "clock_offset_ms"},
		{"negative uncertainty", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.ClockUncertaintyMS = -1 }, room.ErrInvalid, "clock_uncertainty_ms"},
		{"empty alarm", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.Alarms = []string{" "} }, room.ErrInvalid, "告警"},
		{"long alarm", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.Alarms = []string{string(long)} }, room.ErrInvalid, "告警"},
		{"too many alarms", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.Alarms = tooMany }, room.ErrInvalid, "告警最多"},
		{"segment from the future", func(r *room.RecorderReport, _ *room.RecorderIdentity) { r.LastSegmentAt = &future }, room.ErrInvalid, "last_segment_at"},
		{"recorder no longer registered", func(r *room.RecorderReport, id *room.RecorderIdentity) {
			r.RecorderID, id.RecorderID = "edge-gone", "edge-gone"
		}, room.ErrConflict, "已不再登记"},
		{"recorder moved to another room", func(r *room.RecorderReport, id *room.RecorderIdentity) {
			r.RoomID, id.RoomID = m.sess.Rooms[1].IDString(), m.sess.Rooms[1].IDString()
		}, room.ErrConflict, "其他评标室"},
		{"bad session in the token", func(_ *room.RecorderReport, id *room.RecorderIdentity) { id.SessionID = "x" }, room.ErrInvalid, "评标编号"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, id := m.goodReport(0), m.identity(0, true)
			tc.change(&r, &id)
			_, err := m.mon.Report(ctx, id, r)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.text)
		})
	}
	// Nothing was stored.
	keys, err := m.rdb.Client.Keys(ctx, m.rdb.Prefix+"recorder:status:*").Result()
	require.NoError(t, err)
	require.Empty(t, keys)
	views, err := m.mon.SessionRecorders(ctx, m.sess)
	require.NoError(t, err)
	require.True(t, views[0].Stale)
}

// TestRecorderGoesStale shows a silent recorder turning stale when its
// report expires (a one-second lifetime here, 30 s in service).
func TestRecorderGoesStale(t *testing.T) {
	m := newMonitorEnv(t, time.Second)
	ctx := context.Background()
	_, err := m.mon.Report(ctx, m.identity(0, true), m.goodReport(0))
	require.NoError(t, err)
	views, err := m.mon.SessionRecorders(ctx, m.sess)
	require.NoError(t, err)
	require.False(t, views[0].Stale)
	require.Eventually(t, func() bool {
		views, err := m.mon.SessionRecorders(ctx, m.sess)
		require.NoError(t, err)
		return views[0].Stale
	}, 10*time.Second, 50*time.Millisecond)
	views, err = m.mon.SessionRecorders(ctx, m.sess)
	require.NoError(t, err)
	require.False(t, views[0].Recording, "a stale recorder shows zero values")
	require.Zero(t, views[0].FreeDiskBytes)

	// A report stored before the recorder moved is not the new room's.
	require.NoError(t, m.store.Put(ctx, room.RecorderStatus{RecorderReport: room.RecorderReport{RecorderID: "edge-hf-9",
		RoomID: strconv.FormatInt(m.sess.Rooms[0].ID, 10)}, ReportedAt: m.clock.Now()}))
	views, err = m.mon.SessionRecorders(ctx, m.sess)
	require.NoError(t, err)
	require.True(t, views[1].Stale)

	_, err = room.NewRedisRecorderStatus(nil, "", 0)
	require.ErrorIs(t, err, room.ErrMissingParam)
	_, err = room.NewRecorderMonitor(room.RecorderMonitorParams{Store: m.store})
	require.ErrorIs(t, err, room.ErrMissingParam)
}
