package upload_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/recorder/segment"
	"github.com/evalroom/evalroom/recorder/upload"
	"github.com/evalroom/evalroom/room/token"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC)

const (
	recorderID = "edge-nj-1"
	roomID     = 4
)

// registry is the archive's recorder registry in the test: recorder id →
// key and room (room.Service is the one in production).
type registry map[string]ed25519.PublicKey

func (r registry) RecorderKey(_ context.Context, id string) (ed25519.PublicKey, int64, error) {
	pub, ok := r[id]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %q", archive.ErrUnknownRecorder, id)
	}
	return pub, roomID, nil
}

// noLeaks checks, after every other cleanup of t (servers, pools), that
// the test left no goroutine behind.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// env is one test's archive (real Service and Handler on PostgreSQL and a
// file store), served over HTTP through a counting gate, and a recorder
// writing a signed chain into its spool.
type env struct {
	svc    *archive.Service
	tokens *token.Authority
	tclock *testenv.Clock
	api    *counter
	addr   string
	srv    *httptest.Server
	http   *http.Client

	priv  ed25519.PrivateKey
	dir   string
	chain *manifest.Chain
	alg   manifest.Alg
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), db, audit.Migrations, archive.Migrations)
	require.NoError(t, err)
	store, err := archive.NewFS(t.TempDir())
	require.NoError(t, err)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	clock := testenv.NewClock(t0.Add(time.Hour))
	svc, err := archive.New(archive.Params{DB: db, Store: store, Keys: registry{recorderID: pub},
		Audit: audit.New(db, audit.WithClock(clock.Now)), Now: clock.Now, MaxSegmentBytes: 1 << 20, Logger: quiet()})
	require.NoError(t, err)
	e := &env{svc: svc, priv: priv, tclock: testenv.NewClock(t0)}
	e.tokens, err = token.New(bytes.Repeat([]byte("k"), 32), 10*time.Minute, e.tclock.Now)
	require.NoError(t, err)
	h, err := archive.NewHandler(archive.HandlerParams{Service: svc, Tokens: e.tokens, Logger: quiet()})
	require.NoError(t, err)
	e.api = &counter{next: h}
	e.http = &http.Client{Transport: &http.Transport{}}
	t.Cleanup(e.http.CloseIdleConnections)
	e.start(t, "127.0.0.1:0")
	e.newSpool(t)
	return e
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start serves the archive on addr.
func (e *env) start(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	e.srv = httptest.NewUnstartedServer(e.api)
	e.srv.Listener = ln
	e.srv.Start()
	e.addr = ln.Addr().String()
	srv := e.srv
	t.Cleanup(srv.Close)
}

// stop takes the archive off the network.
func (e *env) stop() {
	e.srv.Close()
	e.http.CloseIdleConnections()
}

// newSpool gives the recorder a new, empty spool and a new chain with the
// same key (seq from 1 again: a fork of any chain it signed before).
func (e *env) newSpool(t *testing.T) {
	t.Helper()
	e.dir = t.TempDir()
	c, err := manifest.OpenChain(manifest.ChainParams{StatePath: filepath.Join(e.dir, "chain.state"),
		Recorder: recorderID, Key: e.priv, Dir: e.dir, Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	e.chain = c
}

// seg is a segment the recorder wrote and signed.
type seg struct {
	name string
	data []byte
	m    manifest.Manifest
}

// record writes n segments of random bytes into the spool, each with its
// signed manifest, and returns them.
func (e *env) record(t *testing.T, n int) []seg {
	t.Helper()
	var out []seg
	for range n {
		seq, _ := e.chain.Head()
		start := t0.Add(time.Duration(seq) * 10 * time.Second)
		name := segment.FileName(recorderID+"-cam1", start, int(seq+1))
		data := make([]byte, 3000+int(seq))
		_, err := rand.Read(data)
		require.NoError(t, err)
		path := filepath.Join(e.dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o644))
		m, err := manifest.Build(path, manifest.Info{Recorder: recorderID, Room: strconv.Itoa(roomID), Alg: e.alg,
			Start: start, End: start.Add(10 * time.Second),
			Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}})
		require.NoError(t, err)
		m, err = e.chain.Append(m)
		require.NoError(t, err)
		out = append(out, seg{name: name, data: data, m: m})
	}
	return out
}

// tokens is a device's token source like recorder/devauth: it keeps its
// token until Invalidate, and counts the tokens it minted.
type tokens struct {
	e      *env
	minted atomic.Int64
	mu     sync.Mutex
	cached string
}

func (s *tokens) get(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != "" {
		return s.cached, nil
	}
	// Upload-only: the room runs no session; the archive accepts it.
	tok, _, err := s.e.tokens.Mint(token.Claims{Subject: "device:" + recorderID, Room: strconv.Itoa(roomID), Role: token.RoleDevice})
	if err != nil {
		return "", err
	}
	s.minted.Add(1)
	s.cached = tok
	return tok, nil
}

// invalidate drops the cached token.
func (s *tokens) invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cached = ""
}

// uploader returns an Uploader of the spool, tuned by opts, and its token
// source.
func (e *env) uploader(t *testing.T, opts ...func(*upload.Params)) (*upload.Uploader, *tokens) {
	t.Helper()
	src := &tokens{e: e}
	p := upload.Params{Dir: e.dir, Endpoint: "http://" + e.addr + "/", Token: src.get, OnUnauthorized: src.invalidate, HTTP: e.http,
		Interval: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Logger: quiet()}
	for _, o := range opts {
		o(&p)
	}
	u, err := upload.New(p)
	require.NoError(t, err)
	return u, src
}

// run runs u until the returned stop is called (or the test ends).
func run(t *testing.T, u *upload.Uploader) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor waits until cond holds on u's Status.
func waitFor(t *testing.T, u *upload.Uploader, what string, cond func(upload.Status) bool) upload.Status {
	t.Helper()
	require.Eventually(t, func() bool { return cond(u.Status()) }, 20*time.Second, 5*time.Millisecond,
		"%s; status %+v", what, u.Status())
	return u.Status()
}

// head returns the archive's chain head of the recorder.
func (e *env) head(t *testing.T) (int64, string) {
	t.Helper()
	seq, link, err := e.svc.ChainHead(context.Background(), recorderID)
	require.NoError(t, err)
	return seq, link
}

// exists reports whether the spool holds name.
func (e *env) exists(t *testing.T, name string) bool {
	t.Helper()
	_, err := os.Stat(filepath.Join(e.dir, name))
	if os.IsNotExist(err) {
		return false
	}
	require.NoError(t, err)
	return true
}

// counter counts what reaches the archive and can shut the gate: after
// `limit` acknowledged manifests every request gets 503.
type counter struct {
	next http.Handler

	mu     sync.Mutex
	puts   map[string]int // segment key → PUTs that reached the archive
	acked  []int64        // seqs of acknowledged manifests, in order
	unauth int            // 401 answers
	limit  int            // 0: no gate
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	if c.limit > 0 && len(c.acked) >= c.limit {
		c.mu.Unlock()
		http.Error(w, `{"error":{"code":"unavailable","message":"维护中"}}`, http.StatusServiceUnavailable)
		return
	}
	c.mu.Unlock()
	var body []byte
	if r.Method == http.MethodPost {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	c.next.ServeHTTP(sw, r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.puts == nil {
		c.puts = map[string]int{}
	}
	switch {
	case sw.status == http.StatusUnauthorized:
		c.unauth++
	case r.Method == http.MethodPut:
		c.puts[filepath.Base(r.URL.Path)]++
	case r.Method == http.MethodPost && sw.status/100 == 2:
		if m, err := manifest.Parse(bytes.TrimSpace(body)); err == nil {
			c.acked = append(c.acked, m.Seq)
		}
	}
}

// gate lets `limit` more acknowledgements through, counting from now (0
// opens the gate).
func (c *counter) gate(limit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = 0
	if limit > 0 {
		c.limit = len(c.acked) + limit
	}
}

// snapshot returns the PUT counts, the acknowledged seqs and the 401s.
func (c *counter) snapshot() (map[string]int, []int64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	puts := map[string]int{}
	for k, v := range c.puts {
		puts[k] = v
	}
	return puts, append([]int64(nil), c.acked...), c.unauth
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// key is a segment's store key.
func key(data []byte) string {
	d, err := manifest.SHA256.Sum(data)
	if err != nil {
		panic(err)
	}
	return d.String()
}
