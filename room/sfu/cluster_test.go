package sfu_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
)

// directory is an in-memory sfu.Directory shared by test nodes (the
// Redis one lives in room/sfu/cluster).
type directory struct {
	mu    sync.Mutex
	hosts map[string]sfu.Node
	nodes map[string]sfu.Node
}

type nodeDirectory struct {
	d    *directory
	self func() sfu.Node
}

func (n nodeDirectory) Claim(_ context.Context, session string) (sfu.Node, error) {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	if h, ok := n.d.hosts[session]; ok {
		return h, nil
	}
	n.d.hosts[session] = n.self()
	return n.self(), nil
}

func (n nodeDirectory) Release(_ context.Context, session string) error {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	if n.d.hosts[session].ID == n.self().ID {
		delete(n.d.hosts, session)
	}
	return nil
}

func TestClientOnTheWrongNodeEndsUpInItsSession(t *testing.T) {
	d := &directory{hosts: map[string]sfu.Node{}, nodes: map[string]sfu.Node{}}
	var a, b *env
	a = newEnv(t, func(p *sfu.Params) {
		p.Self.ID = "a"
		p.Directory = nodeDirectory{d, func() sfu.Node { return a.srv0() }}
	})
	b = newEnv(t, func(p *sfu.Params) {
		p.Self.ID = "b"
		p.Directory = nodeDirectory{d, func() sfu.Node { return b.srv0() }}
	})
	d.nodes["a"], d.nodes["b"] = a.srv0(), b.srv0()

	pub := a.join(t, evaluator("user:1", "1"))
	m := newMedia(t, "a")
	pub.publish(t, m)

	// A WebSocket client sent to node b is redirected to a.
	sub, err := b.tryJoin(t, b.ws, evaluator("user:2", "2"))
	require.NoError(t, err)
	sub.receives(t, pub.ID(), false)
	require.Len(t, a.srv.Participants("1"), 2)
	require.Nil(t, b.srv.Participants("1"))

	// WHIP and WHEP at node b: 307 to node a.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m2 := newMedia(t, "edge")
	whip, err := sfuclient.WHIP(ctx, b.base+"/whip?session=1", b.mint(t, device("1")), b.client, m2.video, m2.audio)
	require.NoError(t, err)
	require.Contains(t, whip.Location, a.hs.URL)
	m2.start(t)
	rc := newReceived()
	opts := b.client
	opts.OnTrack = rc.onTrack
	whep, err := sfuclient.WHEP(ctx, b.base+"/whep?publisher="+pub.ID(), b.mint(t, supervisor("user:9")), opts)
	require.NoError(t, err)
	(&peer{recv: rc}).receives(t, pub.ID(), false)
	require.NoError(t, whep.Close(ctx))
	require.NoError(t, whip.Close(ctx))

	// When everyone has left node a, the session is free for b.
	m.halt()
	m2.halt()
	require.NoError(t, pub.Leave())
	require.NoError(t, sub.Leave())
	require.Eventually(t, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		_, held := d.hosts["1"]
		return !held
	}, 5*time.Second, 20*time.Millisecond)
	again := b.join(t, evaluator("user:2", "2"))
	require.Len(t, b.srv.Participants("1"), 1)
	require.NoError(t, again.Leave())

	// A directory that cannot be reached refuses the join.
	c := newEnv(t, func(p *sfu.Params) { p.Directory = brokenDirectory{} })
	_, err = c.tryJoin(t, c.ws, evaluator("user:3", "1"))
	var se *sfuclient.ServerError
	require.True(t, errors.As(err, &se), "got %v", err)
	require.Equal(t, "unavailable", se.Code)
}

func (e *env) srv0() sfu.Node { return sfu.Node{ID: e.nodeID, URL: e.hs.URL} }

type brokenDirectory struct{}

func (brokenDirectory) Claim(context.Context, string) (sfu.Node, error) {
	return sfu.Node{}, errors.New("redis down")
}
func (brokenDirectory) Release(context.Context, string) error { return nil }
