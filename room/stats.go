package room

import (
	"context"
	"fmt"
)

// Phases lists every phase in order.
var Phases = []Phase{PhaseScheduled, PhaseSignin, PhaseEvaluating, PhasePaused, PhaseFinished, PhaseAborted}

// SessionCounts counts the sessions in each phase; every phase is in the
// map, with 0 when no session is in it (for the metrics).
func (s *Service) SessionCounts(ctx context.Context) (map[Phase]int, error) {
	out := make(map[Phase]int, len(Phases))
	for _, p := range Phases {
		out[p] = 0
	}
	rows, err := s.db.Query(ctx, `SELECT phase, count(*) FROM room.sessions GROUP BY phase`)
	if err != nil {
		return nil, fmt.Errorf("count sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Phase
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, fmt.Errorf("count sessions: %w", err)
		}
		out[p] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count sessions: %w", err)
	}
	return out, nil
}
