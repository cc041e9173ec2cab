package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/stretchr/testify/require"
)

// recorderFolder runs `recorder keygen` into a fresh folder and records a
// chain of n segments there as the recorder would; it returns the folder
// and the public key as keygen printed it.
func recorderFolder(t *testing.T, n int, alg manifest.Alg) (string, string) {
	t.Helper()
	dir := t.TempDir()
	out, err := run(t, "", nil, "recorder", "keygen", "-out", dir)
	require.NoError(t, err)
	pub := strings.TrimSpace(out)
	priv, err := manifest.ReadPrivateKeyFile(filepath.Join(dir, manifest.PrivateKeyFile))
	require.NoError(t, err)
	c, err := manifest.OpenChain(manifest.ChainParams{StatePath: filepath.Join(t.TempDir(), "chain.state"),
		Recorder: "edge-nj-1", Key: priv, Dir: dir})
	require.NoError(t, err)
	start := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("seg-%06d.mp4", i))
		data := make([]byte, 2000)
		_, err := rand.Read(data)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		s := start.Add(time.Duration(i-1) * 10 * time.Second)
		m, err := manifest.Build(p, manifest.Info{Recorder: "edge-nj-1", Room: "1", Session: "1", Alg: alg,
			Start: s, End: s.Add(10 * time.Second),
			Tracks: []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 320, Height: 180, FPS: 15}}})
		require.NoError(t, err)
		_, err = c.Append(m)
		require.NoError(t, err)
	}
	return dir, pub
}

func TestArchiveVerifyPassesAGoodFolderAndNamesTheFirstBrokenLink(t *testing.T) {
	dir, pub := recorderFolder(t, 5, manifest.SHA256)
	out, err := run(t, "", nil, "archive", "verify", dir)
	require.NoError(t, err, out)
	require.Contains(t, out, "注意：公钥取自被检目录", "a key from the folder itself is flagged")
	require.Contains(t, out, "OK        seg-000005.mp4  edge-nj-1 #5")
	require.Contains(t, out, "chain edge-nj-1: seq 1–5, 5 manifests")
	require.Contains(t, out, "全部通过：5 个片段")

	keysFile := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(keysFile, []byte("# registered\nedge-nj-1 "+pub+"\n"), 0o644))
	for _, args := range [][]string{{"-key", pub, dir}, {dir, "-keys", keysFile}} {
		out, err = run(t, "", nil, append([]string{"archive", "verify"}, args...)...)
		require.NoError(t, err, out)
		require.NotContains(t, out, "注意")
		require.Contains(t, out, "全部通过")
	}

	_, otherPub := recorderFolder(t, 1, "")
	cases := []struct {
		name   string
		alg    manifest.Alg
		tamper func(t *testing.T, dir string)
		args   func(dir string) []string
		err    error
		want   []string
	}{
		{name: "flipped byte", err: manifest.ErrSegmentHash,
			tamper: func(t *testing.T, dir string) { flip(t, filepath.Join(dir, "seg-000003.mp4")) },
			want: []string{"OK        seg-000002.mp4", "BROKEN    seg-000003.manifest.json  录像片段文件哈希不符 (segment hash mismatch)",
				"第一个断裂环节 (first broken link): seg-000003.manifest.json"}},
		{name: "flipped byte, SM3", alg: manifest.SM3, err: manifest.ErrSegmentHash,
			tamper: func(t *testing.T, dir string) { flip(t, filepath.Join(dir, "seg-000004.mp4")) },
			want:   []string{"OK        seg-000003.mp4", "sm3:", "first broken link): seg-000004.manifest.json"}},
		{name: "dropped manifest", err: manifest.ErrSeqGap,
			tamper: func(t *testing.T, dir string) {
				require.NoError(t, os.Remove(filepath.Join(dir, "seg-000002.manifest.json")))
			},
			want: []string{"UNSIGNED  seg-000002.mp4", "first broken link): seg-000003.manifest.json: 序号不连续 (sequence gap)",
				"expected seq 2, found 3"}},
		{name: "edited manifest", err: manifest.ErrBadSignature,
			tamper: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "seg-000001.manifest.json")
				data, err := os.ReadFile(p)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(data), `"session_id":"1"`, `"session_id":"2"`, 1)), 0o644))
			},
			want: []string{"first broken link): seg-000001.manifest.json: 签名无效 (bad signature)"}},
		{name: "another recorder's key", err: manifest.ErrBadSignature,
			args: func(dir string) []string { return []string{"-key", otherPub, dir} },
			want: []string{"seg-000001.manifest.json: 签名无效"}},
		{name: "key registered for another recorder", err: manifest.ErrUnknownKey,
			args: func(dir string) []string {
				p := filepath.Join(t.TempDir(), "keys")
				require.NoError(t, os.WriteFile(p, []byte("edge-hf-1 "+otherPub+"\n"), 0o644))
				return []string{"-keys", p, dir}
			},
			want: []string{"录像设备公钥未知 (unknown recorder key)"}},
		{name: "dropped first link, genesis required", err: manifest.ErrSeqGap,
			tamper: func(t *testing.T, dir string) {
				require.NoError(t, os.Remove(filepath.Join(dir, "seg-000001.manifest.json")))
				require.NoError(t, os.Remove(filepath.Join(dir, "seg-000001.mp4")))
			},
			args: func(dir string) []string { return []string{"-genesis", dir} },
			want: []string{"chain starts at seq 2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := recorderFolder(t, 5, tc.alg)
			if tc.tamper != nil {
				tc.tamper(t, dir)
			}
			args := []string{dir}
			if tc.args != nil {
				args = tc.args(dir)
			}
			out, err := run(t, "", nil, append([]string{"archive", "verify"}, args...)...)
			require.ErrorIs(t, err, errArchiveBroken, out)
			require.ErrorIs(t, err, tc.err)
			for _, w := range tc.want {
				require.Contains(t, out, w)
			}
		})
	}
}

func TestArchiveVerifyRefusesWhatItCannotCheck(t *testing.T) {
	empty := t.TempDir()
	good, pub := recorderFolder(t, 1, "")
	file := filepath.Join(good, "seg-000001.mp4")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no key anywhere", []string{empty}, "没有公钥"},
		{"nothing to verify", []string{"-key", pub, empty}, "no manifests found"},
		{"not an export", []string{"-key", pub, file}, "not an evidence export"},
		{"no folder", []string{"-key", pub}, "give exactly one folder"},
		{"two folders", []string{good, empty}, "give exactly one folder"},
		{"bad key", []string{"-key", "AAAA", good}, "not a base64 Ed25519 public key"},
		{"missing folder", []string{filepath.Join(empty, "nope")}, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, "", nil, append([]string{"archive", "verify"}, tc.args...)...)
			require.Error(t, err)
			require.Contains(t, err.Error()+out, tc.want)
		})
	}
}

func flip(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0x80
	require.NoError(t, os.WriteFile(path, data, 0o644))
}
