package room

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RoomRecorderState is one room's recording state for the metrics: the
// room's recorder as the control panel sees it, and the session the room
// runs now.
type RoomRecorderState struct {
	RecorderView
	// SessionID and Phase are the room's running session (sign-in,
	// evaluating or paused); 0 and "" when it runs none.
	SessionID int64
	Phase     Phase
}

// Evaluating reports whether the room's session is evaluating, when a
// room must be recording.
func (s RoomRecorderState) Evaluating() bool { return s.Phase == PhaseEvaluating }

// RoomStates returns every room that has a recorder registered or runs a
// session, by room id, with its recorder's latest report (stale when
// none is fresh, or when the room has no recorder) and its running
// session. Errors: database and store errors.
func (m *RecorderMonitor) RoomStates(ctx context.Context) ([]RoomRecorderState, error) {
	rows, err := m.rooms.db.Query(ctx, `SELECT r.id, r.venue_code, r.name, coalesce(r.recorder_id, ''),
			coalesce(s.id, 0), coalesce(s.phase, '')
		FROM room.rooms r
		LEFT JOIN room.session_rooms sr ON sr.room_id = r.id AND sr.active
		LEFT JOIN room.sessions s ON s.id = sr.session_id
		WHERE r.recorder_id IS NOT NULL OR sr.session_id IS NOT NULL
		ORDER BY r.id`)
	if err != nil {
		return nil, fmt.Errorf("rooms with recorders: %w", err)
	}
	type row struct {
		room    Room
		session int64
		phase   Phase
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.room.ID, &x.room.VenueCode, &x.room.Name, &x.room.RecorderID, &x.session, &x.phase)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("rooms with recorders: %w", err)
	}
	var withRecorder []Room
	for _, x := range list {
		if x.room.RecorderID != "" {
			withRecorder = append(withRecorder, x.room)
		}
	}
	views, err := m.views(ctx, withRecorder)
	if err != nil {
		return nil, err
	}
	byRoom := make(map[int64]RecorderView, len(views))
	for _, v := range views {
		byRoom[v.RoomID] = v
	}
	out := make([]RoomRecorderState, 0, len(list))
	for _, x := range list {
		v, ok := byRoom[x.room.ID]
		if !ok {
			v = viewOf(x.room, nil)
		}
		out = append(out, RoomRecorderState{RecorderView: v, SessionID: x.session, Phase: x.phase})
	}
	return out, nil
}
