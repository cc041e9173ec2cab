package manifest_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/stretchr/testify/require"
)

// rewrite re-signs manifest i of f with key after edit, and writes it back.
func (f *fixture) rewrite(t *testing.T, i int, key ed25519.PrivateKey, edit func(*manifest.Manifest)) {
	t.Helper()
	m := f.signed[i]
	edit(&m)
	require.NoError(t, m.Sign(key))
	_, err := manifest.WriteFile(f.dir, m)
	require.NoError(t, err)
}

// editJSON changes one member of a manifest file without re-signing.
func editJSON(t *testing.T, path, member string, value any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, json.Unmarshal(data, &obj))
	obj[member] = value
	data, err = json.Marshal(obj)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

func TestVerifySourceNamesTheFirstBrokenLink(t *testing.T) {
	_, attacker, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	otherPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)

	cases := []struct {
		name   string
		alg    manifest.Alg
		tamper func(t *testing.T, f *fixture)
		keys   func(f *fixture) manifest.Keys
		opts   []manifest.VerifierOption
		kind   manifest.BreakKind // 0: every link holds
		err    error
		at     string
		detail string
	}{
		{name: "untouched"},
		{name: "untouched SM3", alg: manifest.SM3},
		{name: "flipped byte in a segment", kind: manifest.BreakSegmentHash, err: manifest.ErrSegmentHash, at: "seg-000003.manifest.json",
			tamper: func(t *testing.T, f *fixture) { flipByte(t, f.path("seg-000003.mp4"), 100) }},
		{name: "flipped byte in an SM3 segment", alg: manifest.SM3, kind: manifest.BreakSegmentHash, at: "seg-000004.manifest.json",
			tamper: func(t *testing.T, f *fixture) { flipByte(t, f.path("seg-000004.mp4"), 4000) }},
		{name: "appended bytes", kind: manifest.BreakSegmentHash, at: "seg-000005.manifest.json",
			tamper: func(t *testing.T, f *fixture) {
				fh, err := os.OpenFile(f.path("seg-000005.mp4"), os.O_APPEND|os.O_WRONLY, 0)
				require.NoError(t, err)
				_, err = fh.Write([]byte{0})
				require.NoError(t, err)
				require.NoError(t, fh.Close())
			}},
		{name: "edited manifest field", kind: manifest.BreakBadSignature, err: manifest.ErrBadSignature, at: "seg-000002.manifest.json",
			tamper: func(t *testing.T, f *fixture) { editJSON(t, f.path("seg-000002.manifest.json"), "room_id", "2") }},
		{name: "edited gap list in SM3 manifest", alg: manifest.SM3, kind: manifest.BreakBadSignature, at: "seg-000003.manifest.json",
			tamper: func(t *testing.T, f *fixture) { editJSON(t, f.path("seg-000003.manifest.json"), "truncated", true) }},
		{name: "dropped manifest", kind: manifest.BreakSeqGap, err: manifest.ErrSeqGap, at: "seg-000004.manifest.json", detail: "expected seq 3, found 4",
			tamper: func(t *testing.T, f *fixture) { require.NoError(t, os.Remove(f.path("seg-000003.manifest.json"))) }},
		{name: "dropped segment", kind: manifest.BreakSegmentMissing, err: manifest.ErrSegmentMissing, at: "seg-000002.manifest.json",
			tamper: func(t *testing.T, f *fixture) { require.NoError(t, os.Remove(f.path("seg-000002.mp4"))) }},
		{name: "dropped first segment and manifest: a chain may start later", tamper: func(t *testing.T, f *fixture) {
			require.NoError(t, os.Remove(f.path("seg-000001.mp4")))
			require.NoError(t, os.Remove(f.path("seg-000001.manifest.json")))
		}},
		{name: "dropped first segment and manifest, genesis required", kind: manifest.BreakSeqGap, at: "seg-000002.manifest.json",
			opts: []manifest.VerifierOption{manifest.RequireGenesis()}, detail: "chain starts at seq 2",
			tamper: func(t *testing.T, f *fixture) {
				require.NoError(t, os.Remove(f.path("seg-000001.mp4")))
				require.NoError(t, os.Remove(f.path("seg-000001.manifest.json")))
			}},
		{name: "swapped segments", kind: manifest.BreakSegmentHash, at: "seg-000002.manifest.json",
			tamper: func(t *testing.T, f *fixture) {
				require.NoError(t, os.Rename(f.path("seg-000002.mp4"), f.path("x.mp4")))
				require.NoError(t, os.Rename(f.path("seg-000003.mp4"), f.path("seg-000002.mp4")))
				require.NoError(t, os.Rename(f.path("x.mp4"), f.path("seg-000003.mp4")))
			}},
		{name: "wrong key", kind: manifest.BreakBadSignature, at: "seg-000001.manifest.json",
			keys: func(f *fixture) manifest.Keys { var k manifest.KeyRing; k.Add("edge-nj-1", otherPub); return &k }},
		{name: "wrong key for any recorder", kind: manifest.BreakBadSignature, at: "seg-000001.manifest.json",
			keys: func(f *fixture) manifest.Keys { var k manifest.KeyRing; k.Add("", otherPub); return &k }},
		{name: "key for any recorder", keys: func(f *fixture) manifest.Keys { var k manifest.KeyRing; k.Add("", f.pub); return &k }},
		{name: "unknown recorder", kind: manifest.BreakUnknownKey, err: manifest.ErrUnknownKey, at: "seg-000001.manifest.json",
			keys: func(f *fixture) manifest.Keys { var k manifest.KeyRing; k.Add("edge-hf-1", f.pub); return &k }},
		{name: "forged signature over an edited manifest", kind: manifest.BreakBadSignature, at: "seg-000003.manifest.json",
			tamper: func(t *testing.T, f *fixture) {
				f.rewrite(t, 2, attacker, func(m *manifest.Manifest) { m.Session = "8" })
			}},
		{name: "forged segment and manifest", kind: manifest.BreakBadSignature, at: "seg-000004.manifest.json",
			tamper: func(t *testing.T, f *fixture) {
				flipByte(t, f.path("seg-000004.mp4"), 7)
				m, err := manifest.Build(f.path("seg-000004.mp4"), manifest.Info{Recorder: "edge-nj-1", Room: "1", Session: "7",
					Start: f.signed[3].Start, End: f.signed[3].End})
				require.NoError(t, err)
				m.Seq, m.Prev, m.CreatedAt = f.signed[3].Seq, f.signed[3].Prev, f.signed[3].CreatedAt
				require.NoError(t, m.Sign(attacker))
				_, err = manifest.WriteFile(f.dir, m)
				require.NoError(t, err)
			}},
		{name: "garbage manifest", kind: manifest.BreakMalformed, err: manifest.ErrMalformed, at: "seg-000005.manifest.json",
			tamper: func(t *testing.T, f *fixture) {
				require.NoError(t, os.WriteFile(f.path("seg-000005.manifest.json"), []byte(`{"version":1,`), 0o644))
			}},
		{name: "signed with a wrong prev hash (a fork)", kind: manifest.BreakPrevMismatch, err: manifest.ErrPrevMismatch, at: "seg-000004.manifest.json",
			tamper: func(t *testing.T, f *fixture) {
				f.rewrite(t, 3, f.priv, func(m *manifest.Manifest) { m.Prev[0] ^= 1 })
			}},
		{name: "signed but time going backwards", kind: manifest.BreakTimeBackwards, err: manifest.ErrTimeBackwards, at: "seg-000004.manifest.json",
			tamper: func(t *testing.T, f *fixture) {
				f.rewrite(t, 3, f.priv, func(m *manifest.Manifest) { m.Start = f.signed[2].Start.Add(-time.Second) })
			}},
		{name: "small overlap within the slack", tamper: func(t *testing.T, f *fixture) {
			f.rewrite(t, 4, f.priv, func(m *manifest.Manifest) { m.Start = m.Start.Add(-300 * time.Millisecond) })
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.alg)
			f.chain(t, 5)
			if tc.tamper != nil {
				tc.tamper(t, f)
			}
			var keys manifest.Keys = f.keys()
			if tc.keys != nil {
				keys = tc.keys(f)
			}
			rep, err := manifest.VerifySource(context.Background(), manifest.DirSource{Dir: f.dir}, keys, tc.opts...)
			require.NoError(t, err)
			if tc.kind == 0 {
				require.True(t, rep.OK(), "%v", rep.First)
				for _, r := range rep.Results {
					require.Nil(t, r.Break, r.Name)
				}
				return
			}
			require.False(t, rep.OK())
			require.Equal(t, tc.kind, rep.First.Kind, rep.First.Error())
			require.Equal(t, tc.at, rep.First.Name, rep.First.Error())
			require.Contains(t, rep.First.Error(), tc.kind.Reason())
			if tc.err != nil {
				require.ErrorIs(t, rep.First, tc.err)
			}
			require.Contains(t, rep.First.Error(), tc.detail)
			for _, r := range rep.Results {
				if r.Name < tc.at && r.Break != nil {
					t.Fatalf("%s broken before the first break: %v", r.Name, r.Break)
				}
			}
		})
	}
}

func TestVerifySourceListsUnsignedSegments(t *testing.T) {
	f := newFixture(t, "")
	f.chain(t, 3)
	require.NoError(t, os.Remove(f.path("seg-000003.manifest.json")))
	require.NoError(t, os.WriteFile(f.path("seg-000004.mp4"), []byte("still recording"), 0o644))
	rep, err := manifest.VerifySource(context.Background(), manifest.DirSource{Dir: f.dir}, f.keys())
	require.NoError(t, err)
	require.True(t, rep.OK(), "dropping the newest manifest leaves no gap inside the chain")
	require.Equal(t, []string{"seg-000003.mp4", "seg-000004.mp4"}, rep.Unsigned)
	require.Equal(t, []manifest.ChainSummary{{Recorder: "edge-nj-1", FirstSeq: 1, LastSeq: 2, Count: 2}}, rep.Chains)
}

func TestChainVerifierNamesReorderedLinks(t *testing.T) {
	f := newFixture(t, manifest.SM3)
	f.chain(t, 5)
	v := manifest.NewChainVerifier(f.keys())
	order := []int{0, 1, 3, 2, 4}
	var got []*manifest.Break
	for _, i := range order {
		seg, err := os.Open(f.path(f.signed[i].Segment))
		require.NoError(t, err)
		got = append(got, v.Check(f.signed[i].Segment, f.signed[i], seg))
		seg.Close()
	}
	require.Nil(t, got[0])
	require.Nil(t, got[1])
	require.NotNil(t, got[2])
	require.Equal(t, manifest.BreakSeqGap, got[2].Kind)
	require.Equal(t, int64(4), got[2].Seq)
	require.Contains(t, got[2].Error(), "序号不连续")
	require.Same(t, got[2], v.First())
	require.True(t, errors.Is(got[3], manifest.ErrSeqGap), "3 after 4 goes backwards too")
}

func flipByte(t *testing.T, path string, at int64) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer fh.Close()
	b := make([]byte, 1)
	_, err = fh.ReadAt(b, at)
	require.NoError(t, err)
	b[0] ^= 0x01
	_, err = fh.WriteAt(b, at)
	require.NoError(t, err)
}

func TestParallelCamerasShareOneChain(t *testing.T) {
	f := newFixture(t, "")
	c := f.open(t)
	write := func(name, cam string, start time.Time) {
		t.Helper()
		p := f.path(name)
		require.NoError(t, os.WriteFile(p, []byte(name), 0o644))
		m, err := manifest.Build(p, manifest.Info{Recorder: "edge-nj-1", Room: "1", Start: start, End: start.Add(10 * time.Second),
			Tracks: []manifest.Track{{Kind: "video", Name: cam, Codec: "h264", Width: 320, Height: 180, FPS: 15}}})
		require.NoError(t, err)
		_, err = c.Append(m)
		require.NoError(t, err)
	}
	// One file per camera: the cameras' segments overlap in time.
	write("cam1-000001.mp4", "cam1", t0)
	write("cam2-000001.mp4", "cam2", t0)
	write("cam1-000002.mp4", "cam1", t0.Add(10*time.Second))
	write("cam2-000002.mp4", "cam2", t0.Add(10*time.Second))
	rep, err := manifest.VerifySource(context.Background(), manifest.DirSource{Dir: f.dir}, f.keys())
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.First)

	write("cam2-000003.mp4", "cam2", t0.Add(5*time.Second))
	rep, err = manifest.VerifySource(context.Background(), manifest.DirSource{Dir: f.dir}, f.keys())
	require.NoError(t, err)
	require.False(t, rep.OK())
	require.Equal(t, manifest.BreakTimeBackwards, rep.First.Kind)
	require.Equal(t, "cam2-000003.manifest.json", rep.First.Name)
}
