// Package demo holds what evalroomd's demo data and the demo edge
// recorders of make run must agree on.
package demo

import (
	"crypto/ed25519"

	"github.com/evalroom/evalroom/internal/seal"
)

// RecorderKey is the Ed25519 key of a demo room's edge recorder, derived
// from the master key, so that evalroomd can register it and a demo edge
// recorder given the same master key can sign with it. Never use it
// outside the demo: a production recorder's key is made on its own PC
// (evalroomctl recorder keygen) and only the public half leaves it.
func RecorderKey(keys *seal.Keys, recorderID string) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(keys.Derive("demo-recorder:" + recorderID))
}
