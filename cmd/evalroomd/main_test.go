package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/room"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// gateway is a voice/SMS gateway that records what evalroomd sends it.
type gateway struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	got    []notify.Message
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := notify.VerifySignature(g.secret, r.Header.Get(notify.SignatureHeader), body, time.Now(), time.Minute); err != nil {
		g.t.Errorf("gateway got a badly signed message: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m notify.Message
	if err := json.Unmarshal(body, &m); err != nil {
		g.t.Errorf("gateway got bad JSON: %v", err)
	}
	g.mu.Lock()
	g.got = append(g.got, m)
	g.mu.Unlock()
}

func (g *gateway) messages() []notify.Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]notify.Message(nil), g.got...)
}

// waitFor polls cond until it holds or the test's patience runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitForUpTo(t, 30*time.Second, what, cond)
}

// waitForUpTo is waitFor with another limit.
func waitForUpTo(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Requested-With", "test")
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		require.NoError(c.t, json.Unmarshal(data, out), string(data))
	}
	return resp.StatusCode
}

// TestEvalroomdDrawNotifyDeclineReplaceConfirm runs the real binary's wiring:
// demo data, a staff login, a two-venue draw, signed invitations at the
// gateway, a signed "2" callback, the replacement's invitation, a "1".
func TestEvalroomdDrawNotifyDeclineReplaceConfirm(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	secret := "gateway-secret"
	gw := &gateway{t: t, secret: secret}
	gwSrv := httptest.NewServer(gw)
	defer gwSrv.Close()

	cfg := testConfig(t)
	cfg.Notify = config.Notify{Provider: "webhook", WebhookURL: gwSrv.URL, WebhookSecret: secret, Workers: 2, MaxAttempts: 3}
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	require.NoError(t, m.Run(ctx))
	defer m.Close(ctx)
	require.Contains(t, m.Banner, "staff-nj")
	// The demo session's own committee is invited first.
	waitFor(t, "the demo draw's five invitations", func() bool { return len(gw.messages()) == 5 })
	const base = 5

	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: "http://" + m.Addr, http: &http.Client{Jar: jar}}
	require.Equal(t, http.StatusOK, c.do("GET", "/readyz", nil, nil))
	require.Equal(t, http.StatusUnauthorized, c.do("POST", "/api/login", map[string]string{"username": "staff-nj", "password": "wrong-password"}, nil))
	require.Equal(t, http.StatusOK, c.do("POST", "/api/login", map[string]string{"username": "staff-nj", "password": demoPassword}, nil))

	start := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Hour)
	req := map[string]any{
		"project_id": 1, "session_ref": "E2E-1",
		"starts_at": start, "ends_at": start.Add(8 * time.Hour),
		"venues": []map[string]any{
			{"code": "JS-NJ", "name": "南京主场", "address": "南京市建邺区江东中路311号", "region": "320105", "main": true},
			{"code": "AH-HF", "name": "合肥副场", "address": "合肥市蜀山区怀宁路1699号", "region": "340104"},
		},
		"quotas": []map[string]any{
			{"venue_code": "JS-NJ", "specialty_code": "A01", "region_prefix": "32", "count": 3},
			{"venue_code": "AH-HF", "specialty_code": "A01", "region_prefix": "34", "count": 2},
		},
	}
	var drawn struct {
		DrawID   int64 `json:"draw_id"`
		Notified int   `json:"notified"`
	}
	require.Equal(t, http.StatusCreated, c.do("POST", "/api/draws", req, &drawn))
	require.Equal(t, 5, drawn.Notified)
	waitFor(t, "five invitations", func() bool { return len(gw.messages()) == base+5 })
	for _, msg := range gw.messages()[base:] {
		require.Equal(t, "invite", msg.Kind)
		require.Contains(t, msg.Text, "按1确认参加")
		require.Contains(t, msg.Link, "/confirm?t=")
	}

	callback := func(messageID, key string) int {
		body, _ := json.Marshal(map[string]string{"message_id": messageID, "key": key})
		r, _ := http.NewRequest("POST", c.base+"/api/gateway/callback", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(notify.SignatureHeader, notify.Sign(secret, time.Now(), body))
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	first := gw.messages()[base]
	// A forged callback changes nothing.
	body, _ := json.Marshal(map[string]string{"message_id": first.ID, "key": "2"})
	forged, _ := http.NewRequest("POST", c.base+"/api/gateway/callback", bytes.NewReader(body))
	forged.Header.Set(notify.SignatureHeader, notify.Sign("not-the-secret", time.Now(), body))
	resp, err := http.DefaultClient.Do(forged)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	require.Equal(t, http.StatusOK, callback(first.ID, "2"))
	waitFor(t, "the replacement's invitation", func() bool { return len(gw.messages()) >= base+6 })
	var replacement notify.Message
	for _, msg := range gw.messages()[base+5:] {
		if msg.Kind == "invite" {
			replacement = msg
		}
	}
	require.NotEmpty(t, replacement.ID, "a replacement was invited")
	require.NotEqual(t, first.To, replacement.To, "the replacement is someone else")
	require.Equal(t, http.StatusOK, callback(replacement.ID, "1"))

	var status struct {
		Sealed    bool   `json:"sealed"`
		Confirmed int    `json:"confirmed"`
		Summary   string `json:"summary"`
	}
	require.Equal(t, http.StatusOK, c.do("GET", "/api/draws/"+itoa(drawn.DrawID), nil, &status))
	require.True(t, status.Sealed)
	require.Equal(t, 1, status.Confirmed)
	require.True(t, strings.HasPrefix(status.Summary, "已确认1人"), status.Summary)
	// Names stay sealed until sign-in opens.
	require.Equal(t, http.StatusForbidden, c.do("POST", "/api/draws/"+itoa(drawn.DrawID)+"/reveal", nil, nil))
}

// login signs user in on base with the demo password.
func login(t *testing.T, base, user string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: base, http: &http.Client{Jar: jar}}
	require.Equal(t, http.StatusOK, c.do("POST", "/api/login", map[string]string{"username": user, "password": demoPassword}, nil))
	return c
}

// demoSession returns the demo evaluation session as c sees it.
func demoSession(t *testing.T, c *client) room.Session {
	t.Helper()
	var sessions struct {
		Items []room.Session `json:"items"`
	}
	require.Equal(t, http.StatusOK, c.do("GET", "/api/sessions?ref="+demoSessionRef, nil, &sessions))
	require.Len(t, sessions.Items, 1)
	return sessions.Items[0]
}

// startEvaluating gives the demo session a score sheet (one bidder, one
// criterion 0–30) and takes it through sign-in to evaluating; it returns
// the session and its API path.
func startEvaluating(t *testing.T, admin, staff *client) (room.Session, string) {
	t.Helper()
	sess := demoSession(t, staff)
	path := "/api/sessions/" + itoa(sess.ID)
	sheet := room.ScoreSheet{Bidders: []room.Bidder{{Code: "B1", Name: "投标人甲"}}, Criteria: []room.Criterion{{Code: "C1", Name: "技术方案", Min: 0, Max: 30}}}
	require.Equal(t, http.StatusOK, admin.do("PUT", path+"/scoresheet", sheet, nil))
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/phase", map[string]string{"phase": "signin"}, nil))
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/phase", map[string]string{"phase": "evaluating"}, nil))
	return sess, path
}

// deviceToken asks base for a device token as the demo recorder, signing
// with its key derived from masterKey; it returns the status and token.
func deviceToken(t *testing.T, base, masterKey, recorder string) (int, string) {
	t.Helper()
	keys, err := seal.ParseKey(masterKey)
	require.NoError(t, err)
	ts := time.Now().UTC().Format(time.RFC3339Nano) // two requests in one second are not replays
	sig := ed25519.Sign(DemoRecorderKey(keys, recorder), room.DeviceMessage(recorder, ts))
	var out struct {
		Token string `json:"token"`
	}
	anon := &client{t: t, base: base, http: http.DefaultClient}
	status := anon.do("POST", "/api/devices/token", map[string]any{"recorder_id": recorder, "timestamp": ts, "signature": sig}, &out)
	return status, out.Token
}

// testConfig is a demo configuration on fresh PostgreSQL and Redis, with
// every listener on a free port of 127.0.0.1.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	rdb := testenv.Redis(t)
	cfg := config.Default()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Media.UDPAddr = "127.0.0.1:0"
	cfg.Archive.Dir = t.TempDir()
	cfg.Postgres.DSN = testenv.PostgresDSN(t)
	cfg.Redis.Addr, cfg.Redis.Prefix = rdb.Addr, rdb.Prefix
	cfg.Secrets.MasterKey = seal.GenerateKey()
	cfg.Demo = config.Demo{Seed: true, Experts: 300}
	return cfg
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
