package expertpool

import (
	"fmt"
	"strconv"
	"time"
)

// Sealed committee data. Who was drawn is stored only in two forms:
//
//   - members.expert_sealed = keys.Seal(decimal expert id, memberAAD(...)),
//     AES-GCM bound to the member's draw, round row and position, so a
//     ciphertext copied to another member row does not open;
//   - members.expert_key and bookings.expert_key = keys.MAC("expert-key",
//     decimal expert id), a blind index: equal for the same expert across
//     draws (so the month cap and the exclusion constraint on bookings
//     work) but meaningless without the master key. The key is never sent
//     to PostgreSQL; keys are computed in Go, and turned back into ids
//     only through the in-memory directory of draw_cache.go.
const expertKeyPurpose = "expert-key"

// expertKey returns the blind index of expert id.
func (s *Service) expertKey(id int64) []byte {
	return s.keys.MAC(expertKeyPurpose, []byte(strconv.FormatInt(id, 10)))
}

// memberAAD is the associated data sealing a member's expert id.
func memberAAD(drawID, roundID int64, position int) []byte {
	return []byte(fmt.Sprintf("expertpool/member:%d:%d:%d", drawID, roundID, position))
}

// sealMember seals expert id for the member at (draw, round row, position).
func (s *Service) sealMember(drawID, roundID int64, position int, expertID int64) []byte {
	return s.keys.Seal([]byte(strconv.FormatInt(expertID, 10)), memberAAD(drawID, roundID, position))
}

// openMember returns the expert id sealed in a member row.
func (s *Service) openMember(drawID, roundID int64, position int, sealed []byte) (int64, error) {
	pt, err := s.keys.Open(sealed, memberAAD(drawID, roundID, position))
	if err != nil {
		return 0, fmt.Errorf("open member %d/%d/%d: %w", drawID, roundID, position, err)
	}
	id, err := strconv.ParseInt(string(pt), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("open member %d/%d/%d: %w", drawID, roundID, position, err)
	}
	return id, nil
}

// chinaTime is China Standard Time (UTC+8, no daylight saving). Calendar
// dates of the rules (unavailable days, suspension end, the month of the
// monthly cap, employment end dates) are read in it.
var chinaTime = time.FixedZone("CST", 8*60*60)

// localDate returns the calendar date of t in China Standard Time, as a
// UTC midnight (how pgx reads and writes a date).
func localDate(t time.Time) time.Time {
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// monthOf returns the first day of the month of t in China Standard Time.
func monthOf(t time.Time) time.Time {
	y, m, _ := t.In(chinaTime).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}
