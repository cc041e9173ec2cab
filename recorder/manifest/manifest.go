package manifest

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Version is the manifest format version this package writes and reads.
const Version = 1

// Manifest describes one archived segment and its place in its recorder's
// hash chain. Field comments give the JSON member names.
type Manifest struct {
	// Version is the format version ("version"), always Version.
	Version int
	// Recorder is the recorder's registered id ("recorder_id").
	Recorder string
	// Room is the room's id ("room_id").
	Room string
	// Session is the evaluation session's id ("session_id"); empty when
	// the room records outside a session.
	Session string
	// Segment is the segment file's base name ("segment"."name").
	Segment string
	// Size is the segment file's size in bytes ("segment"."size").
	Size int64
	// SegmentHash is the segment file's hash ("segment"."hash").
	SegmentHash Digest
	// Alg hashes the segment and this manifest's chain link ("hash_alg").
	Alg Alg
	// Seq numbers the recorder's manifests from 1 ("seq").
	Seq int64
	// Prev is the Hash of the recorder's previous signed manifest, zero
	// for seq 1 ("prev_hash").
	Prev Digest
	// Start and End are the UTC times of the segment's first sample and
	// of the end of its last one ("start", "end").
	Start, End time.Time
	// Tracks are the segment's streams ("tracks").
	Tracks []Track
	// Clock is the recorder's measured offset to the server clock that
	// stamped this segment ("clock").
	Clock Clock
	// Gaps are intervals inside or right before this segment with no
	// media, and why ("gaps").
	Gaps []Gap
	// Truncated marks a segment closed by crash recovery: readable up to
	// its last flushed fragment ("truncated").
	Truncated bool
	// CreatedAt is when the recorder wrote the manifest, UTC
	// ("created_at").
	CreatedAt time.Time
	// Signature is the recorder's Ed25519 signature over the canonical
	// bytes without this member ("signature"); nil before Sign.
	Signature []byte
}

// Track is one stream of a segment.
type Track struct {
	// Kind is "video" or "audio".
	Kind string
	// Name is the device's name in the room, e.g. "cam1" or "mic".
	Name string
	// Codec is the codec, e.g. "h264", "vp8", "opus".
	Codec string
	// Width, Height and FPS are the video's configured size and nominal
	// integer frame rate (the container carries each frame's time); zero
	// for audio.
	Width, Height, FPS int
	// SampleRate and Channels describe audio; zero for video.
	SampleRate, Channels int
}

// Clock is the result of the recorder's last clock measurement against
// evalroomd (NTP-style four-timestamp exchange).
type Clock struct {
	// Offset is server time minus local time.
	Offset time.Duration
	// Uncertainty bounds the error of Offset (half the round trip).
	Uncertainty time.Duration
	// MeasuredAt is when, in corrected UTC, the measurement was taken;
	// zero when the recorder has not measured yet.
	MeasuredAt time.Time
}

// Gap is an interval with no media.
type Gap struct {
	// From and To are the gap's bounds in UTC.
	From, To time.Time
	// Reason says why, e.g. "device lost: cam1", "recorder restart".
	Reason string
}

var (
	idRE      = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	segmentRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

// ValidSegmentName reports whether name is a safe segment or manifest file
// name: a base name of letters, digits, "_", "." and "-", not starting
// with a dot and without "..", so it can never address another directory.
func ValidSegmentName(name string) bool {
	return segmentRE.MatchString(name) && !strings.Contains(name, "..")
}

// ManifestName is the manifest file name of a segment: its name with the
// extension replaced by ".manifest.json" (seg-000042.mp4 →
// seg-000042.manifest.json).
func ManifestName(segment string) string {
	return strings.TrimSuffix(segment, path.Ext(segment)) + ".manifest.json"
}

// Validate checks every field rule except the signature; seq must be at
// least 1 (Build leaves it 0 until a Chain assigns it, so Validate fails
// on an unchained manifest). Errors wrap ErrInvalid.
func (m Manifest) Validate() error {
	if err := m.validateContent(); err != nil {
		return err
	}
	if m.Seq < 1 || m.Seq > maxSafeInt {
		return fmt.Errorf("%w: seq %d must be 1 or more", ErrInvalid, m.Seq)
	}
	if m.CreatedAt.IsZero() {
		return fmt.Errorf("%w: created_at is missing", ErrInvalid)
	}
	return nil
}

// validateContent checks what Build fills in.
func (m Manifest) validateContent() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
	switch {
	case m.Version != Version:
		return bad("version %d (want %d)", m.Version, Version)
	case !idRE.MatchString(m.Recorder):
		return bad("recorder id %q must be 1–64 letters, digits, _ . -", m.Recorder)
	case !idRE.MatchString(m.Room):
		return bad("room id %q must be 1–64 letters, digits, _ . -", m.Room)
	case m.Session != "" && !idRE.MatchString(m.Session):
		return bad("session id %q must be empty or 1–64 letters, digits, _ . -", m.Session)
	case !ValidSegmentName(m.Segment):
		return bad("segment name %q is not a safe file name", m.Segment)
	case m.Size < 0 || m.Size > maxSafeInt:
		return bad("segment size %d", m.Size)
	case m.Start.IsZero() || m.End.Before(m.Start):
		return bad("segment time %s–%s: start missing or end before start", m.Start, m.End)
	case m.Clock.Uncertainty < 0:
		return bad("clock uncertainty %s is negative", m.Clock.Uncertainty)
	}
	if _, err := m.Alg.New(); err != nil {
		return err
	}
	for i, t := range m.Tracks {
		if err := t.validate(); err != nil {
			return fmt.Errorf("track %d: %w", i, err)
		}
	}
	for i, g := range m.Gaps {
		if g.From.IsZero() || g.To.Before(g.From) {
			return bad("gap %d: %s–%s: from missing or to before from", i, g.From, g.To)
		}
		if g.Reason == "" || utf8.RuneCountInString(g.Reason) > 256 || !utf8.ValidString(g.Reason) {
			return bad("gap %d: reason must be 1–256 characters of UTF-8", i)
		}
	}
	return nil
}

func (t Track) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
	if t.Name != "" && !idRE.MatchString(t.Name) {
		return bad("track name %q must be 1–64 letters, digits, _ . -", t.Name)
	}
	if !idRE.MatchString(t.Codec) {
		return bad("codec %q must be 1–64 letters, digits, _ . -", t.Codec)
	}
	for _, n := range []int{t.Width, t.Height, t.FPS, t.SampleRate, t.Channels} {
		if n < 0 || n > 1<<20 {
			return bad("track %s: number %d out of range", t.Name, n)
		}
	}
	switch t.Kind {
	case "video":
		if t.Width == 0 || t.Height == 0 || t.FPS == 0 {
			return bad("video track %s needs width, height and fps", t.Name)
		}
	case "audio":
		if t.SampleRate == 0 || t.Channels == 0 {
			return bad("audio track %s needs sample rate and channels", t.Name)
		}
	default:
		return bad("track kind %q (want video or audio)", t.Kind)
	}
	return nil
}
