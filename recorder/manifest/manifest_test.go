package manifest_test

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/stretchr/testify/require"
)

// sample is a fully filled, chained manifest with a deterministic key.
func sample(t *testing.T) (manifest.Manifest, ed25519.PrivateKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	m := manifest.Manifest{Version: 1, Recorder: "edge-nj-1", Room: "12", Session: "",
		Segment: "seg-000001.mp4", Size: 1234, Alg: manifest.SHA256, Seq: 1,
		Start: t0, End: t0.Add(10*time.Second + 500*time.Microsecond),
		Tracks:    []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 1280, Height: 720, FPS: 30}},
		Clock:     manifest.Clock{Offset: -1500 * time.Microsecond, Uncertainty: time.Millisecond, MeasuredAt: t0.Add(-time.Second)},
		Gaps:      []manifest.Gap{{From: t0.Add(-3 * time.Second), To: t0, Reason: "录像程序重启\t\"restart\""}},
		CreatedAt: t0.Add(11 * time.Second)}
	m.SegmentHash[0] = 0xab
	require.NoError(t, m.Sign(priv))
	return m, priv
}

func TestCanonicalEncodingIsFixed(t *testing.T) {
	m, _ := sample(t)
	got, err := m.SignedBytes()
	require.NoError(t, err)
	want := `{"clock":{"measured_at":"2026-03-02T01:29:59.000000000Z","offset_ns":-1500000,"uncertainty_ns":1000000},` +
		`"created_at":"2026-03-02T01:30:11.000000000Z","end":"2026-03-02T01:30:10.000500000Z",` +
		`"gaps":[{"from":"2026-03-02T01:29:57.000000000Z","reason":"录像程序重启\t\"restart\"","to":"2026-03-02T01:30:00.000000000Z"}],` +
		`"hash_alg":"sha256","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",` +
		`"recorder_id":"edge-nj-1","room_id":"12",` +
		`"segment":{"hash":"ab00000000000000000000000000000000000000000000000000000000000000","name":"seg-000001.mp4","size":1234},` +
		`"seq":1,"session_id":"","start":"2026-03-02T01:30:00.000000000Z",` +
		`"tracks":[{"channels":0,"codec":"h264","fps":30,"height":720,"kind":"video","name":"cam1","sample_rate":0,"width":1280}],` +
		`"truncated":false,"version":1}`
	require.Equal(t, want, string(got))

	full, err := m.Canonical()
	require.NoError(t, err)
	require.Contains(t, string(full), `,"signature":"`)
	require.Len(t, full, len(got)+len(`,"signature":""`)+88)

	parsed, err := manifest.Parse(full)
	require.NoError(t, err)
	again, err := parsed.Canonical()
	require.NoError(t, err)
	require.Equal(t, string(full), string(again), "parse and encode round-trips")
	h1, err := m.Hash()
	require.NoError(t, err)
	h2, err := parsed.Hash()
	require.NoError(t, err)
	require.Equal(t, h1, h2)
}

func TestCanonicalStringEscapes(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"short forms", "\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"other controls lowercase hex", "\x01\x1f", `"\u0001\u001f"`},
		{"html characters stay", "<>&", `"<>&"`},
		{"non-ASCII stays", "评标室\u2028é", `"评标室` + "\u2028" + `é"`},
		{"delete stays", "\x7f", "\"\x7f\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, priv := sample(t)
			m.Gaps[0].Reason = tc.in
			require.NoError(t, m.Sign(priv))
			b, err := m.SignedBytes()
			require.NoError(t, err)
			require.Contains(t, string(b), `"reason":`+tc.want+`,"to"`)
			back, err := manifest.Parse(b)
			require.NoError(t, err)
			require.Equal(t, tc.in, back.Gaps[0].Reason)
		})
	}
}

func TestParseIsStrict(t *testing.T) {
	m, _ := sample(t)
	good, err := m.Canonical()
	require.NoError(t, err)
	cases := []struct {
		name, old, new string
	}{
		{"unknown member", `"version":1`, `"version":1,"note":"unsigned"`},
		{"unknown nested member", `"size":1234`, `"size":1234,"path":"/etc"`},
		{"time without nanoseconds", `"start":"2026-03-02T01:30:00.000000000Z"`, `"start":"2026-03-02T01:30:00Z"`},
		{"time not in UTC", `"start":"2026-03-02T01:30:00.000000000Z"`, `"start":"2026-03-02T09:30:00.000000000+08:00"`},
		{"uppercase hash", `"hash":"ab`, `"hash":"AB`},
		{"short hash", `"hash":"ab00`, `"hash":"ab0`},
		{"fractional number", `"size":1234`, `"size":1234.5`},
		{"path-like segment name", `"name":"seg-000001.mp4"`, `"name":"../seg-000001.mp4"`},
		{"segment in a folder", `"name":"seg-000001.mp4"`, `"name":"a/seg-000001.mp4"`},
		{"hidden segment", `"name":"seg-000001.mp4"`, `"name":".seg-000001.mp4"`},
		{"unknown algorithm", `"hash_alg":"sha256"`, `"hash_alg":"md5"`},
		{"seq zero", `"seq":1`, `"seq":0`},
		{"end before start", `"end":"2026-03-02T01:30:10.000500000Z"`, `"end":"2026-03-02T01:29:10.000500000Z"`},
		{"second object", `"version":1}`, `"version":1}{}`},
		{"signature not base64", `"signature":"`, `"signature":"*`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tc.old, tc.new, 1)
			require.NotEqual(t, string(good), bad, "the case changes the input")
			_, err := manifest.Parse([]byte(bad))
			require.Error(t, err)
		})
	}
	_, err = manifest.Parse(append(good, '\n'))
	require.NoError(t, err, "the file's trailing newline is fine")
}

func TestSignAndVerify(t *testing.T) {
	m, priv := sample(t)
	pub := priv.Public().(ed25519.PublicKey)
	require.NoError(t, m.Verify(pub))
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32))
	require.ErrorIs(t, m.Verify(other.Public().(ed25519.PublicKey)), manifest.ErrBadSignature)
	edited := m
	edited.Clock.Uncertainty++
	require.ErrorIs(t, edited.Verify(pub), manifest.ErrBadSignature)
	unsigned := m
	unsigned.Signature = nil
	require.ErrorIs(t, unsigned.Verify(pub), manifest.ErrBadSignature)
	h1, _ := m.Hash()
	resigned := m
	resigned.Signature = ed25519.Sign(other, []byte("x"))
	h2, _ := resigned.Hash()
	require.NotEqual(t, h1, h2, "the chain link covers the signature")
	bad := m
	bad.Seq = 0
	require.ErrorIs(t, bad.Sign(priv), manifest.ErrInvalid)
}

func TestHashAlgorithms(t *testing.T) {
	d, err := manifest.SM3.Sum([]byte("abc"))
	require.NoError(t, err)
	require.Equal(t, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", d.String(), "GB/T 32905 example 1")
	d, err = manifest.SHA256.Sum([]byte("abc"))
	require.NoError(t, err)
	require.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d.String())
	_, err = manifest.Alg("md5").New()
	require.ErrorIs(t, err, manifest.ErrInvalid)
}

func TestBuildHashesTheSegmentAndChecksInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "seg-000009.mp4")
	require.NoError(t, os.WriteFile(p, []byte("abc"), 0o644))
	info := manifest.Info{Recorder: "edge-nj-1", Room: "1", Start: t0, End: t0.Add(time.Second)}
	m, err := manifest.Build(p, info)
	require.NoError(t, err)
	require.Equal(t, manifest.SHA256, m.Alg)
	require.Equal(t, int64(3), m.Size)
	require.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", m.SegmentHash.String())
	require.Equal(t, "seg-000009.mp4", m.Segment)
	require.Equal(t, "seg-000009.manifest.json", manifest.ManifestName(m.Segment))
	require.ErrorIs(t, m.Validate(), manifest.ErrInvalid, "not chained yet")

	cases := []struct {
		name string
		edit func(*manifest.Info)
	}{
		{"no recorder", func(i *manifest.Info) { i.Recorder = "" }},
		{"recorder with a slash", func(i *manifest.Info) { i.Recorder = "a/b" }},
		{"end before start", func(i *manifest.Info) { i.End = t0.Add(-time.Second) }},
		{"no start", func(i *manifest.Info) { i.Start = time.Time{} }},
		{"video without size", func(i *manifest.Info) { i.Tracks = []manifest.Track{{Kind: "video", Codec: "h264"}} }},
		{"unknown kind", func(i *manifest.Info) { i.Tracks = []manifest.Track{{Kind: "text", Codec: "srt"}} }},
		{"gap without reason", func(i *manifest.Info) { i.Gaps = []manifest.Gap{{From: t0, To: t0}} }},
		{"negative uncertainty", func(i *manifest.Info) { i.Clock.Uncertainty = -1 }},
		{"unknown algorithm", func(i *manifest.Info) { i.Alg = "sha1" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := info
			tc.edit(&in)
			_, err := manifest.Build(p, in)
			require.ErrorIs(t, err, manifest.ErrInvalid)
		})
	}
	_, err = manifest.Build(filepath.Join(dir, "missing.mp4"), info)
	require.ErrorIs(t, err, os.ErrNotExist)
}
