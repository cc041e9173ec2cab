package devices

import (
	"time"
)

// maxDrift is how far a chunk's capture time may stray from the sample
// count before the packetizer starts a new time line.
const maxDrift = 100 * time.Millisecond

// chunk is a run of interleaved samples from a microphone at 48 kHz.
type chunk struct {
	samples  []int16
	channels int
	at       time.Time // capture time of the first sample
}

// packet is 20 ms of interleaved samples and the capture time of its
// first sample.
type packet struct {
	samples  []int16
	channels int
	at       time.Time
}

// packetizer cuts chunks of any length into 20 ms packets. Packet times
// follow the sample count from the first chunk, slewed by 1/16 of each
// chunk's deviation so that the device's sample clock cannot drift away
// from the capture clock; a deviation over maxDrift (lost samples, a
// stall) starts a new time line and drops the partial packet before it.
type packetizer struct {
	buf      []int16
	channels int
	start    time.Time // capture time of buf[0]
}

// push adds c and returns the packets it completed, and whether samples
// were lost before c (its time lies more than maxDrift after the
// samples before it).
func (p *packetizer) push(c chunk) ([]packet, bool) {
	lost := false
	n := len(p.buf) / max(p.channels, 1)
	if p.start.IsZero() || c.channels != p.channels {
		p.reset(c)
	} else {
		expected := p.start.Add(samplesDuration(n))
		dev := c.at.Sub(expected)
		switch {
		case dev > maxDrift:
			lost = true
			p.reset(c)
		case dev < -maxDrift:
			p.reset(c)
		default:
			p.start = p.start.Add(dev / 16)
		}
	}
	p.buf = append(p.buf, c.samples...)
	var out []packet
	per := packetSamples * p.channels
	for len(p.buf) >= per {
		s := make([]int16, per)
		copy(s, p.buf)
		out = append(out, packet{samples: s, channels: p.channels, at: p.start})
		p.buf = append(p.buf[:0], p.buf[per:]...)
		p.start = p.start.Add(packetDuration)
	}
	return out, lost
}

// reset starts a new time line at c.
func (p *packetizer) reset(c chunk) {
	p.buf = p.buf[:0]
	p.channels = c.channels
	p.start = c.at
}

// samplesDuration is the duration of n samples at 48 kHz.
func samplesDuration(n int) time.Duration {
	return time.Duration(n) * time.Second / sampleRate
}
