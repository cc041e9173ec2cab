package room_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/room"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var testStart = time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC)

// committee is an in-memory committee for room's own tests (room must not
// import the expert pool; the web tests use the real pool). Members get
// identity numbers ending in their id padded to six digits.
type committee struct {
	mu      sync.Mutex
	members []room.Member
	next    int64
	// failRecuse makes RecuseOnSite fail as the pool does for a member no
	// longer on the committee.
	failRecuse bool
}

func newCommittee() *committee { return &committee{next: 100} }

// add adds a confirmed member of venue and returns their id.
func (c *committee) add(venue, name string, confirmed bool) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	state := "notified"
	if confirmed {
		state = "confirmed"
	}
	c.members = append(c.members, room.Member{MemberID: c.next, VenueCode: venue, Name: name, State: state, SeatReady: confirmed})
	return c.next
}

// suffix is the last six characters of the member's identity number.
func suffix(id int64) string { return fmt.Sprintf("%06d", id) }

func (c *committee) Members(_ context.Context, actor string, drawID int64, venue string) ([]room.Member, error) {
	if actor == "" || drawID == 0 {
		return nil, fmt.Errorf("%w: members", room.ErrInvalid)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []room.Member
	for _, m := range c.members {
		if (venue == "" || m.VenueCode == venue) && m.State != "recused" {
			out = append(out, m)
		}
	}
	return out, nil
}

func (c *committee) CheckIdentity(_ context.Context, memberID int64, idSuffix string) (bool, error) {
	full := suffix(memberID)
	return full[len(full)-len(idSuffix):] == idSuffix, nil
}

func (c *committee) RecuseOnSite(_ context.Context, actor string, memberID int64, reason string) (room.Replacement, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failRecuse {
		return room.Replacement{}, fmt.Errorf("%w: 本次邀请已结束", room.ErrConflict)
	}
	for i, m := range c.members {
		if m.MemberID != memberID {
			continue
		}
		if m.State == "recused" {
			return room.Replacement{}, fmt.Errorf("%w: 已回避", room.ErrConflict)
		}
		c.members[i].State, c.members[i].SeatReady = "recused", false
		c.next++
		c.members = append(c.members, room.Member{MemberID: c.next, VenueCode: m.VenueCode, Name: "替补" + m.Name, State: "notified", Replacement: true})
		return room.Replacement{MemberID: c.next, Notice: "已抽取替补专家"}, nil
	}
	return room.Replacement{}, fmt.Errorf("%w: member %d", room.ErrNotFound, memberID)
}

// confirm marks a member confirmed.
func (c *committee) confirm(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.members {
		if c.members[i].MemberID == id {
			c.members[i].State, c.members[i].SeatReady = "confirmed", true
		}
	}
}

// presence is what the SFU would report: the live rooms per session.
type presence struct {
	mu   sync.Mutex
	live map[string][]string
}

func (p *presence) LiveRooms(_ context.Context, session string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.live[session]...), nil
}

func (p *presence) set(session string, rooms ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live == nil {
		p.live = map[string][]string{}
	}
	p.live[session] = rooms
}

// env is one test's service on its own database.
type env struct {
	svc       *room.Service
	db        *pgxpool.Pool
	audit     *audit.Log
	clock     *testenv.Clock
	committee *committee
	presence  *presence
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testenv.Postgres(t)
	_, err := migrate.Apply(context.Background(), db, audit.Migrations, room.Migrations)
	require.NoError(t, err)
	clock := testenv.NewClock(testStart)
	e := &env{db: db, clock: clock, committee: newCommittee(), presence: &presence{}}
	e.audit = audit.New(db, audit.WithClock(clock.Now))
	e.svc, err = room.New(room.Params{DB: db, Audit: e.audit, Committee: e.committee, Presence: e.presence,
		Now: clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return e
}

var (
	admin   = room.Actor{ID: "user:1"}
	staffNJ = room.Actor{ID: "user:2", Venue: "JS-NJ"}
	staffHF = room.Actor{ID: "user:3", Venue: "AH-HF"}
	staffSH = room.Actor{ID: "user:4", Venue: "SH-PD"}
)

// session creates a two-venue session linked to draw 7 with one room per
// venue, 第一评标室<ref> (5 seats) and 第二评标室<ref> (4 seats), and
// returns it.
func (e *env) session(t *testing.T, ref string) room.Session {
	t.Helper()
	ctx := context.Background()
	s, err := e.svc.CreateSession(ctx, admin.ID, room.SessionInput{Ref: ref, DrawID: 7, ProjectCode: "P-" + ref, ProjectName: "某中学教学楼施工",
		StartsAt: testStart.Add(time.Hour), EndsAt: testStart.Add(5 * time.Hour), MainVenue: "JS-NJ", RemoteVenues: []string{"AH-HF"}})
	require.NoError(t, err)
	_, err = e.svc.AddRoom(ctx, admin.ID, s.ID, room.RoomInput{VenueCode: "JS-NJ", Name: "第一评标室" + ref, Seats: 5})
	require.NoError(t, err)
	_, err = e.svc.AddRoom(ctx, admin.ID, s.ID, room.RoomInput{VenueCode: "AH-HF", Name: "第二评标室" + ref, Seats: 4})
	require.NoError(t, err)
	s, err = e.svc.GetSession(ctx, s.ID)
	require.NoError(t, err)
	return s
}

// move changes the phase as the main venue's staff and requires success.
func (e *env) move(t *testing.T, id int64, phases ...room.Phase) room.Session {
	t.Helper()
	s, err := e.svc.GetSession(context.Background(), id)
	require.NoError(t, err)
	for _, p := range phases {
		var err error
		s, err = e.svc.ChangePhase(context.Background(), staffNJ, id, room.PhaseChange{To: p, Reason: "测试"})
		require.NoError(t, err, "to %s", p)
		require.Equal(t, p, s.Phase)
	}
	return s
}

// actions lists the audit actions recorded on object, in order.
func (e *env) actions(t *testing.T, object string) []string {
	t.Helper()
	entries, err := e.audit.List(context.Background(), audit.Filter{Object: object})
	require.NoError(t, err)
	var out []string
	for _, en := range entries {
		out = append(out, en.Action)
	}
	return out
}
