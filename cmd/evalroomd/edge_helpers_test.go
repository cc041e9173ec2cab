package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/devices/synthetic"
	"github.com/evalroom/evalroom/recorder/manifest"
)

// buildEdge builds evalroom-edge once per test binary.
var buildEdge = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "evalroom-edge-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "evalroom-edge")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "github.com/evalroom/evalroom/cmd/evalroom-edge")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build evalroom-edge: %v\n%s", err, out)
	}
	return bin, nil
})

// edgeProc is an evalroom-edge process of a test.
type edgeProc struct {
	t      *testing.T
	id     string
	spool  string
	health string
	args   []string
	env    []string
	cmd    *exec.Cmd
	log    *os.File
	done   chan struct{}
}

// newEdge prepares an edge recorder for a demo room, recording small
// synthetic media (320x180 at 30 fps) into 4 s segments.
func newEdge(t *testing.T, base, masterKey, id string, env ...string) *edgeProc {
	t.Helper()
	e := &edgeProc{t: t, id: id, spool: filepath.Join(t.TempDir(), "spool"), health: freeAddr(t)}
	e.args = []string{"run", "-server", base, "-recorder_id", id, "-spool", e.spool, "-health_addr", e.health,
		"-cameras", "cam1=synthetic,320x180,30fps,300kbps", "-mic", "mic=synthetic", "-segment_seconds", "4", "-clock_seconds", "2"}
	e.env = append([]string{"EVALROOM_EDGE_DEMO_MASTER_KEY=" + masterKey}, env...)
	return e
}

// start runs the process; its log goes to a file printed when the test fails.
func (e *edgeProc) start() {
	e.t.Helper()
	bin, err := buildEdge()
	require.NoError(e.t, err)
	if e.log == nil {
		e.log, err = os.CreateTemp(e.t.TempDir(), e.id+"-*.log")
		require.NoError(e.t, err)
		e.t.Cleanup(func() {
			if e.t.Failed() {
				data, _ := os.ReadFile(e.log.Name())
				e.t.Logf("%s log:\n%s", e.id, tail(string(data), 6000))
			}
		})
	}
	e.cmd = exec.Command(bin, e.args...)
	e.cmd.Env = append(os.Environ(), e.env...)
	e.cmd.Stdout, e.cmd.Stderr = e.log, e.log
	require.NoError(e.t, e.cmd.Start())
	e.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) {
		c.Wait()
		close(done)
	}(e.cmd, e.done)
	e.t.Cleanup(func() { e.kill() })
}

// kill ends the process with SIGKILL: no clean-up runs.
func (e *edgeProc) kill() {
	if e.cmd != nil && e.cmd.Process != nil {
		e.cmd.Process.Signal(syscall.SIGKILL)
		<-e.done
	}
}

// stopEdges sends SIGTERM to every edge at once, then waits for each
// clean exit.
func stopEdges(edges ...*edgeProc) {
	for _, e := range edges {
		require.NoError(e.t, e.cmd.Process.Signal(syscall.SIGTERM))
	}
	for _, e := range edges {
		e.wait()
	}
}

// wait waits for the process to exit cleanly after SIGTERM.
func (e *edgeProc) wait() {
	e.t.Helper()
	select {
	case <-e.done:
	case <-time.After(time.Minute):
		e.t.Fatalf("%s did not stop", e.id)
	}
	require.Equal(e.t, 0, e.cmd.ProcessState.ExitCode(), "%s exit status", e.id)
}

// edgeStatus is the part of evalroom-edge's /status the tests read.
type edgeStatus struct {
	Recording bool `json:"recording"`
	Archive   struct {
		ChainSeq int64 `json:"chain_seq"`
	} `json:"archive"`
	Upload struct {
		Pending  int    `json:"Pending"`
		AckedSeq int64  `json:"AckedSeq"`
		Alarm    string `json:"Alarm"`
	} `json:"upload"`
	Live *struct {
		Connected bool `json:"Connected"`
	} `json:"live"`
	Problems []string `json:"problems"`
}

func (e *edgeProc) status() (edgeStatus, bool) {
	var s edgeStatus
	resp, err := http.Get("http://" + e.health + "/status")
	if err != nil {
		return s, false
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s) == nil
}

// manifests returns the spool's manifests in seq order.
func (e *edgeProc) manifests() []manifest.Manifest {
	e.t.Helper()
	paths, _ := filepath.Glob(filepath.Join(e.spool, "*.manifest.json"))
	var out []manifest.Manifest
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(e.t, err)
		m, err := manifest.Parse(data)
		require.NoError(e.t, err, p)
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// whiteFrames decodes a segment's video and returns the presentation
// times (seconds from the segment's start) of its white frames.
func whiteFrames(t *testing.T, path string) []float64 {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v:0",
		"-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-", "-f", "null", "-")
	out, err := cmd.Output()
	require.NoError(t, err, "decode %s", path)
	var times []float64
	var pts float64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "pts_time:"); i >= 0 {
			pts, _ = strconv.ParseFloat(strings.Fields(line[i+len("pts_time:"):])[0], 64)
		}
		if v, ok := strings.CutPrefix(line, "lavfi.signalstats.YAVG="); ok {
			if y, _ := strconv.ParseFloat(v, 64); y > 200 {
				times = append(times, pts)
			}
		}
	}
	return times
}

// beepOnsets decodes a segment's audio and returns when each beep starts,
// on the segment's presentation timeline (seconds, as ffmpeg places the
// decoded samples: track timing, edit list and pre-skip included). A beep
// counts when at least 100 ms of silence precedes it and it lasts 30–70 ms.
func beepOnsets(t *testing.T, path string) []float64 {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostats", "-i", path, "-map", "0:a:0",
		"-af", "silencedetect=noise=-30dB:d=0.1", "-f", "null", "-")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "decode audio of %s: %s", path, out)
	// silence_end marks sound starting, silence_start sound stopping; a
	// beep is a 50 ms sound (a cut one at a segment's edge is skipped).
	var onsets []float64
	start := -1.0
	for _, line := range strings.Split(string(out), "\n") {
		for _, key := range []string{"silence_end: ", "silence_start: "} {
			i := strings.Index(line, key)
			if i < 0 {
				continue
			}
			v, err := strconv.ParseFloat(strings.Fields(line[i+len(key):])[0], 64)
			require.NoError(t, err, line)
			switch {
			case key == "silence_end: ":
				start = v
			case start >= 0 && v-start > 0.03 && v-start < 0.07:
				onsets = append(onsets, start)
				start = -1
			default:
				start = -1
			}
		}
	}
	return onsets
}

// marks maps each whole UTC second to the instant a recorder's archive
// shows its white frame.
type marks map[int64]time.Time

// archiveMarks finds the white frames in every segment of a spool, in UTC.
func archiveMarks(t *testing.T, spool string, ms []manifest.Manifest) marks {
	t.Helper()
	video := marks{}
	add := func(m marks, start time.Time, secs []float64) {
		for _, s := range secs {
			at := start.Add(time.Duration(s * float64(time.Second)))
			sec := at.Add(500 * time.Millisecond).Truncate(time.Second) // the nearest whole second
			if _, dup := m[sec.Unix()]; !dup {
				m[sec.Unix()] = at
			}
		}
	}
	for _, m := range ms {
		path := filepath.Join(spool, m.Segment)
		add(video, m.Start, whiteFrames(t, path))
	}
	return video
}

// spread compares the marks of the seconds both sets hold: it returns the
// largest and the median absolute difference, and how many seconds.
func spread(a, b marks) (maxAbs, median time.Duration, n int) {
	var d []time.Duration
	for sec, ta := range a {
		if tb, ok := b[sec]; ok {
			d = append(d, ta.Sub(tb).Abs())
		}
	}
	if len(d) == 0 {
		return 0, 0, 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)-1], d[len(d)/2], len(d)
}

// frameErrors decodes a segment's video and returns, for each frame that
// shows a timecode, the scene instant it shows and its error: the
// archive's time for the frame (segment start + presentation time) minus
// that instant.
func frameErrors(t *testing.T, path string, start time.Time, w, h int) (scene []time.Time, errs []time.Duration) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", path).Output()
	require.NoError(t, err, path)
	var pts []float64
	for _, l := range strings.Fields(string(out)) {
		p, err := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64)
		require.NoError(t, err, l)
		pts = append(pts, p)
	}
	raw, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v:0",
		"-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-").Output()
	require.NoError(t, err, path)
	require.Equal(t, len(pts)*w*h, len(raw), "%s: decoded frames and their times", path)
	for i, p := range pts {
		ms, ok := synthetic.ReadTimecode(raw[i*w*h:(i+1)*w*h], w, w, h)
		if !ok {
			continue
		}
		at := start.Add(time.Duration(p * float64(time.Second)))
		shown := synthetic.TimecodeNear(ms, at)
		scene, errs = append(scene, shown), append(errs, at.Sub(shown))
	}
	return scene, errs
}

// timing is a recording's measured timing: per whole second, the median
// error of the video frames in it and the error of the beep at it.
type timing struct {
	video, audio map[int64]time.Duration
}

// measureTiming decodes every segment of a spool.
func measureTiming(t *testing.T, spool string, ms []manifest.Manifest) timing {
	t.Helper()
	tm := timing{video: map[int64]time.Duration{}, audio: map[int64]time.Duration{}}
	perSec := map[int64][]time.Duration{}
	for _, m := range ms {
		path := filepath.Join(spool, m.Segment)
		scene, errs := frameErrors(t, path, m.Start, 320, 180)
		for i, s := range scene {
			perSec[s.Unix()] = append(perSec[s.Unix()], errs[i])
		}
		for _, on := range beepOnsets(t, path) {
			at := m.Start.Add(time.Duration(on * float64(time.Second)))
			sec := at.Add(500 * time.Millisecond).Truncate(time.Second)
			tm.audio[sec.Unix()] = at.Sub(sec)
		}
	}
	for sec, d := range perSec {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		tm.video[sec] = d[len(d)/2]
	}
	return tm
}

// compare returns the largest and median absolute difference of a and b
// over the seconds both hold, and how many.
func compare(a, b map[int64]time.Duration) (maxAbs, median time.Duration, n int) {
	var d []time.Duration
	for sec, x := range a {
		if y, ok := b[sec]; ok {
			d = append(d, (x - y).Abs())
		}
	}
	if len(d) == 0 {
		return 0, 0, 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)-1], d[len(d)/2], len(d)
}

// zero is a map of zero errors for the seconds of m (to compare a
// recording with true time).
func zero(m map[int64]time.Duration) map[int64]time.Duration {
	z := map[int64]time.Duration{}
	for k := range m {
		z[k] = 0
	}
	return z
}
