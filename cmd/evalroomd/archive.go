package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
)

// startArchive opens the central archive's store and index and builds the
// recorders' upload handler; it needs startRoom's rooms and tokens.
func (m *Main) startArchive() error {
	c := m.Config.Archive
	if c.Dir == "" {
		return fmt.Errorf("archive.dir: required")
	}
	store, err := archive.NewFS(c.Dir)
	if err != nil {
		return fmt.Errorf("archive.dir: %w", err)
	}
	m.archive, err = archive.New(archive.Params{
		DB: m.db, Store: store, Keys: recorderKeys{m.rooms}, Audit: m.audit,
		MaxSegmentBytes: int64(c.MaxSegmentMB) << 20, Logger: m.log.With("component", "archive"),
	})
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	m.archiveUpload, err = archive.NewHandler(archive.HandlerParams{Service: m.archive, Tokens: m.tokens, Logger: m.log.With("component", "archive-upload")})
	if err != nil {
		return fmt.Errorf("archive upload: %w", err)
	}
	return nil
}

// recorderKeys tells the archive each recorder's registered key and room.
type recorderKeys struct{ rooms *room.Service }

// RecorderKey returns the recorder's public key and room.
func (k recorderKeys) RecorderKey(ctx context.Context, recorderID string) (ed25519.PublicKey, int64, error) {
	r, err := k.rooms.RoomByRecorder(ctx, recorderID)
	if errors.Is(err, room.ErrNotFound) {
		return nil, 0, fmt.Errorf("%w: %s", archive.ErrUnknownRecorder, recorderID)
	}
	if err != nil {
		return nil, 0, err
	}
	return ed25519.PublicKey(r.RecorderKey), r.ID, nil
}

// archiveIndex is the archive seen as room's index for scoring records'
// playback.
type archiveIndex struct{ a *archive.Service }

var _ room.ArchiveIndex = archiveIndex{}

// Locate returns where in the room's archive instant at lies.
func (x archiveIndex) Locate(ctx context.Context, roomID int64, at time.Time) (room.Position, error) {
	p, err := x.a.Locate(ctx, roomID, at)
	if errors.Is(err, archive.ErrNotFound) {
		return room.Position{}, fmt.Errorf("%w: %v", room.ErrNotFound, err)
	}
	if err != nil {
		return room.Position{}, err
	}
	track := p.Stream
	if strings.Contains(track, "+") {
		track = "" // the segment holds all of the room's tracks
	}
	return room.Position{RecorderID: p.Recorder, Segment: p.SegmentHash, Track: track, SegmentStart: p.UTCStart, Offset: p.OffsetFromStart}, nil
}
