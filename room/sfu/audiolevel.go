package sfu

// speakingDetector turns RFC 6464 audio levels (0 = loudest, 127 =
// silence, in -dBov) into a speaking state. It looks at windows of
// windowTicks RTP timestamp units: a window is voiced when more than half
// of its packets are louder than loudLevel. The state changes after two
// windows in a row disagree with it. One goroutine (the track's reader)
// owns it.
type speakingDetector struct {
	windowTicks uint32
	start       uint32
	started     bool
	packets     int
	loud        int
	streak      int
	speaking    bool
}

const loudLevel = 50 // -50 dBov

func newSpeakingDetector(clockRate uint32) *speakingDetector {
	if clockRate == 0 {
		clockRate = 48000
	}
	return &speakingDetector{windowTicks: clockRate / 4}
}

// observe adds one packet's level (and the RFC 6464 V flag, which is
// ignored beyond the level) at RTP timestamp ts. It reports whether the
// speaking state changed, and the new state.
func (d *speakingDetector) observe(ts uint32, level uint8) (changed, speaking bool) {
	if !d.started {
		d.start, d.started = ts, true
	}
	if ts-d.start >= d.windowTicks && int32(ts-d.start) > 0 {
		voiced := d.packets > 0 && d.loud*2 > d.packets
		d.start, d.packets, d.loud = ts, 0, 0
		if voiced != d.speaking {
			d.streak++
			if d.streak >= 2 {
				d.speaking, d.streak, changed = voiced, 0, true
			}
		} else {
			d.streak = 0
		}
	}
	d.packets++
	if level&0x7f < loudLevel {
		d.loud++
	}
	return changed, d.speaking
}
