package sfu

import (
	"sort"
	"strconv"

	"github.com/pion/webrtc/v4"
)

// Stats is what the SFU forwards on this node at one instant, read from
// the state the forwarding keeps anyway (no counting of its own): the
// metrics read it at scrape time.
type Stats struct {
	// Sessions are the media sessions hosted here, by id.
	Sessions []SessionStats
	// Layers are the incoming streams (one per track, or per simulcast
	// layer), in no particular order.
	Layers []LayerStats
	// Downs are the forwarded streams (one per subscriber and track).
	Downs []DownStats
}

// SessionStats is one hosted media session.
type SessionStats struct {
	Session string
	// Participants counts the participants by role (token.Role names),
	// hidden ones (supervisors) included.
	Participants map[string]int
	// Hidden counts the hidden participants among them.
	Hidden int
	// AudioTracks and VideoTracks count the published tracks.
	AudioTracks, VideoTracks int
	// ReceiveBitrate is the bitrate of the incoming layers, and
	// ForwardBitrate what is sent to the subscribers (each forwarded
	// stream at the rate of the layer it carries), in bits per second
	// over the last allocation interval (½ s).
	ReceiveBitrate, ForwardBitrate int64
}

// LayerStats is one incoming stream.
type LayerStats struct {
	// Key identifies the stream while it lives ("<track>/<layer>").
	Key     string
	Session string
	// Video is false for audio.
	Video bool
	// Bytes counts the RTP bytes received since the stream began.
	Bytes uint64
	// Expected and Received are, for video, the newest packets' sequence
	// number span (at most the NACK cache, 512 packets) and how many of
	// them arrived, repairs included: Expected-Received were lost for
	// good. Zero for audio.
	Expected, Received int
}

// DownStats is one forwarded stream.
type DownStats struct {
	// Key identifies the stream while it lives ("<subscriber>/<track>").
	Key     string
	Session string
	// Packets and Bytes count what was sent since the stream began
	// (payload bytes, as in RTCP Sender Reports); both wrap at 2³².
	Packets, Bytes uint32
}

// Stats returns the state of every hosted session.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].id < sessions[j].id })
	var out Stats
	for _, sess := range sessions {
		ss := SessionStats{Session: sess.id, Participants: map[string]int{}}
		for _, t := range sess.publishedTracks() {
			if t.kind == webrtc.RTPCodecTypeVideo {
				ss.VideoTracks++
			} else {
				ss.AudioTracks++
			}
			for i := range maxLayers {
				l := t.layer(i)
				if l == nil {
					continue
				}
				ls := LayerStats{Key: t.id + "/" + strconv.Itoa(i), Session: sess.id, Video: t.kind == webrtc.RTPCodecTypeVideo,
					Bytes: l.bytes.Load()}
				if l.cache != nil {
					ls.Expected, ls.Received = l.cache.window()
				}
				ss.ReceiveBitrate += l.rate.Load()
				out.Layers = append(out.Layers, ls)
			}
		}
		for _, p := range sess.list() {
			ss.Participants[string(p.claims.Role)]++
			if p.hidden() {
				ss.Hidden++
			}
			p.mu.Lock()
			downs := make([]*downTrack, 0, len(p.downs))
			for _, d := range p.downs {
				downs = append(downs, d)
			}
			p.mu.Unlock()
			for _, d := range downs {
				d.mu.Lock()
				cur, forwarding := d.current, d.bound && !d.paused && d.current >= 0
				ds := DownStats{Key: p.id + "/" + d.pub.id, Session: sess.id, Packets: d.packets, Bytes: d.octets}
				d.mu.Unlock()
				if forwarding {
					if l := d.pub.layer(cur); l != nil {
						ss.ForwardBitrate += l.rate.Load()
					}
				}
				out.Downs = append(out.Downs, ds)
			}
		}
		out.Sessions = append(out.Sessions, ss)
	}
	return out
}

// window returns the span of sequence numbers of the newest packets the
// cache holds (from the oldest kept one within cacheSize of the newest,
// to the newest) and how many of them it holds.
func (c *packetCache) window() (expected, received int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var newest uint16
	found := false
	for i := range c.slots {
		if c.slots[i].n == 0 {
			continue
		}
		if seq := c.slots[i].seq; !found || int16(seq-newest) > 0 {
			newest, found = seq, true
		}
	}
	if !found {
		return 0, 0
	}
	oldest := uint16(0)
	for i := range c.slots {
		if c.slots[i].n == 0 {
			continue
		}
		if age := newest - c.slots[i].seq; int(age) < cacheSize {
			received++
			if age > oldest {
				oldest = age
			}
		}
	}
	return int(oldest) + 1, received
}
