package web

import (
	"context"
	"errors"

	"github.com/evalroom/evalroom/room"
)

// scoringMember is the committee member behind an evaluator account, for
// a score it records: the member whose one-time code opened the account.
// An account whose seat was released by on-site recusal is refused
// (room.ErrForbidden). An account that never used a code of the session
// (a password account) scores without a member (0).
func (s *Server) scoringMember(ctx context.Context, sessionID, userID int64) (int64, error) {
	codes, ok := s.p.Sessions.(EvaluatorCodes)
	if !ok {
		return 0, nil
	}
	seat, err := codes.EvaluatorSeat(ctx, sessionID, userID)
	switch {
	case errors.Is(err, room.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return seat.MemberID, nil
}
