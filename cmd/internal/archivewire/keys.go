package archivewire

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/room"
)

var _ archive.KeyHistory = RecorderKeys{}

// RecorderKeyHistory returns every key the recorder ever had with the
// period it was in force (room's key history); an error wrapping
// archive.ErrUnknownRecorder for a recorder never registered.
func (k RecorderKeys) RecorderKeyHistory(ctx context.Context, recorderID string) ([]evidence.KeyPeriod, error) {
	hist, err := k.Rooms.RecorderKeyHistory(ctx, recorderID)
	if errors.Is(err, room.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", archive.ErrUnknownRecorder, recorderID)
	}
	if err != nil {
		return nil, err
	}
	out := make([]evidence.KeyPeriod, len(hist))
	for i, h := range hist {
		out[i] = evidence.KeyPeriod{Recorder: h.RecorderID, Room: h.RoomID, PublicKey: ed25519.PublicKey(h.PublicKey),
			RegisteredAt: h.RegisteredAt, RetiredAt: h.RetiredAt}
	}
	return out, nil
}

// ExportKeyPurpose is the purpose the server's export signing key is
// derived for from the master key.
const ExportKeyPurpose = "archive-export-signing"

// ExportKey is the server's evidence export signing key: an Ed25519 key
// whose seed is derived from the master key (seal.Keys.Derive), so every
// evalroomd node with the same master key signs with the same key and it
// needs no storage of its own. It is never a recorder's key; GET
// /api/archive/server-key publishes its public half.
func ExportKey(keys *seal.Keys) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(keys.Derive(ExportKeyPurpose))
}
