package expertpool

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// DrawProgress is how a draw's invitations are going, per quota, as staff
// and the witnessing supervisor follow it while the committee is sealed:
// counts only, never a name or a number.
type DrawProgress struct {
	DrawID int64           `json:"draw_id"`
	Quotas []QuotaProgress `json:"quotas"`
	// Total sums the quotas.
	Total QuotaProgress `json:"total"`
}

// QuotaProgress counts one quota's invitations by delivery and answer.
type QuotaProgress struct {
	QuotaID   int64  `json:"quota_id,omitempty"`
	VenueCode string `json:"venue_code,omitempty"`
	// Needed is the quota's count.
	Needed int `json:"needed"`
	// Invited is how many members were asked (first choices, reserves
	// called up and replacements); Sent how many of their invitations the
	// gateway took; Sending how many are still on their way; Failed how
	// many were given up after every retry.
	Invited int `json:"invited"`
	Sent    int `json:"sent"`
	Sending int `json:"sending"`
	Failed  int `json:"failed"`
	// Waiting have not answered yet; Accepted, Declined, NoAnswer (the
	// deadline passed) and Recused are the answers; Replaced counts the
	// members drawn or promoted in place of released ones.
	Waiting  int `json:"waiting"`
	Accepted int `json:"accepted"`
	Declined int `json:"declined"`
	NoAnswer int `json:"no_answer"`
	Recused  int `json:"recused"`
	Replaced int `json:"replaced"`
}

func (q *QuotaProgress) add(o QuotaProgress) {
	q.Needed += o.Needed
	q.Invited += o.Invited
	q.Sent += o.Sent
	q.Sending += o.Sending
	q.Failed += o.Failed
	q.Waiting += o.Waiting
	q.Accepted += o.Accepted
	q.Declined += o.Declined
	q.NoAnswer += o.NoAnswer
	q.Recused += o.Recused
	q.Replaced += o.Replaced
}

// DrawProgress counts, per quota of draw drawID, the invitations sent and
// the answers. It reveals nothing sealed and may be read at any time.
// Errors: ErrNotFound.
func (s *Service) DrawProgress(ctx context.Context, drawID int64) (DrawProgress, error) {
	p := DrawProgress{DrawID: drawID, Quotas: []QuotaProgress{}}
	var exists bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM expertpool.draws WHERE id = $1)`, drawID).Scan(&exists); err != nil {
		return p, fmt.Errorf("progress of draw %d: %w", drawID, err)
	}
	if !exists {
		return p, fmt.Errorf("draw %d: %w", drawID, ErrNotFound)
	}
	// An invitation is a member's "invite" message; a member counts as
	// sent once any of its invitations was delivered (not skipped).
	rows, err := s.db.Query(ctx, `WITH inv AS (
			SELECT o.member_id,
				bool_or(o.delivered_at IS NOT NULL AND NOT o.skipped) AS sent,
				bool_or(o.delivered_at IS NULL AND NOT o.dead) AS sending,
				bool_and(o.dead) AS failed
			FROM expertpool.outbox o JOIN expertpool.members m ON m.id = o.member_id
			WHERE m.draw_id = $1 AND o.kind = 'invite' GROUP BY o.member_id)
		SELECT q.id, q.venue_code, q.count,
			count(i.member_id),
			count(m.id) FILTER (WHERE i.sent),
			count(m.id) FILTER (WHERE i.sending AND NOT coalesce(i.sent, false)),
			count(m.id) FILTER (WHERE i.failed AND NOT coalesce(i.sent, false)),
			count(m.id) FILTER (WHERE m.state = 'notified'),
			count(m.id) FILTER (WHERE m.state = 'confirmed'),
			count(m.id) FILTER (WHERE m.state = 'declined'),
			count(m.id) FILTER (WHERE m.state = 'no_answer'),
			count(m.id) FILTER (WHERE m.state = 'recused'),
			count(m.id) FILTER (WHERE r.round > 0 OR (m.reserve AND m.state NOT IN ('reserve', 'cancelled')))
		FROM expertpool.quotas q
			LEFT JOIN expertpool.members m ON m.quota_id = q.id
			LEFT JOIN expertpool.rounds r ON r.id = m.round_id
			LEFT JOIN inv i ON i.member_id = m.id
		WHERE q.draw_id = $1
		GROUP BY q.id ORDER BY q.id`, drawID)
	if err != nil {
		return p, fmt.Errorf("progress of draw %d: %w", drawID, err)
	}
	var q QuotaProgress
	if _, err := pgx.ForEachRow(rows, []any{&q.QuotaID, &q.VenueCode, &q.Needed, &q.Invited, &q.Sent, &q.Sending, &q.Failed,
		&q.Waiting, &q.Accepted, &q.Declined, &q.NoAnswer, &q.Recused, &q.Replaced}, func() error {
		p.Quotas = append(p.Quotas, q)
		p.Total.add(q)
		return nil
	}); err != nil {
		return p, fmt.Errorf("progress of draw %d: %w", drawID, err)
	}
	return p, nil
}

// ProgressSink hears that a draw's invitations moved on in a way the
// audit log does not record (a message delivered, retried or skipped), so
// that the panels following the draw can refresh. It must not block.
type ProgressSink interface {
	DrawProgressed(ctx context.Context, drawID int64)
}

// progressed tells sink (if any) that outbox row oid's draw moved on.
func (s *Service) progressed(ctx context.Context, sink ProgressSink, oid int64) {
	if sink == nil {
		return
	}
	var drawID int64
	err := s.db.QueryRow(ctx, `SELECT m.draw_id FROM expertpool.outbox o JOIN expertpool.members m ON m.id = o.member_id
		WHERE o.id = $1`, oid).Scan(&drawID)
	if err != nil {
		if !errors.Is(err, pgx.ErrNoRows) {
			s.log.Warn("draw of outbox message", "outbox", oid, "err", err)
		}
		return
	}
	sink.DrawProgressed(ctx, drawID)
}
