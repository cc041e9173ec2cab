package room

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Position is where a room's archive covers an instant: the segment and
// the offset into it.
type Position struct {
	// RecorderID is the edge recorder that wrote the segment.
	RecorderID string `json:"recorder_id"`
	// Segment names the segment in the archive (its content hash).
	Segment string `json:"segment"`
	// Track names the camera or microphone when a segment holds one
	// track; empty for a segment holding all of the room's tracks.
	Track string `json:"track,omitempty"`
	// SegmentStart is the segment's first instant, UTC.
	SegmentStart time.Time `json:"segment_start"`
	// Offset is how far into the segment the instant lies.
	Offset time.Duration `json:"offset_ns"`
}

// ArchiveIndex answers which archive segment covers a room at an instant.
// The central archive implements it; cmd wires it (room does not import
// the archive).
type ArchiveIndex interface {
	// Locate returns the position of instant at in room roomID's archive.
	// It returns an error wrapping ErrNotFound when no segment covers the
	// instant (a gap, or not uploaded yet).
	Locate(ctx context.Context, roomID int64, at time.Time) (Position, error)
}

// RoomPosition is one room's answer for a scoring record.
type RoomPosition struct {
	RoomID    int64  `json:"room_id"`
	VenueCode string `json:"venue_code"`
	Name      string `json:"name"`
	// Position is nil when the archive has no segment for the instant.
	Position *Position `json:"position,omitempty"`
	// Missing says why there is no position (Chinese).
	Missing string `json:"missing,omitempty"`
}

// Playback is where every room of a record's session was recorded at the
// record's instant.
type Playback struct {
	Score ScoreRecord    `json:"score"`
	At    time.Time      `json:"at"`
	Rooms []RoomPosition `json:"rooms"`
}

// Playback returns, for every room of the record's session, the archive
// segment and offset that cover the instant the record was stamped with.
// Errors: ErrUnavailable (idx is nil), ErrNotFound (the record), the
// index's errors other than ErrNotFound.
func (s *Service) Playback(ctx context.Context, scoreID int64, idx ArchiveIndex) (Playback, error) {
	if idx == nil {
		return Playback{}, fmt.Errorf("%w: 录像索引尚未启用", ErrUnavailable)
	}
	rec, err := loadScore(ctx, s.db, scoreID)
	if err != nil {
		return Playback{}, err
	}
	sess, err := s.GetSession(ctx, rec.SessionID)
	if err != nil {
		return Playback{}, err
	}
	pb := Playback{Score: rec, At: rec.RecordedAt, Rooms: make([]RoomPosition, 0, len(sess.Rooms))}
	for _, r := range sess.Rooms {
		rp := RoomPosition{RoomID: r.ID, VenueCode: r.VenueCode, Name: r.Name}
		pos, err := idx.Locate(ctx, r.ID, rec.RecordedAt)
		switch {
		case errors.Is(err, ErrNotFound):
			rp.Missing = "该时刻没有该评标室的录像（录像中断或尚未上传）"
		case err != nil:
			return Playback{}, fmt.Errorf("locate room %d at %s: %w", r.ID, rec.RecordedAt, err)
		default:
			rp.Position = &pos
		}
		pb.Rooms = append(pb.Rooms, rp)
	}
	return pb, nil
}
