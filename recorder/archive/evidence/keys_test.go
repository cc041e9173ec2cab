package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
)

// rotatedChain is a recorder whose first segment is signed with key A and
// the next two with key B, which replaced A at t0+15s (a replaced room
// PC that carried the chain over); each segment accepted 2 s after it
// ends.
type rotatedChain struct {
	id          string
	pubA, pubB  ed25519.PublicKey
	privA       ed25519.PrivateKey
	rotated     time.Time
	rec         evidence.Recorder
	lastHash    manifest.Digest
	lastSeq     int64
	segmentData map[int64][]byte
}

func newRotatedChain(t *testing.T) *rotatedChain {
	t.Helper()
	pubA, privA, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	pubB, privB, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rc := &rotatedChain{id: "edge-nj-1", pubA: pubA, pubB: pubB, privA: privA, rotated: t0.Add(15 * time.Second),
		segmentData: map[int64][]byte{}}
	retired := rc.rotated
	rc.rec = evidence.Recorder{ID: rc.id, Room: 4, PublicKey: pubB, Keys: []evidence.KeyPeriod{
		{Room: 4, PublicKey: pubA, RegisteredAt: t0.Add(-time.Hour), RetiredAt: &retired},
		{Room: 4, PublicKey: pubB, RegisteredAt: retired},
	}}
	for i := 1; i <= 3; i++ {
		key := privB
		if i == 1 {
			key = privA
		}
		rc.append(t, key, t0.Add(time.Duration(i-1)*10*time.Second))
	}
	return rc
}

// append signs the next segment with key and adds it to the slice,
// accepted 2 s after it ends.
func (rc *rotatedChain) append(t *testing.T, key ed25519.PrivateKey, start time.Time) {
	t.Helper()
	seq := rc.lastSeq + 1
	data := make([]byte, 2000+seq)
	_, err := rand.Read(data)
	require.NoError(t, err)
	name := fmt.Sprintf("seg-%06d.mp4", seq)
	sum := sha256.Sum256(data)
	d, err := manifest.ParseDigest(hex.EncodeToString(sum[:]))
	require.NoError(t, err)
	m := manifest.Manifest{Version: manifest.Version, Recorder: rc.id, Room: "4", Session: "7", Seq: seq, Prev: rc.lastHash,
		Segment: name, Size: int64(len(data)), Alg: manifest.SHA256, SegmentHash: d, Start: start, End: start.Add(10 * time.Second),
		CreatedAt: start.Add(10 * time.Second),
		Tracks:    []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}}
	require.NoError(t, m.Sign(key))
	raw, err := m.Canonical()
	require.NoError(t, err)
	rc.lastHash, err = m.Hash()
	require.NoError(t, err)
	rc.lastSeq = seq
	rc.segmentData[seq] = data
	rc.rec.Segments = append(rc.rec.Segments, evidence.Segment{Seq: seq, Name: name, Key: hex.EncodeToString(sum[:]),
		Size: int64(len(data)), Manifest: raw, AcceptedAt: m.End.Add(2 * time.Second),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
}

func rotatedContent(t *testing.T) (evidence.Content, *rotatedChain) {
	t.Helper()
	c, _, b := sessionContent(t)
	rc := newRotatedChain(t)
	c.Recorders = []evidence.Recorder{rc.rec, b.recorder()}
	return c, rc
}

func TestEachManifestVerifiesWithTheKeyInForceWhenAccepted(t *testing.T) {
	c, rc := rotatedContent(t)
	data := write(t, c)
	rep := verify(t, data, evidence.VerifyOptions{})
	require.True(t, rep.OK(), "%v", rep.First)
	require.Equal(t, 3, rep.Slices[1].Segments)

	// The index and keys.txt carry both keys with their periods.
	idx := rep.Index
	require.EqualValues(t, evidence.Version, idx.Version)
	nj := idx.Recorders[0]
	require.Equal(t, rc.id, nj.Recorder)
	require.Len(t, nj.Keys, 2)
	require.Equal(t, evidence.Fingerprint(rc.pubA), nj.Keys[0].Fingerprint)
	require.True(t, nj.Keys[0].RetiredAt.Equal(rc.rotated))
	require.Nil(t, nj.Keys[1].RetiredAt)
	require.True(t, nj.Manifests[0].AcceptedAt.Equal(t0.Add(12*time.Second)))
	keys := string(member(t, data, "keys.txt"))
	require.Contains(t, keys, evidence.KeyLine(rc.id, rc.pubA))
	require.Contains(t, keys, evidence.KeyLine(rc.id, rc.pubB))
	require.Contains(t, keys, evidence.Fingerprint(rc.pubA))
	readme := string(member(t, data, "README.txt"))
	require.Contains(t, readme, evidence.Fingerprint(rc.pubB))

	// Both keys trusted from elsewhere pass; only B trusted fails at the
	// manifest A signed.
	var trusted evidence.KeyHistory
	require.NoError(t, trusted.ReadKeyFile(strings.NewReader(evidence.KeyLine(rc.id, rc.pubA)+"\n"+evidence.KeyLine(rc.id, rc.pubB)+"\n"+
		evidence.KeyLine(c.Recorders[1].ID, c.Recorders[1].PublicKey)+"\n")))
	rep = verify(t, data, evidence.VerifyOptions{Keys: &trusted})
	require.True(t, rep.OK(), "%v", rep.First)
	require.Empty(t, rep.KeyMismatches)
	var onlyB evidence.KeyHistory
	onlyB.Add(evidence.KeyPeriod{Recorder: rc.id, PublicKey: rc.pubB})
	onlyB.Add(evidence.KeyPeriod{Recorder: c.Recorders[1].ID, PublicKey: c.Recorders[1].PublicKey})
	rep = verify(t, data, evidence.VerifyOptions{Keys: &onlyB})
	require.False(t, rep.OK())
	require.Equal(t, []string{rc.id}, rep.KeyMismatches)
	require.Equal(t, evidence.KindUnknownKey, rep.First.Kind)
	require.Equal(t, "recorders/edge-nj-1/seg-000001.manifest.json", rep.First.Name)
	require.Contains(t, rep.First.Detail, "不在给出的可信公钥中")
}

func TestAManifestSignedWithARetiredKeyIsBroken(t *testing.T) {
	c, rc := rotatedContent(t)
	// A fourth segment signed with A after B replaced it, as if someone
	// holding the old key had slipped it into the export.
	rc.append(t, rc.privA, t0.Add(30*time.Second))
	c.Recorders[0] = rc.rec
	rep := verify(t, write(t, c), evidence.VerifyOptions{})
	require.False(t, rep.OK())
	require.Equal(t, evidence.KindBadSignature, rep.First.Kind)
	require.Equal(t, "recorders/edge-nj-1/seg-000004.manifest.json", rep.First.Name)
	require.Contains(t, rep.First.Detail, "另一把公钥签名")
	require.Contains(t, rep.First.Detail, evidence.Fingerprint(rc.pubB))
}

func TestTamperingWithTheKeyListIsDetected(t *testing.T) {
	c, rc := rotatedContent(t)
	serverPub, serverPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	forgedPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	unsigned := write(t, c)
	c.Signer = serverPriv
	signed := write(t, c)
	later := rc.rotated.Add(time.Hour)
	widenA := func(name string, body []byte) []byte {
		if name == "export.json" {
			return editIndex(t, body, func(idx *evidence.Index) {
				idx.Recorders[0].Keys[0].RetiredAt = &later // A "in force" an hour longer
			})
		}
		return body
	}
	addKey := func(name string, body []byte) []byte {
		if name == "keys.txt" {
			return append(body, []byte(evidence.KeyLine(rc.id, forgedPub)+"\n")...)
		}
		return body
	}
	cases := []struct {
		name string
		data []byte
		opts evidence.VerifyOptions
		want []string
	}{
		{"a key's period widened in the signed index", rezip(t, signed, widenA), evidence.VerifyOptions{ServerKey: serverPub},
			[]string{"file_altered export.json"}},
		{"a key added to keys.txt of a signed export", rezip(t, signed, addKey), evidence.VerifyOptions{ServerKey: serverPub},
			[]string{"key_list keys.txt", "file_altered keys.txt"}},
		{"a key added to keys.txt of an unsigned export", rezip(t, unsigned, addKey), evidence.VerifyOptions{},
			[]string{"key_list keys.txt"}},
		{"key B dropped from an unsigned index", rezip(t, unsigned, func(name string, body []byte) []byte {
			if name == "export.json" {
				return editIndex(t, body, func(idx *evidence.Index) { idx.Recorders[0].Keys = idx.Recorders[0].Keys[:1] })
			}
			return body
		}), evidence.VerifyOptions{}, []string{"key_list keys.txt", "unknown_key recorders/edge-nj-1/seg-000002.manifest.json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := verify(t, tc.data, tc.opts)
			require.False(t, rep.OK())
			got := breaksOf(rep)
			for _, w := range tc.want {
				require.Contains(t, got, w)
			}
		})
	}
}

// member returns a member of an export held in memory.
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
