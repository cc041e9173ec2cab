// Package frame is the coded media frame that moves through the edge
// recorder: from the devices that capture and encode it to the archive
// writer and the live publisher. It holds no behaviour, so that devices,
// the recorder and the live path can share it without importing each
// other.
package frame

import "time"

// Codec names a coded format.
type Codec string

// The codecs of the edge recorder.
const (
	// H264 is H.264 (AVC); Data is one access unit in Annex-B form.
	H264 Codec = "h264"
	// VP8 is VP8; Data is one compressed frame.
	VP8 Codec = "vp8"
	// Opus is Opus; Data is one packet, 48 kHz.
	Opus Codec = "opus"
)

// Kind says whether a codec is video or audio.
func (c Codec) Kind() string {
	if c == Opus {
		return "audio"
	}
	return "video"
}

// ClockRate is the codec's RTP clock rate.
func (c Codec) ClockRate() uint32 {
	if c == Opus {
		return 48000
	}
	return 90000
}

// Frame is one coded frame.
type Frame struct {
	// UTC is the capture time on the recorder's corrected clock (the
	// server's time).
	UTC time.Time
	// Data is the coded frame (see Codec). The receiver may keep it; the
	// sender does not touch it again.
	Data []byte
	// Key marks a video keyframe (always true for audio).
	Key bool
	// Duration is the frame's nominal duration.
	Duration time.Duration
	// AfterGap, when not empty, says that media is missing before this
	// frame and why ("device lost: cam1"); the gap runs from the end of
	// the previous frame to UTC.
	AfterGap string
}
