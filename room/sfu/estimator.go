package sfu

import (
	"sync"
	"time"
)

// estimator estimates the bandwidth towards one subscriber from what the
// subscriber reports without transport-cc: the fraction lost in its RTCP
// receiver reports (RFC 3550 §6.4.2) and REMB, the receiver's own
// delay-based estimate that browsers send when goog-remb is negotiated
// and transport-cc is not. It costs nothing per forwarded packet.
//
// The loss-based target follows GCC's loss-based controller
// (draft-ietf-rmcat-gcc-02 §6): starting from the bitrate being sent, each
// allocation tick that brought reports averaging over 10 % loss lowers
// the target by half the loss ratio, one under 2 % raises it by 8 %,
// anything between holds it. The estimate is the lower of the target and
// a REMB received within rembTTL. The allocator compares it with the
// bitrate being sent.
type estimator struct {
	mu      sync.Mutex
	lossSum float64
	lossN   int
	target  float64 // bits/s; 0 until the first loss report
	remb    float64
	rembAt  time.Time
}

const (
	rembTTL     = 5 * time.Second
	minEstimate = 30_000 // bits/s
)

// onLoss records one receiver report block's fraction lost (n/256).
func (e *estimator) onLoss(fraction uint8) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lossSum += float64(fraction) / 256
	e.lossN++
}

// onREMB records a REMB bitrate in bits per second.
func (e *estimator) onREMB(bps float64, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.remb, e.rembAt = bps, now
}

// estimate folds the reports received since the last call into the
// target, given the bitrate being sent, and returns the estimate in bits
// per second (0: unknown).
func (e *estimator) estimate(now time.Time, sending int64) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lossN > 0 {
		loss := e.lossSum / float64(e.lossN)
		e.lossSum, e.lossN = 0, 0
		if e.target == 0 {
			e.target = float64(sending)
		}
		switch {
		case loss > 0.10:
			e.target *= 1 - 0.5*loss
		case loss < 0.02:
			e.target *= 1.08
		}
		// Never far above what is sent, so that a raise that congests
		// the link is noticed at once.
		e.target = min(max(e.target, minEstimate), max(2*float64(sending), minEstimate))
	}
	est := e.target
	if !e.rembAt.IsZero() && now.Sub(e.rembAt) < rembTTL && (est == 0 || e.remb < est) {
		est = e.remb
	}
	return int64(est)
}
