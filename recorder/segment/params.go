package segment

import (
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/evalroom/evalroom/media/fmp4"
)

// FsyncPolicy says when the writer makes written bytes durable.
type FsyncPolicy int

// Fsync policies; see the package documentation.
const (
	// FsyncFragment fsyncs the file after every fragment and the folder
	// after each create and rename (the default).
	FsyncFragment FsyncPolicy = iota
	// FsyncClose fsyncs the file and the folder only when a segment
	// closes.
	FsyncClose
	// FsyncNever never fsyncs (tests, benchmarks).
	FsyncNever
)

// Defaults for the zero values of Params.
const (
	DefaultLength         = 10 * time.Second
	DefaultFragmentLength = time.Second
	DefaultReorder        = 500 * time.Millisecond
)

// Params configure a Writer.
type Params struct {
	// Dir is the folder the segments go to; it must exist.
	Dir string
	// Recorder names the recorder (and camera) in file names.
	Recorder string
	// Tracks is the layout: at most one video track, H.264 or VP8 (the
	// segments' lead track, whose keyframes start segments), and any
	// number of Opus tracks. The video description may be left empty: an
	// H.264 track's SPS and PPS, a VP8 track's size and version are taken
	// from each segment's first keyframe.
	Tracks []fmp4.Track
	// Length is the minimum segment length; zero means DefaultLength.
	Length time.Duration
	// FragmentLength is the media time per fragment; zero means
	// DefaultFragmentLength.
	FragmentLength time.Duration
	// Reorder is how long (in media time) frames wait so that frames of
	// different tracks that arrive slightly out of order are written in
	// UTC order; zero means DefaultReorder, negative means none.
	Reorder time.Duration
	// Fsync is the fsync policy; the zero value is FsyncFragment.
	Fsync FsyncPolicy
	// Now is the wall clock, used for SegmentInfo.ClosedAt; nil means
	// time.Now.
	Now func() time.Time
	// OnClosed is called for each closed segment, from the goroutine that
	// closed it and with no lock held. It may be nil.
	OnClosed func(SegmentInfo)
	// Tags are extra metadata items written into each segment's header
	// (ffprobe shows them as format tags).
	Tags map[string]string
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
}

var recorderRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func (p *Params) normalize() error {
	if p.Dir == "" || p.Recorder == "" || len(p.Tracks) == 0 {
		return fmt.Errorf("%w: Dir, Recorder and Tracks are required", ErrMissingParam)
	}
	if !recorderRE.MatchString(p.Recorder) {
		return fmt.Errorf("%w: recorder name %q", ErrInvalidParam, p.Recorder)
	}
	videos := 0
	for _, t := range p.Tracks {
		switch {
		case t.Kind == fmp4.Video && (t.Codec == fmp4.H264 || t.Codec == fmp4.VP8):
			videos++
		case t.Kind == fmp4.Audio && t.Codec == fmp4.Opus:
		default:
			return fmt.Errorf("%w: track %d is %s %s", ErrInvalidParam, t.ID, t.Kind, t.Codec)
		}
	}
	if videos > 1 {
		return fmt.Errorf("%w: %d video tracks (one segment writer per camera)", ErrInvalidParam, videos)
	}
	if p.Length <= 0 {
		p.Length = DefaultLength
	}
	if p.FragmentLength <= 0 {
		p.FragmentLength = DefaultFragmentLength
	}
	if p.Reorder == 0 {
		p.Reorder = DefaultReorder
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	p.Logger = p.Logger.With("recorder", p.Recorder)
	return nil
}
