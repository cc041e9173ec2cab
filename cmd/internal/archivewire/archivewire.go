// Package archivewire is the wiring of the central archive that evalroomd
// and evalroomctl share: the store the configuration names, the
// recorders' keys from room, and what a session's evidence covers. It
// lives in cmd because it joins two features (room and recorder/archive),
// which never import each other.
package archivewire

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
)

// StoreConfig is the archive store the configuration names: the folder
// archive.dir, or the S3 bucket of archive.s3_* with its spool in
// archive.dir/tmp.
func StoreConfig(c config.Archive) archive.StoreConfig {
	return archive.StoreConfig{Kind: c.Store, Dir: c.Dir, S3: archive.S3Params{
		Endpoint: c.S3Endpoint, Bucket: c.S3Bucket, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey,
		UseSSL: c.S3UseSSL, Region: c.S3Region, Prefix: c.S3Prefix,
	}}
}

// RecorderKeys tells the archive each recorder's registered key and room
// (archive.RecorderKeys on room.Service).
type RecorderKeys struct {
	// Rooms is the room service.
	Rooms *room.Service
}

var _ archive.RecorderKeys = RecorderKeys{}

// RecorderKey returns the recorder's public key and room; an error
// wrapping archive.ErrUnknownRecorder for a recorder not registered.
func (k RecorderKeys) RecorderKey(ctx context.Context, recorderID string) (ed25519.PublicKey, int64, error) {
	r, err := k.Rooms.RoomByRecorder(ctx, recorderID)
	if errors.Is(err, room.ErrNotFound) {
		return nil, 0, fmt.Errorf("%w: %s", archive.ErrUnknownRecorder, recorderID)
	}
	if err != nil {
		return nil, 0, err
	}
	return ed25519.PublicKey(r.RecorderKey), r.ID, nil
}

// SessionSelection is what a session's evidence covers: its rooms, from
// its planned start to its planned end, or to its actual end when later
// (now while it has not ended). The archive adds every segment the
// recorders tagged with the session, whatever its time.
func SessionSelection(s room.Session, now time.Time) archive.Selection {
	sel := archive.Selection{Session: s.ID, From: s.StartsAt.UTC(), To: s.EndsAt.UTC()}
	for _, r := range s.Rooms {
		sel.Rooms = append(sel.Rooms, r.ID)
	}
	end := now.UTC()
	if s.Phase.Final() {
		end = s.PhaseChangedAt.UTC()
	}
	if end.After(sel.To) {
		sel.To = end
	}
	if !sel.From.Before(sel.To) {
		sel.To = sel.From.Add(time.Second)
	}
	return sel
}
