package sfu

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/room/token"
)

// Auditor records joins, leaves and watches. cmd wires internal/audit.
// Audit returns an error when the entry could not be stored; the SFU then
// refuses the join it was recording.
type Auditor interface {
	Audit(ctx context.Context, actor, action, object string, detail any) error
}

// Node is one evalroomd instance.
type Node struct {
	// ID names the node uniquely within the cluster.
	ID string
	// URL is the node's public HTTP base URL, e.g. http://127.0.0.1:8080.
	URL string
}

// Directory records which node hosts each session (room/sfu/cluster
// implements it on Redis).
type Directory interface {
	// Claim returns the node hosting session, claiming it for the caller
	// when no node does. It returns an error only when the directory
	// cannot be reached.
	Claim(ctx context.Context, session string) (Node, error)
	// Release gives up this node's claim on session.
	Release(ctx context.Context, session string) error
}

// Presence publishes which rooms have a live recorder (a device-role
// participant publishing video).
type Presence interface {
	SetLive(ctx context.Context, session, room string, live bool) error
}

// ICEConfig is the network side of the SFU.
type ICEConfig struct {
	// UDPMux, when set, carries all ICE UDP traffic. It is not closed by
	// the server.
	UDPMux ice.UDPMux
	// UDPConn, when UDPMux is nil, is one socket for all ICE UDP traffic
	// (for example a batching room/sfu/udpbatch.Conn). The server wraps it
	// in a mux and closes both. When UDPConn (or UDPMux) has a
	// Flush() error method, the server calls it after fanning an
	// incoming packet out to the subscribers that receive it, so the
	// fan-out leaves in one system call.
	UDPConn net.PacketConn
	// UDPPort, when UDPMux and UDPConn are nil and UDPPort > 0, opens one UDP socket on
	// that port for all peers. The server closes it.
	UDPPort int
	// PortMin and PortMax bound the ephemeral UDP ports used when neither
	// UDPMux nor UDPPort is set (0 = any).
	PortMin, PortMax uint16
	// TCPAddr, when set (host:port, port 0 picks one), opens an ICE-TCP
	// listener (passive candidates) for venues behind strict firewalls.
	TCPAddr string
	// NAT1To1IPs are public addresses announced instead of the host
	// addresses (1:1 NAT).
	NAT1To1IPs []string
	// ICEServers are STUN/TURN servers handed to clients in the join reply.
	ICEServers []webrtc.ICEServer
	// IncludeLoopback offers loopback candidates (tests, single machine).
	IncludeLoopback bool
}

// Params configures a Server. Tokens and Auditor are required.
type Params struct {
	// Tokens verifies media tokens.
	Tokens *token.Authority
	// Auditor records joins, leaves and watches.
	Auditor Auditor
	// Directory, when nil, means a single node hosting every session.
	Directory Directory
	// Presence, when nil, means live rooms are not published.
	Presence Presence
	// Self is this node; its URL is used in redirects by other nodes.
	Self Node
	// MountPath is where the handler is mounted, used to build redirect
	// URLs to other nodes; default "/media".
	MountPath string
	// ICE is the network configuration.
	ICE ICEConfig
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
	// ConfigureSettingEngine, when set, is called on the setting engine
	// after the server has configured it (tests inject a pion vnet here).
	ConfigureSettingEngine func(*webrtc.SettingEngine)
	// KeyframeInterval is the least time between two keyframe requests
	// sent to one publisher's track; default 500 ms.
	KeyframeInterval time.Duration
	// Mutes keeps which rooms' audio is muted toward the other rooms,
	// shared by every node; nil keeps it in this node's memory.
	Mutes MuteStore
	// MuteRefresh is how often the mute state of the hosted sessions is
	// re-read from Mutes; default DefaultMuteRefresh.
	MuteRefresh time.Duration
}

func (p *Params) check() error {
	switch {
	case p.Tokens == nil:
		return fmt.Errorf("%w: Tokens", ErrMissingParam)
	case p.Auditor == nil:
		return fmt.Errorf("%w: Auditor", ErrMissingParam)
	}
	if p.MountPath == "" {
		p.MountPath = "/media"
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.KeyframeInterval <= 0 {
		p.KeyframeInterval = 500 * time.Millisecond
	}
	if p.MuteRefresh <= 0 {
		p.MuteRefresh = DefaultMuteRefresh
	}
	return nil
}
