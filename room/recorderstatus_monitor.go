package room

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/evalroom/evalroom/internal/events"
)

// RecorderStatusStore keeps the latest report of each recorder for a
// limited time (RedisRecorderStatus; the report lifetime): a recorder
// whose report has expired is stale.
type RecorderStatusStore interface {
	// Put stores st as its recorder's latest report.
	Put(ctx context.Context, st RecorderStatus) error
	// Get returns the fresh reports of the named recorders, by recorder
	// id; recorders without one are absent.
	Get(ctx context.Context, recorderIDs []string) (map[string]RecorderStatus, error)
}

// EventPublisher sends "something changed" hints to the live panels
// (*events.Bus).
type EventPublisher interface {
	// Publish sends e; an error means it was not sent.
	Publish(ctx context.Context, e events.Event) error
}

// ActionRecorderStatus is the event published after each stored report.
const ActionRecorderStatus = "recorder.status"

// RecorderMonitorParams are what a RecorderMonitor needs.
type RecorderMonitorParams struct {
	// Sessions finds recorders' rooms and sessions' rooms. Required.
	Sessions *Service
	// Store keeps the reports. Required.
	Store RecorderStatusStore
	// Events, when set, is told about each stored report.
	Events EventPublisher
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// RecorderMonitor takes the edge recorders' status reports and shows
// them per session (control panel) and per room (metrics).
type RecorderMonitor struct {
	rooms  *Service
	store  RecorderStatusStore
	events EventPublisher
	now    func() time.Time
	log    *slog.Logger
}

// NewRecorderMonitor returns a monitor. Errors: ErrMissingParam.
func NewRecorderMonitor(p RecorderMonitorParams) (*RecorderMonitor, error) {
	switch {
	case p.Sessions == nil:
		return nil, fmt.Errorf("%w: Sessions", ErrMissingParam)
	case p.Store == nil:
		return nil, fmt.Errorf("%w: Store", ErrMissingParam)
	}
	m := &RecorderMonitor{rooms: p.Sessions, store: p.Store, events: p.Events, now: p.Now, log: p.Logger}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.log = m.log.With("component", "recorder-status")
	return m, nil
}

// Report checks a recorder's report against its token's identity and
// its registration and stores it as the recorder's latest, then
// publishes a "recorder.status" event (object "session:<id>" while the
// token names a session, else "room:<id>"). A lost event is only logged.
// Errors: ErrInvalid (the report is wrong or not the token's recorder or
// room; nothing is stored), ErrConflict (the recorder is no longer
// registered to that room), the store's.
func (m *RecorderMonitor) Report(ctx context.Context, id RecorderIdentity, r RecorderReport) (RecorderStatus, error) {
	now := m.now().UTC()
	if err := r.check(id, now); err != nil {
		return RecorderStatus{}, fmt.Errorf("recorder %q status: %w", id.RecorderID, err)
	}
	sessionID, err := sessionIDOf(id.SessionID)
	if err != nil {
		return RecorderStatus{}, err
	}
	room, err := m.rooms.RoomByRecorder(ctx, id.RecorderID)
	switch {
	case errors.Is(err, ErrNotFound):
		return RecorderStatus{}, fmt.Errorf("%w: 录像设备 %s 已不再登记", ErrConflict, id.RecorderID)
	case err != nil:
		return RecorderStatus{}, err
	case room.IDString() != id.RoomID:
		return RecorderStatus{}, fmt.Errorf("%w: 录像设备 %s 已改登记到其他评标室，请重新获取设备令牌", ErrConflict, id.RecorderID)
	}
	if r.Alarms == nil {
		r.Alarms = []string{}
	}
	st := RecorderStatus{RecorderReport: r, SessionID: sessionID, ReportedAt: now}
	if err := m.store.Put(ctx, st); err != nil {
		return RecorderStatus{}, fmt.Errorf("recorder %q status: %w", id.RecorderID, err)
	}
	if m.events != nil {
		object := objectOfRoom(room.ID)
		if sessionID != 0 {
			object = sessionObject(sessionID)
		}
		if err := m.events.Publish(ctx, events.Event{Action: ActionRecorderStatus, Object: object}); err != nil {
			m.log.WarnContext(ctx, "recorder status event not published", "recorder", id.RecorderID, "err", err)
		}
	}
	return st, nil
}

// SessionRecorders shows the recorder of each room of sess that has one
// registered, in the session's room order; a room without a fresh report
// is stale. Errors: the store's.
func (m *RecorderMonitor) SessionRecorders(ctx context.Context, sess Session) ([]RecorderView, error) {
	var rooms []Room
	for _, r := range sess.Rooms {
		if r.RecorderID != "" {
			rooms = append(rooms, r)
		}
	}
	return m.views(ctx, rooms)
}

// views shows rooms (each with a recorder) with their latest reports.
func (m *RecorderMonitor) views(ctx context.Context, rooms []Room) ([]RecorderView, error) {
	out := make([]RecorderView, 0, len(rooms))
	if len(rooms) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(rooms))
	for _, r := range rooms {
		ids = append(ids, r.RecorderID)
	}
	got, err := m.store.Get(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("recorder statuses: %w", err)
	}
	for _, r := range rooms {
		var st *RecorderStatus
		// A report sent for another room (the recorder moved since) is
		// not this room's.
		if s, ok := got[r.RecorderID]; ok && s.RoomID == r.IDString() {
			st = &s
		}
		out = append(out, viewOf(r, st))
	}
	return out, nil
}
