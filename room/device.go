package room

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeviceMessage is what a recorder signs to ask for a device token:
// "evalroom-device-token\n<recorder id>\n<timestamp RFC 3339>" with the
// timestamp exactly as the request sends it.
func DeviceMessage(recorderID, timestamp string) []byte {
	return []byte("evalroom-device-token\n" + recorderID + "\n" + timestamp)
}

// DeviceGrant is what a verified recorder may do: publish into its room
// in the session the room is running now, or, when the room runs no
// session (Session.ID 0), only upload its archive.
type DeviceGrant struct {
	RecorderID string
	// Session is the room's running session; zero when there is none.
	Session Session
	// Room is the recorder's room.
	Room Room
}

// UploadOnly reports whether the grant has no running session: the
// recorder may upload its archive but not publish live media.
func (g DeviceGrant) UploadOnly() bool { return g.Session.ID == 0 }

// GrantDevice checks a recorder's signed request: the recorder is
// registered, the signature over DeviceMessage(recorderID, timestamp)
// verifies with its key, the timestamp (RFC 3339, as sent) is within the
// allowed skew and newer than the last one accepted (no replays); and it
// returns the room's running session (sign-in, evaluating or paused), or,
// when the room runs none, a grant without a session (UploadOnly: the
// recorder may still upload what it archived after the session ended).
// The accepted request is audited ("device.authenticate", with the
// session id or null). Errors: ErrBadSignature.
func (s *Service) GrantDevice(ctx context.Context, recorderID, timestamp string, signature []byte) (DeviceGrant, error) {
	ts, err := time.Parse(time.RFC3339Nano, timestamp)
	if err != nil {
		return DeviceGrant{}, fmt.Errorf("%w: 时间戳须为 RFC 3339 格式", ErrBadSignature)
	}
	if d := s.now().Sub(ts); d > s.skew || d < -s.skew {
		return DeviceGrant{}, fmt.Errorf("%w: 时间戳与服务器时间相差超过%s，请校准设备时钟", ErrBadSignature, hours(s.skew))
	}
	var g DeviceGrant
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var r Room
		var last *time.Time
		err := tx.QueryRow(ctx, `SELECT id, venue_code, name, seats, recorder_id, recorder_key, last_device_at
			FROM room.rooms WHERE recorder_id = $1 FOR UPDATE`, recorderID).
			Scan(&r.ID, &r.VenueCode, &r.Name, &r.Seats, &r.RecorderID, &r.RecorderKey, &last)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: 录像设备未登记", ErrBadSignature)
		}
		if err != nil {
			return fmt.Errorf("recorder %q: %w", recorderID, err)
		}
		if len(signature) != ed25519.SignatureSize || !ed25519.Verify(r.RecorderKey, DeviceMessage(recorderID, timestamp), signature) {
			return fmt.Errorf("%w: 设备签名无效", ErrBadSignature)
		}
		stamp := ts.UTC().Truncate(time.Microsecond)
		if last != nil && !stamp.After(*last) {
			return fmt.Errorf("%w: 该请求已使用过，请用新的时间戳重新签名", ErrBadSignature)
		}
		var sessionID *int64
		err = tx.QueryRow(ctx, `SELECT sr.session_id FROM room.session_rooms sr WHERE sr.room_id = $1 AND sr.active`, r.ID).Scan(&sessionID)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			// No running session: upload only.
			g.Room, sessionID = r, nil
		case err != nil:
			return fmt.Errorf("running session of room %d: %w", r.ID, err)
		default:
			if g.Session, err = loadSession(ctx, tx, *sessionID, false); err != nil {
				return err
			}
			if g.Room, _ = g.Session.Room(r.ID); g.Room.ID == 0 {
				return fmt.Errorf("room %d missing from session %d", r.ID, *sessionID)
			}
		}
		g.RecorderID = recorderID
		if _, err := tx.Exec(ctx, `UPDATE room.rooms SET last_device_at = $2 WHERE id = $1`, r.ID, stamp); err != nil {
			return mapPgError(err)
		}
		return s.record(ctx, tx, "device:"+recorderID, "device.authenticate", objectOfRoom(r.ID),
			map[string]any{"session_id": sessionID, "timestamp": timestamp})
	})
	if err != nil {
		return DeviceGrant{}, fmt.Errorf("device %q: %w", recorderID, err)
	}
	return g, nil
}

// MediaGrantRecord describes a media token the API minted, for the audit
// log.
type MediaGrantRecord struct {
	// Actor is who received it ("user:7", "device:edge-nj-1").
	Actor   string `json:"-"`
	Role    string `json:"role"`
	RoomID  string `json:"room_id,omitempty"`
	Venue   string `json:"venue,omitempty"`
	TokenID string `json:"token_id"`
	Publish bool   `json:"publish"`
	// Subscribe, Hidden and Admin are the other grants.
	Subscribe bool      `json:"subscribe"`
	Hidden    bool      `json:"hidden"`
	Admin     bool      `json:"admin"`
	Expires   time.Time `json:"expires_at"`
}

// RecordMediaGrant appends a minted media token to the audit log
// ("media.token"): who got which grants for which session and room. A
// token with no session (sessionID 0: a device's upload-only token) is
// recorded against its room. Errors: ErrInvalid (no actor; no session and
// no room id).
func (s *Service) RecordMediaGrant(ctx context.Context, sessionID int64, g MediaGrantRecord) error {
	if g.Actor == "" {
		return fmt.Errorf("%w: 缺少操作人", ErrInvalid)
	}
	object := sessionObject(sessionID)
	if sessionID == 0 {
		roomID, err := strconv.ParseInt(g.RoomID, 10, 64)
		if err != nil || roomID <= 0 {
			return fmt.Errorf("%w: 媒体令牌未指明评标或评标室", ErrInvalid)
		}
		object = objectOfRoom(roomID)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		return s.record(ctx, tx, g.Actor, "media.token", object, g)
	})
}
