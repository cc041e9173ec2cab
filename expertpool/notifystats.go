package expertpool

import (
	"context"
	"fmt"
	"time"

	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/jackc/pgx/v5"
)

// DeadLetter is a message given up after too many failed deliveries, as
// staff see it: the mobile number is masked.
type DeadLetter struct {
	MessageID    string    `json:"message_id"`
	MemberID     int64     `json:"member_id"`
	DrawID       int64     `json:"draw_id"`
	Kind         string    `json:"kind"`
	Attempts     int       `json:"attempts"`
	LastError    string    `json:"last_error"`
	CreatedAt    time.Time `json:"created_at"`
	DeadAt       time.Time `json:"dead_at"`
	MobileMasked string    `json:"mobile_masked"`
}

// DeadLetters lists dead messages, newest first (at most 500).
func (s *Service) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	rows, err := s.db.Query(ctx, `SELECT o.id, o.member_id, o.kind, o.attempts, o.last_error, o.created_at, o.dead_at
		FROM expertpool.outbox o WHERE o.dead ORDER BY o.dead_at DESC, o.id DESC LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadLetter, error) {
		var d DeadLetter
		var id int64
		err := r.Scan(&id, &d.MemberID, &d.Kind, &d.Attempts, &d.LastError, &d.CreatedAt, &d.DeadAt)
		d.MessageID = messageID(id)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	for i := range list {
		v, err := s.loadMemberView(ctx, s.db, list[i].MemberID)
		if err != nil {
			return nil, fmt.Errorf("dead letters: %w", err)
		}
		list[i].DrawID = v.DrawID
		if mobile, err := s.memberMobile(ctx, s.db, v); err == nil {
			list[i].MobileMasked = notify.MaskMobile(mobile)
		}
	}
	return list, nil
}

// NotificationStats count a draw's messages by delivery state.
type NotificationStats struct {
	DrawID int64 `json:"draw_id"`
	Total  int   `json:"total"`
	// Waiting: not yet in the stream; InFlight: in the stream or being
	// retried; Retrying: failed at least once and not done.
	Waiting   int `json:"waiting"`
	InFlight  int `json:"in_flight"`
	Retrying  int `json:"retrying"`
	Delivered int `json:"delivered"`
	Skipped   int `json:"skipped"`
	Dead      int `json:"dead"`
}

// NotificationStats counts the messages of draw drawID by delivery state.
func (s *Service) NotificationStats(ctx context.Context, drawID int64) (NotificationStats, error) {
	st := NotificationStats{DrawID: drawID}
	err := s.db.QueryRow(ctx, `SELECT count(*),
			count(*) FILTER (WHERE delivered_at IS NULL AND NOT dead AND relayed_at IS NULL),
			count(*) FILTER (WHERE delivered_at IS NULL AND NOT dead AND relayed_at IS NOT NULL),
			count(*) FILTER (WHERE delivered_at IS NULL AND NOT dead AND attempts > 0),
			count(*) FILTER (WHERE delivered_at IS NOT NULL AND NOT skipped),
			count(*) FILTER (WHERE skipped),
			count(*) FILTER (WHERE dead)
		FROM expertpool.outbox o JOIN expertpool.members m ON m.id = o.member_id
		WHERE m.draw_id = $1`, drawID).Scan(&st.Total, &st.Waiting, &st.InFlight, &st.Retrying, &st.Delivered, &st.Skipped, &st.Dead)
	if err != nil {
		return st, fmt.Errorf("notification stats of draw %d: %w", drawID, err)
	}
	return st, nil
}
