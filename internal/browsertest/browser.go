// Package browsertest drives Debian's Chromium (headless, through
// chromedp) for the panels' tests: a fake camera and microphone, a fresh
// profile per browser, and screenshots kept as test artifacts.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium with its first tab.
type Browser struct {
	t testing.TB
	// Ctx is the first tab's chromedp context.
	Ctx   context.Context
	alloc context.Context
	stop  func()
}

// Path returns Debian's Chromium, or skips the test when it is not
// installed (`make test` installs it).
func Path(t testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("Chromium is not installed (apt-get install chromium; `make test` does it): skipping the browser test")
	return ""
}

// New starts a headless Chromium (1920×1080, fake camera at 30 fps and
// fake microphone, media permission granted, autoplay with sound allowed)
// and stops it when the test ends.
func New(t testing.TB) *Browser {
	t.Helper()
	return NewSized(t, 1920, 1080)
}

// NewSized is New with another window size (a phone: 375×667).
func NewSized(t testing.TB, width, height int) *Browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("use-fake-device-for-media-stream", "fps=30"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc, chromedp.WithLogf(func(string, ...any) {}))
	b := &Browser{t: t, Ctx: ctx, alloc: alloc, stop: func() { cancelCtx(); cancelAlloc() }}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		b.stop()
		t.Fatalf("browsertest: start Chromium: %v", err)
	}
	t.Cleanup(b.stop)
	return b
}

// NewTab opens another tab sharing the browser's cookies; it is closed
// when the test ends.
func (b *Browser) NewTab() context.Context {
	ctx, cancel := chromedp.NewContext(b.Ctx)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("browsertest: new tab: %v", err)
	}
	b.t.Cleanup(cancel)
	return ctx
}

// Do runs steps on the first tab with a deadline, failing the test on
// error.
func (b *Browser) Do(timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	Do(b.t, b.Ctx, timeout, steps...)
}

// Do runs steps on ctx (a tab) with a deadline, failing the test on error
// with the current page's URL and a screenshot named after the test.
func Do(t testing.TB, ctx context.Context, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		fail(t, ctx, err)
	}
}

// fail ends the test with the page's URL and a screenshot.
func fail(t testing.TB, ctx context.Context, err error) {
	t.Helper()
	url, _ := chromedp.Run(ctx, chromedp.Location())
	Shot(t, ctx, "failed-"+t.Name())
	t.Fatalf("browser (at %s): %v", url, err)
}

// ArtifactsDir is where screenshots go: $EVALROOM_TEST_ARTIFACTS, else
// test-artifacts/ at the top of the repository.
func ArtifactsDir(t testing.TB) string {
	dir := os.Getenv("EVALROOM_TEST_ARTIFACTS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browsertest: artifacts folder: %v", err)
	}
	return dir
}

// Shot saves a full-page screenshot of the tab ctx as <name>.png in the
// artifacts folder and logs its path.
func Shot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Logf("browsertest: screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(ArtifactsDir(t), safeName(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browsertest: save screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// Shot saves a screenshot of the first tab.
func (b *Browser) Shot(name string) string {
	b.t.Helper()
	return Shot(b.t, b.Ctx, name)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "_") }

// Login logs in on base's login page as user with password, in the tab
// ctx, and waits until the browser has left the login page for the
// user's home page.
func Login(t testing.TB, ctx context.Context, base, user, password string) {
	t.Helper()
	Do(t, ctx, 30*time.Second,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#login input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`#login input[name=username]`), user),
		chromedp.SendKeys(chromedp.CSS(`#login input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`#login button[type=submit]`)),
	)
	WaitFor(t, ctx, `location.pathname !== '/login' && document.readyState === 'complete'`, 30*time.Second)
}

// Login logs in on the first tab.
func (b *Browser) Login(base, user, password string) {
	b.t.Helper()
	Login(b.t, b.Ctx, base, user, password)
}

// Eval evaluates a JavaScript expression in ctx (awaiting a promise) and
// decodes its JSON value into T, failing the test on error.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		fail(t, ctx, fmt.Errorf("eval %.80s: %w", expr, err))
	}
	return v
}

// Text returns the visible text of the first element matching the CSS
// selector sel.
func Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		fail(t, ctx, fmt.Errorf("text of %s: %w", sel, err))
	}
	return s
}

// WaitFor waits until the JavaScript expression is truthy, evaluating
// it every 100 ms (a navigation in between is no failure).
func WaitFor(t testing.TB, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	check := fmt.Sprintf(`!!(%s)`, expr)
	var lastErr error
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](check))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	fail(t, ctx, fmt.Errorf("waited %s for %s (last error: %v)", timeout, expr, lastErr))
}

// WaitText waits until the page's text contains want.
func WaitText(t testing.TB, ctx context.Context, want string, timeout time.Duration) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf(`!!document.body && document.body.innerText.includes(%q)`, want), timeout)
}
