package sfu

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/room/token"
)

// Muting a room: staff may stop a room's audio from reaching the other
// rooms of the session (a venue's private word), without touching its
// video, its own room, the supervisors or the room's own recording (the
// edge recorder archives locally). The state is kept in a MuteStore
// shared by every node; the node hosting the session applies it to the
// forwarding path: a down track of a muted room's audio track stops
// writing to a subscriber who does not hear it (see hearsMuted) and,
// on unmute, resumes with continuous sequence numbers as after a pause.

// MuteStore keeps, for every node to read, which rooms of each session
// have their audio muted toward the other rooms (room/sfu/cluster
// implements it on Redis). Both methods return an error only when the
// store cannot be reached or refuses the ids.
type MuteStore interface {
	// SetMuted records whether room of session is muted.
	SetMuted(ctx context.Context, session, room string, muted bool) error
	// Muted returns the muted rooms of session.
	Muted(ctx context.Context, session string) ([]string, error)
}

// DefaultMuteRefresh is how often the hosting node re-reads the mute
// state of its sessions when Params.MuteRefresh is zero, in case it
// missed the notice of a change made through another node.
const DefaultMuteRefresh = 2 * time.Second

// SetRoomMuted mutes (muted true) or unmutes room's audio toward the
// other rooms of session for actor: it stores the state for every node,
// audits it ("media.mute" on session:<id>) and applies it at once when
// this node hosts the session; the hosting node learns of a change made
// elsewhere through RefreshMutes. When the audit fails the state is set
// back and ErrAudit is returned.
func (s *Server) SetRoomMuted(ctx context.Context, actor, session, room string, muted bool) error {
	if session == "" || room == "" {
		return fmt.Errorf("%w: mute needs a session and a room", ErrNotFound)
	}
	before, err := s.mutes.Muted(ctx, session)
	if err != nil {
		return fmt.Errorf("read mutes of session %s: %w", session, err)
	}
	was := contains(before, room)
	if err := s.mutes.SetMuted(ctx, session, room, muted); err != nil {
		return fmt.Errorf("mute room %s of session %s: %w", room, session, err)
	}
	if err := s.p.Auditor.Audit(ctx, actor, "media.mute", "session:"+session, map[string]any{
		"room": room, "muted": muted, "was_muted": was,
	}); err != nil {
		if rerr := s.mutes.SetMuted(context.WithoutCancel(ctx), session, room, was); rerr != nil {
			s.log.Error("undo unaudited mute", "session", session, "room", room, "err", rerr)
		}
		return errors.Join(ErrAudit, err)
	}
	s.log.Info("room audio muted toward the other rooms", "session", session, "room", room, "muted", muted, "actor", actor)
	return s.RefreshMutes(ctx, session)
}

// MutedRooms returns, sorted, the rooms of session whose audio is muted
// toward the other rooms, as every node sees it.
func (s *Server) MutedRooms(ctx context.Context, session string) ([]string, error) {
	rooms, err := s.mutes.Muted(ctx, session)
	if err != nil {
		return nil, fmt.Errorf("read mutes of session %s: %w", session, err)
	}
	out := append([]string(nil), rooms...)
	sort.Strings(out)
	return out, nil
}

// RefreshMutes re-reads session's mute state from the store and applies
// it when this node hosts the session (nothing to do otherwise). cmd
// calls it when another node reports a change; the server also calls it
// for every hosted session every Params.MuteRefresh.
func (s *Server) RefreshMutes(ctx context.Context, session string) error {
	sess := s.lookup(session)
	if sess == nil {
		return nil
	}
	rooms, err := s.mutes.Muted(ctx, session)
	if err != nil {
		return fmt.Errorf("read mutes of session %s: %w", session, err)
	}
	sess.applyMutes(rooms)
	return nil
}

// muteLoop refreshes the mute state of every hosted session until Close.
func (s *Server) muteLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(s.p.MuteRefresh)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		ids := make([]string, 0, len(s.sessions))
		for id := range s.sessions {
			ids = append(ids, id)
		}
		s.mu.Unlock()
		for _, id := range ids {
			ctx, cancel := context.WithTimeout(context.Background(), s.p.MuteRefresh)
			if err := s.RefreshMutes(ctx, id); err != nil {
				s.log.Warn("refresh mutes", "session", id, "err", err)
			}
			cancel()
		}
	}
}

// loadMutes reads session's mute state for a session this node is about
// to host. When the store cannot be read the session starts unmuted and
// the refresh loop tries again.
func (s *Server) loadMutes(ctx context.Context, session string) map[string]bool {
	rooms, err := s.mutes.Muted(ctx, session)
	if err != nil {
		s.log.Warn("read mutes of a new session", "session", session, "err", err)
	}
	return roomSet(rooms)
}

// applyMutes makes rooms the session's muted rooms and flags their audio
// tracks.
func (s *session) applyMutes(rooms []string) {
	set := roomSet(rooms)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.muted = set
	for _, t := range s.trackOrder {
		s.muteTrackLocked(t)
	}
}

// muteTrackLocked flags t when it is audio from a muted room. s.mu must
// be held.
func (s *session) muteTrackLocked(t *pubTrack) {
	t.roomMuted.Store(t.kind == webrtc.RTPCodecTypeAudio && s.muted[t.owner.claims.Room])
}

// hearsMuted reports whether sub keeps hearing pub's audio while pub's
// room is muted: the room itself, hidden supervisors, admins, and the
// staff of the room's venue.
func hearsMuted(sub *Participant, pub *pubTrack) bool {
	c, owner := sub.claims, pub.owner.claims
	switch {
	case owner.Room == "", c.Room == owner.Room, c.Grants.Hidden, c.Role == token.RoleAdmin:
		return true
	case c.Role == token.RoleStaff && c.Venue != "" && c.Venue == owner.Venue:
		return true
	}
	return false
}

func roomSet(rooms []string) map[string]bool {
	set := make(map[string]bool, len(rooms))
	for _, r := range rooms {
		set[r] = true
	}
	return set
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// memMutes is the MuteStore of a single node (Params.Mutes nil).
type memMutes struct {
	mu    sync.Mutex
	rooms map[string]map[string]bool
}

func (m *memMutes) SetMuted(_ context.Context, session, room string, muted bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rooms == nil {
		m.rooms = map[string]map[string]bool{}
	}
	set := m.rooms[session]
	if muted {
		if set == nil {
			set = map[string]bool{}
			m.rooms[session] = set
		}
		set[room] = true
	} else if set != nil {
		delete(set, room)
		if len(set) == 0 {
			delete(m.rooms, session)
		}
	}
	return nil
}

func (m *memMutes) Muted(_ context.Context, session string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for r := range m.rooms[session] {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}
