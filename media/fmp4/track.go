package fmp4

import "fmt"

// Kind tells a video track from an audio track.
type Kind int

// Track kinds.
const (
	Video Kind = iota + 1
	Audio
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Video:
		return "video"
	case Audio:
		return "audio"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Codec names a track's coding format.
type Codec int

// Codecs the writer can describe.
const (
	H264 Codec = iota + 1
	Opus
	VP8
)

// String names the codec as ffprobe does.
func (c Codec) String() string {
	switch c {
	case H264:
		return "h264"
	case Opus:
		return "opus"
	case VP8:
		return "vp8"
	}
	return fmt.Sprintf("codec(%d)", int(c))
}

// Default timescales (ticks per second) for tracks that leave Timescale
// zero.
const (
	VideoTimescale = 90000
	AudioTimescale = 48000
)

// Track describes one track of a file.
type Track struct {
	// ID is the track_ID, unique in the file and not zero.
	ID uint32
	// Kind is Video or Audio.
	Kind Kind
	// Codec is H264 or VP8 (video), or Opus (audio).
	Codec Codec
	// Timescale is the number of decode-time ticks per second; zero means
	// VideoTimescale or AudioTimescale.
	Timescale uint32

	// SPS and PPS are the H.264 parameter sets (NAL units without start
	// codes) that go into the avcC box.
	SPS, PPS []byte
	// Width and Height are the picture size in pixels. For H.264 zero
	// means parsed from the SPS; VP8 needs them (ParseVP8 reads them from
	// a keyframe).
	Width, Height int
	// VP8Version is the version field of the VP8 keyframe header (0 to
	// 3), written as the profile of the vpcC box.
	VP8Version int

	// Channels is the Opus output channel count (1 or 2; zero means 1).
	Channels int
	// SampleRate is the Opus input sample rate recorded in dOps; zero means
	// 48000. Opus always decodes at 48 kHz.
	SampleRate int
	// PreSkip is the number of 48 kHz samples the decoder discards at the
	// start (RFC 7845 5.1); libopus uses 312.
	PreSkip int
}

// normalize fills defaults and checks the track.
func (t *Track) normalize() error {
	if t.ID == 0 {
		return fmt.Errorf("%w: track ID 0", ErrInvalidTrack)
	}
	switch {
	case t.Kind == Video && t.Codec == H264:
		if t.Timescale == 0 {
			t.Timescale = VideoTimescale
		}
		if len(t.SPS) < 4 || len(t.PPS) < 1 {
			return fmt.Errorf("%w: track %d: H.264 needs SPS and PPS", ErrInvalidTrack, t.ID)
		}
		if t.Width == 0 || t.Height == 0 {
			info, err := ParseSPS(t.SPS)
			if err != nil {
				return fmt.Errorf("track %d: %w", t.ID, err)
			}
			t.Width, t.Height = info.Width, info.Height
		}
	case t.Kind == Video && t.Codec == VP8:
		if t.Timescale == 0 {
			t.Timescale = VideoTimescale
		}
		if t.Width <= 0 || t.Height <= 0 || t.Width > 0x3fff || t.Height > 0x3fff {
			return fmt.Errorf("%w: track %d: VP8 size %d×%d", ErrInvalidTrack, t.ID, t.Width, t.Height)
		}
		if t.VP8Version < 0 || t.VP8Version > 3 {
			return fmt.Errorf("%w: track %d: VP8 version %d", ErrInvalidTrack, t.ID, t.VP8Version)
		}
	case t.Kind == Audio && t.Codec == Opus:
		if t.Timescale == 0 {
			t.Timescale = AudioTimescale
		}
		if t.Channels == 0 {
			t.Channels = 1
		}
		if t.Channels > 2 {
			return fmt.Errorf("%w: track %d: %d Opus channels (at most 2)", ErrInvalidTrack, t.ID, t.Channels)
		}
		if t.SampleRate == 0 {
			t.SampleRate = 48000
		}
		if t.PreSkip < 0 || t.PreSkip > 0xffff {
			return fmt.Errorf("%w: track %d: Opus pre-skip %d", ErrInvalidTrack, t.ID, t.PreSkip)
		}
	default:
		return fmt.Errorf("%w: track %d: %s %s", ErrInvalidTrack, t.ID, t.Kind, t.Codec)
	}
	return nil
}

// editMediaTime is the media time that the track's edit list maps to
// presentation time zero: the Opus pre-skip in the track's timescale, or
// 0 (no edit list).
func (t *Track) editMediaTime() int64 {
	if t.Codec != Opus || t.PreSkip <= 0 {
		return 0
	}
	return int64(t.PreSkip) * int64(t.Timescale) / 48000
}
