package expertpool

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/jackc/pgx/v5"
)

// Outbox message kinds.
const (
	// KindInvite asks a drawn expert to accept or decline.
	KindInvite = "invite"
	// KindRepeat sends the invitation again (the expert pressed 3).
	KindRepeat = "repeat"
	// KindConfirmed acknowledges an acceptance.
	KindConfirmed = "confirmed"
	// KindReleased tells an expert the invitation has lapsed.
	KindReleased = "released"
	// KindCancelled tells a confirmed expert the session is off.
	KindCancelled = "cancelled"
)

// enqueue writes one outbox row for member inside tx, so the message
// exists if and only if the change that caused it commits.
func (s *Service) enqueue(ctx context.Context, tx pgx.Tx, memberID int64, kind string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO expertpool.outbox (member_id, kind, created_at) VALUES ($1, $2, $3)`,
		memberID, kind, s.now().UTC()); err != nil {
		return fmt.Errorf("enqueue %s for member %d: %w", kind, memberID, err)
	}
	return nil
}

// outboxStore is the outbox seen by the notification pipeline: it is the
// notify.Source of the relay and the notify.Sink of the workers. Its clock
// stamps relayed_at, claimed_until, due_at and delivered_at and compares
// them, so those columns keep to one clock.
type outboxStore struct {
	s        *Service
	now      func() time.Time
	linkBase string
	progress ProgressSink
}

var (
	_ notify.Source = (*outboxStore)(nil)
	_ notify.Sink   = (*outboxStore)(nil)
)

// messageID names outbox row id to the pipeline and the gateway.
func messageID(id int64) string { return "outbox:" + strconv.FormatInt(id, 10) }

// outboxIDs parses message ids, skipping any that are not ours.
func outboxIDs(ids []string) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if n, ok := parseMessageID(id); ok {
			out = append(out, n)
		}
	}
	return out
}

// FetchPending returns rows neither delivered nor dead that were never
// relayed, or whose last relay (or due retry) is older than
// redeliverAfter.
func (o *outboxStore) FetchPending(ctx context.Context, limit int, redeliverAfter time.Duration) ([]string, error) {
	rows, err := o.s.db.Query(ctx, `SELECT id FROM expertpool.outbox
		WHERE delivered_at IS NULL AND NOT dead
		  AND (relayed_at IS NULL OR greatest(relayed_at, due_at) < $1)
		ORDER BY id LIMIT $2`, o.now().UTC().Add(-redeliverAfter), limit)
	if err != nil {
		return nil, fmt.Errorf("outbox pending: %w", err)
	}
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var id int64
		err := r.Scan(&id)
		return messageID(id), err
	})
	if err != nil {
		return nil, fmt.Errorf("outbox pending: %w", err)
	}
	return ids, nil
}

// MarkRelayed stamps relayed_at.
func (o *outboxStore) MarkRelayed(ctx context.Context, ids []string) error {
	if _, err := o.s.db.Exec(ctx, `UPDATE expertpool.outbox SET relayed_at = $2, due_at = NULL
		WHERE id = ANY($1) AND delivered_at IS NULL AND NOT dead`, outboxIDs(ids), o.now().UTC()); err != nil {
		return fmt.Errorf("outbox mark relayed: %w", err)
	}
	return nil
}

// Claim leases the row and renders its message. An invitation for a
// member who is no longer waiting is skipped (done, not sent).
func (o *outboxStore) Claim(ctx context.Context, id string, lease time.Duration) (notify.Message, int, error) {
	oid, ok := parseMessageID(id)
	if !ok {
		return notify.Message{}, 0, notify.Permanentf("message %q is not an outbox id", id)
	}
	now := o.now().UTC()
	var memberID int64
	var kind string
	var attempts int
	err := o.s.db.QueryRow(ctx, `UPDATE expertpool.outbox SET claimed_until = $2
		WHERE id = $1 AND delivered_at IS NULL AND NOT dead
		  AND (claimed_until IS NULL OR claimed_until < $3) AND (due_at IS NULL OR due_at <= $3)
		RETURNING member_id, kind, attempts`, oid, now.Add(lease), now).Scan(&memberID, &kind, &attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		var done bool
		err := o.s.db.QueryRow(ctx, `SELECT delivered_at IS NOT NULL OR dead FROM expertpool.outbox WHERE id = $1`, oid).Scan(&done)
		switch {
		case errors.Is(err, pgx.ErrNoRows) || done:
			return notify.Message{}, 0, notify.ErrDone
		case err != nil:
			return notify.Message{}, 0, fmt.Errorf("outbox %d: %w", oid, err)
		}
		return notify.Message{}, 0, notify.ErrBusy
	}
	if err != nil {
		return notify.Message{}, 0, fmt.Errorf("claim outbox %d: %w", oid, err)
	}
	v, err := o.s.loadMemberView(ctx, o.s.db, memberID)
	if err != nil {
		return notify.Message{}, attempts, o.renderError(oid, err)
	}
	if expectsAnswer(kind) && v.State != "notified" {
		if _, err := o.s.db.Exec(ctx, `UPDATE expertpool.outbox SET delivered_at = $2, skipped = true, claimed_until = NULL,
			last_error = 'skipped: member no longer waiting for an answer' WHERE id = $1`, oid, now); err != nil {
			return notify.Message{}, attempts, fmt.Errorf("skip outbox %d: %w", oid, err)
		}
		o.s.progressed(ctx, o.progress, oid)
		return notify.Message{}, attempts, notify.ErrDone
	}
	mobile, err := o.s.memberMobile(ctx, o.s.db, v)
	if err != nil {
		return notify.Message{}, attempts, o.renderError(oid, err)
	}
	link := ""
	if expectsAnswer(kind) && v.Deadline != nil && o.linkBase != "" {
		link = ConfirmURL(o.linkBase, o.s.linkFor(memberID, oid, *v.Deadline))
	}
	text, err := renderText(kind, v, link)
	if err != nil {
		return notify.Message{}, attempts, o.renderError(oid, err)
	}
	return notify.Message{ID: id, To: mobile, Text: text, Link: link, Kind: kind, Meta: messageMeta(kind)}, attempts, nil
}

// renderError makes a failure to build a message permanent unless the
// database could not be reached.
func (o *outboxStore) renderError(oid int64, err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) || errors.Is(err, seal.ErrOpen) {
		return notify.Permanentf("render outbox %d: %w", oid, err)
	}
	return fmt.Errorf("render outbox %d: %w", oid, err)
}

// Delivered stamps delivered_at.
func (o *outboxStore) Delivered(ctx context.Context, id string) error {
	oid, _ := parseMessageID(id)
	if _, err := o.s.db.Exec(ctx, `UPDATE expertpool.outbox SET delivered_at = $2, claimed_until = NULL, attempts = attempts + 1
		WHERE id = $1 AND delivered_at IS NULL`, oid, o.now().UTC()); err != nil {
		return fmt.Errorf("outbox %d delivered: %w", oid, err)
	}
	o.s.progressed(ctx, o.progress, oid)
	return nil
}

// Failed records a failed attempt and when the retry is due.
func (o *outboxStore) Failed(ctx context.Context, id string, attempt int, cause error, retryAt time.Time) error {
	oid, _ := parseMessageID(id)
	if _, err := o.s.db.Exec(ctx, `UPDATE expertpool.outbox SET attempts = $2, last_error = $3, claimed_until = NULL, due_at = $4
		WHERE id = $1 AND delivered_at IS NULL AND NOT dead`, oid, attempt, safeError(cause), retryAt.UTC()); err != nil {
		return fmt.Errorf("outbox %d failed: %w", oid, err)
	}
	o.s.progressed(ctx, o.progress, oid)
	return nil
}

// Dead marks the row dead, for staff to see in DeadLetters, and audits it.
func (o *outboxStore) Dead(ctx context.Context, id string, attempt int, cause error) error {
	oid, _ := parseMessageID(id)
	err := o.s.answerTx(ctx, func(tx pgx.Tx) error {
		var memberID int64
		var kind string
		err := tx.QueryRow(ctx, `UPDATE expertpool.outbox SET dead = true, dead_at = $2, attempts = $3, last_error = $4, claimed_until = NULL
			WHERE id = $1 AND delivered_at IS NULL AND NOT dead RETURNING member_id, kind`,
			oid, o.now().UTC(), attempt, safeError(cause)).Scan(&memberID, &kind)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("outbox %d dead: %w", oid, err)
		}
		_, err = o.s.audit.Append(ctx, tx, audit.Record{Actor: "system", Action: "notify.dead", Object: id,
			Detail: map[string]any{"member_id": memberID, "kind": kind, "attempts": attempt}})
		if err != nil {
			return fmt.Errorf("audit notify.dead: %w", err)
		}
		return nil
	})
	if err == nil {
		o.s.progressed(ctx, o.progress, oid)
	}
	return err
}

var errTextMobileRE = regexp.MustCompile(`1[3-9][0-9]{9}`)

// safeError is cause's text, short, with mobile numbers masked, fit to
// store and show staff.
func safeError(cause error) string {
	s := errTextMobileRE.ReplaceAllStringFunc(cause.Error(), notify.MaskMobile)
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}
