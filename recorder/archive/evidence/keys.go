package evidence

import (
	"bufio"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/evalroom/evalroom/recorder/manifest"
)

// KeyPeriod is one public key a recorder had and when it was in force:
// from RegisteredAt until RetiredAt (nil while in force), the end
// excluded. The server never deletes a key; a manifest is verified with
// the key that was in force when the server accepted its segment.
type KeyPeriod struct {
	Recorder  string
	Room      int64
	PublicKey ed25519.PublicKey
	// RegisteredAt is when the key came into force; zero for a key
	// without a known period (in force at any time).
	RegisteredAt time.Time
	RetiredAt    *time.Time
}

// Covers reports whether the key was in force at t.
func (p KeyPeriod) Covers(t time.Time) bool {
	return !t.Before(p.RegisteredAt) && (p.RetiredAt == nil || t.Before(*p.RetiredAt))
}

// Span describes the period for people: "2026-11-23 01:30:00Z – 至今 (in
// force)".
func (p KeyPeriod) Span() string {
	from, to := "-", "至今 (in force)"
	if !p.RegisteredAt.IsZero() {
		from = p.RegisteredAt.UTC().Format("2006-01-02 15:04:05.000000Z")
	}
	if p.RetiredAt != nil {
		to = p.RetiredAt.UTC().Format("2006-01-02 15:04:05.000000Z")
	}
	return from + " – " + to
}

// Fingerprint names a public key for people and paper: "SHA256:" and the
// hex SHA-256 of the key's 32 bytes.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "SHA256:" + hex.EncodeToString(sum[:])
}

// KeysAt finds the key in force at an instant. A manifest.Keys that also
// implements it makes CheckSlice verify each link that carries KeyAt with
// that key only.
type KeysAt interface {
	// KeyAt returns the recorder's key in force at t; false when none was.
	KeyAt(recorder string, t time.Time) (KeyPeriod, bool)
}

// KeyHistory holds recorders' keys with their periods. It is a
// manifest.Keys (Lookup returns every key a recorder had) and a KeysAt.
// Keys added without a recorder id are for any recorder and have no
// period. The zero value is empty and ready to use.
type KeyHistory struct {
	byID map[string][]KeyPeriod
	any  []ed25519.PublicKey
}

var (
	_ manifest.Keys = (*KeyHistory)(nil)
	_ KeysAt        = (*KeyHistory)(nil)
)

// Add adds a key period; an empty Recorder makes it a key for any
// recorder.
func (h *KeyHistory) Add(p KeyPeriod) {
	if p.Recorder == "" {
		h.any = append(h.any, p.PublicKey)
		return
	}
	if h.byID == nil {
		h.byID = map[string][]KeyPeriod{}
	}
	h.byID[p.Recorder] = append(h.byID[p.Recorder], p)
	sort.SliceStable(h.byID[p.Recorder], func(i, j int) bool {
		return h.byID[p.Recorder][i].RegisteredAt.Before(h.byID[p.Recorder][j].RegisteredAt)
	})
}

// Len is the number of keys.
func (h *KeyHistory) Len() int {
	n := len(h.any)
	for _, ps := range h.byID {
		n += len(ps)
	}
	return n
}

// Periods returns the recorder's key periods, oldest first.
func (h *KeyHistory) Periods(recorder string) []KeyPeriod { return h.byID[recorder] }

// Recorders returns the recorder ids with keys, sorted.
func (h *KeyHistory) Recorders() []string {
	ids := make([]string, 0, len(h.byID))
	for id := range h.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Lookup returns every key the recorder had, else the keys for any
// recorder.
func (h *KeyHistory) Lookup(recorder string) []ed25519.PublicKey {
	ps, ok := h.byID[recorder]
	if !ok {
		return h.any
	}
	out := make([]ed25519.PublicKey, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.PublicKey)
	}
	return out
}

// KeyAt returns the recorder's key in force at t.
func (h *KeyHistory) KeyAt(recorder string, t time.Time) (KeyPeriod, bool) {
	for _, p := range h.byID[recorder] {
		if p.Covers(t) {
			return p, true
		}
	}
	return KeyPeriod{}, false
}

// Trusts reports whether pub is one of the recorder's keys (or a key for
// any recorder).
func (h *KeyHistory) Trusts(recorder string, pub ed25519.PublicKey) bool {
	return containsKey(h.Lookup(recorder), pub) || containsKey(h.any, pub)
}

// ReadKeyFile reads trusted keys into h: one key per line, either
// "<recorder-id> <base64 key>" or a bare "<base64 key>" for any recorder
// (a recorder may have several lines: every key it had); blank lines and
// lines starting with # are skipped. The keys have no periods. Errors
// wrap ErrInvalid with the line number.
func (h *KeyHistory) ReadKeyFile(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		id, key := "", f[0]
		switch len(f) {
		case 1:
		case 2:
			id, key = f[0], f[1]
			if !recorderRE.MatchString(id) {
				return fmt.Errorf("%w: line %d: recorder id %q", ErrInvalid, n, id)
			}
		default:
			return fmt.Errorf("%w: line %d: want \"<recorder-id> <key>\" or \"<key>\"", ErrInvalid, n)
		}
		pub, err := manifest.ParsePublicKey(key)
		if err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrInvalid, n, err)
		}
		h.Add(KeyPeriod{Recorder: id, PublicKey: pub})
	}
	return sc.Err()
}
