package sfu

import (
	"time"

	"github.com/pion/webrtc/v4"
)

// allocator decides, per subscriber, how many simulcast layers to drop
// below what the subscriber asked for. The input is the subscriber's
// bandwidth estimate (see estimator) and the bitrate being sent to it. A
// congested tick is one where the estimate is under 85 % of what is
// sent; two in a row drop one layer on every video track of the
// subscriber. After backoff without congestion one layer is given
// back; a drop soon after a raise doubles the backoff (up to a minute),
// so a link that cannot carry the higher layer is not probed again and
// again.
type allocator struct {
	shift     int
	congested int
	lastDrop  time.Time
	lastRaise time.Time
	backoff   time.Duration
}

const (
	minBackoff = 8 * time.Second
	maxBackoff = time.Minute
)

// step takes one observation and returns the new shift.
func (a *allocator) step(now time.Time, estimate, sending int64) int {
	if a.backoff == 0 {
		a.backoff = minBackoff
	}
	congested := estimate > 0 && sending > 0 && estimate*100 < sending*85
	if congested {
		a.congested++
	} else {
		a.congested = 0
	}
	switch {
	case a.congested >= 2 && a.shift < maxLayers-1:
		a.shift++
		a.congested = 0
		if !a.lastRaise.IsZero() && now.Sub(a.lastRaise) < 2*a.backoff {
			a.backoff = min(2*a.backoff, maxBackoff)
		}
		a.lastDrop = now
	case a.shift > 0 && !congested && now.Sub(a.lastDrop) >= a.backoff && now.Sub(a.lastRaise) >= a.backoff:
		a.shift--
		a.lastRaise = now
	}
	return a.shift
}

// allocateInterval is how often the allocation loop runs.
const allocateInterval = 500 * time.Millisecond

// allocateLoop measures every layer's bitrate and runs each subscriber's
// allocator.
func (s *Server) allocateLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(allocateInterval)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-s.done:
			return
		case now := <-tick.C:
			s.allocate(now, now.Sub(last))
			last = now
		}
	}
}

func (s *Server) allocate(now time.Time, elapsed time.Duration) {
	if elapsed <= 0 {
		return
	}
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		for _, t := range sess.publishedTracks() {
			for i := range maxLayers {
				if l := t.layer(i); l != nil {
					b := l.bytes.Load()
					l.rate.Store(int64(float64(b-l.prevBytes) * 8 / elapsed.Seconds()))
					l.prevBytes = b
				}
			}
		}
		for _, p := range sess.list() {
			p.allocate(now)
		}
	}
}

// allocate runs p's allocator on its bandwidth estimate.
func (p *Participant) allocate(now time.Time) {
	p.mu.Lock()
	downs := make([]*downTrack, 0, len(p.downs))
	for _, d := range p.downs {
		downs = append(downs, d)
	}
	p.mu.Unlock()
	var sending int64
	simulcast := false
	for _, d := range downs {
		d.mu.Lock()
		cur, paused := d.current, d.paused
		d.mu.Unlock()
		if paused || cur < 0 {
			continue
		}
		if l := d.pub.layer(cur); l != nil {
			sending += l.rate.Load()
		}
		simulcast = simulcast || d.pub.simulcast
	}
	estimate := p.est.estimate(now, sending)
	if !simulcast {
		return
	}
	before := p.alloc.shift
	shift := p.alloc.step(now, estimate, sending)
	if shift != before {
		p.log.Info("bandwidth allocation", "drop_layers", shift, "estimate_bps", estimate, "sending_bps", sending)
	}
	for _, d := range downs {
		if d.pub.kind == webrtc.RTPCodecTypeVideo {
			d.setShift(shift)
		}
	}
}
