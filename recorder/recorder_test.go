package recorder

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/recorder/segment"
)

const (
	fps      = 15
	frameDur = time.Second / fps
)

// rig is a recorder over fake sources for one test.
type rig struct {
	t      *testing.T
	dir    string
	key    ed25519.PrivateKey
	cam    *fakeSource
	mic    *fakeSource
	live   *liveSink
	rec    *Recorder
	cancel context.CancelFunc
	done   chan error
}

// newRig records seconds of media from start in dir (limit: stop after
// that many seconds of frames and keep the segment open).
func newRig(t *testing.T, dir string, key ed25519.PrivateKey, video, audio [][]byte, start time.Time, seconds int) *rig {
	t.Helper()
	r := &rig{t: t, dir: dir, key: key, live: &liveSink{}}
	r.cam = &fakeSource{frames: video, gop: fps, rate: fps, start: start, limit: seconds * fps}
	r.mic = &fakeSource{frames: audio, rate: 50, start: start, limit: seconds * 50}
	var err error
	r.rec, err = New(Params{
		Dir: dir, RecorderID: "edge-t-1", Room: "7", Session: func() string { return "3" }, Key: key,
		Cameras: []Camera{{Name: "cam1", Codec: frame.H264, Width: 160, Height: 90, FPS: fps, Source: r.cam}},
		Mic:     &Microphone{Name: "mic", Source: r.mic},
		Clock:   fixedClock{offset: 3 * time.Second}, Live: r.live, Fsync: segment.FsyncNever,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) start() {
	pace := newPacer(r.cam.start, 20)
	r.cam.pace, r.mic.pace = pace, pace
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- r.rec.Run(ctx) }()
}

// waitSources waits until both sources have given all their frames.
func (r *rig) waitSources() {
	r.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for r.cam.count() < r.cam.limit || r.mic.count() < r.mic.limit {
		if time.Now().After(deadline) {
			r.t.Fatalf("sources stalled at %d video, %d audio frames", r.cam.count(), r.mic.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) stop() {
	r.t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Fatalf("Run: %v", err)
	}
}

// manifests returns the folder's manifests in seq order.
func manifests(t *testing.T, dir string) []manifest.Manifest {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.manifest.json"))
	var out []manifest.Manifest
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := manifest.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

func verifyDir(t *testing.T, dir string, key ed25519.PrivateKey) manifest.Report {
	t.Helper()
	var ring manifest.KeyRing
	ring.Add("edge-t-1", key.Public().(ed25519.PublicKey))
	rep, err := manifest.VerifySource(context.Background(), manifest.DirSource{Dir: dir}, &ring)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("chain broken: %+v", rep.First)
	}
	return rep
}

type probe struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		NbFrames  string `json:"nb_read_frames"`
	} `json:"streams"`
	Format struct {
		Duration string            `json:"duration"`
		Tags     map[string]string `json:"tags"`
	} `json:"format"`
}

func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRecordSealsContiguousVerifiedSegments(t *testing.T) {
	defer goleak.VerifyNone(t)
	video, audio := encodeH264(t, 160, 90, fps, 2), encodeOpus(t, 2)
	dir := t.TempDir()
	r := newRig(t, dir, testKey(t), video, audio, t0, 25)
	r.start()
	r.waitSources()
	r.stop()

	ms := manifests(t, dir)
	if len(ms) != 3 {
		t.Fatalf("%d manifests, want 3 (10 s + 10 s + 5 s)", len(ms))
	}
	rep := verifyDir(t, dir, r.key)
	if len(rep.Unsigned) != 0 {
		t.Fatalf("unsigned segments: %v", rep.Unsigned)
	}
	if !ms[0].Start.Equal(t0) || ms[2].End.Sub(t0.Add(25*time.Second)).Abs() > time.Millisecond {
		t.Fatalf("archive spans %s..%s, want %s..+25s", ms[0].Start, ms[2].End, t0)
	}
	for i, m := range ms {
		if m.Session != "3" || m.Room != "7" || m.Clock.Offset != 3*time.Second || len(m.Tracks) != 2 || len(m.Gaps) != 0 {
			t.Fatalf("manifest %d: session %q room %q clock %+v tracks %+v gaps %+v", i, m.Session, m.Room, m.Clock, m.Tracks, m.Gaps)
		}
		if i > 0 && !m.Start.Equal(ms[i-1].End) {
			t.Fatalf("segment %d starts at %s, previous ended at %s", i, m.Start, ms[i-1].End)
		}
		p := ffprobe(t, filepath.Join(dir, m.Segment))
		if len(p.Streams) != 2 || p.Streams[0].CodecName != "h264" || p.Streams[0].Width != 160 || p.Streams[1].CodecName != "opus" {
			t.Fatalf("%s: streams %+v", m.Segment, p.Streams)
		}
		want := m.End.Sub(m.Start)
		if got := p.Streams[0].NbFrames; got != strconv.Itoa(int(want/frameDur)) {
			t.Fatalf("%s: %s video frames, want %d", m.Segment, got, want/frameDur)
		}
		if p.Format.Tags["recorder_id"] != "edge-t-1" || p.Format.Tags["camera"] != "cam1" {
			t.Fatalf("%s: tags %v", m.Segment, p.Format.Tags)
		}
	}
	if got := r.live.count("cam1"); got != 25*fps {
		t.Fatalf("live path got %d video frames, want %d", got, 25*fps)
	}
	if got := r.live.count("mic"); got != 25*50 {
		t.Fatalf("live path got %d audio packets, want %d", got, 25*50)
	}
	st := r.rec.Status()
	if st.ChainSeq != 3 || st.Cameras[0].Frames != 25*fps || st.Cameras[0].Sealed != 3 {
		t.Fatalf("status %+v", st)
	}
}

func TestDeviceGapIsRecordedAndSplitsTheSegment(t *testing.T) {
	video, audio := encodeH264(t, 160, 90, fps, 2), encodeOpus(t, 2)
	dir := t.TempDir()
	r := newRig(t, dir, testKey(t), video, audio, t0, 12)
	// Three seconds of video vanish after 4 s (45 frames keep the GOP).
	r.cam.gapAfter, r.cam.gapLen = 4*fps, 3*fps
	r.start()
	r.waitSources()
	r.stop()
	verifyDir(t, dir, r.key)
	var gaps []manifest.Gap
	ms := manifests(t, dir)
	for i, m := range ms {
		gaps = append(gaps, m.Gaps...)
		// Every instant is either in a segment or in a recorded gap.
		if i > 0 {
			covered := ms[i-1].End
			for _, g := range append(append([]manifest.Gap(nil), ms[i-1].Gaps...), m.Gaps...) {
				if g.From.Sub(covered).Abs() <= time.Microsecond {
					covered = g.To
				}
			}
			if !m.Start.Equal(covered) {
				t.Fatalf("segment %d starts at %s; media and gaps end at %s", i, m.Start, covered)
			}
		}
	}
	want := manifest.Gap{From: t0.Add(4 * time.Second), To: t0.Add(7 * time.Second), Reason: "设备中断: test"}
	if len(gaps) != 1 || gaps[0].From.Sub(want.From).Abs() > time.Microsecond || !gaps[0].To.Equal(want.To) || gaps[0].Reason != want.Reason {
		t.Fatalf("gaps %+v, want [%+v]", gaps, want)
	}
}

// TestCrashLeavesReadableSegmentsAndTheChainContinues copies the spool
// while a segment is open, as a kill -9 would leave it, and restarts a
// recorder on the copy.
func TestCrashLeavesReadableSegmentsAndTheChainContinues(t *testing.T) {
	video, audio := encodeH264(t, 160, 90, fps, 2), encodeOpus(t, 2)
	key := testKey(t)
	dir := t.TempDir()
	r := newRig(t, dir, key, video, audio, t0, 14) // one closed segment, one open at 14 s
	r.start()
	r.waitSources()
	waitFor(t, "first segment sealed", func() bool { return r.rec.Head() == 1 })
	crashed := copyDir(t, dir)
	r.stop()
	parts, _ := filepath.Glob(filepath.Join(crashed, "*"+segment.PartExt))
	if len(parts) != 1 {
		t.Fatalf("open segments after the crash: %v", parts)
	}

	restart := t0.Add(20 * time.Second)
	r2 := newRig(t, crashed, key, video, audio, restart, 11)
	r2.start()
	r2.waitSources()
	r2.stop()

	ms := manifests(t, crashed)
	verifyDir(t, crashed, key)
	for _, m := range ms {
		t.Logf("seq %d %s %s..%s truncated=%v gaps=%v", m.Seq, m.Segment, m.Start, m.End, m.Truncated, m.Gaps)
	}
	if len(ms) != 4 {
		t.Fatalf("%d manifests, want 4 (closed, recovered, two after the restart)", len(ms))
	}
	rec := ms[1]
	if !rec.Truncated || !rec.Start.Equal(t0.Add(10*time.Second)) || rec.End.After(t0.Add(14*time.Second)) || !rec.End.After(t0.Add(11*time.Second)) {
		t.Fatalf("recovered segment %s..%s truncated=%v", rec.Start, rec.End, rec.Truncated)
	}
	if p := ffprobe(t, filepath.Join(crashed, rec.Segment)); len(p.Streams) != 2 {
		t.Fatalf("recovered segment unreadable: %+v", p)
	}
	after := ms[2]
	if len(after.Gaps) != 1 || after.Gaps[0].Reason != RestartReason || !after.Gaps[0].From.Equal(rec.End) || !after.Gaps[0].To.Equal(restart) {
		t.Fatalf("restart gap %+v, want %s..%s", after.Gaps, rec.End, restart)
	}
	if !after.Start.Equal(restart) {
		t.Fatalf("first segment after restart starts %s", after.Start)
	}
}

func TestClosedSegmentWithoutManifestIsSealedAtStart(t *testing.T) {
	video, audio := encodeH264(t, 160, 90, fps, 2), encodeOpus(t, 2)
	key := testKey(t)
	dir := t.TempDir()
	r := newRig(t, dir, key, video, audio, t0, 12)
	r.start()
	r.waitSources()
	r.stop()
	ms := manifests(t, dir)
	if len(ms) != 2 {
		t.Fatalf("%d manifests", len(ms))
	}
	// A crash after the rename but before the manifest: lose the last
	// manifest and the chain state that would restore it.
	last := ms[1]
	os.Remove(filepath.Join(dir, manifest.ManifestName(last.Segment)))
	os.Remove(filepath.Join(dir, "edge-t-1.chain.json"))

	r2 := newRig(t, dir, key, video, audio, t0.Add(30*time.Second), 1)
	r2.start()
	r2.waitSources()
	r2.stop()
	verifyDir(t, dir, key)
	got := manifests(t, dir)
	names := map[string]bool{}
	for _, m := range got {
		names[m.Segment] = true
	}
	if !names[last.Segment] {
		t.Fatalf("segment %s not sealed again; manifests %v", last.Segment, names)
	}
}

func TestParamsRefused(t *testing.T) {
	key := testKey(t)
	src := &fakeSource{}
	base := func() Params {
		return Params{Dir: t.TempDir(), RecorderID: "edge-t-1", Room: "7", Key: key, Clock: fixedClock{},
			Cameras: []Camera{{Name: "cam1", Codec: frame.H264, Source: src}}}
	}
	cases := map[string]func(*Params){
		"no key":        func(p *Params) { p.Key = nil },
		"no camera":     func(p *Params) { p.Cameras = nil },
		"path-like cam": func(p *Params) { p.Cameras[0].Name = "../x" },
		"opus camera":   func(p *Params) { p.Cameras[0].Codec = frame.Opus },
		"same names":    func(p *Params) { p.Mic = &Microphone{Name: "cam1", Source: src} },
		"no clock":      func(p *Params) { p.Clock = nil },
	}
	for name, mod := range cases {
		p := base()
		mod(&p)
		if _, err := New(p); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
