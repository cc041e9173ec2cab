package sfuclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/room/sfu"
)

// Options configures a client.
type Options struct {
	// Session, when set, is sent in join and must match the token.
	Session string
	// OnTrack is called (on a pion goroutine) for each received track.
	OnTrack func(*webrtc.TrackRemote, *webrtc.RTPReceiver)
	// OnEvent is called, in order, for each event message
	// (participant_joined/left, track_published/unpublished, speaking,
	// recoverable errors). It must not block.
	OnEvent func(sfu.Message)
	// ConfigureSettingEngine adjusts pion's setting engine (tests inject a
	// vnet here).
	ConfigureSettingEngine func(*webrtc.SettingEngine)
	// OnRTCP, when set, receives the RTCP the server sends about a
	// published track (keyframe requests, receiver reports), on the
	// client's RTCP reader goroutine. The client reads it either way: that
	// drives pion's NACK responder.
	OnRTCP func(sender *webrtc.RTPSender, pkts []rtcp.Packet)
	// Header is sent with the WebSocket handshake.
	Header http.Header
	// HTTPClient is used by WHIP and WHEP; default http.DefaultClient.
	HTTPClient *http.Client
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Client is one WebSocket participant.
type Client struct {
	opts   Options
	conn   *websocket.Conn
	api    *webrtc.API
	sub    *peer // the server offers here; received tracks
	pub    *peer // the client offers here; created by the first Publish
	joined sfu.Message
	log    *slog.Logger

	writeMu sync.Mutex

	pcMu    sync.Mutex // pion signaling calls, c.pub
	pubMu   sync.Mutex // one Publish at a time
	answers chan string

	done     chan struct{}
	errMu    sync.Mutex
	err      error
	closeOne sync.Once
	readDone chan struct{}
	wg       sync.WaitGroup // RTCP readers
}

const maxRedirects = 3

// Join connects to the SFU's WebSocket at url (ws://host/media/ws),
// joins with tok and returns once the server replied "joined". It follows
// redirects to other nodes. A refusal is a *ServerError.
func Join(ctx context.Context, url, tok string, opts Options) (*Client, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	for range maxRedirects + 1 {
		conn, _, err := websocket.DefaultDialer.DialContext(ctx, url, opts.Header)
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", url, err)
		}
		if err := conn.WriteJSON(sfu.Message{Type: sfu.TypeJoin, Token: tok, Session: opts.Session}); err != nil {
			conn.Close()
			return nil, fmt.Errorf("send join: %w", err)
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = conn.SetReadDeadline(dl)
		}
		m, err := readMessage(conn)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("read join reply: %w", err)
		}
		_ = conn.SetReadDeadline(time.Time{})
		switch m.Type {
		case sfu.TypeRedirect:
			conn.Close()
			url = m.URL
			continue
		case sfu.TypeError:
			conn.Close()
			return nil, &ServerError{Code: m.Code, Message: m.Text}
		case sfu.TypeJoined:
			return newClient(conn, m, opts)
		default:
			conn.Close()
			return nil, fmt.Errorf("%w: %s", ErrUnexpected, m.Type)
		}
	}
	return nil, ErrTooManyRedirects
}

func readMessage(conn *websocket.Conn) (sfu.Message, error) {
	_, b, err := conn.ReadMessage()
	if err != nil {
		return sfu.Message{}, err
	}
	return sfu.Decode(b)
}

// peer is one of the client's peer connections.
type peer struct {
	target    string
	pc        *webrtc.PeerConnection
	queued    []webrtc.ICECandidateInit
	remoteSet bool
}

func newClient(conn *websocket.Conn, joined sfu.Message, opts Options) (*Client, error) {
	api, err := newAPI(opts.ConfigureSettingEngine)
	if err != nil {
		conn.Close()
		return nil, err
	}
	c := &Client{opts: opts, conn: conn, api: api, joined: joined, answers: make(chan string, 1),
		done: make(chan struct{}), readDone: make(chan struct{}),
		log: opts.Logger.With("participant", joined.Participant.ID)}
	c.sub, err = c.newPeer(sfu.TargetSubscriber)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if opts.OnTrack != nil {
		c.sub.pc.OnTrack(opts.OnTrack)
	}
	go c.readLoop()
	return c, nil
}

func (c *Client) newPeer(target string) (*peer, error) {
	pc, err := c.api.NewPeerConnection(webrtc.Configuration{ICEServers: c.joined.ICEServers})
	if err != nil {
		return nil, fmt.Errorf("peer connection: %w", err)
	}
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil {
			init := cand.ToJSON()
			_ = c.Send(sfu.Message{Type: sfu.TypeCandidate, Target: target, Candidate: &init})
		}
	})
	return &peer{target: target, pc: pc}, nil
}

// publisher returns the publisher connection, creating it; c.pcMu held.
func (c *Client) publisher() (*peer, error) {
	if c.pub == nil {
		p, err := c.newPeer(sfu.TargetPublisher)
		if err != nil {
			return nil, err
		}
		c.pub = p
	}
	return c.pub, nil
}

// ID is the client's participant id.
func (c *Client) ID() string { return c.joined.Participant.ID }

// Joined is the server's "joined" message: the visible participants and
// the published tracks at the time of joining, and the ICE servers.
func (c *Client) Joined() sfu.Message { return c.joined }

// Subscriber is the connection on which the client receives tracks.
func (c *Client) Subscriber() *webrtc.PeerConnection { return c.sub.pc }

// Publisher is the connection on which the client publishes, nil before
// the first Publish.
func (c *Client) Publisher() *webrtc.PeerConnection {
	c.pcMu.Lock()
	defer c.pcMu.Unlock()
	if c.pub == nil {
		return nil
	}
	return c.pub.pc
}

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is the reason the connection ended: a *ServerError when the server
// sent an error, nil after Leave or Close.
func (c *Client) Err() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// Send writes one raw message (tests use it to send bad input).
func (c *Client) Send(m sfu.Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.SendRaw(b)
}

// SendRaw writes bytes as one text message.
func (c *Client) SendRaw(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	return nil
}

// Publish adds tracks to the connection and negotiates them (client
// offer, server answer). It returns their senders.
func (c *Client) Publish(ctx context.Context, tracks ...webrtc.TrackLocal) ([]*webrtc.RTPSender, error) {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	senders := make([]*webrtc.RTPSender, 0, len(tracks))
	c.pcMu.Lock()
	pub, err := c.publisher()
	if err != nil {
		c.pcMu.Unlock()
		return nil, err
	}
	for _, t := range tracks {
		tr, err := pub.pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			c.pcMu.Unlock()
			return nil, fmt.Errorf("add track %s: %w", t.ID(), err)
		}
		senders = append(senders, tr.Sender())
		c.readRTCP(tr.Sender())
	}
	c.pcMu.Unlock()
	return senders, c.offer(ctx)
}

// Simulcast is a published simulcast track: write each layer's packets
// with WriteRTP, which adds the MID and RID header extensions pion needs
// to tell the layers apart.
type Simulcast struct {
	Sender *webrtc.RTPSender
	layers map[string]*webrtc.TrackLocalStaticRTP
	mid    string
	midID  uint8
	ridID  uint8
	mu     sync.Mutex
}

// PublishSimulcast publishes one video track with a layer per rid (for
// example "low", "mid", "high", lowest first).
func (c *Client) PublishSimulcast(ctx context.Context, codec webrtc.RTPCodecCapability, id, streamID string, rids ...string) (*Simulcast, error) {
	if len(rids) == 0 {
		return nil, fmt.Errorf("%w: no rids", ErrUnexpected)
	}
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	s := &Simulcast{layers: map[string]*webrtc.TrackLocalStaticRTP{}}
	c.pcMu.Lock()
	pub, err := c.publisher()
	if err != nil {
		c.pcMu.Unlock()
		return nil, err
	}
	var tr *webrtc.RTPTransceiver
	for i, rid := range rids {
		t, err := webrtc.NewTrackLocalStaticRTP(codec, id, streamID, webrtc.WithRTPStreamID(rid))
		if err != nil {
			c.pcMu.Unlock()
			return nil, err
		}
		s.layers[rid] = t
		if i == 0 {
			tr, err = pub.pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
			if err == nil {
				s.Sender = tr.Sender()
				c.readRTCP(s.Sender)
			}
		} else {
			err = s.Sender.AddEncoding(t)
		}
		if err != nil {
			c.pcMu.Unlock()
			return nil, fmt.Errorf("add layer %s: %w", rid, err)
		}
	}
	c.pcMu.Unlock()
	if err := c.offer(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mid = tr.Mid()
	for _, e := range s.Sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			s.midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			s.ridID = uint8(e.ID)
		}
	}
	return s, nil
}

// WriteRTP sends p on layer rid.
func (s *Simulcast) WriteRTP(rid string, p *rtp.Packet) error {
	s.mu.Lock()
	t := s.layers[rid]
	mid, midID, ridID := s.mid, s.midID, s.ridID
	s.mu.Unlock()
	if t == nil {
		return fmt.Errorf("%w: no layer %q", ErrUnexpected, rid)
	}
	if midID != 0 {
		_ = p.Header.SetExtension(midID, []byte(mid))
	}
	if ridID != 0 {
		_ = p.Header.SetExtension(ridID, []byte(rid))
	}
	return t.WriteRTP(p)
}

// offer sends a client offer and waits for the server's answer.
func (c *Client) offer(ctx context.Context) error {
	c.pcMu.Lock()
	pc := c.pub.pc
	offer, err := pc.CreateOffer(nil)
	if err == nil {
		err = pc.SetLocalDescription(offer)
	}
	c.pcMu.Unlock()
	if err != nil {
		return fmt.Errorf("offer: %w", err)
	}
	if err := c.Send(sfu.Message{Type: sfu.TypeOffer, SDP: offer.SDP}); err != nil {
		return err
	}
	select {
	case <-c.answers:
		return nil
	case <-c.done:
		if err := c.Err(); err != nil {
			return err
		}
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Subscribe chooses the simulcast layer of a received track (sfu.LayerLow,
// LayerMid, LayerHigh) or pauses it.
func (c *Client) Subscribe(track, layer string, paused bool) error {
	return c.Send(sfu.Message{Type: sfu.TypeSubscribe, TrackID: track, Layer: layer, Paused: paused})
}

// Leave tells the server the client leaves, then closes.
func (c *Client) Leave() error {
	_ = c.Send(sfu.Message{Type: sfu.TypeLeave})
	select {
	case <-c.readDone:
	case <-time.After(5 * time.Second):
	}
	return c.Close()
}

// Close closes the connection and the peer connection.
func (c *Client) Close() error {
	var err error
	c.closeOne.Do(func() {
		c.writeMu.Lock()
		_ = c.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		c.writeMu.Unlock()
		c.conn.Close()
		<-c.readDone
		err = c.sub.pc.Close()
		c.pcMu.Lock()
		if c.pub != nil {
			err = errors.Join(err, c.pub.pc.Close())
		}
		c.pcMu.Unlock()
		c.wg.Wait()
		close(c.done)
	})
	return err
}

func (c *Client) readLoop() {
	defer close(c.readDone)
	defer func() {
		go c.Close()
	}()
	for {
		m, err := readMessage(c.conn)
		if err != nil {
			return
		}
		switch m.Type {
		case sfu.TypeOffer:
			c.onOffer(m.SDP)
		case sfu.TypeAnswer:
			c.pcMu.Lock()
			err := ErrUnexpected
			if c.pub != nil {
				err = c.pub.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP})
				c.pub.remoteSet = err == nil
				c.pub.flush()
			}
			c.pcMu.Unlock()
			if err != nil {
				c.log.Warn("apply answer", "err", err)
			}
			select {
			case c.answers <- m.SDP:
			default:
			}
		case sfu.TypeCandidate:
			c.pcMu.Lock()
			p := c.sub
			if m.Target == sfu.TargetPublisher {
				p = c.pub
			}
			if p != nil && p.remoteSet {
				_ = p.pc.AddICECandidate(*m.Candidate)
			} else if p != nil {
				p.queued = append(p.queued, *m.Candidate)
			}
			c.pcMu.Unlock()
		case sfu.TypeError:
			if m.Recoverable {
				c.event(m)
				continue
			}
			c.errMu.Lock()
			c.err = &ServerError{Code: m.Code, Message: m.Text}
			c.errMu.Unlock()
			c.event(m)
		default:
			c.event(m)
		}
	}
}

func (c *Client) event(m sfu.Message) {
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(m)
	}
}

func (p *peer) flush() {
	if !p.remoteSet {
		return
	}
	for _, q := range p.queued {
		_ = p.pc.AddICECandidate(q)
	}
	p.queued = nil
}

// onOffer answers a server offer on the subscriber connection.
func (c *Client) onOffer(raw string) {
	c.pcMu.Lock()
	defer c.pcMu.Unlock()
	pc := c.sub.pc
	err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: raw})
	var ans webrtc.SessionDescription
	if err == nil {
		c.sub.remoteSet = true
		c.sub.flush()
		ans, err = pc.CreateAnswer(nil)
	}
	if err == nil {
		err = pc.SetLocalDescription(ans)
	}
	if err != nil {
		c.log.Warn("answer server offer", "err", err)
		return
	}
	_ = c.Send(sfu.Message{Type: sfu.TypeAnswer, Target: sfu.TargetSubscriber, SDP: ans.SDP})
}

// readRTCP reads a sender's RTCP until its connection closes.
func (c *Client) readRTCP(s *webrtc.RTPSender) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		readSenderRTCP(s, c.opts.OnRTCP)
	}()
}

func readSenderRTCP(s *webrtc.RTPSender, f func(*webrtc.RTPSender, []rtcp.Packet)) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		if f != nil {
			f(s, pkts)
		}
	}
}
