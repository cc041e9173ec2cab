package archive

import (
	"context"
	"fmt"
	"time"
)

// Stats is the central archive at one instant, for the metrics.
type Stats struct {
	// Segments counts the indexed segments by verification state
	// ("verified", "broken"); both are present. Bytes is their size.
	Segments map[string]int64
	Bytes    int64
	// Recorders counts the recorders with an accepted chain.
	Recorders int64
	// LastAccepted is when the newest manifest was accepted; LastVerified
	// when a segment was last checked again (VerifySession) after its
	// acceptance. Zero when none.
	LastAccepted, LastVerified time.Time
}

// Stats counts the archive's segments by verification state.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Segments: map[string]int64{"verified": 0, "broken": 0}}
	var verified, broken int64
	var lastAccepted, lastVerified *time.Time
	err := s.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'verified'), count(*) FILTER (WHERE state = 'broken'),
			coalesce(sum(size), 0), count(DISTINCT recorder_id), max(accepted_at), max(verified_at) FILTER (WHERE verified_at > accepted_at)
		FROM archive.segments`).Scan(&verified, &broken, &st.Bytes, &st.Recorders, &lastAccepted, &lastVerified)
	if err != nil {
		return st, fmt.Errorf("archive stats: %w", err)
	}
	st.Segments["verified"], st.Segments["broken"] = verified, broken
	if lastAccepted != nil {
		st.LastAccepted = lastAccepted.UTC()
	}
	if lastVerified != nil {
		st.LastVerified = lastVerified.UTC()
	}
	return st, nil
}
