package evidence_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive/evidence"
)

// signedContent is sessionContent signed by a server key.
func signedContent(t *testing.T) (evidence.Content, ed25519.PublicKey) {
	t.Helper()
	c, _, _ := sessionContent(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	c.Signer = priv
	return c, pub
}

// addMember appends a member to an export.
func addMember(t *testing.T, data []byte, name string, body []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		require.NoError(t, zw.Copy(f))
	}
	w, err := zw.Create(name)
	require.NoError(t, err)
	_, err = w.Write(body)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// resign recomputes SHA256SUMS for the export as it is now and signs it
// with priv, as a forger holding another key would.
func resign(t *testing.T, data []byte, priv ed25519.PrivateKey) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var lines []string
	for _, f := range zr.File {
		if f.Name == evidence.SumsName || f.Name == evidence.SignatureName {
			continue
		}
		rc, err := f.Open()
		require.NoError(t, err)
		h := sha256.New()
		_, err = io.Copy(h, rc)
		require.NoError(t, err)
		rc.Close()
		lines = append(lines, hex.EncodeToString(h.Sum(nil))+"  "+f.Name)
	}
	sums := []byte(strings.Join(lines, "\n") + "\n")
	pub := priv.Public().(ed25519.PublicKey)
	sig, err := json.Marshal(evidence.Signature{Format: evidence.SignatureFormat, Algorithm: "Ed25519", SignedFile: evidence.SumsName,
		Context: evidence.SignatureContext, PublicKey: base64.StdEncoding.EncodeToString(pub), Fingerprint: evidence.Fingerprint(pub),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, evidence.SignedMessage(sums)))})
	require.NoError(t, err)
	return rezip(t, data, func(name string, body []byte) []byte {
		switch name {
		case evidence.SumsName:
			return sums
		case evidence.SignatureName:
			return sig
		}
		return body
	})
}

// breaksOf lists a report's breaks as "kind name".
func breaksOf(rep evidence.Report) []string {
	var out []string
	for _, b := range rep.Breaks {
		out = append(out, fmt.Sprintf("%s %s", b.Kind, b.Name))
	}
	return out
}

func TestSignedExportVerifiesWithTheServerKey(t *testing.T) {
	c, serverPub := signedContent(t)
	data := write(t, c)

	for _, opts := range []evidence.VerifyOptions{{ServerKey: serverPub}, {ServerFingerprint: evidence.Fingerprint(serverPub)}} {
		rep := verify(t, data, opts)
		require.True(t, rep.OK(), "%v", rep.First)
		require.True(t, rep.Signature.Present)
		require.True(t, rep.Signature.Valid)
		require.True(t, rep.Signature.Trusted)
		require.Equal(t, evidence.Fingerprint(serverPub), rep.Signature.Fingerprint)
		require.Equal(t, 3+2+1+2*6, rep.Signature.Files, "README, index, keys; scores, session; audit; 6 manifests and 6 segments")
		require.Empty(t, rep.Unlisted)
	}
	rep := verify(t, data, evidence.VerifyOptions{})
	require.True(t, rep.OK(), "%v", rep.First)
	require.True(t, rep.Signature.Valid)
	require.False(t, rep.Signature.Trusted, "no trusted key given: internal consistency only")

	// The README names the server key and its fingerprint; SHA256SUMS is
	// as sha256sum writes it.
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	names := map[string]*zip.File{}
	for _, f := range zr.File {
		names[f.Name] = f
	}
	readme := readMember(t, names["README.txt"])
	require.Contains(t, readme, base64.StdEncoding.EncodeToString(serverPub))
	require.Contains(t, readme, evidence.Fingerprint(serverPub))
	require.Contains(t, readme, "GET /api/archive/server-key")
	sums := readMember(t, names[evidence.SumsName])
	sum := sha256.Sum256([]byte(readMember(t, names["session.json"])))
	require.Contains(t, sums, hex.EncodeToString(sum[:])+"  session.json\n")
	require.NotContains(t, sums, evidence.SignatureName)
}

func TestSignedExportNamesEveryAlteredMissingOrAddedFile(t *testing.T) {
	c, serverPub := signedContent(t)
	good := write(t, c)
	otherPub, otherPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	const seg = "recorders/edge-hf-1/seg-000003.mp4"
	editSession := func(name string, body []byte) []byte {
		if name == "session.json" {
			return []byte(`{"id":8}`)
		}
		return body
	}
	cases := []struct {
		name  string
		data  []byte
		opts  evidence.VerifyOptions
		first evidence.Kind
		// want are breaks that must be reported, "kind name".
		want   []string
		detail string
	}{
		{name: "a file altered", data: rezip(t, good, editSession), opts: evidence.VerifyOptions{ServerKey: serverPub},
			want: []string{"file_altered session.json"}, detail: "SHA-256"},
		{name: "a segment removed", data: rezip(t, good, func(name string, body []byte) []byte {
			if name == seg {
				return nil
			}
			return body
		}), opts: evidence.VerifyOptions{ServerKey: serverPub}, first: evidence.KindSegmentMissing,
			want: []string{"file_missing " + seg}},
		{name: "a file added", data: addMember(t, good, "notes.txt", []byte("补充说明")), opts: evidence.VerifyOptions{ServerKey: serverPub},
			first: evidence.KindFileAdded, want: []string{"file_added notes.txt"}, detail: "added after the server signed"},
		{name: "re-signed with another key", data: resign(t, rezip(t, good, editSession), otherPriv),
			opts: evidence.VerifyOptions{ServerKey: serverPub}, first: evidence.KindSignature,
			want: []string{"server_signature SHA256SUMS.sig"}, detail: "另一把密钥签名（指纹 " + evidence.Fingerprint(otherPub)},
		{name: "re-signed with another key, checked by fingerprint", data: resign(t, good, otherPriv),
			opts: evidence.VerifyOptions{ServerFingerprint: evidence.Fingerprint(serverPub)}, first: evidence.KindSignature,
			want: []string{"server_signature SHA256SUMS.sig"}, detail: evidence.Fingerprint(serverPub)},
		{name: "re-signed with another key, no trusted key", data: resign(t, good, otherPriv), first: evidence.KindSignature,
			want: []string{"server_signature SHA256SUMS.sig"}, detail: "不是索引写明的服务器密钥"},
		{name: "list of files edited, not re-signed", data: rezip(t, good, func(name string, body []byte) []byte {
			if name == evidence.SumsName {
				return bytes.Replace(body, []byte("session.json"), []byte("session.jsn"), 1)
			}
			return body
		}), opts: evidence.VerifyOptions{ServerKey: serverPub}, first: evidence.KindSignature,
			want: []string{"server_signature SHA256SUMS.sig", "file_missing session.jsn", "file_added session.json"}, detail: "签名与 SHA256SUMS 不符"},
		{name: "signature removed", data: rezip(t, good, func(name string, body []byte) []byte {
			if name == evidence.SumsName || name == evidence.SignatureName {
				return nil
			}
			return body
		}), opts: evidence.VerifyOptions{ServerKey: serverPub}, first: evidence.KindSignature,
			want: []string{"server_signature SHA256SUMS.sig"}, detail: "没有服务器签名"},
		{name: "signature removed, no trusted key", data: rezip(t, good, func(name string, body []byte) []byte {
			if name == evidence.SumsName || name == evidence.SignatureName {
				return nil
			}
			return body
		}), first: evidence.KindSignature, want: []string{"server_signature SHA256SUMS.sig"}, detail: "签名文件被删除"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := verify(t, tc.data, tc.opts)
			require.False(t, rep.OK())
			got := breaksOf(rep)
			for _, w := range tc.want {
				require.Contains(t, got, w)
			}
			if tc.first != "" {
				require.Equal(t, tc.first, rep.First.Kind, rep.First.Error())
			}
			if tc.detail != "" {
				var all []string
				for _, b := range rep.Breaks {
					all = append(all, b.Error())
				}
				require.Contains(t, strings.Join(all, "\n"), tc.detail)
			}
		})
	}
	// The report lists the files by what happened to them.
	rep := verify(t, addMember(t, rezip(t, good, func(name string, body []byte) []byte {
		switch name {
		case seg:
			return nil
		case "session.json":
			return []byte(`{"id":8}`)
		}
		return body
	}), "notes.txt", nil), evidence.VerifyOptions{ServerKey: serverPub})
	require.Equal(t, []string{"session.json"}, rep.Signature.Altered)
	require.Equal(t, []string{seg}, rep.Signature.Missing)
	require.Equal(t, []string{"notes.txt"}, rep.Signature.Added)
	require.True(t, rep.Signature.Valid, "the signature itself still holds over SHA256SUMS")
}

func TestAnUnsignedExportVerifiesWithANote(t *testing.T) {
	c, _, _ := sessionContent(t)
	rep := verify(t, write(t, c), evidence.VerifyOptions{})
	require.True(t, rep.OK(), "%v", rep.First)
	require.False(t, rep.Signature.Present)
	_, _, err := evidence.ParseServerKey("SHA256:xyz")
	require.ErrorIs(t, err, evidence.ErrInvalid)
	_, _, err = evidence.ParseServerKey("AAAA")
	require.ErrorIs(t, err, evidence.ErrInvalid)
}
