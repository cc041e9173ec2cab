package live

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evalroom/evalroom/media/frame"
)

// Publisher publishes a recorder's coded frames to the room server by
// WHIP. Create it with New, run it with Run, feed it with Write.
type Publisher struct {
	p      Params
	log    *slog.Logger
	tracks map[string]*track
	order  []*track

	running   atomic.Bool
	connected atomic.Bool
	dropped   atomic.Int64
	sent      atomic.Int64

	mu         sync.Mutex // guards the fields below
	since      time.Time
	reconnects int
	lastErr    string
}

// track is a published track's state that outlives connections: its
// queue and whether it waits for a keyframe.
type track struct {
	Track
	video bool
	queue chan frame.Frame

	mu sync.Mutex
	// needKey makes Write skip video frames up to the next keyframe.
	needKey bool
	// asked says OnKeyframe was called since needKey was last set.
	asked bool
}

// Status is a snapshot of a publisher's state.
type Status struct {
	// Connected says whether media flows to the server now.
	Connected bool
	// Since is when Connected last changed (on the corrected clock); zero
	// before the first connection.
	Since time.Time
	// Reconnects counts connection attempts after the first.
	Reconnects int
	// Dropped counts frames not sent: written while disconnected, to a
	// full queue or an unknown track, or skipped while waiting for a
	// keyframe.
	Dropped int64
	// Sent counts frames sent.
	Sent int64
	// LastError is the error of the last failed attempt or connection.
	LastError string
}

// New returns a publisher for p. Errors: ErrMissingParam,
// ErrInvalidParam.
func New(p Params) (*Publisher, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	pub := &Publisher{p: p, log: p.Logger, tracks: map[string]*track{}}
	for _, t := range p.Tracks {
		tr := &track{Track: t, video: t.Codec.Kind() == "video", queue: make(chan frame.Frame, p.Queue)}
		pub.tracks[t.ID] = tr
		pub.order = append(pub.order, tr)
	}
	return pub, nil
}

// Write hands the publisher a frame of track trackID. It never blocks:
// when no connection is up, the track's queue is full or the track is
// unknown, the frame is dropped and counted. After a dropped video frame
// the track skips frames up to the next keyframe, and OnKeyframe is
// called once. The publisher keeps f.Data and does not change it.
func (p *Publisher) Write(trackID string, f frame.Frame) {
	t := p.tracks[trackID]
	if t == nil {
		p.dropped.Add(1)
		return
	}
	if !p.connected.Load() {
		p.drop(t)
		return
	}
	if t.video {
		t.mu.Lock()
		if t.needKey {
			if !f.Key {
				t.mu.Unlock()
				p.dropped.Add(1)
				return
			}
			t.needKey, t.asked = false, false
		}
		t.mu.Unlock()
	}
	select {
	case t.queue <- f:
	default:
		p.drop(t)
	}
}

// drop counts a dropped frame of t; for video, t then waits for a
// keyframe, which is asked for once.
func (p *Publisher) drop(t *track) {
	p.dropped.Add(1)
	if !t.video {
		return
	}
	t.mu.Lock()
	t.needKey = true
	ask := !t.asked
	t.asked = true
	t.mu.Unlock()
	if ask {
		p.p.OnKeyframe(t.ID)
	}
}

// requireKeyframe makes a video track wait for a keyframe and asks for
// one (a new connection starts).
func (p *Publisher) requireKeyframe(t *track) {
	t.mu.Lock()
	t.needKey, t.asked = true, true
	t.mu.Unlock()
	p.p.OnKeyframe(t.ID)
}

// drain empties the queues, counting what they held as dropped.
func (p *Publisher) drain() {
	for _, t := range p.order {
		for {
			select {
			case <-t.queue:
				p.dropped.Add(1)
				continue
			default:
			}
			break
		}
	}
}

// Status returns a snapshot of the publisher's state.
func (p *Publisher) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Status{Connected: p.connected.Load(), Since: p.since, Reconnects: p.reconnects,
		Dropped: p.dropped.Load(), Sent: p.sent.Load(), LastError: p.lastErr}
}

// setConnected records a change of the connection state.
func (p *Publisher) setConnected(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.connected.Load() == up {
		return
	}
	p.connected.Store(up)
	p.since = p.p.Now()
}

func (p *Publisher) setError(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastErr = err.Error()
}
