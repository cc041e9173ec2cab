package expertpool_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/stretchr/testify/require"
)

// Draw test fixtures: experts, organisations and projects inserted with
// plain SQL, so the draw tests depend only on the schema.

var fixtureSeq atomic.Int64

// orgCode returns an organisation code for fixture number n.
func orgCode(n int) string { return fmt.Sprintf("91110000%010d", n) }

// fixExpert describes a fixture expert; zero fields take defaults
// (region 110101, specialty A0101, active, no employer).
type fixExpert struct {
	Region         string
	Specialties    []string
	Employer       string
	Status         string // active, suspended, blacklisted
	SuspendedUntil time.Time
}

func (e *env) addOrg(t testing.TB, code, parent, principal string) {
	t.Helper()
	var p any
	if parent != "" {
		p = parent
	}
	_, err := e.db.Exec(context.Background(), `INSERT INTO expertpool.organisations (code, name, parent_code, principal)
		VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING`, code, "单位"+code[len(code)-4:], p, principal)
	require.NoError(t, err)
}

func (e *env) addExpert(t testing.TB, f fixExpert) int64 {
	t.Helper()
	n := fixtureSeq.Add(1)
	if f.Region == "" {
		f.Region = "110101"
	}
	if len(f.Specialties) == 0 {
		f.Specialties = []string{"A0101"}
	}
	if f.Status == "" {
		f.Status = "active"
	}
	var until any
	if !f.SuspendedUntil.IsZero() {
		until = f.SuspendedUntil
	}
	reason := ""
	if f.Status == "blacklisted" {
		reason = "串通投标"
	}
	ctx := context.Background()
	var id int64
	err := e.db.QueryRow(ctx, `INSERT INTO expertpool.experts (name, id_number_sealed, id_number_index, id_number_masked,
		mobile, region, employer_code, status, suspended_until, blacklist_reason)
		VALUES ($1, $2, $3, '110101********0011', $4, $5, $6, $7, $8, $9) RETURNING id`,
		"专家"+strconv.FormatInt(n, 10), []byte("sealed"), []byte("index-"+strconv.FormatInt(n, 10)),
		fmt.Sprintf("138%08d", n), f.Region, f.Employer, f.Status, until, reason).Scan(&id)
	require.NoError(t, err)
	for _, sp := range f.Specialties {
		_, err := e.db.Exec(ctx, `INSERT INTO expertpool.expert_specialties (expert_id, specialty_code) VALUES ($1, $2)`, id, sp)
		require.NoError(t, err)
	}
	return id
}

// addExperts adds n default experts and returns their ids.
func (e *env) addExperts(t testing.TB, n int, f fixExpert) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = e.addExpert(t, f)
	}
	return ids
}

func (e *env) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	_, err := e.db.Exec(context.Background(), sql, args...)
	require.NoError(t, err)
}

// Fixture parties: tenderer orgCode(1) (parent orgCode(9)), bidders
// orgCode(2) and orgCode(3).
var (
	tendererOrg = orgCode(1)
	bidderOrg   = orgCode(2)
	bidder2Org  = orgCode(3)
	parentOrg   = orgCode(9)
	otherOrg    = orgCode(7)
)

// addProject adds a project with the fixture parties.
func (e *env) addProject(t testing.TB) int64 {
	t.Helper()
	e.addOrg(t, parentOrg, "", "王总")
	e.addOrg(t, tendererOrg, "", "李局长")
	e.addOrg(t, bidderOrg, parentOrg, "张经理")
	e.addOrg(t, bidder2Org, "", "赵经理")
	e.addOrg(t, otherOrg, "", "钱经理")
	n := fixtureSeq.Add(1)
	var id int64
	require.NoError(t, e.db.QueryRow(context.Background(), `INSERT INTO expertpool.projects (code, name, tenderer_code, category, region)
		VALUES ($1, '测试项目', $2, 'A01', '110101') RETURNING id`, "P-"+strconv.FormatInt(n, 10), tendererOrg).Scan(&id))
	e.exec(t, `INSERT INTO expertpool.project_bidders (project_id, org_code, name) VALUES ($1, $2, '投标人甲'), ($1, $3, '投标人乙')`,
		id, bidderOrg, bidder2Org)
	return id
}

// sessionStart is when fixture sessions start: three days after the test
// clock, 09:00 China time on 2026-11-25.
var sessionStart = testStart.Add(72 * time.Hour)

// oneVenue asks for count experts of specialty from region prefix at a
// single main venue in Beijing, session [start, start+4h).
func oneVenue(project int64, start time.Time, specialty, prefix string, count int) expertpool.DrawRequest {
	return expertpool.DrawRequest{
		ProjectID: project, SessionRef: "S-" + start.Format("0102-1504"), StartsAt: start, EndsAt: start.Add(4 * time.Hour),
		Venues: []expertpool.Venue{{Code: "main", Name: "北京主场", Address: "北京市西城区", Region: "110102", Main: true}},
		Quotas: []expertpool.Quota{{VenueCode: "main", SpecialtyCode: specialty, RegionPrefix: prefix, Count: count}},
	}
}

// threeVenues is the benchmark's shape: 3 at the main venue in Beijing,
// 1 each at remote venues in Shanghai and Guangzhou.
func threeVenues(project int64, start time.Time) expertpool.DrawRequest {
	return expertpool.DrawRequest{
		ProjectID: project, SessionRef: "S3-" + start.Format("0102-1504"), StartsAt: start, EndsAt: start.Add(3 * time.Hour),
		Venues: []expertpool.Venue{
			{Code: "main", Name: "北京主场", Address: "北京市西城区", Region: "110102", Main: true},
			{Code: "sh", Name: "上海副场", Address: "上海市黄浦区", Region: "310101"},
			{Code: "gz", Name: "广州副场", Address: "广州市天河区", Region: "440106"},
		},
		Quotas: []expertpool.Quota{
			{VenueCode: "main", SpecialtyCode: "A0101", RegionPrefix: "11", Count: 3, Reserves: 1},
			{VenueCode: "sh", SpecialtyCode: "A0101", RegionPrefix: "31", Count: 1},
			{VenueCode: "gz", SpecialtyCode: "A0101", RegionPrefix: "44", Count: 1},
		},
	}
}

// candidates returns round 0's candidate list of the draw's only (or
// first) quota.
func (e *env) candidates(t testing.TB, drawID int64) []int64 {
	t.Helper()
	var ids []int64
	require.NoError(t, e.db.QueryRow(context.Background(), `SELECT candidates FROM expertpool.rounds
		WHERE draw_id = $1 AND round = 0 ORDER BY quota_id LIMIT 1`, drawID).Scan(&ids))
	return ids
}

// expertKey is the blind key the service stores for expert id.
func (e *env) expertKey(id int64) []byte {
	return e.keys.MAC("expert-key", []byte(strconv.FormatInt(id, 10)))
}

// drawnKeys returns the blind keys of the draw's members in a state.
func (e *env) drawnKeys(t testing.TB, drawID int64, states ...string) map[string]bool {
	t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT expert_key FROM expertpool.members WHERE draw_id = $1 AND state = ANY($2)`, drawID, states)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k []byte
		require.NoError(t, rows.Scan(&k))
		out[string(k)] = true
	}
	require.NoError(t, rows.Err())
	return out
}

// drawAudit lists the actions of the audit entries about a draw.
func drawAudit(t testing.TB, e *env, drawID int64) []string {
	t.Helper()
	entries, err := e.audit.List(context.Background(), audit.Filter{Object: "draw:" + strconv.FormatInt(drawID, 10)})
	require.NoError(t, err)
	out := make([]string, len(entries))
	for i, en := range entries {
		out[i] = en.Action
	}
	return out
}

func auditFilterPrefix(prefix string) audit.Filter { return audit.Filter{ObjectPrefix: prefix} }
