package recorder

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"time"

	"github.com/evalroom/evalroom/media/clock"
	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/recorder/segment"
)

// Source is a capture device that yields coded frames (devices.Camera and
// devices.Microphone are Sources). Read blocks until the next frame and
// fails only when the source is closed or ctx ends.
type Source interface {
	Read(ctx context.Context) (frame.Frame, error)
}

// Camera is one of the room's cameras.
type Camera struct {
	// Name is the camera's name in the room ("cam1"), used in file names.
	Name string
	// Codec is what Source yields: frame.H264 or frame.VP8.
	Codec frame.Codec
	// Width, Height and FPS are the configured picture, for the manifest.
	Width, Height, FPS int
	// Source yields the camera's coded frames.
	Source Source
}

// Microphone is the room's microphone (or mixer output): Opus.
type Microphone struct {
	// Name is its name in the room ("mic").
	Name string
	// Channels is 1 or 2.
	Channels int
	// Source yields Opus packets.
	Source Source
}

// Clock is the recorder's server-corrected clock (media/clock.Sync).
type Clock interface {
	// Now is the server's time as the recorder estimates it.
	Now() time.Time
	// Estimate is the last measurement; an error before the first.
	Estimate() (clock.Estimate, error)
}

// Live receives the frames for the live path (recorder/live.Publisher).
// Write must never block.
type Live interface {
	Write(trackID string, f frame.Frame)
}

// Params configure a Recorder.
type Params struct {
	// Dir is the spool folder (created if missing).
	Dir string
	// RecorderID is the recorder's registered id; Room is its room's id.
	RecorderID, Room string
	// Session returns the session the room is recording for now ("" when
	// none is known); it labels each manifest. Nil means always "".
	Session func() string
	// Key signs the manifests.
	Key ed25519.PrivateKey
	// Alg is the hash algorithm; empty means SHA-256.
	Alg manifest.Alg
	// Cameras are the room's cameras; at least one.
	Cameras []Camera
	// Mic is the room's microphone; nil records video only.
	Mic *Microphone
	// Clock is the corrected clock. Required.
	Clock Clock
	// Live receives every frame for the live path; nil means none.
	Live Live
	// SegmentLength is the segment length; zero means segment's default.
	SegmentLength time.Duration
	// Fsync is the segment writer's fsync policy.
	Fsync segment.FsyncPolicy
	// OnSealed is called (from the sealer goroutine) after each manifest
	// is written, e.g. to wake the uploader. It may be nil.
	OnSealed func(manifest.Manifest)
	// Now is the local wall clock for file bookkeeping; time.Now when nil.
	Now func() time.Time
	// Logger; slog.Default() when nil.
	Logger *slog.Logger
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)

func (p *Params) normalize() error {
	switch {
	case p.Dir == "" || p.RecorderID == "" || p.Room == "":
		return fmt.Errorf("%w: Dir, RecorderID and Room are required", ErrInvalid)
	case len(p.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("%w: an Ed25519 private key is required", ErrInvalid)
	case len(p.Cameras) == 0:
		return fmt.Errorf("%w: at least one camera", ErrInvalid)
	case p.Clock == nil:
		return fmt.Errorf("%w: Clock is required", ErrInvalid)
	}
	seen := map[string]bool{}
	for _, c := range p.Cameras {
		if !nameRE.MatchString(c.Name) || seen[c.Name] || c.Source == nil {
			return fmt.Errorf("%w: camera %q: name repeated or not [A-Za-z0-9_.-], or no source", ErrInvalid, c.Name)
		}
		if c.Codec != frame.H264 && c.Codec != frame.VP8 {
			return fmt.Errorf("%w: camera %q: codec %q", ErrInvalid, c.Name, c.Codec)
		}
		seen[c.Name] = true
	}
	if p.Mic != nil {
		if !nameRE.MatchString(p.Mic.Name) || seen[p.Mic.Name] || p.Mic.Source == nil {
			return fmt.Errorf("%w: microphone %q: name repeated or not [A-Za-z0-9_.-], or no source", ErrInvalid, p.Mic.Name)
		}
		if p.Mic.Channels == 0 {
			p.Mic.Channels = 1
		}
	}
	if p.Session == nil {
		p.Session = func() string { return "" }
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if err := os.MkdirAll(p.Dir, 0o750); err != nil {
		return fmt.Errorf("spool %s: %w", p.Dir, err)
	}
	return nil
}

// writerName is the segment writer's (file name) recorder part for a camera.
func (p *Params) writerName(camera string) string { return p.RecorderID + "-" + camera }
