package sfu_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/sfu/sfuclient"
	"github.com/evalroom/evalroom/room/token"
)

// rejoiner joins e's session as c through urls, staying in it, with what
// it receives recorded; m, when set, is published on every connection.
func rejoiner(t *testing.T, e *env, c token.Claims, urls []string, m *media) (*sfuclient.Rejoiner, *received) {
	t.Helper()
	rc := newReceived()
	opts := e.client
	opts.OnTrack = rc.onTrack
	o := sfuclient.RejoinOptions{URLs: urls, Options: opts, Backoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Token: func(context.Context) (string, error) { return e.mint(t, c), nil }}
	if m != nil {
		o.Publish = func(ctx context.Context, cl *sfuclient.Client) error {
			senders, err := cl.Publish(ctx, m.video, m.audio)
			if err == nil {
				m.setLevel(senders[1])
			}
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := sfuclient.Rejoin(ctx, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r, rc
}

// TestRejoinMovesToTheSurvivingNode shuts down the node hosting a session
// (as a rolling upgrade does): the server says it is closing, the
// publisher and the subscriber join again through the other node, which
// now hosts the session, and media flows again.
func TestRejoinMovesToTheSurvivingNode(t *testing.T) {
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
	urls := []string{a.ws, b.ws}
	m := newMedia(t, "edge")
	pub, _ := rejoiner(t, a, device("1"), urls, m)
	m.start(t)
	sub, rc := rejoiner(t, a, evaluator("user:2", "2"), urls, nil)
	(&peer{recv: rc}).receives(t, pub.Client().ID(), false)
	require.Len(t, a.srv.Participants("1"), 2)
	first := pub.Client().ID()

	// Node a stops: its clients are told it is closing and come back
	// through node b.
	a.close()
	require.Eventually(t, func() bool { return pub.Joins() == 2 && sub.Joins() == 2 }, 15*time.Second, 20*time.Millisecond)
	require.NotEqual(t, first, pub.Client().ID(), "a new participant on the new node")
	(&peer{recv: rc}).receives(t, pub.Client().ID(), false)
	require.Len(t, b.srv.Participants("1"), 2)
	d.mu.Lock()
	require.Equal(t, "b", d.hosts["1"].ID, "the session moved to node b")
	d.mu.Unlock()
	require.NoError(t, sub.Err())

	require.NoError(t, sub.Close())
	require.NoError(t, pub.Close())
	require.Eventually(t, func() bool { return len(b.srv.Participants("1")) == 0 }, 5*time.Second, 20*time.Millisecond,
		"Close leaves the session")
}

// TestRejoinStopsWhenRemoved: a participant staff removed does not come
// back.
func TestRejoinStopsWhenRemoved(t *testing.T) {
	e := newEnv(t)
	r, _ := rejoiner(t, e, evaluator("user:2", "2"), []string{e.ws}, nil)
	staff := token.Claims{Subject: "user:5", Name: "工作人员", Room: "2", Venue: "JS-NJ", Role: token.RoleStaff,
		Grants: token.Grants{Subscribe: true, Admin: true}}
	s := e.join(t, staff)
	require.NoError(t, s.Send(sfu.Message{Type: sfu.TypeRemove, Participant: &sfu.ParticipantInfo{ID: r.Client().ID()}}))
	select {
	case <-r.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the rejoiner kept going after its participant was removed")
	}
	var se *sfuclient.ServerError
	require.True(t, errors.As(r.Err(), &se), "%v", r.Err())
	require.Equal(t, "removed", se.Code)
	require.Equal(t, 1, r.Joins())
	require.Len(t, e.srv.Participants("1"), 1, "only staff")
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, true},
		{errors.New("dial tcp: connection refused"), true},
		{&sfuclient.ServerError{Code: "closing"}, true},
		{&sfuclient.ServerError{Code: "unavailable"}, true},
		{&sfuclient.ServerError{Code: "expired"}, true},
		{&sfuclient.ServerError{Code: "removed"}, false},
		{&sfuclient.ServerError{Code: "forbidden"}, false},
		{&sfuclient.ServerError{Code: "unauthorized", Status: 401}, false},
		{&sfuclient.ServerError{Code: "unavailable", Status: 503}, true},
	} {
		require.Equal(t, tc.want, sfuclient.Retryable(tc.err), "%v", tc.err)
	}
}
