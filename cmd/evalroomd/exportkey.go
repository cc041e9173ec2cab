package main

import (
	"crypto/ed25519"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
)

// exportKey is the server's evidence export signing key, derived from
// the master key (the same on every node).
func (m *Main) exportKey() ed25519.PrivateKey { return archivewire.ExportKey(m.keys) }

// exportPublicKey is its public half, which GET /api/archive/server-key
// publishes.
func (m *Main) exportPublicKey() ed25519.PublicKey {
	return m.exportKey().Public().(ed25519.PublicKey)
}

// sessionEvidence is the archive as web's Evidence, signing exports.
func (m *Main) sessionEvidence() sessionEvidence {
	return sessionEvidence{rooms: m.rooms, archive: m.archive, audit: m.audit, now: time.Now, signer: m.exportKey()}
}
