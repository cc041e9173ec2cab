package room

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/jackc/pgx/v5"
)

// Room is a physical evaluation room of a venue, as one session uses it.
type Room struct {
	ID        int64  `json:"id"`
	VenueCode string `json:"venue_code"`
	Name      string `json:"name"`
	// Seats is the number of seats the session may use (1..Seats).
	Seats int `json:"seats"`
	// RecorderID and RecorderKey name the room's registered edge recorder
	// and its Ed25519 public key; empty when none is registered.
	RecorderID  string `json:"recorder_id,omitempty"`
	RecorderKey []byte `json:"recorder_public_key,omitempty"`
}

// IDString is the room id in decimal, as media tokens and the SFU name it.
func (r Room) IDString() string { return strconv.FormatInt(r.ID, 10) }

// RoomInput is a room to add to a session: the venue's room of that name
// is created if it does not exist yet, and its seat count set.
type RoomInput struct {
	VenueCode string `json:"venue_code"`
	Name      string `json:"name"`
	Seats     int    `json:"seats"`
}

var recorderRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func objectOfRoom(id int64) string { return "room:" + strconv.FormatInt(id, 10) }

// sessionRooms lists the rooms a session uses, main venue first.
func sessionRooms(ctx context.Context, q querier, sessionID int64) ([]Room, error) {
	rows, err := q.Query(ctx, `SELECT r.id, r.venue_code, r.name, sr.seats, coalesce(r.recorder_id, ''), r.recorder_key
		FROM room.session_rooms sr JOIN room.rooms r ON r.id = sr.room_id
		JOIN room.session_venues v ON v.session_id = sr.session_id AND v.venue_code = sr.venue_code
		WHERE sr.session_id = $1 ORDER BY NOT v.is_main, r.venue_code, r.id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("rooms of session %d: %w", sessionID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Room, error) {
		var x Room
		err := r.Scan(&x.ID, &x.VenueCode, &x.Name, &x.Seats, &x.RecorderID, &x.RecorderKey)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("rooms of session %d: %w", sessionID, err)
	}
	return list, nil
}

// AddRoom adds a room of one of the session's venues to a session that
// has not ended; a room added to a running session runs with it. Errors:
// ErrInvalid, ErrNotFound, ErrPhase (ended), ErrConflict (already in the
// session, or busy in another running session).
func (s *Service) AddRoom(ctx context.Context, actor string, sessionID int64, in RoomInput) (Room, error) {
	in.VenueCode, in.Name = strings.TrimSpace(in.VenueCode), strings.TrimSpace(in.Name)
	switch {
	case actor == "":
		return Room{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	case in.Name == "" || utf8.RuneCountInString(in.Name) > 64:
		return Room{}, errtext.Field(fmt.Errorf("%w: 评标室名称不能为空且不超过64字", ErrInvalid), "name")
	case in.Seats < 1 || in.Seats > 99:
		return Room{}, errtext.Field(fmt.Errorf("%w: 座位数须在1至99之间", ErrInvalid), "seats")
	}
	var room Room
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID, true)
		if err != nil {
			return err
		}
		if !sess.HasVenue(in.VenueCode) {
			return errtext.Field(fmt.Errorf("%w: 场地 %s 不属于本场评标", ErrInvalid, in.VenueCode), "venue_code")
		}
		if sess.Phase.Final() {
			return fmt.Errorf("%w: 评标已%s，不能再添加评标室", ErrPhase, sess.Phase.Label())
		}
		err = tx.QueryRow(ctx, `INSERT INTO room.rooms (venue_code, name, seats, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (venue_code, name) DO UPDATE SET seats = EXCLUDED.seats
			RETURNING id, venue_code, name, seats, coalesce(recorder_id, ''), recorder_key`,
			in.VenueCode, in.Name, in.Seats, s.nowUTC()).
			Scan(&room.ID, &room.VenueCode, &room.Name, &room.Seats, &room.RecorderID, &room.RecorderKey)
		if err != nil {
			return mapPgError(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO room.session_rooms (session_id, room_id, venue_code, seats, active)
			VALUES ($1, $2, $3, $4, $5)`, sessionID, room.ID, room.VenueCode, room.Seats, sess.Phase.Running()); err != nil {
			return mapPgError(err)
		}
		return s.record(ctx, tx, actor, "session.add_room", sessionObject(sessionID),
			map[string]any{"room_id": room.ID, "venue_code": room.VenueCode, "name": room.Name, "seats": room.Seats})
	})
	if err != nil {
		return Room{}, fmt.Errorf("add room to session %d: %w", sessionID, err)
	}
	return room, nil
}

// RegisterRecorder registers the edge recorder of a room: its id and its
// Ed25519 public key, which signs its device-token requests and its
// manifests. It replaces any recorder registered before; the replaced key
// is retired, never deleted (RecorderKeyHistory), so the recordings it
// signed still verify. The audit entry names both keys' fingerprints.
// Errors: ErrInvalid, ErrNotFound, ErrConflict (the id or key belongs to
// another room, or the key was registered before for another recorder).
func (s *Service) RegisterRecorder(ctx context.Context, actor string, roomID int64, recorderID string, pub ed25519.PublicKey) (Room, error) {
	recorderID = strings.TrimSpace(recorderID)
	switch {
	case actor == "":
		return Room{}, fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	case !recorderRE.MatchString(recorderID):
		return Room{}, errtext.Field(fmt.Errorf("%w: 录像设备编号须为 1–64 位字母、数字或 _ . -", ErrInvalid), "recorder_id")
	case len(pub) != ed25519.PublicKeySize:
		return Room{}, errtext.Field(fmt.Errorf("%w: 设备公钥须为32字节的 Ed25519 公钥", ErrInvalid), "public_key")
	}
	var room Room
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE room.rooms SET recorder_id = $2, recorder_key = $3, last_device_at = NULL WHERE id = $1
			RETURNING id, venue_code, name, seats, recorder_id, recorder_key`, roomID, recorderID, []byte(pub)).
			Scan(&room.ID, &room.VenueCode, &room.Name, &room.Seats, &room.RecorderID, &room.RecorderKey)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("room %d: %w", roomID, ErrNotFound)
		}
		if err != nil {
			return mapPgError(err)
		}
		ch, err := s.changeRecorderKey(ctx, tx, actor, roomID, recorderID, pub)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "room.register_recorder", objectOfRoom(roomID), ch.auditDetail(recorderID, pub))
	})
	if err != nil {
		return Room{}, fmt.Errorf("register recorder of room %d: %w", roomID, err)
	}
	return room, nil
}

// RoomByRecorder returns the room the recorder is registered to, with its
// public key. Errors: ErrNotFound.
func (s *Service) RoomByRecorder(ctx context.Context, recorderID string) (Room, error) {
	var r Room
	err := s.db.QueryRow(ctx, `SELECT id, venue_code, name, seats, recorder_id, recorder_key
		FROM room.rooms WHERE recorder_id = $1`, recorderID).
		Scan(&r.ID, &r.VenueCode, &r.Name, &r.Seats, &r.RecorderID, &r.RecorderKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return Room{}, fmt.Errorf("recorder %q: %w", recorderID, ErrNotFound)
	}
	if err != nil {
		return Room{}, fmt.Errorf("recorder %q: %w", recorderID, err)
	}
	return r, nil
}
