package recorder

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/recorder/segment"
)

// Track IDs inside every camera's segments.
const (
	videoTrack uint32 = 1
	audioTrack uint32 = 2
)

// Recorder runs one room's pipeline. Create it with New and run it with
// Run; Status may be called at any time.
type Recorder struct {
	p      Params
	chain  *manifest.Chain
	sealer *sealer

	mu      sync.Mutex
	cams    []*camState
	mic     *micState
	started bool
}

// New checks the parameters and opens the recorder's hash chain (which
// continues where an earlier run stopped). Errors wrap ErrInvalid or the
// chain's error.
func New(p Params) (*Recorder, error) {
	if err := p.normalize(); err != nil {
		return nil, err
	}
	chain, err := manifest.OpenChain(manifest.ChainParams{
		StatePath: filepath.Join(p.Dir, p.RecorderID+".chain.json"), Recorder: p.RecorderID,
		Key: p.Key, Dir: p.Dir, Now: p.Clock.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("recorder %s: open chain: %w", p.RecorderID, err)
	}
	r := &Recorder{p: p, chain: chain}
	r.sealer = newSealer(r)
	for _, c := range p.Cameras {
		r.cams = append(r.cams, &camState{cam: c})
	}
	if p.Mic != nil {
		r.mic = &micState{mic: *p.Mic}
	}
	return r, nil
}

// Run recovers what an earlier run left in the spool, then records until
// ctx ends: one goroutine per source and one sealer. On return every
// segment is closed and sealed. It may be called once.
func (r *Recorder) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return fmt.Errorf("%w: Run called twice", ErrInvalid)
	}
	r.started = true
	r.mu.Unlock()

	if err := r.recoverSpool(); err != nil {
		return err
	}
	for _, c := range r.cams {
		w, err := segment.NewWriter(segment.Params{
			Dir: r.p.Dir, Recorder: r.p.writerName(c.cam.Name), Tracks: r.layout(c.cam),
			Length: r.p.SegmentLength, Fsync: r.p.Fsync, Now: r.p.Now,
			OnClosed: func(info segment.SegmentInfo) { r.sealer.add(c, info) },
			Tags:     map[string]string{"recorder_id": r.p.RecorderID, "room_id": r.p.Room, "camera": c.cam.Name},
			Logger:   r.p.Logger,
		})
		if err != nil {
			return fmt.Errorf("recorder %s: camera %s: %w", r.p.RecorderID, c.cam.Name, err)
		}
		c.w = w
	}

	sealDone := make(chan struct{})
	go func() {
		defer close(sealDone)
		r.sealer.run()
	}()
	var wg sync.WaitGroup
	for _, c := range r.cams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.captureCamera(ctx, c)
		}()
	}
	if r.mic != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.captureMic(ctx)
		}()
	}
	wg.Wait()
	var errs []error
	for _, c := range r.cams {
		if err := c.w.Close(); err != nil {
			errs = append(errs, fmt.Errorf("camera %s: close: %w", c.cam.Name, err))
		}
	}
	r.sealer.stop()
	<-sealDone
	return errors.Join(errs...)
}

// layout is a camera's segment track layout.
func (r *Recorder) layout(c Camera) []fmp4.Track {
	tracks := []fmp4.Track{{ID: videoTrack, Kind: fmp4.Video, Codec: fmp4Codec(c.Codec), Width: c.Width, Height: c.Height}}
	if r.mic != nil {
		tracks = append(tracks, fmp4.Track{ID: audioTrack, Kind: fmp4.Audio, Codec: fmp4.Opus, Channels: r.mic.mic.Channels, PreSkip: 312})
	}
	return tracks
}

// manifestTracks describes a camera's segments in its manifests.
func (r *Recorder) manifestTracks(c Camera) []manifest.Track {
	tracks := []manifest.Track{{Kind: "video", Name: c.Name, Codec: string(c.Codec), Width: c.Width, Height: c.Height, FPS: c.FPS}}
	if r.mic != nil {
		tracks = append(tracks, manifest.Track{Kind: "audio", Name: r.mic.mic.Name, Codec: string(frame.Opus), SampleRate: 48000, Channels: r.mic.mic.Channels})
	}
	return tracks
}

func fmp4Codec(c frame.Codec) fmp4.Codec {
	switch c {
	case frame.VP8:
		return fmp4.VP8
	default:
		return fmp4.H264
	}
}

// Head returns the recorder's chain head: the seq of the last sealed
// manifest (0 before the first).
func (r *Recorder) Head() int64 {
	seq, _ := r.chain.Head()
	return seq
}
