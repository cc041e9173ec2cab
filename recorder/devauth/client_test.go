package devauth_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/devauth"
)

// TestMessageIsTheServersFormat pins the signed message to the format of
// room.DeviceMessage (room/device.go):
// "evalroom-device-token\n" + recorderID + "\n" + timestamp.
func TestMessageIsTheServersFormat(t *testing.T) {
	got := devauth.Message("edge-nj-1", "2026-03-14T09:26:53.589123Z")
	require.Equal(t, "evalroom-device-token\nedge-nj-1\n2026-03-14T09:26:53.589123Z", string(got))
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// tokenServer plays evalroomd's POST /api/devices/token: it checks the
// CSRF header, the signature, the skew (1 s) and replays, as
// room.GrantDevice does.
type tokenServer struct {
	t     *testing.T
	pub   ed25519.PublicKey
	clock *fakeClock
	ttl   time.Duration

	mu       sync.Mutex
	requests int
	last     time.Time
	stamps   []string
	// answer, when set, replaces the grant.
	answer func(w http.ResponseWriter) bool
	// publish says whether the grant allows publishing.
	publish bool
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	fail := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, msg)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/devices/token" {
		fail(http.StatusNotFound, "not_found", "未找到")
		return
	}
	if r.Header.Get("X-Requested-With") == "" {
		fail(http.StatusForbidden, "forbidden", "缺少 X-Requested-With 请求头")
		return
	}
	if s.answer != nil && s.answer(w) {
		return
	}
	var req struct {
		RecorderID string `json:"recorder_id"`
		Timestamp  string `json:"timestamp"`
		Signature  []byte `json:"signature"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(http.StatusBadRequest, "bad_request", "请求格式错误")
		return
	}
	msg := []byte("evalroom-device-token\n" + req.RecorderID + "\n" + req.Timestamp)
	if req.RecorderID != "edge-1" || !ed25519.Verify(s.pub, msg, req.Signature) {
		fail(http.StatusUnauthorized, "bad_signature", "设备签名无效")
		return
	}
	ts, err := time.Parse(time.RFC3339Nano, req.Timestamp)
	if err != nil {
		fail(http.StatusUnauthorized, "bad_signature", "时间戳须为 RFC 3339 格式")
		return
	}
	if d := s.clock.Now().Sub(ts); d > time.Second || d < -time.Second {
		fail(http.StatusUnauthorized, "bad_signature", "时间戳与服务器时间相差超过1秒，请校准设备时钟")
		return
	}
	stamp := ts.UTC().Truncate(time.Microsecond)
	if !stamp.After(s.last) {
		fail(http.StatusUnauthorized, "bad_signature", "该请求已使用过，请用新的时间戳重新签名")
		return
	}
	s.last = stamp
	s.stamps = append(s.stamps, req.Timestamp)
	grants := `{}`
	if s.publish {
		grants = `{"pub":true}`
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"token":"tok-%d","expires_at":%q,"session_id":"7","room_id":"3","role":"device","grants":%s,
		"ws_url":"/media/ws","whip_url":"/media/whip","whep_url":"/media/whep",
		"ice_servers":[{"urls":["stun:stun.example.org:3478"]},{"urls":["turn:turn.example.org"],"username":"u","credential":"c"}]}`,
		s.requests, s.clock.Now().Add(s.ttl).Format(time.RFC3339Nano), grants)
}

func (s *tokenServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

type env struct {
	srv    *tokenServer
	hs     *httptest.Server
	clock  *fakeClock
	client *devauth.Client
}

// newEnv starts a token server whose clock, like the client's, runs 5 s
// ahead of the host's: the client must sign with the clock it is given.
func newEnv(t *testing.T) *env {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	clock := &fakeClock{t: time.Now().Add(5 * time.Second)}
	srv := &tokenServer{t: t, pub: pub, clock: clock, ttl: 100 * time.Second, publish: true}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := devauth.New(devauth.Params{BaseURL: hs.URL, RecorderID: "edge-1", Key: priv, HTTP: hs.Client(), Now: clock.Now})
	require.NoError(t, err)
	return &env{srv: srv, hs: hs, clock: clock, client: c}
}

func TestTokenSignsWithTheCorrectedClockAndReadsTheGrant(t *testing.T) {
	e := newEnv(t)
	g, err := e.client.Token(t.Context())
	require.NoError(t, err)
	require.Equal(t, "tok-1", g.Token)
	require.True(t, g.Publish)
	require.Equal(t, "7", g.SessionID)
	require.Equal(t, "3", g.RoomID)
	require.Equal(t, e.hs.URL+"/media/whip", g.WHIPURL)
	require.WithinDuration(t, e.clock.Now().Add(100*time.Second), g.ExpiresAt, time.Microsecond)
	require.Equal(t, []devauth.ICEServer{
		{URLs: []string{"stun:stun.example.org:3478"}},
		{URLs: []string{"turn:turn.example.org"}, Username: "u", Credential: "c"},
	}, g.ICEServers)
}

func TestTokenIsCachedUntilAFifthOfItsLifetimeIsLeft(t *testing.T) {
	e := newEnv(t)
	first, err := e.client.Token(t.Context())
	require.NoError(t, err)
	e.clock.Add(79 * time.Second)
	again, err := e.client.Token(t.Context())
	require.NoError(t, err)
	require.Equal(t, first, again)
	require.Equal(t, 1, e.srv.count())

	e.clock.Add(2 * time.Second) // 81 s of 100 s: renew
	renewed, err := e.client.Token(t.Context())
	require.NoError(t, err)
	require.Equal(t, "tok-2", renewed.Token)
	require.Equal(t, 2, e.srv.count())
}

func TestConcurrentCallersShareOneRequest(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	tokens := make([]string, 8)
	for i := range tokens {
		wg.Go(func() {
			g, err := e.client.Token(t.Context())
			if err == nil {
				tokens[i] = g.Token
			}
		})
	}
	wg.Wait()
	for _, tok := range tokens {
		require.Equal(t, "tok-1", tok)
	}
	require.Equal(t, 1, e.srv.count())
}

// TestEveryRequestSignsAFreshTimestamp: with the clock standing still,
// the server (which refuses a timestamp it has seen) still accepts every
// request.
func TestEveryRequestSignsAFreshTimestamp(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		e.client.Invalidate()
		g, err := e.client.Token(t.Context())
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("tok-%d", i+1), g.Token)
	}
	require.Len(t, e.srv.stamps, 3)
	require.NotEqual(t, e.srv.stamps[0], e.srv.stamps[1])
	require.NotEqual(t, e.srv.stamps[1], e.srv.stamps[2])
}

func TestUploadOnlyGrantOutsideASession(t *testing.T) {
	e := newEnv(t)
	e.srv.publish = false
	g, err := e.client.Token(t.Context())
	require.NoError(t, err)
	require.False(t, g.Publish)
	require.NotEmpty(t, g.Token)
}

// TestPublishGrantWaitsForASession: outside a session the live path gets
// ErrNoSession and asks the server again next time; once the session
// runs it gets the publishing grant.
func TestPublishGrantWaitsForASession(t *testing.T) {
	e := newEnv(t)
	e.srv.publish = false
	_, err := e.client.PublishGrant(t.Context())
	require.ErrorIs(t, err, devauth.ErrNoSession)

	e.srv.mu.Lock()
	e.srv.publish = true
	e.srv.mu.Unlock()
	g, err := e.client.PublishGrant(t.Context())
	require.NoError(t, err)
	require.True(t, g.Publish)
	require.Equal(t, 2, e.srv.count())
	again, err := e.client.Token(t.Context())
	require.NoError(t, err)
	require.Equal(t, g, again, "the publishing grant is cached for the uploader too")
}

func TestRefusals(t *testing.T) {
	answer := func(status int, code, msg string) func(w http.ResponseWriter) bool {
		return func(w http.ResponseWriter) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, msg)
			return true
		}
	}
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter) bool
		skew   time.Duration
		want   error
		text   string
	}{
		{name: "no running session", answer: answer(http.StatusConflict, "phase", "该评标室当前没有进行中的评标，设备暂不能推流"),
			want: devauth.ErrNoSession, text: "没有进行中的评标"},
		{name: "clock too far off", skew: 3 * time.Second, want: devauth.ErrRejected, text: "请校准设备时钟"},
		{name: "bad request", answer: answer(http.StatusBadRequest, "bad_request", "请求格式错误"),
			want: devauth.ErrRejected, text: "请求格式错误"},
		{name: "forbidden", answer: answer(http.StatusForbidden, "forbidden", "无权执行此操作"),
			want: devauth.ErrRejected, text: "无权执行此操作"},
		{name: "server error", answer: answer(http.StatusServiceUnavailable, "unavailable", "媒体令牌服务未启用"),
			want: devauth.ErrUnavailable, text: "媒体令牌服务未启用"},
		{name: "not a grant", answer: func(w http.ResponseWriter) bool {
			_, _ = fmt.Fprint(w, `{"token":""}`)
			return true
		}, want: devauth.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.answer = tc.answer
			if tc.skew != 0 {
				// The client's clock drifts away from the server's.
				pub := e.srv.clock
				e.srv.clock = &fakeClock{t: pub.Now().Add(tc.skew)}
			}
			_, err := e.client.Token(t.Context())
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), tc.text)
		})
	}
}

func TestTransportErrorsAreWrapped(t *testing.T) {
	e := newEnv(t)
	e.hs.Close()
	_, err := e.client.Token(t.Context())
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	require.NotErrorIs(t, err, devauth.ErrRejected)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = e.client.Token(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestNewChecksParams(t *testing.T) {
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	tests := []struct {
		name string
		p    devauth.Params
		want error
	}{
		{"no base URL", devauth.Params{RecorderID: "r", Key: key}, devauth.ErrMissingParam},
		{"no recorder", devauth.Params{BaseURL: "http://x", Key: key}, devauth.ErrMissingParam},
		{"no key", devauth.Params{BaseURL: "http://x", RecorderID: "r"}, devauth.ErrMissingParam},
		{"short key", devauth.Params{BaseURL: "http://x", RecorderID: "r", Key: key[:10]}, devauth.ErrInvalidParam},
		{"not http", devauth.Params{BaseURL: "ftp://x", RecorderID: "r", Key: key}, devauth.ErrInvalidParam},
		{"relative", devauth.Params{BaseURL: "/api", RecorderID: "r", Key: key}, devauth.ErrInvalidParam},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := devauth.New(tc.p)
			require.True(t, errors.Is(err, tc.want), "got %v", err)
		})
	}
}
