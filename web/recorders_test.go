package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/token"
	"github.com/evalroom/evalroom/web"
	"github.com/evalroom/evalroom/web/auth"
)

var _ web.Recorders = (*room.RecorderMonitor)(nil)

// observed records what the server tells its RequestObserver.
type observed struct {
	mu   sync.Mutex
	seen []string
}

func (o *observed) ObserveRequest(method, route string, status int, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, method+" "+route+" "+itoa(int64(status)))
}

func (o *observed) has(s string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, x := range o.seen {
		if x == s {
			return true
		}
	}
	return false
}

// recorderEnv is a session of venues V1 and V2 with a registered
// recorder in each room, the recorder monitor on the test Redis, and
// /metrics behind a token.
type recorderEnv struct {
	*env
	rooms  *room.Service
	tokens *token.Authority
	sess   room.Session
	seen   *observed
}

const metricsToken = "metrics-test-token"

func newRecorderEnv(t *testing.T) *recorderEnv {
	t.Helper()
	re := &recorderEnv{seen: &observed{}}
	re.env = buildEnv(t, false, func(e *env, p *web.Params) {
		_, err := migrate.Apply(context.Background(), e.db, room.Migrations)
		require.NoError(t, err)
		re.rooms, err = room.New(room.Params{DB: e.db, Audit: e.audit, Committee: poolCommittee{e.pool}, Now: e.clock.Now, Logger: p.Logger})
		require.NoError(t, err)
		re.tokens, err = token.New(e.keys.Derive("media-token"), 10*time.Minute, e.clock.Now)
		require.NoError(t, err)
		r := testenv.Redis(t)
		store, err := room.NewRedisRecorderStatus(r.Client, r.Prefix, 0)
		require.NoError(t, err)
		mon, err := room.NewRecorderMonitor(room.RecorderMonitorParams{Sessions: re.rooms, Store: store, Now: e.clock.Now, Logger: p.Logger})
		require.NoError(t, err)
		p.Sessions, p.Tokens, p.Recorders = re.rooms, re.tokens, mon
		p.Metrics = web.Metrics{Token: metricsToken, Requests: re.seen,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain; version=0.0.4")
				_, _ = w.Write([]byte("evalroom_test_metric 1\n"))
			})}
	})
	ctx := context.Background()
	start := testStart.Add(48 * time.Hour)
	var err error
	re.sess, err = re.rooms.CreateSession(ctx, "user:1", room.SessionInput{Ref: "S-REC", ProjectCode: "P-REC", ProjectName: "某医院门诊楼施工",
		StartsAt: start, EndsAt: start.Add(4 * time.Hour), MainVenue: "V1", RemoteVenues: []string{"V2"}})
	require.NoError(t, err)
	for i, in := range []room.RoomInput{{VenueCode: "V1", Name: "第一评标室", Seats: 5}, {VenueCode: "V2", Name: "第二评标室", Seats: 4}, {VenueCode: "V2", Name: "备用室", Seats: 2}} {
		r, err := re.rooms.AddRoom(ctx, "user:1", re.sess.ID, in)
		require.NoError(t, err)
		if i < 2 { // the spare room has no recorder
			pub, _, err := ed25519.GenerateKey(rand.Reader)
			require.NoError(t, err)
			_, err = re.rooms.RegisterRecorder(ctx, "user:1", r.ID, []string{"edge-v1", "edge-v2"}[i], pub)
			require.NoError(t, err)
		}
	}
	re.sess, err = re.rooms.GetSession(ctx, re.sess.ID)
	require.NoError(t, err)
	return re
}

// deviceToken mints the device token the server would give room i's
// recorder (upload-only when session is false).
func (re *recorderEnv) deviceToken(t *testing.T, i int, session bool) string {
	t.Helper()
	r := re.sess.Rooms[i]
	c := token.Claims{Subject: "device:" + r.RecorderID, Room: r.IDString(), Venue: r.VenueCode, Role: token.RoleDevice}
	if session {
		c.Session, c.Grants = re.sess.IDString(), token.Grants{Publish: true}
	}
	tok, _, err := re.tokens.Mint(c)
	require.NoError(t, err)
	return tok
}

// report posts body with the bearer token tok as a recorder would (no
// cookie, no CSRF header) and returns the status and answer.
func (re *recorderEnv) report(t *testing.T, tok string, body any) (int, apiErr, []byte) {
	t.Helper()
	device := re.anon(t)
	device.csrf = false
	var header []string
	if tok != "" {
		header = []string{"Authorization", "Bearer " + tok}
	}
	status, b, _ := device.raw(http.MethodPost, "/api/devices/status", body, header...)
	var e apiErr
	_ = json.Unmarshal(b, &e)
	return status, e, b
}

func (re *recorderEnv) goodReport(i int) map[string]any {
	r := re.sess.Rooms[i]
	return map[string]any{"recorder_id": r.RecorderID, "room_id": r.IDString(), "recording": true, "live": true,
		"devices_open": 2, "devices_lost": 0, "backlog_segments": 1, "backlog_bytes": 2 << 20,
		"clock_offset_ms": -3.5, "clock_uncertainty_ms": 0.8, "free_disk_bytes": 50 << 30, "alarms": []string{},
		"last_segment_at": re.clock.Now().Add(-3 * time.Second)}
}

func TestRecorderStatusReportsReachTheControlPanel(t *testing.T) {
	re := newRecorderEnv(t)
	path := "/api/sessions/" + re.sess.IDString() + "/recorders"
	admin, _ := re.loginAt(t, "root", auth.RoleAdmin, "")
	staffV2, _ := re.loginAt(t, "staff-v2", auth.RoleStaff, "V2")
	staffV9, _ := re.loginAt(t, "staff-v9", auth.RoleStaff, "V9")
	sup, _ := re.loginAt(t, "jiandu", auth.RoleSupervisor, "")
	expert, _ := re.loginAt(t, "pingwei", auth.RoleEvaluator, "S-REC")
	archivist, _ := re.loginAt(t, "dangan", auth.RoleArchivist, "")

	// Before any report both recorders are stale, with every field of the
	// contract present; the spare room without a recorder is not listed.
	var raw struct {
		Items []map[string]any `json:"items"`
	}
	admin.call(http.MethodGet, path, nil, http.StatusOK, &raw)
	require.Len(t, raw.Items, 2)
	for _, it := range raw.Items {
		var keys []string
		for k := range it {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range []string{"room_id", "room_name", "venue_code", "recorder_id", "reported_at", "stale", "recording", "live",
			"backlog_segments", "backlog_bytes", "clock_offset_ms", "clock_uncertainty_ms", "free_disk_bytes", "alarms"} {
			require.Contains(t, keys, k)
		}
		require.Equal(t, true, it["stale"])
		require.Nil(t, it["reported_at"])
		require.Equal(t, []any{}, it["alarms"])
	}

	// The Nanjing recorder reports with its session token, the Hefei one
	// with an upload-only token and a newer recorder's extra field.
	status, _, b := re.report(t, re.deviceToken(t, 0, true), re.goodReport(0))
	require.Equal(t, http.StatusOK, status, string(b))
	hf := re.goodReport(1)
	hf["recording"], hf["devices_lost"], hf["alarms"] = false, 1, []string{"摄像机 cam1 未在录像"}
	hf["firmware"] = "v2"
	status, _, b = re.report(t, re.deviceToken(t, 1, false), hf)
	require.Equal(t, http.StatusOK, status, string(b))

	for _, c := range []*client{admin, staffV2, sup} {
		var got struct {
			Items []room.RecorderView `json:"items"`
		}
		c.call(http.MethodGet, path, nil, http.StatusOK, &got)
		require.Len(t, got.Items, 2)
		nj, hfv := got.Items[0], got.Items[1]
		require.Equal(t, "edge-v1", nj.RecorderID)
		require.Equal(t, "第一评标室", nj.RoomName)
		require.Equal(t, "V1", nj.VenueCode)
		require.False(t, nj.Stale)
		require.Equal(t, re.clock.Now().UTC(), nj.ReportedAt.UTC())
		require.True(t, nj.Recording)
		require.Equal(t, -3.5, nj.ClockOffsetMS)
		require.Equal(t, int64(50<<30), nj.FreeDiskBytes)
		require.False(t, hfv.Stale)
		require.False(t, hfv.Recording)
		require.Equal(t, []string{"摄像机 cam1 未在录像"}, hfv.Alarms)
	}
	staffV9.fail(http.MethodGet, path, nil, http.StatusForbidden, "forbidden")
	expert.fail(http.MethodGet, path, nil, http.StatusForbidden, "forbidden")
	archivist.fail(http.MethodGet, path, nil, http.StatusForbidden, "forbidden")
	admin.fail(http.MethodGet, "/api/sessions/999999/recorders", nil, http.StatusNotFound, "not_found")
	require.True(t, re.seen.has("GET /api/sessions/:id/recorders 200"), "requests are observed by route")
	require.True(t, re.seen.has("POST /api/devices/status 200"))
}

func TestBadRecorderStatusIsRefused(t *testing.T) {
	re := newRecorderEnv(t)
	tok := re.deviceToken(t, 0, true)
	evaluator, _, err := re.tokens.Mint(token.Claims{Subject: "user:9", Session: re.sess.IDString(), Room: re.sess.Rooms[0].IDString(),
		Role: token.RoleEvaluator, Grants: token.Grants{Publish: true, Subscribe: true}})
	require.NoError(t, err)
	early, err := token.New(re.keys.Derive("media-token"), time.Minute, func() time.Time { return re.clock.Now().Add(-time.Hour) })
	require.NoError(t, err)
	expired, _, err := early.Mint(token.Claims{Subject: "device:edge-v1", Room: re.sess.Rooms[0].IDString(), Role: token.RoleDevice})
	require.NoError(t, err)
	with := func(k string, v any) map[string]any {
		r := re.goodReport(0)
		r[k] = v
		return r
	}
	for _, tc := range []struct {
		name   string
		tok    string
		body   any
		status int
		code   string
		text   string
	}{
		{"no token", "", re.goodReport(0), http.StatusUnauthorized, "unauthenticated", "缺少设备令牌"},
		{"forged token", tok + "x", re.goodReport(0), http.StatusUnauthorized, "unauthenticated", "设备令牌无效"},
		{"expired token", expired, re.goodReport(0), http.StatusUnauthorized, "token_expired", "已过期"},
		{"not a device", evaluator, re.goodReport(0), http.StatusForbidden, "forbidden", "只有录像设备"},
		{"not JSON", tok, "recording=yes", http.StatusBadRequest, "bad_request", "JSON"},
		{"wrong type", tok, with("backlog_segments", "many"), http.StatusBadRequest, "bad_request", "backlog_segments"},
		{"another recorder", tok, with("recorder_id", "edge-v2"), http.StatusUnprocessableEntity, "invalid", "与设备令牌中的录像设备"},
		{"another room", tok, with("room_id", re.sess.Rooms[1].IDString()), http.StatusUnprocessableEntity, "invalid", "与设备令牌中的评标室"},
		{"negative backlog", tok, with("backlog_bytes", -1), http.StatusUnprocessableEntity, "invalid", "不能为负数"},
		{"empty alarm", tok, with("alarms", []string{""}), http.StatusUnprocessableEntity, "invalid", "告警"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, e, b := re.report(t, tc.tok, tc.body)
			require.Equal(t, tc.status, status, string(b))
			require.Equal(t, tc.code, e.Error.Code)
			require.Contains(t, e.Error.Message, tc.text)
		})
	}
	admin, _ := re.loginAt(t, "root", auth.RoleAdmin, "")
	var got struct {
		Items []room.RecorderView `json:"items"`
	}
	admin.call(http.MethodGet, "/api/sessions/"+re.sess.IDString()+"/recorders", nil, http.StatusOK, &got)
	require.True(t, got.Items[0].Stale, "nothing was stored")
}

func TestMetricsRouteNeedsItsToken(t *testing.T) {
	re := newRecorderEnv(t)
	anon := re.anon(t)
	status, b, h := anon.raw(http.MethodGet, "/metrics", nil)
	require.Equal(t, http.StatusUnauthorized, status, string(b))
	require.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
	status, _, _ = anon.raw(http.MethodGet, "/metrics", nil, "Authorization", "Bearer wrong")
	require.Equal(t, http.StatusUnauthorized, status)
	status, b, _ = anon.raw(http.MethodGet, "/metrics", nil, "Authorization", "Bearer "+metricsToken)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "evalroom_test_metric 1\n", string(b))
	require.True(t, re.seen.has("GET /metrics 401"))

	// Without a handler the route says so.
	plain := newEnv(t)
	status, b, _ = plain.anon(t).raw(http.MethodGet, "/metrics", nil)
	require.Equal(t, http.StatusServiceUnavailable, status, string(b))
}
