package segment_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromiumPath returns Debian's Chromium, or skips the test when it is
// not installed (`make test` installs it).
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("Chromium is not installed (apt-get install chromium; `make test` does it): skipping the browser playback test")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and returns
// its context and a function that stops it and waits for it to exit.
func newBrowser(t *testing.T, path string) (context.Context, func()) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(640, 400),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	stop := func() { cancelCtx(); cancelAlloc() }
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		stop()
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx, stop
}

// artifactsDir is where browser tests leave screenshots:
// $EVALROOM_TEST_ARTIFACTS, or a temporary folder.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("EVALROOM_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// saveScreenshot captures the video element into name in the artifacts
// folder.
func saveScreenshot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#v")))
	require.NoError(t, err)
	path := filepath.Join(artifactsDir(t), name)
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

// rangeServer serves the segments of a folder under /media/ and a page
// with a video element for each at /play?f=<name>. Like an object store
// or a CDN, it answers every media request with at most chunk bytes (206
// Partial Content), so that the browser must ask for later ranges itself;
// it records the ranges it served.
type rangeServer struct {
	dir   string
	chunk int64

	mu     sync.Mutex
	served map[string][]servedRange
}

// servedRange is one media response.
type servedRange struct {
	start, end int64 // bytes start..end-1
	status     int
}

func newRangeServer(dir string, chunk int64) *rangeServer {
	return &rangeServer{dir: dir, chunk: chunk, served: map[string][]servedRange{}}
}

func (s *rangeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/play":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, playerPage, "/media/"+filepath.Base(r.URL.Query().Get("f")))
	case strings.HasPrefix(r.URL.Path, "/media/"):
		s.serveMedia(w, r, filepath.Base(r.URL.Path))
	default:
		http.NotFound(w, r)
	}
}

func (s *rangeServer) serveMedia(w http.ResponseWriter, r *http.Request, name string) {
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	start, end := int64(0), st.Size()
	if v, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes="); ok {
		from, to, _ := strings.Cut(v, "-")
		start, _ = strconv.ParseInt(from, 10, 64)
		if n, err := strconv.ParseInt(to, 10, 64); err == nil && n+1 < end {
			end = n + 1
		}
	}
	end = min(end, start+s.chunk)
	if start < end {
		// Narrow the request to one chunk; http.ServeContent answers it.
		r.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, end-1))
	}
	rec := &statusWriter{ResponseWriter: w}
	w.Header().Set("Content-Type", "video/mp4")
	http.ServeContent(rec, r, name, st.ModTime(), f)
	s.mu.Lock()
	s.served[name] = append(s.served[name], servedRange{start: start, end: end, status: rec.status})
	s.mu.Unlock()
}

// ranges returns the responses served for a file.
func (s *rangeServer) ranges(name string) []servedRange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]servedRange(nil), s.served[name]...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// playerPage holds a video element and the functions the test calls.
const playerPage = `<!doctype html>
<html><head><title>segment</title></head>
<body style="margin:0;background:#000;overflow:hidden">
<video id="v" muted playsinline preload="metadata" width="320" height="180" src="%s"></video>
<canvas id="c" width="320" height="180" style="display:none"></canvas>
<script>
const v = document.getElementById('v');
const events = [];
for (const e of ['loadedmetadata', 'playing', 'seeked', 'error', 'ended']) {
  v.addEventListener(e, () => events.push(e));
}
function failed() {
  return v.error ? 'media error ' + v.error.code + ': ' + v.error.message : '';
}
function when(name, ready) {
  return new Promise((resolve, reject) => {
    if (ready()) return resolve();
    v.addEventListener(name, () => resolve(), {once: true});
    v.addEventListener('error', () => reject(new Error(failed())), {once: true});
  });
}
function state() {
  return {width: v.videoWidth, height: v.videoHeight, duration: v.duration,
          time: v.currentTime, error: failed(), events: events};
}
async function metadata() {
  await when('loadedmetadata', () => v.readyState >= 1);
  return state();
}
async function playUntil(t) {
  await v.play();
  while (v.currentTime <= t) {
    if (v.error) throw new Error(failed());
    await new Promise(r => setTimeout(r, 50));
  }
  v.pause();
  return state();
}
function luma() {
  const c = document.getElementById('c').getContext('2d');
  c.drawImage(v, 0, 0, 320, 180);
  const d = c.getImageData(0, 0, 320, 180).data;
  let sum = 0;
  for (let i = 0; i < d.length; i += 4) sum += d[i];
  return sum / (d.length / 4);
}
// seek moves to t and waits until the frame there is presented; it
// returns the frame's media time and mean luma.
async function seek(t) {
  const shown = new Promise(resolve => v.requestVideoFrameCallback((now, meta) => resolve(meta.mediaTime)));
  const done = when('seeked', () => false);
  v.currentTime = t;
  await done;
  const frame = await shown;
  return {time: v.currentTime, frame: frame, luma: luma()};
}
</script>
</body></html>
`
