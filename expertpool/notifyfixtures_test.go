package expertpool_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/stretchr/testify/require"
)

// notifyFixture is a draw written with plain SQL, as the draw engine
// leaves it: n members notified (state, deadline, booking, one invite in
// the outbox each), for the notification tests that need no real draw.
type notifyFixture struct {
	ProjectID, DrawID, QuotaID, RoundID int64
	StartsAt, EndsAt, Deadline          time.Time
	Members                             []int64
	Experts                             []int64 // the drawn ones, by member
	Mobiles                             []string
	Spares                              []int64 // eligible, not drawn
	Invites                             []int64 // outbox ids, one per member
	Bidders                             [][2]string
}

const (
	fixtureVenue   = "省公共资源交易中心第一开标室"
	fixtureAddress = "杭州市西湖区文三路100号"
)

// fixtureSpares is how many eligible experts a fixture draw leaves for
// replacements.
const fixtureSpares = 3

// seedNotifyDraw writes a project with bidders, n+fixtureSpares experts
// and a draw whose n members await an answer within 30 minutes of the
// test clock.
func seedNotifyDraw(t testing.TB, e *env, n int) notifyFixture {
	t.Helper()
	ctx := context.Background()
	f := notifyFixture{
		StartsAt: testStart.Add(72 * time.Hour), // 2026-11-25 09:00 Beijing
		Deadline: e.clock.Now().Add(30 * time.Minute),
		Bidders:  [][2]string{{"91330000MA2B00001X", "杭州宏达建设集团有限公司"}, {"91330000MA2B00002Y", "浙江远大工程有限公司"}},
	}
	f.EndsAt = f.StartsAt.Add(3 * time.Hour)
	tx, err := e.db.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	code := "ZJ-2026-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	require.NoError(t, tx.QueryRow(ctx, `INSERT INTO expertpool.projects (code, name, tenderer_code, category, region)
		VALUES ($1, '西湖区学校改扩建工程施工', '91330000MA2B00009Z', 'A0101', '330106') RETURNING id`, code).Scan(&f.ProjectID))
	for _, b := range f.Bidders {
		_, err := tx.Exec(ctx, `INSERT INTO expertpool.project_bidders (project_id, org_code, name) VALUES ($1, $2, $3)`, f.ProjectID, b[0], b[1])
		require.NoError(t, err)
	}
	var all []int64
	for i := range n + fixtureSpares {
		idx := make([]byte, 16)
		_, _ = rand.Read(idx)
		mobile := fmt.Sprintf("139%08d", 10000000+i*7+int(idx[0]))
		var id int64
		require.NoError(t, tx.QueryRow(ctx, `INSERT INTO expertpool.experts (name, id_number_sealed, id_number_index, id_number_masked, mobile, region)
			VALUES ($1, '\x00', $2, '330106********1234', $3, '330106') RETURNING id`, fmt.Sprintf("专家%d", i+1), idx, mobile).Scan(&id))
		_, err := tx.Exec(ctx, `INSERT INTO expertpool.expert_specialties (expert_id, specialty_code) VALUES ($1, 'A0101')`, id)
		require.NoError(t, err)
		all = append(all, id)
		if i < n {
			f.Experts = append(f.Experts, id)
			f.Mobiles = append(f.Mobiles, mobile)
		} else {
			f.Spares = append(f.Spares, id)
		}
	}
	rules, err := json.Marshal(expertpool.DefaultRules())
	require.NoError(t, err)
	require.NoError(t, tx.QueryRow(ctx, `INSERT INTO expertpool.draws (project_id, session_ref, starts_at, ends_at, signin_opens_at, rules, state, seed_commitment, seed_sealed, created_by)
		VALUES ($1, 'S-1', $2, $3, $4, $5, 'filled', '\x01', '\x02', 'user:1') RETURNING id`,
		f.ProjectID, f.StartsAt, f.EndsAt, f.StartsAt.Add(-30*time.Minute), rules).Scan(&f.DrawID))
	seed := make([]byte, 32)
	_, _ = rand.Read(seed)
	_, err = tx.Exec(ctx, `UPDATE expertpool.draws SET seed_sealed = $2, seed_commitment = sha256($3) WHERE id = $1`,
		f.DrawID, e.keys.Seal(seed, []byte("expertpool/draw-seed:"+strconv.FormatInt(f.DrawID, 10))), seed)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO expertpool.draw_venues (draw_id, venue_code, name, address, region, is_main) VALUES ($1, 'MAIN', $2, $3, '330106', true)`,
		f.DrawID, fixtureVenue, fixtureAddress)
	require.NoError(t, err)
	require.NoError(t, tx.QueryRow(ctx, `INSERT INTO expertpool.quotas (draw_id, venue_code, specialty_code, region_prefix, count) VALUES ($1, 'MAIN', 'A0101', '33', $2) RETURNING id`,
		f.DrawID, n).Scan(&f.QuotaID))
	require.NoError(t, tx.QueryRow(ctx, `INSERT INTO expertpool.rounds (draw_id, quota_id, round, candidates, list_hash, wanted) VALUES ($1, $2, 0, $3, '\x03', $4) RETURNING id`,
		f.DrawID, f.QuotaID, all, n).Scan(&f.RoundID))
	for i, expertID := range f.Experts {
		dec := []byte(strconv.FormatInt(expertID, 10))
		sealed := e.keys.Seal(dec, []byte(fmt.Sprintf("expertpool/member:%d:%d:%d", f.DrawID, f.RoundID, i)))
		key := e.keys.MAC("expert-key", dec)
		var memberID, outboxID int64
		require.NoError(t, tx.QueryRow(ctx, `INSERT INTO expertpool.members (draw_id, quota_id, round_id, position, expert_sealed, expert_key, month, state, deadline)
			VALUES ($1, $2, $3, $4, $5, $6, '2026-11-01', 'notified', $7) RETURNING id`,
			f.DrawID, f.QuotaID, f.RoundID, i, sealed, key, f.Deadline).Scan(&memberID))
		_, err := tx.Exec(ctx, `INSERT INTO expertpool.bookings (member_id, expert_key, during) VALUES ($1, $2, tstzrange($3, $4))`,
			memberID, key, f.StartsAt, f.EndsAt)
		require.NoError(t, err)
		require.NoError(t, tx.QueryRow(ctx, `INSERT INTO expertpool.outbox (member_id, kind, created_at) VALUES ($1, 'invite', $2) RETURNING id`,
			memberID, e.clock.Now()).Scan(&outboxID))
		f.Members = append(f.Members, memberID)
		f.Invites = append(f.Invites, outboxID)
	}
	require.NoError(t, tx.Commit(ctx))
	return f
}

// memberState reads a member's state.
func memberState(t testing.TB, e *env, memberID int64) string {
	t.Helper()
	var s string
	require.NoError(t, e.db.QueryRow(context.Background(), `SELECT state FROM expertpool.members WHERE id = $1`, memberID).Scan(&s))
	return s
}

// outboxKinds lists the kinds queued for a member, oldest first.
func outboxKinds(t testing.TB, e *env, memberID int64) []string {
	t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT kind FROM expertpool.outbox WHERE member_id = $1 ORDER BY id`, memberID)
	require.NoError(t, err)
	defer rows.Close()
	var kinds []string
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		kinds = append(kinds, k)
	}
	require.NoError(t, rows.Err())
	return kinds
}

// hasBooking tells whether a member still holds a booking.
func hasBooking(t testing.TB, e *env, memberID int64) bool {
	t.Helper()
	var ok bool
	require.NoError(t, e.db.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM expertpool.bookings WHERE member_id = $1)`, memberID).Scan(&ok))
	return ok
}
