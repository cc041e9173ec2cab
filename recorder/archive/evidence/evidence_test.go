package evidence_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
)

func TestExportOfTwoRoomsVerifiesOffline(t *testing.T) {
	c, a, b := sessionContent(t)
	data := write(t, c)
	rep := verify(t, data, evidence.VerifyOptions{})
	require.True(t, rep.OK(), "%v", rep.First)
	require.NoError(t, rep.Err())
	require.False(t, rep.ExternalKeys)
	require.Len(t, rep.Slices, 2)
	hf := rep.Slices[0]
	require.Equal(t, "edge-hf-1", hf.Recorder)
	require.EqualValues(t, 1, hf.FirstSeq)
	require.EqualValues(t, 3, hf.LastSeq)
	require.Equal(t, 3, hf.Segments)
	require.Equal(t, strings.Repeat("0", 64), hf.AnchorPrev)
	require.Equal(t, 5, rep.Audit.Entries)
	require.Equal(t, 1, rep.Audit.Runs)
	require.Equal(t, 2, rep.Scores.Matched)
	require.Equal(t, 3, rep.Files, "scores.json, session.json and audit.jsonl")
	require.Empty(t, rep.Unlisted)
	require.EqualValues(t, 7, rep.Index.Session)

	// The members a person opens first.
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	names := map[string]*zip.File{}
	for _, f := range zr.File {
		names[f.Name] = f
	}
	for _, n := range []string{"README.txt", "export.json", "keys.txt", "audit.jsonl", "scores.json",
		"recorders/edge-nj-1/seg-000002.mp4", "recorders/edge-nj-1/seg-000002.manifest.json"} {
		require.Contains(t, names, n)
	}
	require.Equal(t, zip.Store, names["recorders/edge-nj-1/seg-000002.mp4"].Method, "video is stored, not deflated")
	readme := readMember(t, names["README.txt"])
	require.Contains(t, readme, "离线校验")
	require.Contains(t, readme, "Verifying offline")
	require.Contains(t, readme, "evalroomctl archive verify")
	keys := readMember(t, names["keys.txt"])
	require.Contains(t, keys, evidence.KeyLine(a.id, a.pub))
	require.Contains(t, keys, evidence.KeyLine(b.id, b.pub))

	// Trusted keys from elsewhere: the right ones pass, another key for
	// one recorder names its first manifest.
	var ring manifest.KeyRing
	ring.Add(a.id, a.pub)
	ring.Add(b.id, b.pub)
	rep = verify(t, data, evidence.VerifyOptions{Keys: &ring})
	require.True(t, rep.OK(), "%v", rep.First)
	require.True(t, rep.ExternalKeys)
	require.Empty(t, rep.KeyMismatches)
	other, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	ring.Add(a.id, other)
	rep = verify(t, data, evidence.VerifyOptions{Keys: &ring})
	require.False(t, rep.OK())
	require.Equal(t, []string{a.id}, rep.KeyMismatches)
	require.Equal(t, evidence.KindBadSignature, rep.First.Kind)
	require.Equal(t, "recorders/edge-nj-1/seg-000001.manifest.json", rep.First.Name)
}

func readMember(t *testing.T, f *zip.File) string {
	t.Helper()
	rc, err := f.Open()
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

func TestVerifyNamesTheFirstBrokenLink(t *testing.T) {
	c, _, _ := sessionContent(t)
	good := write(t, c)
	const (
		seg2 = "recorders/edge-nj-1/seg-000002.mp4"
		man2 = "recorders/edge-nj-1/seg-000002.manifest.json"
		man3 = "recorders/edge-nj-1/seg-000003.manifest.json"
	)
	flip := func(target string, at int) func(string, []byte) []byte {
		return func(name string, body []byte) []byte {
			if name == target {
				body = append([]byte(nil), body...)
				body[at] ^= 0x01
			}
			return body
		}
	}
	cases := []struct {
		name string
		data []byte
		kind evidence.Kind
		at   string
		seq  int64
	}{
		{"segment byte flipped", rezip(t, good, flip(seg2, 700)), evidence.KindSegmentHash, man2, 2},
		{"manifest byte flipped", rezip(t, good, func(name string, body []byte) []byte {
			if name == man2 {
				body = bytes.Replace(body, []byte(`"cam1"`), []byte(`"cam3"`), 1) // '1' ^ 0x02
			}
			return body
		}), evidence.KindBadSignature, man2, 2},
		{"manifest unparsable", rezip(t, good, flip(man2, 0)), evidence.KindMalformed, man2, 0},
		{"middle manifest dropped", rezip(t, good, func(name string, body []byte) []byte {
			if name == man2 || name == seg2 {
				return nil
			}
			return body
		}), evidence.KindMalformed, man2, 2},
		{"middle manifest dropped from the index too", rezip(t, good, func(name string, body []byte) []byte {
			switch name {
			case man2, seg2:
				return nil
			case "export.json":
				return editIndex(t, body, func(idx *evidence.Index) {
					r := &idx.Recorders[0]
					require.Equal(t, "edge-nj-1", r.Recorder)
					r.Manifests = append(r.Manifests[:1], r.Manifests[2:]...)
				})
			}
			return body
		}), evidence.KindSeqGap, man3, 3},
		{"segment marked chain-only and dropped", rezip(t, good, func(name string, body []byte) []byte {
			switch name {
			case seg2:
				return nil
			case "export.json":
				return editIndex(t, body, func(idx *evidence.Index) {
					idx.Recorders[0].Manifests[1].Segment, idx.Recorders[0].Manifests[1].ChainOnly = "", true
				})
			}
			return body
		}), "", "", 0},
		{"scoring record changed", rezip(t, good, func(name string, body []byte) []byte {
			switch name {
			case "scores.json":
				return bytes.Replace(body, []byte(`"value":27`), []byte(`"value":29`), 1)
			}
			return body
		}), evidence.KindFileHash, "scores.json", 0},
		{"scoring record changed with the index", forge(t, good, "scores.json", `"value":27`, `"value":29`),
			evidence.KindScoreUnaudited, "scores.json:2", 0},
		{"audit entry changed with the index", forge(t, good, "audit.jsonl", `"ref":"S7"`, `"ref":"S8"`),
			evidence.KindAuditHash, "audit.jsonl:1", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := verify(t, tc.data, evidence.VerifyOptions{})
			if tc.kind == "" {
				// A segment left out as chain-only is visible, not a break.
				require.True(t, rep.OK(), "%v", rep.First)
				require.Equal(t, 1, rep.Slices[1].ChainOnly)
				return
			}
			require.False(t, rep.OK())
			require.ErrorIs(t, rep.Err(), evidence.ErrBroken)
			require.Equal(t, tc.kind, rep.First.Kind, rep.First.Error())
			require.Equal(t, tc.at, rep.First.Name)
			require.Equal(t, tc.seq, rep.First.Seq)
		})
	}
}

// forge replaces old with new in a member and updates export.json's
// hash of it, as a careful forger would.
func forge(t *testing.T, good []byte, member, old, new string) []byte {
	var edited []byte
	step := rezip(t, good, func(name string, body []byte) []byte {
		if name == member {
			edited = bytes.Replace(body, []byte(old), []byte(new), 1)
			require.NotEqual(t, body, edited)
			return edited
		}
		return body
	})
	sum := sha256.Sum256(edited)
	return rezip(t, step, func(name string, body []byte) []byte {
		if name == "export.json" {
			return editIndex(t, body, func(idx *evidence.Index) {
				for i := range idx.Files {
					if idx.Files[i].Name == member {
						idx.Files[i].SHA256 = hex.EncodeToString(sum[:])
					}
				}
			})
		}
		return body
	})
}

func TestVerifyReportsDamageTheZIPCatches(t *testing.T) {
	c, _, _ := sessionContent(t)
	data := write(t, c)
	// Flip a byte inside the stored segment's data in the file itself:
	// its CRC-32 no longer matches.
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var off int64
	for _, f := range zr.File {
		if f.Name == "recorders/edge-hf-1/seg-000003.mp4" {
			off, err = f.DataOffset()
			require.NoError(t, err)
		}
	}
	require.NotZero(t, off)
	bad := append([]byte(nil), data...)
	bad[off+10] ^= 0x80
	rep := verify(t, bad, evidence.VerifyOptions{})
	require.False(t, rep.OK())
	require.Equal(t, evidence.KindSegmentHash, rep.First.Kind)
	require.Equal(t, "recorders/edge-hf-1/seg-000003.manifest.json", rep.First.Name)

	_, err = evidence.Verify(t.Context(), bytes.NewReader([]byte("not a zip")), 9, evidence.VerifyOptions{})
	require.ErrorIs(t, err, evidence.ErrNotExport)
}

func TestWriteRefusesBadContent(t *testing.T) {
	c, _, _ := sessionContent(t)
	cases := []struct {
		name string
		edit func(*evidence.Content)
	}{
		{"file with a path", func(c *evidence.Content) { c.Files = append(c.Files, evidence.File{Name: "../x", Data: nil}) }},
		{"file named like a fixed member", func(c *evidence.Content) { c.Files = append(c.Files, evidence.File{Name: "export.json"}) }},
		{"recorder id with a slash", func(c *evidence.Content) { c.Recorders[0].ID = "a/b" }},
		{"slice with a hole", func(c *evidence.Content) {
			r := &c.Recorders[0]
			r.Segments = append(r.Segments[:1:1], r.Segments[2:]...)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := c
			cc.Files = append([]evidence.File(nil), c.Files...)
			cc.Recorders = append([]evidence.Recorder(nil), c.Recorders...)
			tc.edit(&cc)
			var buf bytes.Buffer
			_, err := evidence.Write(t.Context(), &buf, cc)
			require.ErrorIs(t, err, evidence.ErrInvalid)
			require.Zero(t, buf.Len(), "nothing written")
		})
	}
}
