package archivewire

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
)

// Sessions tells the archive's retention job when sessions ended and
// what their evidence covers (archive.Sessions on room.Service).
type Sessions struct {
	// Rooms is the room service.
	Rooms *room.Service
	// Now is the clock for a session still running (its span runs to
	// now); time.Now when nil.
	Now func() time.Time
}

var _ archive.Sessions = Sessions{}

// SessionEvidence returns the session's selection (SessionSelection) and
// when it ended: the time it entered its final phase (finished or
// aborted), zero while it has not. Errors: one wrapping
// archive.ErrNotFound for a session room does not know.
func (s Sessions) SessionEvidence(ctx context.Context, id int64) (archive.Selection, time.Time, error) {
	sess, err := s.Rooms.GetSession(ctx, id)
	if errors.Is(err, room.ErrNotFound) {
		return archive.Selection{}, time.Time{}, fmt.Errorf("%w: session %d", archive.ErrNotFound, id)
	}
	if err != nil {
		return archive.Selection{}, time.Time{}, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var ended time.Time
	if sess.Phase.Final() {
		ended = sess.PhaseChangedAt.UTC()
	}
	return SessionSelection(sess, now()), ended, nil
}

// OpenRetention builds the retention job the configuration asks for:
// archive.retention_years over a's segments, removing expired bytes from
// the replica too when one is configured. Errors: archive.ErrInvalid
// wrapped for a period below the legal minimum (naming the setting), the
// replica's errors.
func OpenRetention(ctx context.Context, c config.Archive, a *archive.Service, rooms *room.Service, now func() time.Time) (*archive.Retention, error) {
	if err := CheckRetention(c); err != nil {
		return nil, err
	}
	var replicas []archive.Remover
	sc, ok, err := ReplicaConfig(c)
	if err != nil {
		return nil, err
	}
	if ok {
		rep, err := archive.OpenReplica(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("archive replica %s: %w", c.ReplicaStore, err)
		}
		rm, isRemover := rep.Segments.(archive.Remover)
		if !isRemover {
			return nil, fmt.Errorf("%w: archive replica %T cannot delete expired segments", archive.ErrInvalid, rep.Segments)
		}
		replicas = append(replicas, rm)
	}
	return archive.NewRetention(archive.RetentionParams{Service: a, Years: c.RetentionYears,
		Sessions: Sessions{Rooms: rooms, Now: now}, Replicas: replicas, Now: now})
}

// CheckRetention refuses a retention period below the legal minimum,
// naming the setting.
func CheckRetention(c config.Archive) error {
	if c.RetentionYears < archive.MinRetentionYears {
		return fmt.Errorf("%w: archive.retention_years %d: below the legal minimum of %d years (录像保存期限不得低于法定最短期限 %d 年)",
			archive.ErrInvalid, c.RetentionYears, archive.MinRetentionYears, archive.MinRetentionYears)
	}
	return nil
}
