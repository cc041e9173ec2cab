package archive_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive"
)

func TestStatsCountVerificationResults(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	st, err := e.svc.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"verified": 0, "broken": 0}, st.Segments)
	require.True(t, st.LastAccepted.IsZero())

	_, _, sa, _ := twoRooms(t, e)
	st, err = e.svc.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"verified": 6, "broken": 0}, st.Segments)
	require.EqualValues(t, 2, st.Recorders)
	require.Positive(t, st.Bytes)
	require.Equal(t, e.clock.Now().UTC(), st.LastAccepted)
	require.True(t, st.LastVerified.IsZero(), "checked at acceptance only")

	// A blob altered on disk is found broken when verified again.
	p := e.blobPath(sa[1].hash)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	data[100] ^= 0x01
	require.NoError(t, os.Chmod(p, 0o640))
	require.NoError(t, os.WriteFile(p, data, 0o440))
	e.clock.Advance(time.Hour)
	_, err = e.svc.VerifySession(ctx, "user:3", sessionSel)
	require.NoError(t, err)
	st, err = e.svc.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"verified": 5, "broken": 1}, st.Segments)
	require.Equal(t, e.clock.Now().UTC(), st.LastVerified)
}

func TestPingFindsAStoreThatCannotTakeSegments(t *testing.T) {
	ctx := context.Background()
	t.Run("fs", func(t *testing.T) {
		e := newEnv(t)
		require.NoError(t, e.svc.Ping(ctx))
		entries, err := os.ReadDir(filepath.Join(e.dir, "tmp"))
		require.NoError(t, err)
		require.Empty(t, entries, "the probe file is removed")
		require.NoError(t, os.RemoveAll(e.dir))
		require.ErrorContains(t, e.svc.Ping(ctx), "not writable")
	})
	t.Run("s3", func(t *testing.T) {
		srv := startS3(t)
		s := newS3Store(t, srv)
		require.NoError(t, archive.PingStore(ctx, s))
		require.NoError(t, srv.client.RemoveBucket(ctx, srv.bucket))
		require.ErrorContains(t, archive.PingStore(ctx, s), "does not exist")
	})
}
