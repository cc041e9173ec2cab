package sfu

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// pubTrack is one published track: one layer, or up to three simulcast
// layers, and the down tracks that forward it to subscribers.
type pubTrack struct {
	id        string
	owner     *Participant
	receiver  *webrtc.RTPReceiver
	kind      webrtc.RTPCodecType
	codec     webrtc.RTPCodecParameters
	label     string
	simulcast bool

	mu     sync.Mutex
	layers [maxLayers]*upLayer
	live   int
	ended  bool

	downMu sync.Mutex
	downs  atomic.Pointer[[]*downTrack] // copy on write; read per packet

	roomMuted atomic.Bool // audio of a room muted toward the other rooms (see mute.go)
}

// upLayer is one incoming RTP stream of a track.
type upLayer struct {
	track   *pubTrack
	idx     int
	rid     string
	remote  *webrtc.TrackRemote
	ssrc    uint32
	mime    string
	clock   uint32
	levelID uint8

	bytes     atomic.Uint64
	rate      atomic.Int64 // bits per second, updated by the allocation loop
	prevBytes uint64       // allocation loop only

	lastPLI atomic.Int64 // unix nanoseconds of the last keyframe request
	wantKey atomic.Bool  // a subscriber waits for a keyframe of this layer

	cache *packetCache // video: recent packets, for subscribers' NACKs
}

// onTrack receives a new incoming stream (a track, or one simulcast layer
// of it) from pion.
func (p *Participant) onTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	if !p.claims.Grants.Publish {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	t := p.published[receiver]
	fresh := t == nil
	if fresh {
		t = &pubTrack{id: newID("TR_"), owner: p, receiver: receiver, kind: remote.Kind(), codec: remote.Codec(),
			label: remote.ID(), simulcast: remote.RID() != ""}
		p.published[receiver] = t
		if t.kind == webrtc.RTPCodecTypeVideo {
			p.liveVideo++
		}
	}
	l := &upLayer{track: t, rid: remote.RID(), remote: remote, ssrc: uint32(remote.SSRC()),
		mime: remote.Codec().MimeType, clock: remote.Codec().ClockRate}
	if t.kind == webrtc.RTPCodecTypeVideo {
		l.cache = newPacketCache()
	}
	for _, e := range receiver.GetParameters().HeaderExtensions {
		if e.URI == AudioLevelURI {
			l.levelID = uint8(e.ID)
		}
	}
	if !t.addLayer(l) {
		p.mu.Unlock()
		return
	}
	becameLive := fresh && t.kind == webrtc.RTPCodecTypeVideo && p.liveVideo == 1
	p.wg.Add(2)
	p.mu.Unlock()
	p.log.Debug("incoming stream", "track", t.id, "rid", l.rid, "ssrc", l.ssrc, "codec", l.mime)
	go func() {
		defer p.wg.Done()
		l.readRTP()
		t.layerEnded(l)
	}()
	go func() {
		defer p.wg.Done()
		l.readRTCP()
	}()
	if fresh {
		p.publish(t)
		if becameLive {
			p.setLive(true)
		}
	} else {
		t.layersChanged()
	}
}

// addLayer places l at its simulcast index; false when there is no room.
func (t *pubTrack) addLayer(l *upLayer) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	idx := 0
	if l.rid != "" {
		idx = ridIndex(l.rid)
		if idx < 0 || t.layers[idx] != nil {
			idx = -1
			for i := range t.layers {
				if t.layers[i] == nil {
					idx = i
					break
				}
			}
		}
	}
	if idx < 0 || t.layers[idx] != nil {
		return false
	}
	l.idx = idx
	t.layers[idx] = l
	t.live++
	return true
}

// layerEnded forgets l; the last layer's end unpublishes the track.
func (t *pubTrack) layerEnded(l *upLayer) {
	t.mu.Lock()
	if t.layers[l.idx] == l {
		t.layers[l.idx] = nil
		t.live--
	}
	last := t.live == 0 && !t.ended
	if last {
		t.ended = true
	}
	t.mu.Unlock()
	if last {
		t.owner.unpublish(t)
		return
	}
	t.layersChanged()
}

func (t *pubTrack) available() (a [maxLayers]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, l := range t.layers {
		a[i] = l != nil
	}
	return a
}

func (t *pubTrack) layer(i int) *upLayer {
	if i < 0 || i >= maxLayers {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.layers[i]
}

func (t *pubTrack) info() TrackInfo {
	ti := TrackInfo{ID: t.id, Participant: t.owner.id, Kind: t.kind.String(), Codec: t.codec.MimeType,
		Label: t.label, Room: t.owner.claims.Room, Simulcast: t.simulcast}
	if t.simulcast {
		for i, ok := range t.available() {
			if ok {
				ti.Layers = append(ti.Layers, layerName(i))
			}
		}
	}
	return ti
}

func (t *pubTrack) downList() []*downTrack {
	if d := t.downs.Load(); d != nil {
		return *d
	}
	return nil
}

func (t *pubTrack) addDown(d *downTrack) {
	t.downMu.Lock()
	defer t.downMu.Unlock()
	next := append(append([]*downTrack(nil), t.downList()...), d)
	t.downs.Store(&next)
}

func (t *pubTrack) removeDown(d *downTrack) {
	t.downMu.Lock()
	defer t.downMu.Unlock()
	var next []*downTrack
	for _, x := range t.downList() {
		if x != d {
			next = append(next, x)
		}
	}
	t.downs.Store(&next)
}

// layersChanged lets every subscriber re-pick its layer.
func (t *pubTrack) layersChanged() {
	for _, d := range t.downList() {
		d.reselect()
	}
}

// readRTP is the hot path: read one packet, forward it to every down
// track, repeat. It allocates nothing per packet.
func (l *upLayer) readRTP() {
	t := l.track
	srv := t.owner.srv
	buf := make([]byte, 1500)
	var h rtp.Header
	var det *speakingDetector
	if t.kind == webrtc.RTPCodecTypeAudio && l.levelID != 0 {
		det = newSpeakingDetector(l.clock)
	}
	video := t.kind == webrtc.RTPCodecTypeVideo
	var highest uint16
	seen := false
	for {
		n, _, err := l.remote.Read(buf)
		if err != nil {
			return
		}
		hl, err := h.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		payload := buf[hl:n]
		l.bytes.Add(uint64(n))
		if l.cache != nil {
			l.cache.put(h.SequenceNumber, buf[:n])
		}
		media := payload
		if h.Padding && len(media) > 0 {
			if pad := int(media[len(media)-1]); pad <= len(media) {
				media = media[:len(media)-pad]
			}
		}
		// A retransmitted keyframe is no place to start: the packets
		// after it have gone by already.
		late := seen && int16(h.SequenceNumber-highest) < 0
		if !late {
			highest, seen = h.SequenceNumber, true
		}
		key := video && !late && len(media) > 0 && isKeyframe(l.mime, media)
		var level []byte
		if l.levelID != 0 {
			level = h.GetExtension(l.levelID)
			if det != nil && len(level) > 0 {
				if changed, speaking := det.observe(h.Timestamp, level[0]&0x7f); changed {
					t.owner.speaking(t, speaking)
				}
			}
		}
		now := srv.now()
		wrote := false
		for _, d := range t.downList() {
			wrote = d.forward(l, &h, payload, key, level, now) || wrote
		}
		if wrote { // a layer nobody receives does not contend for the socket
			srv.flush()
		}
		if key {
			l.wantKey.Store(false)
		} else if video && l.wantKey.Load() {
			l.requestKeyframe(now)
		}
	}
}

// readRTCP reads the publisher's RTCP for this layer and forwards its
// Sender Reports (RFC 3550 §6.4.1) to the subscribers, translated to each
// down track's SSRC and timestamps.
func (l *upLayer) readRTCP() {
	r := l.track.receiver
	for {
		var pkts []rtcp.Packet
		var err error
		if l.rid != "" {
			pkts, _, err = r.ReadSimulcastRTCP(l.rid)
		} else {
			pkts, _, err = r.ReadRTCP()
		}
		if err != nil {
			return
		}
		for _, pk := range pkts {
			if sr, ok := pk.(*rtcp.SenderReport); ok && sr.SSRC == l.ssrc {
				for _, d := range l.track.downList() {
					d.sendSenderReport(l, sr.NTPTime, sr.RTPTime)
				}
				l.track.owner.srv.flush()
			}
		}
	}
}

// requestKeyframe sends a PLI to the publisher unless one went out for
// this layer within the keyframe interval.
func (l *upLayer) requestKeyframe(now time.Time) {
	owner := l.track.owner
	last := l.lastPLI.Load()
	if now.UnixNano()-last < int64(owner.srv.p.KeyframeInterval) || !l.lastPLI.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	pc := owner.publisherPC()
	if pc == nil {
		return
	}
	if err := pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}}); err != nil {
		owner.log.Debug("send PLI", "err", err)
	}
}

// publish announces t to the session and subscribes the others to it.
func (p *Participant) publish(t *pubTrack) {
	subs := p.sess.publish(t)
	ti := t.info()
	p.log.Info("track published", "track", t.id, "kind", ti.Kind, "codec", ti.Codec)
	for _, q := range subs {
		q.send(Message{Type: TypeTrackPublished, Track: &ti})
	}
	for _, q := range subs {
		if q != p && q.auto {
			q.attach(t, false)
		}
	}
}

// unpublish withdraws t from the session and from every subscriber.
func (p *Participant) unpublish(t *pubTrack) {
	subs := p.sess.unpublish(t)
	p.mu.Lock()
	delete(p.published, t.receiver)
	wasLive := false
	if subs != nil && t.kind == webrtc.RTPCodecTypeVideo {
		p.liveVideo--
		wasLive = p.liveVideo == 0
	}
	p.mu.Unlock()
	if subs == nil {
		return
	}
	p.log.Info("track unpublished", "track", t.id)
	for _, q := range subs {
		q.send(Message{Type: TypeTrackUnpublished, Track: &TrackInfo{ID: t.id, Participant: p.id}})
	}
	for _, q := range subs {
		if q != p {
			q.detach(t)
		}
	}
	if wasLive {
		p.setLive(false)
	}
}

// setLive publishes a device's room as live (or not).
func (p *Participant) setLive(live bool) {
	pr := p.srv.p.Presence
	if pr == nil || p.claims.Role != roleDevice {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := pr.SetLive(ctx, p.claims.Session, p.claims.Room, live); err != nil {
		p.log.Warn("set presence", "live", live, "err", err)
	}
}

// speaking tells everyone that t's level crossed the speaking threshold.
// While t's room is muted only those who still hear it are told.
func (p *Participant) speaking(t *pubTrack, on bool) {
	m := Message{Type: TypeSpeaking, Participant: &ParticipantInfo{ID: p.id}, Track: &TrackInfo{ID: t.id}, Speaking: on}
	if !t.roomMuted.Load() {
		p.sess.broadcast(m, nil)
		return
	}
	for _, q := range p.sess.list() {
		if hearsMuted(q, t) {
			q.send(m)
		}
	}
}

// codecPreferences are the codecs a subscriber's transceiver for t
// offers: t's codec (subscribers get no RTX: retransmissions use the
// original SSRC).
func (t *pubTrack) codecPreferences() []webrtc.RTPCodecParameters {
	subs := codecs(TargetSubscriber)
	for _, c := range subs {
		if strings.EqualFold(c.params.MimeType, t.codec.MimeType) && fmtpMatch(c.params.SDPFmtpLine, t.codec.SDPFmtpLine) {
			return []webrtc.RTPCodecParameters{c.params}
		}
	}
	for _, c := range subs {
		if strings.EqualFold(c.params.MimeType, t.codec.MimeType) {
			return []webrtc.RTPCodecParameters{c.params}
		}
	}
	return nil
}

// fmtpMatch compares the H264 profile (other codecs always match).
func fmtpMatch(a, b string) bool {
	pa, pb := fmtpValue(a, "profile-level-id"), fmtpValue(b, "profile-level-id")
	if pa == "" || pb == "" {
		return true
	}
	return len(pa) >= 4 && len(pb) >= 4 && strings.EqualFold(pa[:4], pb[:4])
}

func fmtpValue(fmtp, key string) string {
	for _, kv := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
