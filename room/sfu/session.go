package sfu

import (
	"log/slog"
	"sync"
)

// session is the media session of one evaluation session on this node.
type session struct {
	id  string
	srv *Server
	log *slog.Logger

	mu           sync.Mutex
	participants map[string]*Participant
	order        []*Participant
	tracks       map[string]*pubTrack
	trackOrder   []*pubTrack
	muted        map[string]bool // rooms whose audio is muted toward the others
}

func newSession(s *Server, id string) *session {
	return &session{
		id: id, srv: s, log: s.log.With("session", id),
		participants: map[string]*Participant{}, tracks: map[string]*pubTrack{},
	}
}

// list returns the participants in joining order.
func (s *session) list() []*Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Participant(nil), s.order...)
}

func (s *session) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order) == 0
}

// add admits p and returns the visible others and the published tracks,
// taken atomically with the admission so that every track published
// later reaches p through publish.
func (s *session) add(p *Participant) (others []*Participant, tracks []*pubTrack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	others = append(others, s.order...)
	s.participants[p.id] = p
	s.order = append(s.order, p)
	tracks = append(tracks, s.trackOrder...)
	return others, tracks
}

// remove takes p out and reports whether the session is now empty.
func (s *session) remove(p *Participant) (empty bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.participants[p.id] == p {
		delete(s.participants, p.id)
		for i, q := range s.order {
			if q == p {
				s.order = append(s.order[:i:i], s.order[i+1:]...)
				break
			}
		}
	}
	return len(s.order) == 0
}

// publish adds t and returns the participants who should receive it.
func (s *session) publish(t *pubTrack) []*Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tracks[t.id] = t
	s.trackOrder = append(s.trackOrder, t)
	s.muteTrackLocked(t)
	return append([]*Participant(nil), s.order...)
}

// unpublish removes t and returns the participants to tell.
func (s *session) unpublish(t *pubTrack) []*Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tracks[t.id] != t {
		return nil
	}
	delete(s.tracks, t.id)
	for i, q := range s.trackOrder {
		if q == t {
			s.trackOrder = append(s.trackOrder[:i:i], s.trackOrder[i+1:]...)
			break
		}
	}
	return append([]*Participant(nil), s.order...)
}

// participant returns the participant with id, or nil.
func (s *session) participant(id string) *Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.participants[id]
}

// publishedTracks returns the published tracks in order.
func (s *session) publishedTracks() []*pubTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*pubTrack(nil), s.trackOrder...)
}

// broadcast sends m to every participant except skip. Messages about a
// hidden participant must never reach here.
func (s *session) broadcast(m Message, skip *Participant) {
	for _, p := range s.list() {
		if p != skip {
			p.send(m)
		}
	}
}
