package archive_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/manifest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC)

// registry is an in-test RecorderKeys: recorder id → key and room.
type registry map[string]registration

type registration struct {
	pub  ed25519.PublicKey
	room int64
}

func (r registry) RecorderKey(_ context.Context, id string) (ed25519.PublicKey, int64, error) {
	reg, ok := r[id]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %q", archive.ErrUnknownRecorder, id)
	}
	return reg.pub, reg.room, nil
}

// env is one test's archive on its own database and store.
type env struct {
	svc   *archive.Service
	db    *pgxpool.Pool
	audit *audit.Log
	store *archive.FS
	dir   string
	keys  registry
	clock *testenv.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), db, audit.Migrations, archive.Migrations)
	require.NoError(t, err)
	dir := t.TempDir()
	store, err := archive.NewFS(dir)
	require.NoError(t, err)
	e := &env{db: db, store: store, dir: dir, keys: registry{}, clock: testenv.NewClock(t0.Add(time.Hour))}
	e.audit = audit.New(db, audit.WithClock(e.clock.Now))
	e.svc, err = archive.New(archive.Params{DB: db, Store: store, Keys: e.keys, Audit: e.audit, Now: e.clock.Now,
		MaxSegmentBytes: 1 << 20})
	require.NoError(t, err)
	return e
}

// count returns the number of rows of an archive table.
func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.QueryRow(context.Background(), "SELECT count(*) FROM archive."+table).Scan(&n))
	return n
}

// recorder is an edge recorder writing segment files and signing their
// manifests with its chain, in a folder of its own.
type recorder struct {
	id    string
	room  int64
	pub   ed25519.PublicKey
	priv  ed25519.PrivateKey
	dir   string
	chain *manifest.Chain
	// alg hashes segments and links (SHA-256 when empty); tracks replace
	// the default cam1+mic when set.
	alg    manifest.Alg
	tracks []manifest.Track
	// session tags the manifests ("7" when empty).
	session string
}

// newRecorder makes a recorder of room with a fresh key, registered in e
// when register is set.
func newRecorder(t *testing.T, e *env, id string, room int64, register bool) *recorder {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	r := &recorder{id: id, room: room, pub: pub, priv: priv}
	r.restart(t, e)
	if register {
		e.keys[id] = registration{pub: pub, room: room}
	}
	return r
}

// restart opens a new chain in a new folder with the same key: its seqs
// start again at 1, a fork of any chain the recorder signed before.
func (r *recorder) restart(t *testing.T, e *env) {
	t.Helper()
	r.dir = t.TempDir()
	c, err := manifest.OpenChain(manifest.ChainParams{StatePath: filepath.Join(t.TempDir(), "chain.state"),
		Recorder: r.id, Key: r.priv, Dir: r.dir, Now: e.clock.Now})
	require.NoError(t, err)
	r.chain = c
}

// seg is a written segment: its bytes, store key and manifest file.
type seg struct {
	data []byte
	hash string
	raw  []byte
	m    manifest.Manifest
}

// segment writes a segment of random bytes covering [start, start+d)
// with gaps, and signs its manifest.
func (r *recorder) segment(t *testing.T, start time.Time, d time.Duration, gaps ...manifest.Gap) seg {
	t.Helper()
	seq, _ := r.chain.Head()
	tracks := r.tracks
	if tracks == nil {
		tracks = []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 1280, Height: 720, FPS: 25},
			{Kind: "audio", Name: "mic", Codec: "opus", SampleRate: 48000, Channels: 1}}
	}
	name := fmt.Sprintf("seg-%06d.mp4", seq+1)
	data := make([]byte, 3000+int(seq))
	_, err := rand.Read(data)
	require.NoError(t, err)
	path := filepath.Join(r.dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	session := r.session
	if session == "" {
		session = "7"
	}
	m, err := manifest.Build(path, manifest.Info{Recorder: r.id, Room: strconv.FormatInt(r.room, 10), Session: session,
		Start: start, End: start.Add(d), Gaps: gaps, Alg: r.alg, Tracks: tracks})
	require.NoError(t, err)
	m, err = r.chain.Append(m)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(r.dir, manifest.ManifestName(name)))
	require.NoError(t, err)
	return seg{data: data, hash: key(data), raw: raw, m: m}
}

// errorsIsAny reports whether err is one of targets.
func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// blobPath is where the FS store keeps key.
func (e *env) blobPath(key string) string {
	return filepath.Join(e.dir, key[0:2], key[2:4], key)
}

// member returns a member of a ZIP file held in memory.
func member(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	rc, err := zr.Open(name)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}
