package upload_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/recorder/upload"
)

func TestUploadsInChainOrder(t *testing.T) {
	noLeaks(t)
	e := newEnv(t)
	segs := e.record(t, 5)
	// A segment still being written, and a closed one whose manifest is
	// not written yet: neither leaves the spool.
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "edge-nj-1-cam2-20261123T013000.000Z-000001.mp4.part"), []byte("partial"), 0o644))
	orphan := []byte("closed, no manifest yet")
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "edge-nj-1-cam2-20261123T013000.000Z-000002.mp4"), orphan, 0o644))

	u, _ := e.uploader(t, func(p *upload.Params) { p.Interval = time.Hour }) // only Notify wakes it after the first pass
	run(t, u)
	st := waitFor(t, u, "all five acknowledged", func(s upload.Status) bool { return s.AckedSeq == 5 })
	require.Zero(t, st.Pending)
	require.Zero(t, st.PendingBytes)
	require.Empty(t, st.Alarm)
	require.Empty(t, st.LastError)
	require.False(t, st.LastUpload.IsZero())
	require.Positive(t, st.SpoolBytes)
	require.Positive(t, st.FreeBytes)

	seq, link := e.head(t)
	require.EqualValues(t, 5, seq)
	_, want := e.chain.Head()
	require.Equal(t, want.String(), link, "the archive's head is the spool's last manifest")
	puts, acked, _ := e.api.snapshot()
	require.Equal(t, []int64{1, 2, 3, 4, 5}, acked, "in chain order")
	for _, s := range segs {
		require.Equal(t, 1, puts[key(s.data)], "%s sent once", s.name)
		require.True(t, e.exists(t, s.name), "no quota: nothing deleted")
	}
	require.Len(t, puts, 5)
	has, err := e.svc.HasSegment(context.Background(), key(orphan))
	require.NoError(t, err)
	require.False(t, has, "a segment without its manifest is not uploaded")

	var state struct {
		Recorder string `json:"recorder_id"`
		Acked    int64  `json:"acked_seq"`
		Hash     string `json:"manifest_hash"`
	}
	data, err := os.ReadFile(filepath.Join(e.dir, upload.StateName))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &state))
	require.Equal(t, recorderID, state.Recorder)
	require.EqualValues(t, 5, state.Acked)
	require.Equal(t, want.String(), state.Hash)

	// New manifests: Notify uploads them without waiting for the rescan.
	e.record(t, 2)
	u.Notify()
	waitFor(t, u, "the two new ones acknowledged", func(s upload.Status) bool { return s.AckedSeq == 7 && s.Pending == 0 })
}

func TestResumesAfterRestartWithoutResending(t *testing.T) {
	noLeaks(t)
	e := newEnv(t)
	segs := e.record(t, 5)
	e.api.gate(2) // the archive goes away after two acknowledgements

	u, _ := e.uploader(t)
	stop := run(t, u)
	st := waitFor(t, u, "two acknowledged, the rest refused for now", func(s upload.Status) bool {
		return s.AckedSeq == 2 && s.LastError != ""
	})
	require.Equal(t, 3, st.Pending)
	require.Empty(t, st.Alarm, "a server error is no alarm")
	stop()

	e.api.gate(0)
	u2, _ := e.uploader(t)
	require.EqualValues(t, 2, u2.Status().AckedSeq, "the state file remembers")
	run(t, u2)
	waitFor(t, u2, "all five acknowledged", func(s upload.Status) bool { return s.AckedSeq == 5 && s.Pending == 0 && s.LastError == "" })
	puts, acked, _ := e.api.snapshot()
	require.Equal(t, []int64{1, 2, 3, 4, 5}, acked, "no manifest acknowledged twice")
	for _, s := range segs {
		require.Equal(t, 1, puts[key(s.data)], "%s sent once over both runs", s.name)
	}
	seq, _ := e.head(t)
	require.EqualValues(t, 5, seq)
}

func TestArchiveDownThenBack(t *testing.T) {
	noLeaks(t)
	e := newEnv(t)
	segs := e.record(t, 3)
	u, _ := e.uploader(t, func(p *upload.Params) { p.QuotaBytes = 1 << 30 })
	run(t, u)
	waitFor(t, u, "three acknowledged", func(s upload.Status) bool { return s.AckedSeq == 3 })

	e.stop()
	segs = append(segs, e.record(t, 3)...)
	u.Notify()
	st := waitFor(t, u, "uploads fail while the archive is down", func(s upload.Status) bool { return s.LastError != "" && s.Pending == 3 })
	require.Equal(t, 3, st.Pending)
	require.EqualValues(t, 3, st.AckedSeq)
	require.Empty(t, st.Alarm)

	e.start(t, e.addr) // the same archive back on the same address
	waitFor(t, u, "everything acknowledged", func(s upload.Status) bool { return s.AckedSeq == 6 && s.LastError == "" })
	seq, _ := e.head(t)
	require.EqualValues(t, 6, seq)
	puts, acked, _ := e.api.snapshot()
	require.Equal(t, []int64{1, 2, 3, 4, 5, 6}, acked)
	for _, s := range segs {
		require.True(t, e.exists(t, s.name), "nothing deleted: %s", s.name)
		require.Equal(t, 1, puts[key(s.data)])
	}
}

func TestQuotaDeletesOnlyAcknowledgedOldestFirst(t *testing.T) {
	noLeaks(t)
	e := newEnv(t)
	segs := e.record(t, 6)
	e.api.gate(3)
	u, _ := e.uploader(t)
	stop := run(t, u)
	waitFor(t, u, "three acknowledged", func(s upload.Status) bool { return s.AckedSeq == 3 && s.LastError != "" })
	stop()

	// Just over the quota: the oldest acknowledged segment goes, nothing else.
	total := spoolSize(t, e.dir)
	u, _ = e.uploader(t, func(p *upload.Params) { p.QuotaBytes = total - 1 })
	stop = run(t, u)
	st := waitFor(t, u, "back under the quota", func(s upload.Status) bool { return s.SpoolBytes > 0 && s.SpoolBytes <= total-1 })
	stop()
	require.Empty(t, st.Alarm)
	require.False(t, e.exists(t, segs[0].name), "the oldest acknowledged segment is deleted")
	for _, s := range segs[1:] {
		require.True(t, e.exists(t, s.name), "%s kept: the spool was under its quota again", s.name)
	}

	// Far over the quota: every acknowledged segment goes, no
	// unacknowledged one, and the uploader raises the alarm.
	u, _ = e.uploader(t, func(p *upload.Params) { p.QuotaBytes = 1 })
	run(t, u)
	st = waitFor(t, u, "over quota with nothing left to delete", func(s upload.Status) bool { return s.Alarm != "" })
	require.Contains(t, st.Alarm, "超出配额")
	require.Contains(t, st.Alarm, "未上传的片段不能删除")
	for i, s := range segs {
		require.Equal(t, i >= 3, e.exists(t, s.name), "seq %d", s.m.Seq)
		require.True(t, e.exists(t, manifest.ManifestName(s.name)), "manifests are never deleted")
	}
	require.True(t, e.exists(t, "chain.state"))
	require.True(t, e.exists(t, upload.StateName))

	// The archive comes back: the rest uploads, then goes too.
	e.api.gate(0)
	waitFor(t, u, "all acknowledged", func(s upload.Status) bool { return s.AckedSeq == 6 && s.Pending == 0 })
	require.Eventually(t, func() bool {
		for _, s := range segs {
			if e.exists(t, s.name) {
				return false
			}
		}
		return true
	}, 20*time.Second, 5*time.Millisecond, "acknowledged now, so deleted")
	require.Contains(t, u.Status().Alarm, "超出配额", "the manifests alone are over a 1-byte quota")
}

// spoolSize sums the sizes of the folder's files.
func spoolSize(t *testing.T, dir string) int64 {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	var n int64
	for _, de := range des {
		info, err := de.Info()
		require.NoError(t, err)
		n += info.Size()
	}
	return n
}

func TestTamperedSegmentIsRefusedAndKept(t *testing.T) {
	for _, alg := range []manifest.Alg{manifest.SHA256, manifest.SM3} {
		t.Run(string(alg), func(t *testing.T) {
			noLeaks(t)
			e := newEnv(t)
			e.alg = alg
			segs := e.record(t, 3)
			path := filepath.Join(e.dir, segs[1].name)
			forged := append([]byte(nil), segs[1].data...)
			forged[100] ^= 0xff // same size, one byte changed after signing
			require.NoError(t, os.WriteFile(path, forged, 0o644))

			u, _ := e.uploader(t, func(p *upload.Params) { p.QuotaBytes = 1 })
			run(t, u)
			st := waitFor(t, u, "the archive refuses seq 2", func(s upload.Status) bool {
				return s.AckedSeq == 1 && s.Alarm != "" && s.Pending == 2
			})
			require.Contains(t, st.Alarm, "归档服务器拒收序号 2 的")
			require.Contains(t, st.Alarm, "片段内容与哈希不符")
			require.True(t, e.exists(t, segs[1].name), "the refused segment stays")
			require.True(t, e.exists(t, segs[2].name), "and so does the one after it")
			require.False(t, e.exists(t, segs[0].name), "the acknowledged one made room")
			seq, _ := e.head(t)
			require.EqualValues(t, 1, seq, "nothing false accepted")

			// The right bytes back (a restore from a copy): the upload goes on
			// and the alarm clears, except the quota's.
			require.NoError(t, os.WriteFile(path, segs[1].data, 0o644))
			st = waitFor(t, u, "all acknowledged, the refusal's alarm cleared", func(s upload.Status) bool {
				return s.AckedSeq == 3 && !strings.Contains(s.Alarm, "拒收")
			})
			require.Contains(t, st.Alarm, "超出配额", "the quota's alarm stays: the manifests alone are over 1 byte")
			seq, _ = e.head(t)
			require.EqualValues(t, 3, seq)
		})
	}
}

func TestExpiredTokenIsRenewedAtOnce(t *testing.T) {
	noLeaks(t)
	e := newEnv(t)
	e.record(t, 2)
	u, src := e.uploader(t, func(p *upload.Params) {
		p.Interval, p.MaxBackoff = time.Hour, time.Hour // only an immediate retry can finish
	})
	_, err := src.get(context.Background()) // the source holds a token…
	require.NoError(t, err)
	e.tclock.Advance(11 * time.Minute) // …whose 10 minutes are over
	run(t, u)
	st := waitFor(t, u, "both acknowledged in the first pass", func(s upload.Status) bool { return s.AckedSeq == 2 })
	require.Empty(t, st.LastError)
	require.Empty(t, st.Alarm)
	_, _, unauth := e.api.snapshot()
	require.Equal(t, 1, unauth, "one 401 token_expired, then a fresh token")
	require.EqualValues(t, 2, src.minted.Load(), "the expired token was dropped and a new one fetched")
}

func TestDivergedChainsUploadNothing(t *testing.T) {
	noLeaks(t)
	e := newEnv(t)
	e.record(t, 2)
	u, _ := e.uploader(t)
	stop := run(t, u)
	waitFor(t, u, "first chain acknowledged", func(s upload.Status) bool { return s.AckedSeq == 2 })
	stop()

	// The recorder lost its spool and chain state and started again at
	// seq 1 with the same key: its seq 2 is not the archive's.
	e.newSpool(t)
	segs := e.record(t, 3)
	u, _ = e.uploader(t)
	run(t, u)
	st := waitFor(t, u, "diverged", func(s upload.Status) bool { return s.Alarm != "" })
	require.Contains(t, st.Alarm, "序号 2 的清单哈希与归档服务器不一致")
	require.Contains(t, st.Alarm, "分叉")
	require.Zero(t, st.AckedSeq)
	puts, acked, _ := e.api.snapshot()
	require.Equal(t, []int64{1, 2}, acked)
	for _, s := range segs {
		require.Zero(t, puts[key(s.data)], "nothing of the new chain is sent")
	}
}

func TestNewChecksParams(t *testing.T) {
	dir := t.TempDir()
	tok := func(context.Context) (string, error) { return "t", nil }
	cases := []struct {
		name string
		p    upload.Params
	}{
		{"no dir", upload.Params{Endpoint: "http://x/archive", Token: tok}},
		{"no endpoint", upload.Params{Dir: dir, Token: tok}},
		{"endpoint not http", upload.Params{Dir: dir, Endpoint: "ftp://x/archive", Token: tok}},
		{"no token", upload.Params{Dir: dir, Endpoint: "http://x/archive"}},
		{"negative quota", upload.Params{Dir: dir, Endpoint: "http://x/archive", Token: tok, QuotaBytes: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := upload.New(tc.p)
			require.ErrorIs(t, err, upload.ErrInvalid)
		})
	}

	u, err := upload.New(upload.Params{Dir: dir, Endpoint: "http://127.0.0.1:1/archive", Token: tok, Logger: quiet()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, u.Run(ctx), "a cancelled Run returns nil")
	require.ErrorIs(t, u.Run(ctx), upload.ErrInvalid, "Run runs once")
	u.Notify()
	u.Notify() // never blocks
}

func TestRefusedTokenRaisesAlarm(t *testing.T) {
	noLeaks(t)
	e := newEnv(t)
	e.record(t, 1)
	var dropped atomic.Int64
	u, err := upload.New(upload.Params{Dir: e.dir, Endpoint: "http://" + e.addr, HTTP: e.http, Logger: quiet(),
		Interval: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Token:          func(context.Context) (string, error) { return "not-a-token", nil },
		OnUnauthorized: func() { dropped.Add(1) }})
	require.NoError(t, err)
	run(t, u)
	st := waitFor(t, u, "refused", func(s upload.Status) bool { return s.Alarm != "" })
	require.Contains(t, st.Alarm, "设备令牌无效")
	require.NotEmpty(t, st.LastError)
	_, _, unauth := e.api.snapshot()
	require.GreaterOrEqual(t, unauth, 2, "asked for a token again once before giving up")
	require.GreaterOrEqual(t, dropped.Load(), int64(2), "each refused token dropped")
	seq, _ := e.head(t)
	require.Zero(t, seq)
}
