package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"time"
)

// Record is what a caller appends.
type Record struct {
	// Actor is who acted, as "kind:id" (for example "user:7", "expert:42",
	// "system").
	Actor string
	// Action names what happened, "area.verb" (for example "draw.commit").
	Action string
	// Object names what it happened to, "kind:id" (for example "draw:9").
	Object string
	// Detail is marshalled to JSON; nil becomes {}.
	Detail any
}

// Entry is one appended, chained record.
type Entry struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	Detail   json.RawMessage `json:"detail"`
	PrevHash []byte          `json:"prev_hash"`
	Hash     []byte          `json:"hash"`
}

// GenesisHash is the prev_hash of the first entry: 32 zero bytes.
var GenesisHash = make([]byte, sha256.Size)

// ComputeHash returns the chain hash of e from its fields and PrevHash:
// SHA-256 over PrevHash, the big-endian seq, and each of at (RFC 3339
// with nanoseconds, UTC), actor, action, object and detail, each preceded
// by its length as a big-endian uint32.
func ComputeHash(e Entry) []byte {
	h := sha256.New()
	h.Write(e.PrevHash)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(e.Seq))
	h.Write(b[:])
	for _, f := range []string{e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Object, string(e.Detail)} {
		binary.BigEndian.PutUint32(b[:4], uint32(len(f)))
		h.Write(b[:4])
		h.Write([]byte(f))
	}
	return h.Sum(nil)
}
