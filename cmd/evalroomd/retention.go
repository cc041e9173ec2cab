package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web"
)

// retentionInterval is how often the retention job runs on each node;
// retentionFirst is when it first runs after the start (soon, so that a
// node restarted more often than daily still runs it).
const (
	retentionInterval = 24 * time.Hour
	retentionFirst    = 10 * time.Minute
)

// retentionActor is who the retention job deletes as, in the audit log.
const retentionActor = "system:retention"

// startRetention builds the archive's retention job (archive.retention_years,
// the replica too) and runs it on its own goroutine ten minutes after the
// start, then every day; Close stops it. It needs startArchive's archive.
func (m *Main) startRetention(ctx context.Context) error {
	r, err := archivewire.OpenRetention(ctx, m.Config.Archive, m.archive, m.rooms, m.retentionClock())
	if err != nil {
		return fmt.Errorf("archive retention: %w", err)
	}
	m.retention = r
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(retentionFirst)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			m.runRetention(stop)
			t.Reset(retentionInterval)
		}
	}()
	m.closer = append(m.closer, func(context.Context) error {
		close(stop)
		<-done
		return nil
	})
	m.log.Info("archive retention", "years", r.Years(), "first_in", retentionFirst, "every", retentionInterval)
	return nil
}

// runRetention runs the job once, until it is done or stop closes.
func (m *Main) runRetention(stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	rep, err := m.retention.Expire(ctx, retentionActor, false)
	if err != nil {
		m.log.Error("archive retention run", "err", err, "expired", rep.Expired)
		return
	}
	m.log.Info("archive retention run", "cutoff", rep.Cutoff, "expired", rep.Expired, "bytes", rep.Bytes,
		"held", rep.Held, "kept", rep.Kept, "blobs_removed", rep.BlobsRemoved)
}

// retentionClock is the clock the retention job reads (tests move it
// years ahead).
func (m *Main) retentionClock() func() time.Time {
	if m.clock != nil {
		return m.clock
	}
	return time.Now
}

// sessionHolds is the archive's legal holds seen as web's Holds: it
// checks the session (and the room) in room and maps the archive's
// errors to room's.
type sessionHolds struct {
	rooms   *room.Service
	archive *archive.Service
}

var _ web.Holds = sessionHolds{}

// PlaceHold holds the session's recordings, or one of its rooms'.
func (h sessionHolds) PlaceHold(ctx context.Context, actor string, id int64, in archive.HoldInput) (archive.Hold, error) {
	sess, err := h.rooms.GetSession(ctx, id)
	if err != nil {
		return archive.Hold{}, err
	}
	if in.Room != 0 && !slices.ContainsFunc(sess.Rooms, func(r room.Room) bool { return r.ID == in.Room }) {
		return archive.Hold{}, errtext.Field(fmt.Errorf("%w: 评标室 %d 不属于该评标", room.ErrInvalid, in.Room), "room_id")
	}
	hold, err := h.archive.PlaceHold(ctx, actor, id, in)
	if err != nil {
		return archive.Hold{}, roomError(err)
	}
	return hold, nil
}

// ReleaseHold releases one of the session's holds.
func (h sessionHolds) ReleaseHold(ctx context.Context, actor string, id, holdID int64, reason string) (archive.Hold, error) {
	if _, err := h.rooms.GetSession(ctx, id); err != nil {
		return archive.Hold{}, err
	}
	hold, err := h.archive.ReleaseHold(ctx, actor, id, holdID, reason)
	if err != nil {
		return archive.Hold{}, holdError(err)
	}
	return hold, nil
}

// ListHolds lists the session's holds.
func (h sessionHolds) ListHolds(ctx context.Context, id int64) ([]archive.Hold, error) {
	if _, err := h.rooms.GetSession(ctx, id); err != nil {
		return nil, err
	}
	return h.archive.Holds(ctx, id)
}

// holdError maps a release's errors: a hold released already is a
// conflict.
func holdError(err error) error {
	if errors.Is(err, archive.ErrConflict) {
		return &mappedError{room: room.ErrConflict, msg: errtext.After(err, archive.ErrConflict), cause: err}
	}
	return roomError(err)
}
