package recorder

import (
	"fmt"
	"sync"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/recorder/segment"
)

// sealRetry is how long the sealer waits before trying a failed seal again.
const sealRetry = time.Second

// sealer turns closed segments into signed, chained manifests, one at a
// time and in the order they closed, on its own goroutine.
type sealer struct {
	r *Recorder

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []sealJob
	stopped bool
}

type sealJob struct {
	cam  *camState // nil for a segment recovered at start-up
	info segment.SegmentInfo
	// tracks describe the segment; empty means the camera's.
	tracks []manifest.Track
}

func newSealer(r *Recorder) *sealer {
	s := &sealer{r: r}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// add queues a closed segment; it never blocks on sealing.
func (s *sealer) add(c *camState, info segment.SegmentInfo) {
	s.mu.Lock()
	s.queue = append(s.queue, sealJob{cam: c, info: info})
	s.mu.Unlock()
	s.cond.Signal()
}

// stop makes run return once the queue is empty.
func (s *sealer) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cond.Signal()
}

// run seals queued segments until stop and an empty queue. A seal that
// fails (a full disk, say) is retried; when stopping, each job still
// gets a few tries and is left for the next start's recovery otherwise
// (the segment stays on disk without a manifest, and Run seals it then).
func (s *sealer) run() {
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.stopped {
			s.cond.Wait()
		}
		if len(s.queue) == 0 {
			s.mu.Unlock()
			return
		}
		job, stopping := s.queue[0], s.stopped
		s.mu.Unlock()
		tries := 0
		for {
			err := s.r.seal(job)
			if err == nil {
				break
			}
			tries++
			s.r.p.Logger.Error("segment not sealed; retrying", "segment", job.info.Path, "err", err)
			if job.cam != nil {
				job.cam.mu.Lock()
				job.cam.sealErr = err.Error()
				job.cam.mu.Unlock()
			}
			if stopping && tries >= 3 {
				break
			}
			time.Sleep(sealRetry)
			s.mu.Lock()
			stopping = s.stopped
			s.mu.Unlock()
		}
		s.mu.Lock()
		s.queue = s.queue[1:]
		s.mu.Unlock()
	}
}

// seal builds, signs and writes the manifest of one segment.
func (r *Recorder) seal(job sealJob) error {
	info := job.info
	tracks := job.tracks
	if len(tracks) == 0 && job.cam != nil {
		tracks = r.manifestTracks(job.cam.cam)
	}
	in := manifest.Info{
		Recorder: r.p.RecorderID, Room: r.p.Room, Session: r.p.Session(), Alg: r.p.Alg,
		Start: info.UTCStart, End: info.UTCEnd, Tracks: tracks, Truncated: info.Truncated,
	}
	if est, err := r.p.Clock.Estimate(); err == nil {
		in.Clock = manifest.Clock{Offset: est.Offset, Uncertainty: est.Uncertainty, MeasuredAt: est.MeasuredAt}
	}
	for _, g := range info.Gaps {
		in.Gaps = append(in.Gaps, manifest.Gap{From: g.From, To: g.To, Reason: g.Reason})
	}
	m, err := manifest.Build(info.Path, in)
	if err != nil {
		return fmt.Errorf("seal %s: %w", info.Path, err)
	}
	signed, err := r.chain.Append(m)
	switch {
	case err != nil && signed.Seq == 0:
		return fmt.Errorf("seal %s: %w", info.Path, err)
	case err != nil:
		// The chain signed and saved it but the manifest file was not
		// written: the next OpenChain writes it from the chain's state.
		// Sealing again would give the segment a second seq.
		r.p.Logger.Error("manifest signed but not written; restored at the next start", "segment", info.Path, "seq", signed.Seq, "err", err)
	}
	if job.cam != nil {
		job.cam.mu.Lock()
		job.cam.sealed++
		job.cam.lastSeal = info.UTCEnd
		job.cam.sealErr = ""
		job.cam.mu.Unlock()
	}
	if r.p.OnSealed != nil {
		r.p.OnSealed(signed)
	}
	return nil
}
