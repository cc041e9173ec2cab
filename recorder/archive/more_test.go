package archive_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/manifest"
)

func TestAcceptSM3ManifestNamesItsStoreKey(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := newRecorder(t, e, "edge-sm3", 4, true)
	r.alg = manifest.SM3
	s1 := r.segment(t, t0, 10*time.Second)
	s2 := r.segment(t, t0.Add(10*time.Second), 10*time.Second)
	for _, s := range []seg{s1, s2} {
		_, err := e.svc.PutSegment(ctx, r.id, s.hash, bytes.NewReader(s.data))
		require.NoError(t, err)
	}
	require.NotEqual(t, s1.hash, s1.m.SegmentHash.String())

	_, err := e.svc.AcceptManifest(ctx, r.id, s1.raw)
	require.ErrorIs(t, err, archive.ErrInvalid)
	_, err = e.svc.AcceptManifestFor(ctx, r.id, s2.hash, s1.raw)
	require.ErrorIs(t, err, archive.ErrHashMismatch)
	require.Equal(t, 0, e.count(t, "segments"))

	a, err := e.svc.AcceptManifestFor(ctx, r.id, s1.hash, s1.raw)
	require.NoError(t, err)
	require.Equal(t, s1.hash, a.Segment.Hash)
	a, err = e.svc.AcceptManifestFor(ctx, r.id, s2.hash, s2.raw)
	require.NoError(t, err)
	require.EqualValues(t, 2, a.Segment.Seq)
}

func TestConcurrentAcceptsKeepOneChain(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := newRecorder(t, e, "edge-nj-1", 4, true)
	first := r.segment(t, t0, 10*time.Second)
	upload(t, e, r, first)
	// Seq 2 from the real chain and from four forks, sent together, each
	// twice.
	cands := []seg{r.segment(t, t0.Add(10*time.Second), 10*time.Second)}
	for i := 0; i < 4; i++ {
		fork := *r
		fork.restart(t, e)
		// Each fork signs a seq 1 of its own, then its seq 2.
		_ = fork.segment(t, t0, 10*time.Second)
		cands = append(cands, fork.segment(t, t0.Add(10*time.Second), 10*time.Second))
	}
	for _, s := range cands {
		_, err := e.svc.PutSegment(ctx, r.id, s.hash, bytes.NewReader(s.data))
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, again, refused := 0, 0, 0
	var unexpected []error
	for _, s := range append(cands, cands...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := e.svc.AcceptManifest(ctx, r.id, s.raw)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && a.AlreadyAccepted:
				again++
			case err == nil:
				accepted++
			case errorsIsAny(err, archive.ErrConflict, archive.ErrBrokenChain):
				refused++
			default:
				unexpected = append(unexpected, err)
			}
		}()
	}
	wg.Wait()
	require.Empty(t, unexpected)
	require.Equal(t, 1, accepted)
	require.Equal(t, 1, again)
	require.Equal(t, 8, refused)
	require.Equal(t, 2, e.count(t, "segments"))
}

func TestLocateAllStreamsOfOneRecorder(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := newRecorder(t, e, "edge-nj-1", 4, true)
	// One file per camera: two streams covering the same time.
	r.tracks = []manifest.Track{{Kind: "video", Name: "cam2", Codec: "h264", Width: 1280, Height: 720, FPS: 25}}
	cam2 := r.segment(t, t0, 10*time.Second, manifest.Gap{From: t0.Add(4 * time.Second), To: t0.Add(6 * time.Second), Reason: "device lost: cam2"})
	r.tracks = []manifest.Track{{Kind: "video", Name: "cam1", Codec: "h264", Width: 1280, Height: 720, FPS: 25}}
	cam1 := r.segment(t, t0, 10*time.Second)
	upload(t, e, r, cam2)
	upload(t, e, r, cam1)

	ps, err := e.svc.LocateAll(ctx, 4, t0.Add(5*time.Second))
	require.NoError(t, err)
	require.Len(t, ps, 2)
	require.Equal(t, "cam1", ps[0].Stream)
	require.Equal(t, cam1.hash, ps[0].SegmentHash)
	require.Nil(t, ps[0].Gap)
	require.Equal(t, "cam2", ps[1].Stream)
	require.NotNil(t, ps[1].Gap)
	require.Equal(t, "device lost: cam2", ps[1].Gap.Reason)
	p, err := e.svc.Locate(ctx, 4, t0.Add(5*time.Second))
	require.NoError(t, err)
	require.Equal(t, cam1.hash, p.SegmentHash)
}
