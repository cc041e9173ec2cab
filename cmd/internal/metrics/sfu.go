package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evalroom/evalroom/room/sfu"
)

var (
	sfuSessionsDesc     = newDesc("sfu_sessions", "Media sessions hosted by this node.")
	sfuParticipantsDesc = newDesc("sfu_participants", "Participants of a media session on this node by role (supervisors are hidden from the others but counted here).", "session", "role")
	sfuTracksDesc       = newDesc("sfu_published_tracks", "Tracks published in a media session on this node, by kind (audio, video).", "session", "kind")
	sfuReceiveDesc      = newDesc("sfu_receive_bits_per_second", "Bitrate received from the publishers of a media session (last ½ s).", "session")
	sfuForwardDesc      = newDesc("sfu_forward_bits_per_second", "Bitrate forwarded to the subscribers of a media session (last ½ s).", "session")
	sfuLossDesc         = newDesc("sfu_ingest_loss_ratio", "Share of the newest video packets (up to 512 per stream) that never reached the SFU, retransmissions included, over a media session's incoming video.", "session")
	sfuReceivedDesc     = newDesc("sfu_received_bytes_total", "RTP bytes received from publishers by this node.")
	sfuFwdBytesDesc     = newDesc("sfu_forwarded_bytes_total", "Payload bytes forwarded to subscribers by this node.")
	sfuFwdPacketsDesc   = newDesc("sfu_forwarded_packets_total", "RTP packets forwarded to subscribers by this node.")
)

// sfuCollector reads sfu.Stats. The SFU counts bytes and packets per
// stream only; the collector turns their growth between scrapes into
// node totals, so the totals keep what streams that ended had counted up
// to the scrape before they ended.
type sfuCollector struct {
	stats func() sfu.Stats

	mu                             sync.Mutex
	lastLayer                      map[string]uint64
	lastPackets, lastBytes         map[string]uint32
	received, fwdBytes, fwdPackets float64
}

func newSFUCollector(stats func() sfu.Stats) *sfuCollector {
	return &sfuCollector{stats: stats, lastLayer: map[string]uint64{}, lastPackets: map[string]uint32{}, lastBytes: map[string]uint32{}}
}

func (c *sfuCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sfuSessionsDesc, sfuParticipantsDesc, sfuTracksDesc, sfuReceiveDesc, sfuForwardDesc,
		sfuLossDesc, sfuReceivedDesc, sfuFwdBytesDesc, sfuFwdPacketsDesc} {
		ch <- d
	}
}

func (c *sfuCollector) Collect(ch chan<- prometheus.Metric) {
	if c.stats == nil {
		return
	}
	st := c.stats()
	gauge(ch, sfuSessionsDesc, float64(len(st.Sessions)))
	for _, s := range st.Sessions {
		for role, n := range s.Participants {
			gauge(ch, sfuParticipantsDesc, float64(n), s.Session, role)
		}
		gauge(ch, sfuTracksDesc, float64(s.AudioTracks), s.Session, "audio")
		gauge(ch, sfuTracksDesc, float64(s.VideoTracks), s.Session, "video")
		gauge(ch, sfuReceiveDesc, float64(s.ReceiveBitrate), s.Session)
		gauge(ch, sfuForwardDesc, float64(s.ForwardBitrate), s.Session)
	}
	expected, received := map[string]int{}, map[string]int{}
	for _, l := range st.Layers {
		if l.Video {
			expected[l.Session] += l.Expected
			received[l.Session] += l.Received
		}
	}
	for session, exp := range expected {
		if exp > 0 {
			gauge(ch, sfuLossDesc, float64(exp-received[session])/float64(exp), session)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	seenLayer := make(map[string]uint64, len(st.Layers))
	for _, l := range st.Layers {
		if prev, ok := c.lastLayer[l.Key]; ok && l.Bytes >= prev {
			c.received += float64(l.Bytes - prev)
		} else if !ok {
			c.received += float64(l.Bytes)
		}
		seenLayer[l.Key] = l.Bytes
	}
	c.lastLayer = seenLayer
	seenPackets, seenBytes := make(map[string]uint32, len(st.Downs)), make(map[string]uint32, len(st.Downs))
	for _, d := range st.Downs {
		// uint32 arithmetic: a counter that wrapped since the last
		// scrape still gives its growth.
		prevP, okP := c.lastPackets[d.Key]
		prevB := c.lastBytes[d.Key]
		if !okP {
			prevP, prevB = 0, 0
		}
		c.fwdPackets += float64(d.Packets - prevP)
		c.fwdBytes += float64(d.Bytes - prevB)
		seenPackets[d.Key], seenBytes[d.Key] = d.Packets, d.Bytes
	}
	c.lastPackets, c.lastBytes = seenPackets, seenBytes
	counter(ch, sfuReceivedDesc, c.received)
	counter(ch, sfuFwdBytesDesc, c.fwdBytes)
	counter(ch, sfuFwdPacketsDesc, c.fwdPackets)
}
