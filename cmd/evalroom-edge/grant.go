package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/internal/fsutil"
	"github.com/evalroom/evalroom/recorder/devauth"
	"github.com/evalroom/evalroom/recorder/live"
)

// roomFile remembers the room id in the spool, so that a recorder that
// restarts while the server is unreachable still labels its manifests.
const roomFile = "room_id"

// grantCache remembers what the last device token said: the session the
// room is recording for and the room's id.
type grantCache struct {
	mu        sync.Mutex
	sessionID string
	roomID    string
}

func (g *grantCache) session() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sessionID
}

func (g *grantCache) room() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.roomID
}

func (g *grantCache) note(gr devauth.Grant) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sessionID = gr.SessionID
	if gr.RoomID != "" {
		g.roomID = gr.RoomID
	}
}

// token fetches a device token and notes what it says.
func (e *Edge) token(ctx context.Context) (devauth.Grant, error) {
	g, err := e.auth.Token(ctx)
	if err == nil {
		e.noteGrant(g)
	}
	return g, err
}

// noteGrant remembers a grant's session and room.
func (e *Edge) noteGrant(g devauth.Grant) {
	prev := e.grant.room()
	e.grant.note(g)
	if g.RoomID != "" && g.RoomID != prev {
		if err := e.rememberRoom(g.RoomID); err != nil {
			e.log.Warn("room id not remembered", "err", err)
		}
	}
}

// uploadToken is the uploader's token source.
func (e *Edge) uploadToken(ctx context.Context) (string, error) {
	g, err := e.token(ctx)
	return g.Token, err
}

// liveEndpoint is the live path's endpoint source: a token that may
// publish. Outside a session devauth answers ErrNoSession (and asks the
// server again next time), and the publisher retries with backoff.
func (e *Edge) liveEndpoint(ctx context.Context) (live.Endpoint, error) {
	g, err := e.auth.PublishGrant(ctx)
	if err != nil {
		return live.Endpoint{}, err
	}
	e.noteGrant(g)
	url := g.WHIPURL
	if url == "" {
		url = strings.TrimSuffix(e.cfg.Server, "/") + "/media/whip"
	}
	ep := live.Endpoint{URL: url, Token: g.Token}
	for _, s := range g.ICEServers {
		ep.ICEServers = append(ep.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return ep, nil
}

// liveFailed drops a device token the media server refused, so that the
// next attempt asks for a new one.
func (e *Edge) liveFailed(err error) {
	if errors.Is(err, live.ErrUnauthorized) {
		e.auth.Invalidate()
	}
}

// resolveRoom settles the room id: the configured one, else the one a
// device token gives, else the one remembered in the spool. It waits for
// the server only when the recorder has never known its room.
func (e *Edge) resolveRoom(ctx context.Context) error {
	if e.cfg.RoomID != "" {
		e.grant.note(devauth.Grant{RoomID: e.cfg.RoomID})
		return nil
	}
	if err := os.MkdirAll(e.cfg.Spool, 0o750); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	remembered, _ := os.ReadFile(filepath.Join(e.cfg.Spool, roomFile))
	for attempt := 0; ; attempt++ {
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := e.token(tctx)
		cancel()
		if err == nil && e.grant.room() != "" {
			return nil
		}
		if r := strings.TrimSpace(string(remembered)); r != "" {
			e.log.Warn("server not reachable; using the remembered room id", "room_id", r, "err", err)
			e.grant.note(devauth.Grant{RoomID: r})
			return nil
		}
		if attempt == 0 {
			e.log.Warn("waiting for the server to learn this recorder's room (or set room_id)", "err", err)
		}
		t := time.NewTimer(2 * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (e *Edge) rememberRoom(id string) error {
	return fsutil.WriteFileAtomic(filepath.Join(e.cfg.Spool, roomFile), []byte(id+"\n"), 0o640)
}
