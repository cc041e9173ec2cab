package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/migrate"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/token"
	"github.com/evalroom/evalroom/web"
	"github.com/stretchr/testify/require"
)

var _ web.Sessions = (*room.Service)(nil)

// sessionEnv is env with evaluation sessions on the real expert pool and
// real media tokens.
type sessionEnv struct {
	*env
	rooms    *room.Service
	tokens   *token.Authority
	presence *livePresence
	media    *recordingHandler
}

// livePresence is the SFU's side of MediaPresence: the rooms whose
// recorder publishes, per session, as the SFU would report them.
type livePresence struct {
	mu   sync.Mutex
	live map[string][]string
}

func (p *livePresence) LiveRooms(_ context.Context, session string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.live[session]...), nil
}

func (p *livePresence) set(session string, rooms ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live[session] = rooms
}

// recordingHandler stands where the SFU is mounted and records the path
// and authorization each request reaches it with.
type recordingHandler struct {
	mu   sync.Mutex
	seen []string
}

func (h *recordingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.seen = append(h.seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
	h.mu.Unlock()
	w.WriteHeader(http.StatusTeapot)
}

// newSessionEnv is newEnv with Sessions, Tokens, Media and ICE servers.
func newSessionEnv(t *testing.T) *sessionEnv {
	t.Helper()
	se := &sessionEnv{presence: &livePresence{live: map[string][]string{}}, media: &recordingHandler{}}
	se.env = buildEnv(t, false, func(e *env, p *web.Params) {
		_, err := migrate.Apply(context.Background(), e.db, room.Migrations)
		require.NoError(t, err)
		se.rooms, err = room.New(room.Params{DB: e.db, Audit: e.audit, Committee: poolCommittee{e.pool}, Presence: se.presence,
			Now: e.clock.Now, Logger: p.Logger})
		require.NoError(t, err)
		se.tokens, err = token.New(e.keys.Derive("media-token"), 10*time.Minute, e.clock.Now)
		require.NoError(t, err)
		p.Sessions, p.Tokens, p.Media = se.rooms, se.tokens, se.media
		p.ICEServers = []web.ICEServer{{URLs: []string{"stun:stun.example.org:3478"}}, {URLs: []string{"turn:turn.example.org:3478"}, Username: "u", Credential: "p"}}
	})
	return se
}

// poolCommittee adapts the expert pool to room.Committee as evalroomd
// does (cmd/evalroomd/committee.go; a main package cannot be imported).
type poolCommittee struct{ pool *expertpool.Service }

func (c poolCommittee) Members(ctx context.Context, actor string, drawID int64, venue string) ([]room.Member, error) {
	list, err := c.pool.RevealMembers(ctx, actor, drawID, venue)
	if err != nil {
		return nil, committeeError(err)
	}
	out := make([]room.Member, 0, len(list))
	for _, m := range list {
		out = append(out, room.Member{MemberID: m.MemberID, VenueCode: m.VenueCode, Name: m.Name, IDNumberMasked: m.IDNumberMasked,
			State: m.State, SeatReady: m.SeatReady, Replacement: m.Replacement})
	}
	return out, nil
}

func (c poolCommittee) CheckIdentity(ctx context.Context, memberID int64, idSuffix string) (bool, error) {
	ok, err := c.pool.CheckIDSuffix(ctx, memberID, idSuffix)
	return ok, committeeError(err)
}

func (c poolCommittee) RecuseOnSite(ctx context.Context, actor string, memberID int64, reason string) (room.Replacement, error) {
	res, err := c.pool.MarkRecusedOnSite(ctx, actor, memberID, reason)
	if err != nil {
		return room.Replacement{}, committeeError(err)
	}
	return room.Replacement{MemberID: res.ReplacementID, Notice: res.Notice}, nil
}

func committeeError(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range []struct {
		from, to error
		message  string
	}{
		{expertpool.ErrSealed, room.ErrPhase, "名单尚未到签到时间，仍处于密封状态"},
		{expertpool.ErrAnswerClosed, room.ErrConflict, "该专家已不在评标委员会中"},
		{expertpool.ErrNotFound, room.ErrNotFound, "未找到该专家或抽取记录"},
		{expertpool.ErrInvalid, room.ErrInvalid, "输入无效"},
		{expertpool.ErrConflict, room.ErrConflict, "与已有数据冲突"},
	} {
		if errors.Is(err, m.from) {
			msg := err.Error()
			if i := strings.Index(msg, m.from.Error()+": "); i >= 0 && strings.IndexFunc(msg[i:], func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
				return fmt.Errorf("%w: %s", m.to, msg[i+len(m.from.Error())+2:])
			}
			return fmt.Errorf("%w: %s", m.to, m.message)
		}
	}
	return err
}
