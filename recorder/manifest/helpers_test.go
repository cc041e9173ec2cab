package manifest_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

// fixture is a recorder folder with a chain of signed segments.
type fixture struct {
	dir, state string
	pub        ed25519.PublicKey
	priv       ed25519.PrivateKey
	clock      *testenv.Clock
	alg        manifest.Alg
	signed     []manifest.Manifest
}

func newFixture(t *testing.T, alg manifest.Alg) *fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	dir := t.TempDir()
	return &fixture{dir: dir, state: filepath.Join(t.TempDir(), "chain.state"), pub: pub, priv: priv,
		clock: testenv.NewClock(t0), alg: alg}
}

func (f *fixture) open(t *testing.T) *manifest.Chain {
	t.Helper()
	c, err := manifest.OpenChain(manifest.ChainParams{StatePath: f.state, Recorder: "edge-nj-1", Key: f.priv,
		Dir: f.dir, Now: f.clock.Now})
	require.NoError(t, err)
	return c
}

// segment writes segment n (10 s from t0 + 10 s × (n−1)) with distinct
// bytes and appends its manifest to c.
func (f *fixture) segment(t *testing.T, c *manifest.Chain, n int) manifest.Manifest {
	t.Helper()
	name := fmt.Sprintf("seg-%06d.mp4", n)
	data := make([]byte, 4096+n)
	_, err := rand.Read(data)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, name), data, 0o644))
	start := t0.Add(time.Duration(n-1) * 10 * time.Second)
	f.clock.Set(start.Add(10*time.Second + 200*time.Millisecond))
	m, err := manifest.Build(filepath.Join(f.dir, name), manifest.Info{
		Recorder: "edge-nj-1", Room: "1", Session: "7", Alg: f.alg, Start: start, End: start.Add(10 * time.Second),
		Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15},
			{Kind: "audio", Name: "mic", Codec: "opus", SampleRate: 48000, Channels: 1}},
		Clock: manifest.Clock{Offset: 2*time.Second + 345*time.Microsecond, Uncertainty: 800 * time.Microsecond, MeasuredAt: start},
	})
	require.NoError(t, err)
	m, err = c.Append(m)
	require.NoError(t, err)
	f.signed = append(f.signed, m)
	return m
}

// chain writes segments 1..n in one run of the recorder.
func (f *fixture) chain(t *testing.T, n int) {
	t.Helper()
	c := f.open(t)
	for i := 1; i <= n; i++ {
		f.segment(t, c, i)
	}
}

func (f *fixture) keys() *manifest.KeyRing {
	var k manifest.KeyRing
	k.Add("edge-nj-1", f.pub)
	return &k
}

func (f *fixture) path(name string) string { return filepath.Join(f.dir, name) }
