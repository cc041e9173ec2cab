package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/cluster"
	"github.com/evalroom/evalroom/room/sfu/udpbatch"
	"github.com/evalroom/evalroom/room/token"
	"github.com/evalroom/evalroom/web"
)

// mediaTokenPurpose names the key derived from the master key that signs
// media tokens; evalroomctl loadtest derives the same one.
const mediaTokenPurpose = "media-token"

// startRoom builds the evaluation sessions, the cluster directory, the
// media token authority and the SFU, and starts the fault-clock sweeper.
func (m *Main) startRoom(ctx context.Context) error {
	self := cluster.Node{ID: nodeID(m.Config.Cluster), URL: strings.TrimRight(m.Config.HTTP.PublicURL, "/")}
	cl, err := cluster.New(cluster.Params{
		Redis: m.redis, Prefix: m.Config.Redis.Prefix, Self: self,
		TTL:    time.Duration(m.Config.Cluster.ClaimTTLSeconds) * time.Second,
		Logger: m.log.With("component", "cluster"),
	})
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	m.closer = append(m.closer, func(ctx context.Context) error {
		// Hand this node's sessions back at once rather than after the TTL.
		err := cl.ReleaseAll(ctx)
		return errors.Join(err, cl.Close())
	})
	rc := m.Config.Room
	m.rooms, err = room.New(room.Params{
		DB: m.db, Audit: m.audit, Committee: poolCommittee{pool: m.pool}, Presence: cl,
		Faults: room.FaultRules{
			BeforeStartWait:   time.Duration(rc.FaultBeforeStartMinutes) * time.Minute,
			DuringEvalRestore: time.Duration(rc.FaultDuringEvalMinutes) * time.Minute,
		},
		Logger: m.log.With("component", "room"),
	})
	if err != nil {
		return fmt.Errorf("room: %w", err)
	}
	m.tokens, err = token.New(m.keys.Derive(mediaTokenPurpose), time.Duration(m.Config.Media.TokenTTLSeconds)*time.Second, nil)
	if err != nil {
		return fmt.Errorf("media tokens: %w", err)
	}
	ice, err := m.iceConfig()
	if err != nil {
		return err
	}
	m.sfu, err = sfu.New(sfu.Params{
		Tokens: m.tokens, Auditor: auditor{m.audit}, Directory: directory{cl}, Presence: cl, Mutes: cl,
		Self: sfu.Node{ID: self.ID, URL: self.URL}, ICE: ice,
		Logger: m.log.With("component", "sfu"),
	})
	if err != nil {
		if ice.UDPConn != nil {
			_ = ice.UDPConn.Close()
		}
		return fmt.Errorf("sfu: %w", err)
	}
	m.closer = append(m.closer, func(context.Context) error { return m.sfu.Close() })
	m.startMuteRefresh()
	m.startFaultSweeper(time.Duration(rc.FaultSweepSeconds) * time.Second)
	return nil
}

// iceConfig opens the media sockets named in the configuration.
func (m *Main) iceConfig() (sfu.ICEConfig, error) {
	c := m.Config.Media
	ice := sfu.ICEConfig{NAT1To1IPs: splitList(c.PublicIPs), ICEServers: iceServers(c)}
	if c.UDPAddr != "" {
		addr, err := net.ResolveUDPAddr("udp", c.UDPAddr)
		if err != nil {
			return ice, fmt.Errorf("media.udp_addr %q: %w", c.UDPAddr, err)
		}
		conn, err := net.ListenUDP("udp", addr)
		if err != nil {
			return ice, fmt.Errorf("media.udp_addr %q: %w", c.UDPAddr, err)
		}
		ice.IncludeLoopback = addr.IP.IsLoopback()
		ice.UDPConn = conn
		if c.BatchSends {
			bc, err := udpbatch.New(conn, udpbatch.WithLogger(m.log.With("component", "udpbatch")))
			if err != nil {
				_ = conn.Close()
				return ice, fmt.Errorf("media.batch_sends: %w", err)
			}
			ice.UDPConn = bc
		}
		m.log.Info("media UDP", "addr", conn.LocalAddr().String(), "batched", c.BatchSends)
	}
	if c.TCPAddr != "" {
		if _, _, err := net.SplitHostPort(c.TCPAddr); err != nil {
			return ice, fmt.Errorf("media.tcp_addr %q: want host:port: %w", c.TCPAddr, err)
		}
		ice.TCPAddr = c.TCPAddr
	}
	return ice, nil
}

// iceServers lists the STUN and TURN servers handed to clients.
func iceServers(c config.Media) []webrtc.ICEServer {
	var out []webrtc.ICEServer
	if u := splitList(c.STUNURLs); len(u) > 0 {
		out = append(out, webrtc.ICEServer{URLs: u})
	}
	if u := splitList(c.TURNURLs); len(u) > 0 {
		out = append(out, webrtc.ICEServer{URLs: u, Username: c.TURNUsername, Credential: c.TURNCredential})
	}
	return out
}

// webICEServers converts the ICE servers for the API.
func webICEServers(in []webrtc.ICEServer) []web.ICEServer {
	out := make([]web.ICEServer, 0, len(in))
	for _, s := range in {
		cred, _ := s.Credential.(string)
		out = append(out, web.ICEServer{URLs: s.URLs, Username: s.Username, Credential: cred})
	}
	return out
}

// splitList splits a comma-separated setting, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// nodeID is the configured node name, or host name and pid.
func nodeID(c config.Cluster) string {
	if c.NodeID != "" {
		return c.NodeID
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// startFaultSweeper aborts sessions whose media stayed down past the
// deadline, every interval (none when interval is not positive).
func (m *Main) startFaultSweeper(interval time.Duration) {
	if interval <= 0 {
		return
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), interval)
				if n, err := m.rooms.ExpireFaults(ctx); err != nil {
					m.log.Error("fault clocks", "err", err)
				} else if n > 0 {
					m.log.Warn("sessions aborted after media stayed down", "sessions", n)
				}
				cancel()
			}
		}
	}()
	m.closer = append(m.closer, func(context.Context) error {
		close(stop)
		<-done
		return nil
	})
}

// auditor records the SFU's joins, leaves and watches in the audit log.
type auditor struct{ log *audit.Log }

// Audit appends one entry.
func (a auditor) Audit(ctx context.Context, actor, action, object string, detail any) error {
	_, err := a.log.AppendNow(ctx, audit.Record{Actor: actor, Action: action, Object: object, Detail: detail})
	return err
}

// directory is the cluster seen as the SFU's session directory.
type directory struct{ c *cluster.Cluster }

// Claim returns the node hosting session, claiming it when free.
func (d directory) Claim(ctx context.Context, session string) (sfu.Node, error) {
	n, err := d.c.Claim(ctx, session)
	return sfu.Node{ID: n.ID, URL: n.URL}, err
}

// Release gives up this node's claim.
func (d directory) Release(ctx context.Context, session string) error {
	return d.c.Release(ctx, session)
}
