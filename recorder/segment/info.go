package segment

import "time"

// Gap is an interval without media.
type Gap struct {
	// From and To bound the gap in UTC.
	From, To time.Time
	// Reason says why, e.g. "device lost: cam1", "recorder restart".
	Reason string
}

// SegmentInfo describes a closed (or recovered) segment.
type SegmentInfo struct {
	// Path is the segment file (*.mp4).
	Path string
	// Recorder and Seq come from the file name.
	Recorder string
	Seq      int
	// UTCStart is the capture time of the first frame; UTCEnd is the end
	// of the lead (video) track's last frame. The next segment of an
	// uninterrupted recording starts at UTCEnd. Audio tracks may run past
	// UTCEnd by less than one packet.
	UTCStart, UTCEnd time.Time
	// Frames counts the lead track's frames; Samples counts the samples
	// of all tracks.
	Frames, Samples int
	// Bytes is the file size.
	Bytes int64
	// Truncated is set on segments made by Recover: the writer did not
	// close them, and they end at their last complete fragment.
	Truncated bool
	// Gaps are the gaps marked while this segment was open, or before it
	// when no segment was open.
	Gaps []Gap
	// ClosedAt is the wall-clock time the segment was closed or recovered.
	ClosedAt time.Time
}
