package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
)

// logBuffer is a log destination tests read back.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// node is one evalroomd of a cluster under test, restartable with its
// configuration.
type node struct {
	t   *testing.T
	cfg config.Config
	m   *Main
	log *logBuffer
}

// start runs the node and returns what it logged of its database
// migrations ("migrations_applied=N").
func (n *node) start() string {
	n.t.Helper()
	n.log = &logBuffer{}
	n.m = NewMain(n.cfg, slog.New(slog.NewTextHandler(n.log, nil)))
	require.NoError(n.t, n.m.Run(context.Background()))
	for _, line := range strings.Split(n.log.String(), "\n") {
		if strings.Contains(line, "database ready") {
			return line[strings.Index(line, "migrations_applied="):]
		}
	}
	n.t.Fatal("no database line in the log")
	return ""
}

// stop shuts the node down gracefully, as a rolling upgrade does.
func (n *node) stop() {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(n.t, n.m.Close(ctx))
}

func (n *node) base() string { return "http://" + n.cfg.HTTP.Addr }
func (n *node) ws() string   { return "ws://" + n.cfg.HTTP.Addr + "/media/ws" }

// firstToken asks each base in turn for a token with get; the first
// answer wins (a node down is skipped, as a client's retry would).
func firstToken(bases []string, get func(base string) (string, error)) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		var errs []string
		for _, b := range bases {
			tok, err := get(b)
			if err == nil {
				return tok, nil
			}
			errs = append(errs, err.Error())
		}
		return "", fmt.Errorf("no node gave a token: %s", strings.Join(errs, "; "))
	}
}

// postToken posts body to base+path with hc and returns the "token" of
// a 200 answer.
func postToken(hc *http.Client, url string, body any) (string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Requested-With", "test")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %d %s", url, resp.StatusCode, data)
	}
	return out.Token, json.Unmarshal(data, &out)
}

// demoCamera is a synthetic VP8 camera (a key frame a second) and Opus
// microphone, sending until the test ends to every connection they are
// published on.
func demoCamera(t *testing.T, label string) []webrtc.TrackLocal {
	t.Helper()
	video, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, label+"-cam", label)
	require.NoError(t, err)
	audio, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, label+"-mic", label)
	require.NoError(t, err)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := uint32(0); ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			frame := make([]byte, 600)
			frame[0] = 0x10
			if i%50 != 0 {
				frame[1] = 0x01
			}
			_ = video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(i), Timestamp: i * 1800}, Payload: frame})
			_ = audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: i * 960}, Payload: []byte{0xf8, 0xff, 0xfe}})
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return []webrtc.TrackLocal{video, audio}
}

// TestRollingRestart upgrades a two-node cluster one node at a time. A
// session runs on node A with a publishing recorder and a watching staff
// member (real pion peers). A stops gracefully: both clients are told,
// join again through node B, which now hosts the session, and media
// flows again; the session stays reachable through B's API. A comes back
// (its migrations have nothing left to apply), then B is restarted the
// same way and the clients move back to A.
func TestRollingRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cfgA := testConfig(t)
	cfgA.HTTP.Addr = freeAddr(t)
	cfgA.HTTP.PublicURL = "http://" + cfgA.HTTP.Addr
	cfgA.Cluster.NodeID = "node-a"
	cfgB := cfgA
	cfgB.HTTP.Addr = freeAddr(t)
	cfgB.HTTP.PublicURL = "http://" + cfgB.HTTP.Addr
	cfgB.Cluster.NodeID = "node-b"
	a, b := &node{t: t, cfg: cfgA}, &node{t: t, cfg: cfgB}
	require.NotEqual(t, "migrations_applied=0", a.start(), "the first node migrates the empty database")
	require.Equal(t, "migrations_applied=0", b.start())
	defer func() { a.m.Close(context.Background()); b.m.Close(context.Background()) }()
	bases, urls := []string{a.base(), b.base()}, []string{a.ws(), b.ws()}

	staff := login(t, a.base(), "staff-nj")
	sess := demoSession(t, staff)
	sid, path := itoa(sess.ID), "/api/sessions/"+itoa(sess.ID)
	require.Equal(t, http.StatusOK, staff.do("POST", path+"/phase", map[string]string{"phase": "signin"}, nil))

	keys, err := seal.ParseKey(cfgA.Secrets.MasterKey)
	require.NoError(t, err)
	deviceTok := firstToken(bases, func(base string) (string, error) {
		ts := time.Now().UTC().Format(time.RFC3339Nano)
		sig := ed25519.Sign(DemoRecorderKey(keys, room.DemoMainRecorder), room.DeviceMessage(room.DemoMainRecorder, ts))
		return postToken(http.DefaultClient, base+"/api/devices/token", map[string]any{"recorder_id": room.DemoMainRecorder, "timestamp": ts, "signature": sig})
	})
	staffTok := firstToken(bases, func(base string) (string, error) {
		return postToken(staff.http, base+path+"/media-token", map[string]any{})
	})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tracks := demoCamera(t, room.DemoMainRecorder)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := sfuclient.Rejoin(ctx, sfuclient.RejoinOptions{URLs: urls, Token: deviceTok, Options: sfuclient.Options{Logger: quiet},
		Publish: func(ctx context.Context, c *sfuclient.Client) error {
			_, err := c.Publish(ctx, tracks...)
			return err
		}})
	require.NoError(t, err)
	defer pub.Close()
	recv := newReceiver()
	sub, err := sfuclient.Rejoin(ctx, sfuclient.RejoinOptions{URLs: urls, Token: staffTok,
		Options: sfuclient.Options{OnTrack: recv.onTrack, Logger: quiet}})
	require.NoError(t, err)
	defer sub.Close()
	waitFor(t, "media through node A", func() bool { return recv.has(pub.Client().ID(), 30) })
	require.Len(t, a.m.sfu.Participants(sid), 2, "node A hosts the session")

	// Rolling restart, step 1: A stops. The clients move to B.
	stopped := time.Now()
	a.stop()
	waitFor(t, "both clients back through node B", func() bool { return pub.Joins() == 2 && sub.Joins() == 2 })
	waitFor(t, "media through node B", func() bool { return recv.has(pub.Client().ID(), 30) })
	t.Logf("node A stopped: media through node B %v later", time.Since(stopped).Round(time.Millisecond))
	require.Len(t, b.m.sfu.Participants(sid), 2, "node B hosts the session now")
	onB := login(t, b.base(), "staff-nj")
	var got room.Session
	require.Equal(t, http.StatusOK, onB.do("GET", path, nil, &got))
	require.Equal(t, room.PhaseSignin, got.Phase)

	// A comes back: the schema is current, nothing is migrated again.
	require.Equal(t, "migrations_applied=0", a.start())
	require.Equal(t, http.StatusOK, login(t, a.base(), "staff-nj").do("GET", path, nil, &got))

	// Step 2: B stops; the clients move back to A.
	stopped = time.Now()
	b.stop()
	waitFor(t, "both clients back through node A", func() bool { return pub.Joins() == 3 && sub.Joins() == 3 })
	waitFor(t, "media through the restarted node A", func() bool { return recv.has(pub.Client().ID(), 30) })
	t.Logf("node B stopped: media through node A %v later", time.Since(stopped).Round(time.Millisecond))
	require.Len(t, a.m.sfu.Participants(sid), 2)
	require.Equal(t, "migrations_applied=0", b.start())
	require.Empty(t, b.m.sfu.Participants(sid))
	require.Equal(t, http.StatusOK, login(t, b.base(), "staff-nj").do("GET", path, nil, &got))
	require.NoError(t, pub.Err())
	require.NoError(t, sub.Err())
}
