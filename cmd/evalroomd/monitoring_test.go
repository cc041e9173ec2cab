package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/events"
	"github.com/evalroom/evalroom/room"
)

// notifySocket is a unixgram socket standing in for systemd's
// $NOTIFY_SOCKET; it collects the datagrams it receives.
type notifySocket struct {
	path string
	got  chan string
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	s := &notifySocket{path: filepath.Join(t.TempDir(), "notify"), got: make(chan string, 1024)}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			s.got <- string(buf[:n])
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return s
}

// await waits for a datagram holding line.
func (s *notifySocket) await(t *testing.T, line string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case m := <-s.got:
			for _, l := range strings.Split(m, "\n") {
				if l == line {
					return
				}
			}
		case <-deadline:
			t.Fatalf("systemd was never told %s", line)
		}
	}
}

// scrapeText fetches a Prometheus text page.
func scrapeText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return string(body)
}

// sample returns the value of the first sample of name whose labels
// contain every one of labels (`key="value"`), and whether there is one.
func sample(text, name string, labels ...string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		return v, err == nil
	}
	return 0, false
}

// TestRecorderStatusReachesPanelAndMetrics runs a real evalroom-edge
// (synthetic devices, reporting every second, under a stand-in systemd)
// against a real evalroomd during an evaluation: its reports reach the
// control panel's recorder list, a recorder.status event and /metrics
// (the other room, without a recorder running, is stale and counts as not
// recording); the recorder's own /metrics show its reports; a report
// for another recorder is refused; systemd hears READY=1, keep-alives and
// STOPPING=1; /readyz checks the archive store.
func TestRecorderStatusReachesPanelAndMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	cfg := testConfig(t)
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	require.NoError(t, m.Run(ctx))
	defer m.Close(ctx)
	base := "http://" + m.Addr
	admin, staff := login(t, base, "admin"), login(t, base, "staff-nj")
	sess, path := startEvaluating(t, admin, staff)

	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis.Addr})
	defer rdb.Close()
	sub := rdb.Subscribe(ctx, cfg.Redis.Prefix+"events")
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)

	sd := newNotifySocket(t)
	nj := newEdge(t, base, cfg.Secrets.MasterKey, room.DemoMainRecorder, "NOTIFY_SOCKET="+sd.path, "WATCHDOG_USEC=500000")
	nj.args = append(nj.args, "-report_seconds", "1")
	nj.start()
	sd.await(t, "READY=1")
	sd.await(t, "WATCHDOG=1")

	// The control panel's list: Nanjing recording, Hefei stale.
	type list struct {
		Items []room.RecorderView `json:"items"`
	}
	var got list
	waitFor(t, "Nanjing's recorder reported recording and live", func() bool {
		require.Equal(t, http.StatusOK, staff.do("GET", path+"/recorders", nil, &got))
		return len(got.Items) == 2 && !got.Items[0].Stale && got.Items[0].Recording && got.Items[0].Live
	})
	njView, hfView := got.Items[0], got.Items[1]
	require.Equal(t, room.DemoMainRecorder, njView.RecorderID)
	require.Equal(t, room.DemoMainRoom, njView.RoomName)
	require.Equal(t, 2, njView.DevicesOpen, "a camera and a microphone")
	require.Positive(t, njView.FreeDiskBytes)
	require.Less(t, njView.ClockUncertaintyMS, 1000.0)
	require.Equal(t, room.DemoRemoteRecorder, hfView.RecorderID)
	require.True(t, hfView.Stale)
	require.Nil(t, hfView.ReportedAt)
	var ev events.Event
	for ev.Action != room.ActionRecorderStatus {
		msg, err := sub.ReceiveMessage(ctx)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal([]byte(msg.Payload), &ev))
	}
	require.Equal(t, "session:"+itoa(sess.ID), ev.Object)

	// evalroomd's /metrics (open: metrics.token is not set).
	njRoom := `room="` + room.DemoMainRoom + `"`
	hfRoom := `room="` + room.DemoRemoteRoom + `"`
	var text string
	waitFor(t, "the recorder's first segment archived and the SFU forwarding it", func() bool {
		text = scrapeText(t, base+"/metrics")
		segs, _ := sample(text, "evalroom_archive_segments", `state="verified"`)
		parts, _ := sample(text, "evalroom_sfu_participants", `role="device"`)
		return segs >= 1 && parts == 1
	})
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"evalroom_recorder_recording", []string{njRoom}, 1},
		{"evalroom_recorder_live", []string{njRoom}, 1},
		{"evalroom_recorder_stale", []string{njRoom}, 0},
		{"evalroom_room_evaluating", []string{njRoom}, 1},
		{"evalroom_recorder_stale", []string{hfRoom}, 1},
		{"evalroom_recorder_recording", []string{hfRoom}, 0},
		{"evalroom_room_evaluating", []string{hfRoom}, 1},
		{"evalroom_sessions", []string{`phase="evaluating"`}, 1},
		{"evalroom_clock_tolerance_seconds", nil, 0.02},
		{"evalroom_archive_segments", []string{`state="broken"`}, 0},
		{"evalroom_metrics_source_up", []string{`source="recorders"`}, 1},
		{"evalroom_metrics_source_up", []string{`source="expertpool"`}, 1},
		{"evalroom_metrics_source_up", []string{`source="archive"`}, 1},
		{"evalroom_metrics_source_up", []string{`source="sessions"`}, 1},
	} {
		v, ok := sample(text, c.name, c.labels...)
		require.True(t, ok, "%s%v is exported", c.name, c.labels)
		require.Equal(t, c.want, v, "%s%v", c.name, c.labels)
	}
	for _, name := range []string{"evalroom_sfu_forwarded_packets_total", "evalroom_sfu_received_bytes_total", "evalroom_sfu_receive_bits_per_second"} {
		_, ok := sample(text, name)
		require.True(t, ok, name)
	}
	v, _ := sample(text, "evalroom_http_requests_total", `route="/api/devices/status"`, `code="200"`)
	require.Positive(t, v, "the reports are counted by route")
	v, _ = sample(text, "evalroom_notifications", `state="delivered"`)
	require.Positive(t, v, "the demo draw's invitations were delivered")

	// The recorder's own /metrics.
	edgeText := scrapeText(t, "http://"+nj.health+"/metrics")
	v, _ = sample(edgeText, "evalroom_edge_recording", `recorder="`+room.DemoMainRecorder+`"`)
	require.Equal(t, 1.0, v)
	v, _ = sample(edgeText, "evalroom_edge_status_reports_total", `result="ok"`)
	require.Positive(t, v)
	v, _ = sample(edgeText, "evalroom_edge_clock_synced")
	require.Equal(t, 1.0, v)

	// A report for another recorder, or without a token, changes nothing.
	status, tok := deviceToken(t, base, cfg.Secrets.MasterKey, room.DemoMainRecorder)
	require.Equal(t, http.StatusOK, status)
	bad := func(body map[string]any, bearer string) (int, string) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+"/api/devices/status", strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		return resp.StatusCode, e.Error.Message
	}
	forHF := map[string]any{"recorder_id": room.DemoRemoteRecorder, "room_id": itoa(hfView.RoomID), "recording": true, "alarms": []string{}}
	code, msg := bad(forHF, tok)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, msg, "与设备令牌中的录像设备")
	code, msg = bad(forHF, "")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Contains(t, msg, "缺少设备令牌")
	require.Equal(t, http.StatusOK, staff.do("GET", path+"/recorders", nil, &got))
	require.True(t, got.Items[1].Stale, "Hefei is still without a report")

	// SIGTERM: the recorder tells systemd it is stopping.
	stopEdges(nj)
	sd.await(t, "STOPPING=1")

	// /readyz checks the archive store next to PostgreSQL and Redis.
	var ready struct {
		Checks map[string]string `json:"checks"`
	}
	require.Equal(t, http.StatusOK, admin.do("GET", "/readyz", nil, &ready))
	require.Equal(t, map[string]string{"postgres": "ok", "redis": "ok", "archive": "ok"}, ready.Checks)
	require.NoError(t, os.RemoveAll(cfg.Archive.Dir))
	require.Equal(t, http.StatusServiceUnavailable, admin.do("GET", "/readyz", nil, &ready))
	require.Equal(t, "unavailable", ready.Checks["archive"])
}
