package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/token"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestSeqTrackerCountsLossDuplicatesAndWraparound(t *testing.T) {
	seqs := func(from, to int) []uint16 { // inclusive, may cross 65535
		var out []uint16
		for i := from; i <= to; i++ {
			out = append(out, uint16(i))
		}
		return out
	}
	cases := []struct {
		name                 string
		in                   []uint16
		expected, lost, dups uint64
	}{
		{"none", nil, 0, 0, 0},
		{"in order", seqs(10, 19), 10, 0, 0},
		{"gap", append(seqs(10, 14), seqs(17, 19)...), 10, 2, 0},
		{"reordered", []uint16{1, 3, 2, 4}, 4, 0, 0},
		{"duplicate (retransmission)", []uint16{1, 2, 2, 3}, 3, 0, 1},
		{"lost then retransmitted", []uint16{1, 3, 4, 2}, 4, 0, 0},
		{"wraparound", seqs(65530, 65545), 16, 0, 0},
		{"wraparound with loss", append(seqs(65530, 65534), seqs(65537, 65540)...), 11, 2, 0},
		{"older than the first is ignored", []uint16{100, 99, 101}, 2, 0, 0},
		{"three wraps", seqs(0, 3*65536+9), 3*65536 + 10, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s seqTracker
			for _, q := range tc.in {
				s.add(q)
			}
			require.Equal(t, tc.expected, s.expected(), "expected")
			require.Equal(t, tc.lost, s.lost(), "lost")
			require.Equal(t, tc.dups, s.dups, "dups")
		})
	}
}

func TestVP8SourceMatchesBitrateAndParses(t *testing.T) {
	const bitrate, fps = 1_500_000, 30
	src := newVP8Source(bitrate, fps)
	var total, keys int
	var frame [][]byte
	for i := range 2 * fps * 2 { // two GOPs
		var key bool
		frame, key = src.next(frame, time.Duration(i)*time.Millisecond, false)
		if key {
			keys++
		}
		for j, p := range frame {
			require.LessOrEqual(t, len(p), maxRTPPayload)
			total += len(p) - vp8Descriptor
			payload, start, k, ok := vp8Parse(p)
			require.True(t, ok)
			require.Equal(t, j == 0, start)
			require.Equal(t, key && j == 0, k)
			sent, ok := readStamp(payload)
			require.True(t, ok, "every packet is stamped")
			require.Equal(t, time.Duration(i)*time.Millisecond, sent)
		}
	}
	require.Equal(t, 2, keys, "a keyframe every 2 s")
	rate := total * 8 / 4 // bits over 4 s
	require.InDelta(t, bitrate, rate, bitrate*0.05)

	_, err := parseBitrate("1.5M")
	require.NoError(t, err)
	for _, bad := range []string{"", "fast", "1G", "10"} {
		_, err := parseBitrate(bad)
		require.Error(t, err, bad)
	}
}

type nopAuditor struct{}

func (nopAuditor) Audit(context.Context, string, string, string, any) error { return nil }

func TestLoadtestAgainstAnInProcessSFU(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end media")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	key := seal.GenerateKey()
	keys, err := seal.ParseKey(key)
	require.NoError(t, err)
	auth, err := token.New(keys.Derive("media-token"), time.Hour, nil)
	require.NoError(t, err)
	srv, err := sfu.New(sfu.Params{
		Tokens: auth, Auditor: nopAuditor{},
		ICE:    sfu.ICEConfig{IncludeLoopback: true},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/media/", http.StripPrefix("/media", srv.Handler()))
	web := httptest.NewServer(mux)
	defer web.Close()
	defer srv.Close()

	env := []string{"EVALROOM_SECRETS_MASTER_KEY=" + key}
	out, err := run(t, "", env, "loadtest", "-url", web.URL, "-sessions", "1", "-publishers", "2",
		"-subscribers", "2", "-bitrate", "500k", "-fps", "15", "-warmup", "1s", "-duration", "2s",
		"-pid", strconv.Itoa(os.Getpid()), "-quiet")
	require.NoError(t, err, out)
	t.Log("\n" + out)
	require.Regexp(t, regexp.MustCompile(`publishers joined\s+2 / 2`), out)
	require.Regexp(t, regexp.MustCompile(`viewer streams joined\s+4 / 4`), out)
	require.Regexp(t, regexp.MustCompile(`forwarded\s+[1-9][0-9.]* Mbit/s`), out)
	require.Regexp(t, regexp.MustCompile(`CPU per forwarded packet\s+[0-9.]+ µs`), out)
	require.Regexp(t, regexp.MustCompile(`\(4 video tracks, 0 without a keyframe\)`), out)
	require.Regexp(t, regexp.MustCompile(`latency, end to end\s+p50 [0-9.]+ ms, p99 [0-9.]+ ms \([1-9][0-9]* samples`), out)
	require.Regexp(t, regexp.MustCompile(`(?m)^summary: 1x\(2p\+2s\) 0.50M: `), out)

	// A bad master key or a dead server is an error, not a report.
	_, err = run(t, "", []string{"EVALROOM_SECRETS_MASTER_KEY=short"}, "loadtest", "-url", web.URL)
	require.Error(t, err)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	_, err = run(t, "", env, "loadtest", "-url", dead.URL, "-duration", "1s", "-quiet")
	require.ErrorContains(t, err, "no publisher could join")
}

func TestLatencySampleIsBoundedAndUniform(t *testing.T) {
	var lt loadTrack
	const n = 10 * maxLatencySamples
	for i := range n {
		lt.addLatency(time.Duration(i))
	}
	require.Len(t, lt.latency, maxLatencySamples)
	require.Equal(t, uint64(n), lt.stamped)
	med := percentile(sortedCopy(lt.latency), 50)
	require.InDelta(t, n/2, int(med), n/20, "the sample's median is near the stream's")
}

func TestLoadReportNumbers(t *testing.T) {
	rep := &loadReport{cfg: loadConfig{Sessions: 1, Publishers: 1, Subscribers: 1, Bitrate: 1e6, FPS: 30},
		Measured: 2 * time.Second, Bytes: 250_000_000, Packets: 200_000, CPU: 3 * time.Second, CPUKnown: true,
		Expected: 1000, Lost: 5}
	require.InDelta(t, 1000.0, rep.Mbps(), 1e-9)
	require.InDelta(t, 0.5, rep.LossPct(), 1e-9)
	require.Equal(t, "1.50 s", rep.cpuPerGbit())
	require.Equal(t, "15.0 µs", rep.cpuPerPacket())
	rep.CPUKnown = false
	require.Equal(t, "n/a", rep.cpuPerGbit())
	require.Equal(t, time.Duration(0), percentile(nil, 99))
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	require.Equal(t, time.Duration(5), percentile(d, 50))
	require.Equal(t, time.Duration(10), percentile(d, 99))
}
