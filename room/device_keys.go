package room

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/evalroom/evalroom/internal/errtext"
	"github.com/jackc/pgx/v5"
)

// RecorderKeyPeriod is one public key an edge recorder had and when it
// was in force: from RegisteredAt until RetiredAt (nil while in force),
// the end excluded. Keys are never deleted (room.recorder_keys): the
// archive verifies a segment with the key in force when it was accepted.
type RecorderKeyPeriod struct {
	RecorderID string `json:"recorder_id"`
	// RoomID is the room the recorder recorded with this key.
	RoomID    int64  `json:"room_id"`
	PublicKey []byte `json:"public_key"`
	// Fingerprint is KeyFingerprint(PublicKey).
	Fingerprint  string     `json:"fingerprint"`
	RegisteredAt time.Time  `json:"registered_at"`
	RegisteredBy string     `json:"registered_by"`
	RetiredAt    *time.Time `json:"retired_at,omitempty"`
	RetiredBy    string     `json:"retired_by,omitempty"`
}

// KeyFingerprint names a public key for people: "SHA256:" and the hex
// SHA-256 of the key's bytes (the same as evidence.Fingerprint).
func KeyFingerprint(pub []byte) string {
	sum := sha256.Sum256(pub)
	return "SHA256:" + hex.EncodeToString(sum[:])
}

// RecorderKeyHistory returns every key ever registered for recorderID,
// oldest first, each with its period. Errors: ErrNotFound when the
// recorder never had a key.
func (s *Service) RecorderKeyHistory(ctx context.Context, recorderID string) ([]RecorderKeyPeriod, error) {
	rows, err := s.db.Query(ctx, `SELECT recorder_id, room_id, public_key, registered_at, registered_by, retired_at,
		coalesce(retired_by, '') FROM room.recorder_keys WHERE recorder_id = $1 ORDER BY registered_at, id`, recorderID)
	if err != nil {
		return nil, fmt.Errorf("key history of recorder %q: %w", recorderID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RecorderKeyPeriod, error) {
		var k RecorderKeyPeriod
		err := r.Scan(&k.RecorderID, &k.RoomID, &k.PublicKey, &k.RegisteredAt, &k.RegisteredBy, &k.RetiredAt, &k.RetiredBy)
		k.Fingerprint = KeyFingerprint(k.PublicKey)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("key history of recorder %q: %w", recorderID, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("recorder %q: %w", recorderID, ErrNotFound)
	}
	return list, nil
}

// keyChange is what a registration changed in the key history.
type keyChange struct {
	// retired is the room's key retired by the registration (nil when the
	// room had none or keeps it).
	retired *RecorderKeyPeriod
	// added is true when a new key period began.
	added bool
}

// changeRecorderKey updates the key history inside RegisterRecorder's
// transaction after the room row took recorderID and pub: it retires the
// room's key in force when the recorder or its key changed, and starts
// the new key's period; registering the same recorder with the same key
// again changes nothing. A key registered before for another recorder is
// refused with ErrConflict.
func (s *Service) changeRecorderKey(ctx context.Context, tx pgx.Tx, actor string, roomID int64, recorderID string, pub ed25519.PublicKey) (keyChange, error) {
	var ch keyChange
	var owner string
	err := tx.QueryRow(ctx, `SELECT recorder_id FROM room.recorder_keys WHERE public_key = $1 AND recorder_id <> $2 LIMIT 1`,
		[]byte(pub), recorderID).Scan(&owner)
	switch {
	case err == nil:
		return ch, errtext.Field(fmt.Errorf("%w: 该公钥曾登记给录像设备 %s，一把公钥只能属于一台录像设备，请为本设备生成新的密钥", ErrConflict, owner), "public_key")
	case !errors.Is(err, pgx.ErrNoRows):
		return ch, fmt.Errorf("key owner: %w", err)
	}
	var cur RecorderKeyPeriod
	err = tx.QueryRow(ctx, `SELECT recorder_id, room_id, public_key, registered_at, registered_by FROM room.recorder_keys
		WHERE room_id = $1 AND retired_at IS NULL FOR UPDATE`, roomID).
		Scan(&cur.RecorderID, &cur.RoomID, &cur.PublicKey, &cur.RegisteredAt, &cur.RegisteredBy)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return ch, fmt.Errorf("key in force of room %d: %w", roomID, err)
	case cur.RecorderID == recorderID && ed25519.PublicKey(cur.PublicKey).Equal(pub):
		return ch, nil // the same registration again
	default:
		now := s.nowUTC()
		if now.Before(cur.RegisteredAt) {
			now = cur.RegisteredAt
		}
		if _, err := tx.Exec(ctx, `UPDATE room.recorder_keys SET retired_at = $2, retired_by = $3
			WHERE room_id = $1 AND retired_at IS NULL`, roomID, now, actor); err != nil {
			return ch, mapPgError(err)
		}
		cur.Fingerprint, cur.RetiredAt, cur.RetiredBy = KeyFingerprint(cur.PublicKey), &now, actor
		ch.retired = &cur
	}
	at := s.nowUTC()
	if ch.retired != nil && at.Before(*ch.retired.RetiredAt) {
		at = *ch.retired.RetiredAt
	}
	if _, err := tx.Exec(ctx, `INSERT INTO room.recorder_keys (recorder_id, room_id, public_key, registered_at, registered_by)
		VALUES ($1, $2, $3, $4, $5)`, recorderID, roomID, []byte(pub), at, actor); err != nil {
		return ch, mapPgError(err)
	}
	ch.added = true
	return ch, nil
}

// auditDetail is the audit detail of a registration: the new key and its
// fingerprint, and the key it replaced with its fingerprint.
func (ch keyChange) auditDetail(recorderID string, pub ed25519.PublicKey) map[string]any {
	d := map[string]any{"recorder_id": recorderID, "public_key": pub, "fingerprint": KeyFingerprint(pub),
		"key_changed": ch.added}
	if r := ch.retired; r != nil {
		d["replaced_recorder_id"] = r.RecorderID
		d["replaced_public_key"] = r.PublicKey
		d["replaced_fingerprint"] = r.Fingerprint
		d["replaced_registered_at"] = r.RegisteredAt
		d["replaced_retired_at"] = r.RetiredAt
	}
	return d
}
