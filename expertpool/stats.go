package expertpool

import (
	"context"
	"fmt"
)

// DrawStates and MemberStates list the states a draw and a drawn member
// can be in (the schema's CHECKs).
var (
	DrawStates   = []string{"filled", "short", "failed", "aborted", "finished"}
	MemberStates = []string{"reserve", "notified", "confirmed", "declined", "no_answer", "recused", "cancelled"}
)

// PoolStats is the expert pool at one instant, for the metrics: counts
// only, no names.
type PoolStats struct {
	// Draws counts the draws by state, Members the drawn experts by
	// state; every state is present.
	Draws   map[string]int
	Members map[string]int
	// Notifications counts every notification message by delivery
	// state, as NotificationStats does per draw (DrawID 0).
	Notifications NotificationStats
}

// PoolStats counts the draws, drawn experts and notification messages
// by state.
func (s *Service) PoolStats(ctx context.Context) (PoolStats, error) {
	st := PoolStats{Draws: zeroCounts(DrawStates), Members: zeroCounts(MemberStates)}
	for _, q := range []struct {
		sql  string
		into map[string]int
	}{
		{`SELECT state, count(*) FROM expertpool.draws GROUP BY state`, st.Draws},
		{`SELECT state, count(*) FROM expertpool.members GROUP BY state`, st.Members},
	} {
		if err := s.countBy(ctx, q.sql, q.into); err != nil {
			return st, err
		}
	}
	n := &st.Notifications
	err := s.db.QueryRow(ctx, `SELECT count(*),
			count(*) FILTER (WHERE delivered_at IS NULL AND NOT dead AND relayed_at IS NULL),
			count(*) FILTER (WHERE delivered_at IS NULL AND NOT dead AND relayed_at IS NOT NULL),
			count(*) FILTER (WHERE delivered_at IS NULL AND NOT dead AND attempts > 0),
			count(*) FILTER (WHERE delivered_at IS NOT NULL AND NOT skipped),
			count(*) FILTER (WHERE skipped),
			count(*) FILTER (WHERE dead)
		FROM expertpool.outbox`).Scan(&n.Total, &n.Waiting, &n.InFlight, &n.Retrying, &n.Delivered, &n.Skipped, &n.Dead)
	if err != nil {
		return st, fmt.Errorf("notification totals: %w", err)
	}
	return st, nil
}

func zeroCounts(keys []string) map[string]int {
	out := make(map[string]int, len(keys))
	for _, k := range keys {
		out[k] = 0
	}
	return out
}

// countBy runs a "SELECT key, count(*) … GROUP BY key" query into m.
func (s *Service) countBy(ctx context.Context, sql string, m map[string]int) error {
	rows, err := s.db.Query(ctx, sql)
	if err != nil {
		return fmt.Errorf("pool stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return fmt.Errorf("pool stats: %w", err)
		}
		m[k] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pool stats: %w", err)
	}
	return nil
}
