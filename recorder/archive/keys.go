package archive

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evalroom/evalroom/recorder/archive/evidence"
)

// KeyHistory is a RecorderKeys that also keeps every key a recorder ever
// had, each with the period it was in force (room implements it; cmd
// adapts). With it the archive accepts a manifest only when it verifies
// with the recorder's key in force at the moment of acceptance, and
// verifies each accepted manifest with the key in force when it was
// accepted, so re-registering a recorder's key (a replaced room PC, a
// rotated key) leaves the older recordings verifiable. Without it the
// recorder's current key is taken as in force at any time.
type KeyHistory interface {
	RecorderKeys
	// RecorderKeyHistory returns every key ever registered for
	// recorderID, oldest first, each with its period and room. Errors:
	// one wrapping ErrUnknownRecorder when the recorder never had a key.
	RecorderKeyHistory(ctx context.Context, recorderID string) ([]evidence.KeyPeriod, error)
}

// keyHistory returns the recorder's keys with their periods: the history
// when s.keys keeps one, else its current key without a period.
func (s *Service) keyHistory(ctx context.Context, recorderID string) ([]evidence.KeyPeriod, error) {
	if h, ok := s.keys.(KeyHistory); ok {
		ps, err := h.RecorderKeyHistory(ctx, recorderID)
		if err != nil {
			return nil, fmt.Errorf("key history of %q: %w", recorderID, err)
		}
		for i := range ps {
			ps[i].Recorder = recorderID
		}
		return ps, nil
	}
	pub, room, err := s.keys.RecorderKey(ctx, recorderID)
	if err != nil {
		return nil, err
	}
	return []evidence.KeyPeriod{{Recorder: recorderID, Room: room, PublicKey: pub}}, nil
}

// keyRing is the recorder's key history as the verifier reads it; an
// unknown recorder gives an empty ring (every link then names the
// missing key).
func (s *Service) keyRing(ctx context.Context, recorderID string) (*evidence.KeyHistory, error) {
	ring := &evidence.KeyHistory{}
	ps, err := s.keyHistory(ctx, recorderID)
	if errors.Is(err, ErrUnknownRecorder) {
		return ring, nil
	}
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		ring.Add(p)
	}
	return ring, nil
}

// keyInForce returns the period of ps in force at t.
func keyInForce(ps []evidence.KeyPeriod, t time.Time) (evidence.KeyPeriod, bool) {
	for _, p := range ps {
		if p.Covers(t) {
			return p, true
		}
	}
	return evidence.KeyPeriod{}, false
}
