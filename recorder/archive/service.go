package archive

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/evalroom/evalroom/internal/audit"
)

// DefaultMaxSegmentBytes is the segment size limit when Params leave it
// zero: 2 GiB, far above a few minutes of 1080p.
const DefaultMaxSegmentBytes = 2 << 30

// RecorderKeys finds a recorder's registered public key and room. The
// room service implements it (cmd adapts); archive does not import room.
type RecorderKeys interface {
	// RecorderKey returns the Ed25519 public key registered for
	// recorderID and the id of the room it records. Errors: one wrapping
	// ErrUnknownRecorder for a recorder that is not registered.
	RecorderKey(ctx context.Context, recorderID string) (pub ed25519.PublicKey, roomID int64, err error)
}

// Params are the Service's dependencies.
type Params struct {
	// DB holds the archive schema (Migrations applied). Required.
	DB *pgxpool.Pool
	// Store holds the segment bytes. Required.
	Store Store
	// Keys resolves recorders' keys and rooms. Required.
	Keys RecorderKeys
	// Audit records every accepted manifest ("archive.accept"). Required.
	Audit *audit.Log
	// Now stamps verified_at; time.Now when nil.
	Now func() time.Time
	// Logger logs refusals; slog.Default() when nil.
	Logger *slog.Logger
	// MaxSegmentBytes limits one segment; DefaultMaxSegmentBytes when 0.
	MaxSegmentBytes int64
	// Replicator, when set, copies each accepted segment and its
	// manifest to the replica: acceptance queues it in the same
	// transaction and wakes the Replicator after the commit.
	Replicator *Replicator
}

// Service is the central archive: it stores uploaded segments, accepts
// their signed manifests into the index when the signature, the bytes
// and the recorder's chain hold, and answers position and listing
// queries. It is safe for concurrent use.
type Service struct {
	db     *pgxpool.Pool
	store  Store
	keys   RecorderKeys
	audit  *audit.Log
	now    func() time.Time
	log    *slog.Logger
	maxSeg int64
	repl   *Replicator
}

// New returns a Service. Errors: ErrInvalid for a missing dependency.
func New(p Params) (*Service, error) {
	switch {
	case p.DB == nil:
		return nil, fmt.Errorf("%w: archive params: DB", ErrInvalid)
	case p.Store == nil:
		return nil, fmt.Errorf("%w: archive params: Store", ErrInvalid)
	case p.Keys == nil:
		return nil, fmt.Errorf("%w: archive params: Keys", ErrInvalid)
	case p.Audit == nil:
		return nil, fmt.Errorf("%w: archive params: Audit", ErrInvalid)
	case p.MaxSegmentBytes < 0:
		return nil, fmt.Errorf("%w: archive params: MaxSegmentBytes %d", ErrInvalid, p.MaxSegmentBytes)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if p.MaxSegmentBytes == 0 {
		p.MaxSegmentBytes = DefaultMaxSegmentBytes
	}
	return &Service{db: p.DB, store: p.Store, keys: p.Keys, audit: p.Audit, now: p.Now,
		log: p.Logger.With("component", "archive"), maxSeg: p.MaxSegmentBytes, repl: p.Replicator}, nil
}

// MaxSegmentBytes is the size limit of one segment.
func (s *Service) MaxSegmentBytes() int64 { return s.maxSeg }

// PutSegment stores a segment's bytes under hash (hex SHA-256), checking
// the hash while it reads. Storing a hash the store holds succeeds
// without rewriting it. The blob has no index row until its manifest is
// accepted. It returns the stored size. Errors: ErrUnknownRecorder,
// ErrBadKey (a hash that is not 64 lower-case hex digits), ErrHashMismatch
// and ErrTooLarge (nothing is stored), I/O errors.
func (s *Service) PutSegment(ctx context.Context, recorderID, hash string, body io.Reader) (int64, error) {
	if err := CheckKey(hash); err != nil {
		return 0, err
	}
	if _, _, err := s.keys.RecorderKey(ctx, recorderID); err != nil {
		return 0, fmt.Errorf("put segment %s of %q: %w", hash, recorderID, err)
	}
	n, err := s.store.Put(ctx, hash, body, s.maxSeg)
	if err != nil {
		s.log.Warn("segment refused", "recorder", recorderID, "hash", hash, "err", err)
		return 0, fmt.Errorf("put segment of %q: %w", recorderID, err)
	}
	return n, nil
}

// HasSegment reports whether the store holds the segment hash, indexed
// or still waiting for its manifest (a recorder resuming its uploads
// asks). Errors: ErrBadKey, I/O errors.
func (s *Service) HasSegment(ctx context.Context, hash string) (bool, error) {
	return s.store.Has(ctx, hash)
}
