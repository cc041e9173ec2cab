package expertpool

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/jackc/pgx/v5"
)

// idSuffixRE is what staff may type: the last 4 to 6 characters of an
// identity number (the check character may be X).
var idSuffixRE = regexp.MustCompile(`^[0-9]{3,5}[0-9X]$`)

// CheckIDSuffix reports whether suffix, the last 4 to 6 characters of an
// identity number as staff read them from the document a member shows at
// sign-in, matches the identity number of the expert behind the drawn
// member. The number is opened from its seal only inside this call and
// never leaves it; the comparison takes constant time. Errors: ErrInvalid
// (a malformed suffix), ErrNotFound (unknown member).
func (s *Service) CheckIDSuffix(ctx context.Context, memberID int64, suffix string) (bool, error) {
	suffix = strings.ToUpper(strings.TrimSpace(suffix))
	if !idSuffixRE.MatchString(suffix) {
		return false, fmt.Errorf("%w: 请输入身份证号后4至6位", ErrInvalid)
	}
	var drawID, roundID int64
	var position int
	var memberSealed, idSealed []byte
	err := s.db.QueryRow(ctx, `SELECT draw_id, round_id, position, expert_sealed FROM expertpool.members WHERE id = $1`, memberID).
		Scan(&drawID, &roundID, &position, &memberSealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("member %d: %w", memberID, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("member %d: %w", memberID, err)
	}
	expertID, err := s.openMember(drawID, roundID, position, memberSealed)
	if err != nil {
		return false, err
	}
	if err := s.db.QueryRow(ctx, `SELECT id_number_sealed FROM expertpool.experts WHERE id = $1`, expertID).Scan(&idSealed); err != nil {
		return false, fmt.Errorf("expert of member %d: %w", memberID, err)
	}
	number, err := s.keys.Open(idSealed, []byte(IDNumberAAD))
	if err != nil {
		return false, fmt.Errorf("identity number of member %d: %w", memberID, err)
	}
	want := idcard.Last(string(number), len(suffix))
	return len(want) == len(suffix) && subtle.ConstantTimeCompare([]byte(want), []byte(suffix)) == 1, nil
}
