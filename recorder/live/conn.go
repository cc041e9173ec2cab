package live

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

const (
	// gatherTimeout bounds ICE candidate gathering before the offer.
	gatherTimeout = 10 * time.Second
	// connectTimeout bounds the time from the answer to the connected
	// state.
	connectTimeout = 30 * time.Second
	// disconnectGrace is how long a connection may stay disconnected
	// before it is given up.
	disconnectGrace = 5 * time.Second
	// deleteTimeout bounds the DELETE of the WHIP resource.
	deleteTimeout = 3 * time.Second
	// reportInterval is the interval of the RTCP Sender Reports.
	reportInterval = time.Second
)

// conn is one WHIP connection: a peer connection publishing every track.
type conn struct {
	p        *Publisher
	pc       *webrtc.PeerConnection
	ep       Endpoint
	senders  []*sender
	location string
	// changed is signalled when the connection state changes; the state
	// itself is read from pc (pion calls handlers in goroutines of their
	// own, so their order is not the order of the changes).
	changed chan struct{}
	// done stops the connection's goroutines.
	done chan struct{}
	wg   sync.WaitGroup
}

// dial creates the peer connection, offers it to ep and applies the
// answer. On error nothing is left open.
func (p *Publisher) dial(ctx context.Context, ep Endpoint) (*conn, error) {
	api, err := newAPI(p.p.Tracks, p.p.SettingEngine)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: ep.ICEServers})
	if err != nil {
		return nil, fmt.Errorf("peer connection: %w", err)
	}
	c := &conn{p: p, pc: pc, ep: ep, changed: make(chan struct{}, 1), done: make(chan struct{})}
	pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) {
		select {
		case c.changed <- struct{}{}:
		default:
		}
	})
	fail := func(err error) (*conn, error) {
		c.close(ctx)
		return nil, err
	}
	start := p.p.Now()
	for _, t := range p.order {
		s, err := newSender(pc, t, start)
		if err != nil {
			return fail(err)
		}
		c.senders = append(c.senders, s)
	}
	for _, s := range c.senders {
		c.wg.Go(func() { s.readRTCP(p) })
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(fmt.Errorf("offer: %w", err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(fmt.Errorf("offer: %w", err))
	}
	timer := time.NewTimer(gatherTimeout)
	defer timer.Stop()
	select {
	case <-gathered:
	case <-timer.C:
		return fail(fmt.Errorf("%w: ICE gathering", ErrConnectTimeout))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	answer, location, err := whipOffer(ctx, p.p.HTTP, ep, pc.LocalDescription().SDP)
	if err != nil {
		return fail(err)
	}
	c.location = location
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fail(fmt.Errorf("%w: answer: %v", ErrRefused, err))
	}
	return c, nil
}

// run watches the connection until it is lost or ctx ends; it reports
// whether the connection was ever up. Media flows while the connection
// is connected: each time it (re)connects the queues are emptied and
// every video track waits for a keyframe, which is asked for.
func (c *conn) run(ctx context.Context) (bool, error) {
	connect := time.NewTimer(connectTimeout)
	defer connect.Stop()
	connectC := connect.C
	var lost *time.Timer
	var lostC <-chan time.Time
	defer func() {
		if lost != nil {
			lost.Stop()
		}
	}()
	up := false
	for {
		select {
		case <-ctx.Done():
			return up, ctx.Err()
		case <-connectC:
			return false, ErrConnectTimeout
		case <-lostC:
			return up, fmt.Errorf("%w: disconnected for more than %s", ErrConnectionLost, disconnectGrace)
		case <-c.changed:
		}
		switch st := c.pc.ConnectionState(); st {
		case webrtc.PeerConnectionStateConnected:
			if lost != nil {
				lost.Stop()
				lost, lostC = nil, nil
			}
			if !c.p.connected.Load() {
				if !up {
					up, connectC = true, nil
					c.start()
				}
				c.up()
			}
		case webrtc.PeerConnectionStateDisconnected:
			c.p.setConnected(false)
			if lost == nil {
				lost = time.NewTimer(disconnectGrace)
				lostC = lost.C
			}
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			return up, fmt.Errorf("%w: %s", ErrConnectionLost, st)
		}
	}
}

// start runs the send loops and the Sender Reports.
func (c *conn) start() {
	for _, s := range c.senders {
		c.wg.Go(func() { s.loop(c.done, c.p) })
	}
	c.wg.Go(c.reportLoop)
	c.p.log.Info("live: connected", "endpoint", c.ep.URL, "resource", c.location)
}

// up lets media flow: stale queued frames go, video waits for a keyframe.
func (c *conn) up() {
	for _, t := range c.p.order {
		if t.video {
			t.mu.Lock()
			t.needKey, t.asked = true, true
			t.mu.Unlock()
		}
	}
	c.p.drain()
	c.p.setConnected(true)
	for _, t := range c.p.order {
		if t.video {
			c.p.p.OnKeyframe(t.ID)
		}
	}
}

// reportLoop writes each track's RTCP Sender Report about every second
// (RFC 3550 §6.4.1): the NTP timestamp of one instant on the corrected
// clock and the RTP timestamp of that same instant.
func (c *conn) reportLoop() {
	tick := time.NewTicker(reportInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		now := c.p.p.Now()
		for _, s := range c.senders {
			if sr := s.report(now); sr != nil {
				if err := c.pc.WriteRTCP([]rtcp.Packet{sr}); err != nil {
					c.p.log.Debug("live: sender report", "track", s.t.ID, "err", err)
				}
			}
		}
	}
}

// close stops the connection: media stops flowing, the WHIP resource is
// deleted (even when ctx has ended), the peer connection closes and the
// connection's goroutines end.
func (c *conn) close(ctx context.Context) {
	close(c.done)
	c.p.setConnected(false)
	if c.location != "" {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteTimeout)
		if err := whipDelete(dctx, c.p.p.HTTP, c.location, c.ep.Token); err != nil {
			c.p.log.Warn("live: delete WHIP resource", "resource", c.location, "err", err)
		}
		cancel()
	}
	if err := c.pc.Close(); err != nil {
		c.p.log.Debug("live: close peer connection", "err", err)
	}
	c.wg.Wait()
	c.p.drain()
}
