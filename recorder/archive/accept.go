package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/recorder/manifest"
)

// MaxManifestBytes limits one manifest's encoding.
const MaxManifestBytes = 64 << 10

// Acceptance is the outcome of AcceptManifest.
type Acceptance struct {
	// Segment is the indexed segment.
	Segment Segment
	// AlreadyAccepted is true when this very manifest had been accepted
	// before: nothing changed.
	AlreadyAccepted bool
}

// AcceptManifest accepts a recorder's signed manifest (the manifest
// file's bytes) into the index, for a SHA-256 manifest whose segment hash
// is the segment's store key. See AcceptManifestFor.
func (s *Service) AcceptManifest(ctx context.Context, recorderID string, raw []byte) (Acceptance, error) {
	return s.AcceptManifestFor(ctx, recorderID, "", raw)
}

// AcceptManifestFor accepts a recorder's signed manifest into the index.
// segmentKey is the segment's store key (hex SHA-256); empty means the
// manifest's segment hash, which only a SHA-256 manifest allows (an SM3
// manifest must name the key).
//
// It checks, in order: the manifest parses and names recorderID, the
// recorder is registered, the signature verifies with its key in force
// now (the moment of acceptance, which becomes accepted_at; a manifest
// signed with a key retired before is refused, unless this very manifest
// was accepted before), the
// manifest's room is the recorder's room and its session is a number,
// the store holds the segment and its bytes have the manifest's size and
// hash (hashed again), and the manifest continues the recorder's chain:
// with no chain head yet any seq ≥ 1 starts it (seq 1 links to the zero
// hash); otherwise seq is the head's plus one and prev_hash the head's
// manifest hash. The same manifest again succeeds with AlreadyAccepted.
// In one transaction it inserts the segment row and its gaps, moves the
// chain head and appends "archive.accept" to the audit log.
//
// Errors (nothing is indexed): ErrInvalid, ErrUnknownRecorder,
// ErrBadSignature, ErrBadKey, ErrMissingSegment, ErrHashMismatch,
// ErrBrokenChain, ErrConflict (another manifest for the seq, or another
// manifest already indexes the segment).
func (s *Service) AcceptManifestFor(ctx context.Context, recorderID, segmentKey string, raw []byte) (Acceptance, error) {
	a, err := s.accept(ctx, recorderID, segmentKey, raw)
	if err != nil {
		s.log.Warn("manifest refused", "recorder", recorderID, "err", err)
		return Acceptance{}, fmt.Errorf("accept manifest of %q: %w", recorderID, err)
	}
	if !a.AlreadyAccepted {
		s.log.Info("manifest accepted", "recorder", recorderID, "seq", a.Segment.Seq, "segment", a.Segment.Hash)
		if s.repl != nil {
			s.repl.Kick()
		}
	}
	return a, nil
}

// candidate is a manifest that passed the checks needing no database.
type candidate struct {
	m       manifest.Manifest
	key     string
	room    int64
	session *int64
	canon   []byte
	link    string
	// at is the moment of acceptance: the recorder's key in force then
	// verified the signature, and it becomes accepted_at.
	at time.Time
	// retired, when set, is the retired key that signed the manifest
	// instead of the key in force: only an already accepted copy passes.
	retired *evidence.KeyPeriod
	inForce evidence.KeyPeriod
}

func (s *Service) accept(ctx context.Context, recorderID, segmentKey string, raw []byte) (Acceptance, error) {
	c, err := s.check(ctx, recorderID, segmentKey, raw)
	if err != nil {
		return Acceptance{}, err
	}
	if a, done, err := s.existing(ctx, s.db, c); done || err != nil {
		return a, err
	}
	if r := c.retired; r != nil {
		return Acceptance{}, fmt.Errorf("%w: 清单由已于 %s 停用的公钥（%s）签名；公钥停用后不再接收其签名的清单，现用公钥为 %s（自 %s 起）",
			ErrBadSignature, r.RetiredAt.UTC().Format(time.RFC3339), evidence.Fingerprint(r.PublicKey),
			evidence.Fingerprint(c.inForce.PublicKey), c.inForce.RegisteredAt.UTC().Format(time.RFC3339))
	}
	if err := s.checkBlob(ctx, c); err != nil {
		return Acceptance{}, err
	}
	var a Acceptance
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('archive.chain:' || $1, 0))`, c.m.Recorder); err != nil {
			return fmt.Errorf("lock chain: %w", err)
		}
		var done bool
		if a, done, err = s.existing(ctx, tx, c); done || err != nil {
			return err
		}
		if err := checkChain(ctx, tx, c); err != nil {
			return err
		}
		a.Segment, err = s.insert(ctx, tx, c)
		return err
	})
	return a, err
}

// check parses raw and checks what needs no database: the recorder, its
// key and room, the signature, the fields.
func (s *Service) check(ctx context.Context, recorderID, segmentKey string, raw []byte) (candidate, error) {
	if len(raw) > MaxManifestBytes {
		return candidate{}, fmt.Errorf("%w: 清单超过 %d 字节", ErrInvalid, MaxManifestBytes)
	}
	m, err := manifest.Parse(bytes.TrimSuffix(raw, []byte("\n")))
	if err != nil {
		return candidate{}, fmt.Errorf("%w: 清单格式错误: %v", ErrInvalid, err)
	}
	if m.Recorder != recorderID {
		return candidate{}, fmt.Errorf("%w: 清单属于录像设备 %q，而不是已认证的 %q", ErrInvalid, m.Recorder, recorderID)
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	keys, err := s.keyHistory(ctx, recorderID)
	if err != nil {
		return candidate{}, err
	}
	p, ok := keyInForce(keys, at)
	if !ok {
		return candidate{}, fmt.Errorf("%w: 录像设备 %q 当前没有有效的公钥", ErrUnknownRecorder, recorderID)
	}
	roomID := p.Room
	c := candidate{m: m, key: segmentKey, room: roomID, at: at, inForce: p}
	if err := m.Verify(p.PublicKey); err != nil {
		if !errors.Is(err, manifest.ErrBadSignature) {
			return candidate{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		for _, old := range keys {
			if old.RetiredAt != nil && !old.RetiredAt.After(at) && m.Verify(old.PublicKey) == nil {
				c.retired = &old
				break
			}
		}
		if c.retired == nil {
			return candidate{}, fmt.Errorf("%w: 签名与登记的公钥不符或内容被修改: %v", ErrBadSignature, err)
		}
	}
	if m.Room != strconv.FormatInt(roomID, 10) {
		return candidate{}, fmt.Errorf("%w: 清单的评标室 %q 不是该设备登记的评标室 %d", ErrInvalid, m.Room, roomID)
	}
	if m.Session != "" {
		id, err := strconv.ParseInt(m.Session, 10, 64)
		if err != nil || id <= 0 {
			return candidate{}, fmt.Errorf("%w: 清单的评标编号 %q 不是正整数", ErrInvalid, m.Session)
		}
		c.session = &id
	}
	if c.key == "" {
		if m.Alg != manifest.SHA256 {
			return candidate{}, fmt.Errorf("%w: %s 清单须给出片段的 SHA-256 存储键", ErrInvalid, m.Alg)
		}
		c.key = m.SegmentHash.String()
	}
	if err := CheckKey(c.key); err != nil {
		return candidate{}, err
	}
	if c.canon, err = m.Canonical(); err != nil {
		return candidate{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	link, err := m.Hash()
	if err != nil {
		return candidate{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	c.link = link.String()
	return c, nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// existing looks for an accepted manifest of c's recorder and seq: done
// with AlreadyAccepted for this very manifest, ErrConflict for another.
func (s *Service) existing(ctx context.Context, q querier, c candidate) (Acceptance, bool, error) {
	g, err := scanSegment(q.QueryRow(ctx, `SELECT `+segmentColumns+` FROM archive.segments
		WHERE recorder_id = $1 AND seq = $2`, c.m.Recorder, c.m.Seq))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Acceptance{}, false, nil
	case err != nil:
		return Acceptance{}, true, fmt.Errorf("look up seq %d: %w", c.m.Seq, err)
	case g.ManifestHash != c.link:
		return Acceptance{}, true, fmt.Errorf("%w: 序号 %d 已接收另一份清单 (%s)，不能替换", ErrConflict, c.m.Seq, g.ManifestHash)
	}
	return Acceptance{Segment: g, AlreadyAccepted: true}, true, nil
}

// checkBlob hashes the stored segment again with the manifest's
// algorithm.
func (s *Service) checkBlob(ctx context.Context, c candidate) error {
	o, err := s.store.Open(ctx, c.key)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: 请先上传片段 %s", ErrMissingSegment, c.key)
	}
	if err != nil {
		return fmt.Errorf("open segment %s: %w", c.key, err)
	}
	defer o.Close()
	d, n, err := c.m.Alg.SumReader(&ctxReader{ctx: ctx, r: o})
	if err != nil {
		return fmt.Errorf("hash segment %s: %w", c.key, err)
	}
	if n != c.m.Size || d != c.m.SegmentHash {
		return fmt.Errorf("%w: 清单记录 %d 字节 %s:%s，存储的片段为 %d 字节 %s", ErrHashMismatch,
			c.m.Size, c.m.Alg, c.m.SegmentHash, n, d)
	}
	return nil
}

// checkChain checks that c continues its recorder's chain head.
func checkChain(ctx context.Context, tx pgx.Tx, c candidate) error {
	seq, head, err := chainHead(ctx, tx, c.m.Recorder)
	switch {
	case err != nil:
		return err
	case seq == 0:
		if c.m.Seq == 1 && !c.m.Prev.IsZero() {
			return fmt.Errorf("%w: 序号 1 应链接到全零哈希", ErrBrokenChain)
		}
		return nil
	case c.m.Seq != seq+1:
		return fmt.Errorf("%w: 应为序号 %d，实为 %d", ErrBrokenChain, seq+1, c.m.Seq)
	case c.m.Prev.String() != head:
		return fmt.Errorf("%w: 前一清单哈希应为 %s，实为 %s", ErrBrokenChain, head, c.m.Prev)
	}
	return nil
}

// insert indexes c, moves the chain head and audits, inside tx. The
// segment is accepted at c.at, the moment its key was found in force.
func (s *Service) insert(ctx context.Context, tx pgx.Tx, c candidate) (Segment, error) {
	now := c.at
	m := c.m
	g, err := scanSegment(tx.QueryRow(ctx, `INSERT INTO archive.segments (hash, size, recorder_id, room_id, session_id,
			seq, name, stream, tracks, utc_start, utc_end, gaps, truncated, manifest, manifest_raw, hash_alg,
			manifest_hash, prev_hash, accepted_at, verified_at, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb -> 'tracks', $10, $11, $9::text::jsonb -> 'gaps', $12,
			$9::text::jsonb, $9, $13, $14, $15, $16, $16, $17)
		RETURNING `+segmentColumns,
		c.key, m.Size, m.Recorder, c.room, c.session, m.Seq, m.Segment, StreamName(m), string(c.canon),
		m.Start, m.End, m.Truncated, string(m.Alg), c.link, m.Prev.String(), now, StateVerified))
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return Segment{}, fmt.Errorf("%w: 片段 %s 已由另一份清单登记", ErrConflict, c.key)
		}
		return Segment{}, fmt.Errorf("insert segment %s: %w", c.key, err)
	}
	for i, gap := range m.Gaps {
		if _, err := tx.Exec(ctx, `INSERT INTO archive.gaps (segment_hash, idx, room_id, utc_from, utc_to, reason)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.key, i, c.room, gap.From, gap.To, gap.Reason); err != nil {
			return Segment{}, fmt.Errorf("insert gap %d of %s: %w", i, c.key, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO archive.chain_heads (recorder_id, seq, manifest_hash) VALUES ($1, $2, $3)
		ON CONFLICT (recorder_id) DO UPDATE SET seq = excluded.seq, manifest_hash = excluded.manifest_hash`,
		m.Recorder, m.Seq, c.link); err != nil {
		return Segment{}, fmt.Errorf("move chain head of %s: %w", m.Recorder, err)
	}
	if s.repl != nil {
		if err := enqueue(ctx, tx, c.key, ManifestKey(c.canon), now); err != nil {
			return Segment{}, err
		}
	}
	_, err = s.audit.Append(ctx, tx, audit.Record{Actor: "device:" + m.Recorder, Action: "archive.accept",
		Object: "segment:" + c.key, Detail: map[string]any{
			"recorder_id": m.Recorder, "seq": m.Seq, "room_id": c.room, "session_id": c.session,
			"manifest_hash": c.link, "prev_hash": m.Prev.String(), "size": m.Size,
			"utc_start": g.Start, "utc_end": g.End, "truncated": m.Truncated, "gaps": len(m.Gaps),
		}})
	if err != nil {
		return Segment{}, fmt.Errorf("audit accept: %w", err)
	}
	return g, nil
}
