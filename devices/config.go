package devices

import (
	"fmt"
	"regexp"
	"time"

	"github.com/evalroom/evalroom/media/frame"
)

// Synthetic is the Device value that selects the synthetic camera or
// microphone of package devices/synthetic.
const Synthetic = "synthetic"

// CameraConfig is one camera of a room. Zero fields take the defaults
// named on them; Camera.Config returns the filled-in copy.
type CameraConfig struct {
	// Name identifies the camera in file names and logs ("cam1"):
	// letters, digits, '_', '.', '-', at most 64, not "." or "..".
	Name string
	// Device is Synthetic, a V4L2 device path (/dev/video0,
	// /dev/v4l/by-id/…) or a device label or ID as List reports it.
	Device string
	// Width and Height in pixels, even (default 1280×720).
	Width, Height int
	// FPS is the frame rate (default 30).
	FPS int
	// BitrateKbps is the target video bitrate (default 2500).
	BitrateKbps int
	// Codec is frame.H264 (default: x264, preset veryfast, zero latency,
	// no B-frames) or frame.VP8 (libvpx, real-time).
	Codec frame.Codec
	// KeyframeInterval is the longest time between keyframes (default
	// 2 s).
	KeyframeInterval time.Duration
	// Label is drawn on synthetic frames under the time (for example
	// the room); real cameras ignore it.
	Label string
}

// MicConfig is the microphone (or mixer output) of a room.
type MicConfig struct {
	// Name as in CameraConfig.
	Name string
	// Device is Synthetic or a device label or ID as List reports it.
	Device string
	// BitrateKbps is the Opus bitrate (default 32).
	BitrateKbps int
	// Channels is 1 (default) or 2.
	Channels int
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// checkName refuses names that cannot be used in a file name.
func checkName(name string) error {
	if !nameRE.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("%w: name %q", ErrInvalid, name)
	}
	return nil
}

// normalise fills defaults and checks c.
func (c CameraConfig) normalise() (CameraConfig, error) {
	if c.Width == 0 && c.Height == 0 {
		c.Width, c.Height = 1280, 720
	}
	if c.FPS == 0 {
		c.FPS = 30
	}
	if c.BitrateKbps == 0 {
		c.BitrateKbps = 2500
	}
	if c.Codec == "" {
		c.Codec = frame.H264
	}
	if c.KeyframeInterval == 0 {
		c.KeyframeInterval = 2 * time.Second
	}
	if err := checkName(c.Name); err != nil {
		return c, err
	}
	switch {
	case c.Device == "":
		return c, fmt.Errorf("%w: camera %s: no device", ErrInvalid, c.Name)
	case c.Width < 16 || c.Height < 16 || c.Width > 7680 || c.Height > 4320 || c.Width%2 != 0 || c.Height%2 != 0:
		return c, fmt.Errorf("%w: camera %s: size %dx%d", ErrInvalid, c.Name, c.Width, c.Height)
	case c.FPS < 1 || c.FPS > 60:
		return c, fmt.Errorf("%w: camera %s: %d fps", ErrInvalid, c.Name, c.FPS)
	case c.BitrateKbps < 50 || c.BitrateKbps > 50000:
		return c, fmt.Errorf("%w: camera %s: %d kbit/s", ErrInvalid, c.Name, c.BitrateKbps)
	case c.Codec != frame.H264 && c.Codec != frame.VP8:
		return c, fmt.Errorf("%w: camera %s: codec %q", ErrInvalid, c.Name, c.Codec)
	case c.KeyframeInterval < time.Second/time.Duration(c.FPS) || c.KeyframeInterval > time.Minute:
		return c, fmt.Errorf("%w: camera %s: keyframe interval %v", ErrInvalid, c.Name, c.KeyframeInterval)
	}
	return c, nil
}

// period is the nominal frame duration.
func (c CameraConfig) period() time.Duration { return time.Second / time.Duration(c.FPS) }

// normalise fills defaults and checks c.
func (c MicConfig) normalise() (MicConfig, error) {
	if c.BitrateKbps == 0 {
		c.BitrateKbps = 32
	}
	if c.Channels == 0 {
		c.Channels = 1
	}
	if err := checkName(c.Name); err != nil {
		return c, err
	}
	switch {
	case c.Device == "":
		return c, fmt.Errorf("%w: microphone %s: no device", ErrInvalid, c.Name)
	case c.BitrateKbps < 6 || c.BitrateKbps > 510:
		return c, fmt.Errorf("%w: microphone %s: %d kbit/s", ErrInvalid, c.Name, c.BitrateKbps)
	case c.Channels != 1 && c.Channels != 2:
		return c, fmt.Errorf("%w: microphone %s: %d channels", ErrInvalid, c.Name, c.Channels)
	}
	return c, nil
}
