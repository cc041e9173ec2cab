package manifest_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/stretchr/testify/require"
)

func TestChainContinuesAfterRestart(t *testing.T) {
	for _, alg := range []manifest.Alg{manifest.SHA256, manifest.SM3} {
		t.Run(string(alg), func(t *testing.T) {
			f := newFixture(t, alg)
			c := f.open(t)
			seq, head := c.Head()
			require.Zero(t, seq)
			require.True(t, head.IsZero())
			for i := 1; i <= 3; i++ {
				f.segment(t, c, i)
			}
			// The recorder is killed and started again: a new Chain from
			// the state file alone.
			c = f.open(t)
			seq, head = c.Head()
			require.Equal(t, int64(3), seq)
			want, err := f.signed[2].Hash()
			require.NoError(t, err)
			require.Equal(t, want, head)
			m4 := f.segment(t, c, 4)
			require.Equal(t, int64(4), m4.Seq)
			require.Equal(t, want, m4.Prev)
			f.segment(t, f.open(t), 5)

			for i, m := range f.signed {
				require.Equal(t, int64(i+1), m.Seq)
				require.Equal(t, alg, m.Alg)
				require.Equal(t, t0.Add(time.Duration(i+1)*10*time.Second+200*time.Millisecond), m.CreatedAt, "created_at from the injected clock")
			}
			require.True(t, f.signed[0].Prev.IsZero(), "genesis links to zero")
			rep, err := manifest.VerifySource(context.Background(), manifest.DirSource{Dir: f.dir}, f.keys(), manifest.RequireGenesis())
			require.NoError(t, err)
			require.True(t, rep.OK(), "%v", rep.First)
			require.Equal(t, []manifest.ChainSummary{{Recorder: "edge-nj-1", FirstSeq: 1, LastSeq: 5, Count: 5}}, rep.Chains)
			leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(f.state), ".*tmp*"))
			require.NoError(t, err)
			require.Empty(t, leftovers, "no temporary files are left behind")
			st, err := os.Stat(f.state)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		})
	}
}

func TestChainRestoresTheManifestACrashLost(t *testing.T) {
	f := newFixture(t, "")
	f.chain(t, 2)
	p := f.path("seg-000002.manifest.json")
	want, err := os.ReadFile(p)
	require.NoError(t, err)
	// A crash after the state was saved but before the manifest was
	// written.
	require.NoError(t, os.Remove(p))
	c := f.open(t)
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	f.segment(t, c, 3)
	rep, err := manifest.VerifySource(context.Background(), manifest.DirSource{Dir: f.dir}, f.keys())
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)
	require.Len(t, rep.Results, 3)
}

func TestChainRefusesAStateItCannotTrust(t *testing.T) {
	f := newFixture(t, "")
	f.chain(t, 2)
	good, err := os.ReadFile(f.state)
	require.NoError(t, err)
	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)

	cases := []struct {
		name     string
		state    string
		recorder string
		key      ed25519.PrivateKey
	}{
		{"garbage", "{", "edge-nj-1", f.priv},
		{"another recorder's state", string(good), "edge-hf-1", f.priv},
		{"another key", string(good), "edge-nj-1", otherKey},
		{"edited last manifest", strings.Replace(string(good), `"room_id":"1"`, `"room_id":"2"`, 1), "edge-nj-1", f.priv},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.False(t, tc.state == string(good) && tc.recorder == "edge-nj-1" && tc.key.Equal(f.priv), "the case changes something")
			require.NoError(t, os.WriteFile(f.state, []byte(tc.state), 0o600))
			_, err := manifest.OpenChain(manifest.ChainParams{StatePath: f.state, Recorder: tc.recorder, Key: tc.key})
			require.ErrorIs(t, err, manifest.ErrState)
		})
	}
	require.NoError(t, os.WriteFile(f.state, good, 0o600))
	_, err = manifest.OpenChain(manifest.ChainParams{StatePath: f.state, Recorder: "edge-nj-1", Key: f.priv})
	require.NoError(t, err, "the untouched state opens")

	c := f.open(t)
	m := f.signed[0]
	m.Recorder = "edge-hf-1"
	_, err = c.Append(m)
	require.ErrorIs(t, err, manifest.ErrInvalid, "another recorder's manifest")
	seq, _ := c.Head()
	require.Equal(t, int64(2), seq, "a refused append changes nothing")
}

func TestKeyPairFiles(t *testing.T) {
	dir := t.TempDir()
	pub, err := manifest.WriteKeyPair(dir)
	require.NoError(t, err)
	st, err := os.Stat(filepath.Join(dir, manifest.PrivateKeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	priv, err := manifest.ReadPrivateKeyFile(filepath.Join(dir, manifest.PrivateKeyFile))
	require.NoError(t, err)
	require.Equal(t, pub, priv.Public())
	line, err := os.ReadFile(filepath.Join(dir, manifest.PublicKeyFile))
	require.NoError(t, err)
	back, err := manifest.ParsePublicKey(string(line))
	require.NoError(t, err)
	require.Equal(t, pub, back)
	_, err = manifest.WriteKeyPair(dir)
	require.ErrorIs(t, err, manifest.ErrKeyExists, "a key is never overwritten")
	again, err := manifest.ReadPrivateKeyFile(filepath.Join(dir, manifest.PrivateKeyFile))
	require.NoError(t, err)
	require.Equal(t, priv, again)

	var ring manifest.KeyRing
	text := "# registered recorders\n\nedge-nj-1 " + strings.TrimSpace(string(line)) + "\n"
	require.NoError(t, ring.ReadKeyRing(strings.NewReader(text)))
	require.Equal(t, []ed25519.PublicKey{pub}, ring.Lookup("edge-nj-1"))
	require.Empty(t, ring.Lookup("edge-hf-1"))
	for _, bad := range []string{"edge-nj-1 abc", "a b c", "bad/id " + string(line)} {
		require.ErrorIs(t, ring.ReadKeyRing(strings.NewReader(bad)), manifest.ErrInvalid, bad)
	}
}

func TestChainWithoutStateContinuesFromTheFolder(t *testing.T) {
	f := newFixture(t, manifest.SM3)
	f.chain(t, 3)
	require.NoError(t, os.Remove(f.state))
	// Another recorder's manifest and one signed by another key in the
	// same folder are not adopted.
	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	forged := f.signed[2]
	forged.Seq, forged.Segment = 9, "seg-000009.mp4"
	require.NoError(t, forged.Sign(otherKey))
	_, err = manifest.WriteFile(f.dir, forged)
	require.NoError(t, err)

	c := f.open(t)
	seq, head := c.Head()
	require.Equal(t, int64(3), seq, "the chain goes on from the newest own manifest, not from seq 1")
	want, err := f.signed[2].Hash()
	require.NoError(t, err)
	require.Equal(t, want, head)
	_, err = os.Stat(f.state)
	require.NoError(t, err, "the adopted state is saved")
	m4 := f.segment(t, c, 4)
	require.Equal(t, int64(4), m4.Seq)
	require.NoError(t, os.Remove(f.path("seg-000009.manifest.json")))
	rep, err := manifest.VerifySource(context.Background(), manifest.DirSource{Dir: f.dir}, f.keys(), manifest.RequireGenesis())
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)
}
