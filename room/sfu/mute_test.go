package sfu_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/token"
)

func staffOf(subject, venue string) token.Claims {
	return token.Claims{Subject: subject, Name: "工作人员", Venue: venue, Role: token.RoleStaff,
		Grants: token.Grants{Subscribe: true, Admin: true}}
}

// audioFrom is how many audio packets p received from publisher.
func (p *peer) audioFrom(publisher string) int64 {
	if s := p.recv.fromPublisher(publisher, webrtc.RTPCodecTypeAudio); s != nil {
		return s.packets.Load()
	}
	return 0
}

func (p *peer) videoFrom(publisher string) int64 {
	if s := p.recv.fromPublisher(publisher, webrtc.RTPCodecTypeVideo); s != nil {
		return s.packets.Load()
	}
	return 0
}

// hearsWhile waits until ref received n more audio packets from
// publisher, and returns how many more each of peers received meanwhile.
func hearsWhile(t *testing.T, ref *peer, publisher string, n int64, peers ...*peer) []int64 {
	t.Helper()
	before := make([]int64, len(peers))
	for i, p := range peers {
		before[i] = p.audioFrom(publisher)
	}
	start := ref.audioFrom(publisher)
	require.Eventually(t, func() bool { return ref.audioFrom(publisher) >= start+n }, 15*time.Second, 20*time.Millisecond,
		"the reference peer stopped hearing the publisher")
	out := make([]int64, len(peers))
	for i, p := range peers {
		out[i] = p.audioFrom(publisher) - before[i]
	}
	return out
}

func TestMutedRoomIsNotHeardInTheOtherRooms(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	e := newEnv(t)
	ctx := context.Background()

	pub := e.join(t, evaluator("user:10", "1"))
	m := newMedia(t, "a")
	pub.publish(t, m)
	own := e.join(t, evaluator("user:11", "1"))
	otherClaims := evaluator("user:20", "2")
	otherClaims.Venue = "AH-HF"
	other := e.join(t, otherClaims)
	sup := e.join(t, supervisor("user:90"))
	staff := e.join(t, staffOf("user:70", "JS-NJ"))
	foreignStaff := e.join(t, staffOf("user:71", "AH-HF"))
	everyone := []*peer{own, other, sup, staff, foreignStaff}
	for _, p := range everyone {
		p.receives(t, pub.ID(), false)
	}

	require.NoError(t, e.srv.SetRoomMuted(ctx, "user:70", "1", "1", true))
	muted, err := e.srv.MutedRooms(ctx, "1")
	require.NoError(t, err)
	require.Equal(t, []string{"1"}, muted)
	hearsWhile(t, own, pub.ID(), 10) // packets already on their way arrive
	videoBefore := other.videoFrom(pub.ID())
	got := hearsWhile(t, own, pub.ID(), 50, other, sup, staff, foreignStaff)
	require.Zero(t, got[0], "the other room still hears the muted room")
	require.Positive(t, got[1], "the supervisor must keep hearing the room")
	require.Positive(t, got[2], "the venue's staff must keep hearing their room")
	require.Zero(t, got[3], "another venue's staff still hear the muted room")
	require.Greater(t, other.videoFrom(pub.ID()), videoBefore, "muting takes the audio only")

	// Who joins the other room while muted hears nothing either.
	lateClaims := evaluator("user:21", "2")
	lateClaims.Venue = "AH-HF"
	late := e.join(t, lateClaims)
	late.receives(t, pub.ID(), true)
	require.Zero(t, hearsWhile(t, own, pub.ID(), 30, late)[0])

	audits := e.audit.find("media.mute", "user:70")
	require.Len(t, audits, 1)
	require.Equal(t, "session:1", audits[0].Object)

	// Unmuted: the other rooms hear it again.
	require.NoError(t, e.srv.SetRoomMuted(ctx, "user:70", "1", "1", false))
	require.Eventually(t, func() bool {
		got := hearsWhile(t, own, pub.ID(), 10, other, late, foreignStaff)
		return got[0] > 0 && got[1] > 0 && got[2] > 0
	}, 15*time.Second, 10*time.Millisecond, "the other room does not hear the room again")
	muted, err = e.srv.MutedRooms(ctx, "1")
	require.NoError(t, err)
	require.Empty(t, muted)
	require.Len(t, e.audit.find("media.mute", "user:70"), 2)

	m.halt()
	for _, p := range append(everyone, pub, late) {
		require.NoError(t, p.Close())
	}
	e.close()
}

func TestMuteThatCannotBeAuditedChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pub := e.join(t, evaluator("user:10", "1"))
	pub.publish(t, newMedia(t, "a"))
	other := e.join(t, evaluator("user:20", "2"))
	other.receives(t, pub.ID(), false)

	e.audit.fail.Store(true)
	err := e.srv.SetRoomMuted(ctx, "user:70", "1", "1", true)
	require.True(t, errors.Is(err, sfu.ErrAudit), "got %v", err)
	e.audit.fail.Store(false)
	muted, err := e.srv.MutedRooms(ctx, "1")
	require.NoError(t, err)
	require.Empty(t, muted)
	start := other.audioFrom(pub.ID())
	require.Eventually(t, func() bool { return other.audioFrom(pub.ID()) >= start+20 }, 10*time.Second, 20*time.Millisecond,
		"a mute that was not audited silenced the room")
}

// syncMutes is a MuteStore two servers share, as nodes share Redis.
type syncMutes struct {
	mu    sync.Mutex
	rooms map[string]bool // session/room
}

func (s *syncMutes) SetMuted(_ context.Context, session, room string, muted bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rooms == nil {
		s.rooms = map[string]bool{}
	}
	if muted {
		s.rooms[session+"/"+room] = true
	} else {
		delete(s.rooms, session+"/"+room)
	}
	return nil
}

func (s *syncMutes) Muted(_ context.Context, session string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.rooms {
		if sess, room, _ := strings.Cut(k, "/"); sess == session {
			out = append(out, room)
		}
	}
	return out, nil
}

func TestMuteMadeOnAnotherNodeReachesTheHostingNode(t *testing.T) {
	store := &syncMutes{}
	host := newEnv(t, func(p *sfu.Params) { p.Mutes = store; p.MuteRefresh = 50 * time.Millisecond })
	other := newEnv(t, func(p *sfu.Params) { p.Mutes = store; p.Self.ID = "n2" })
	ctx := context.Background()

	pub := host.join(t, evaluator("user:10", "1"))
	pub.publish(t, newMedia(t, "a"))
	own := host.join(t, evaluator("user:11", "1"))
	listener := host.join(t, evaluator("user:20", "2"))
	listener.receives(t, pub.ID(), false)
	own.receives(t, pub.ID(), false)

	// The change is made through the node that does not host the session;
	// the hosting node applies it from the shared store.
	require.NoError(t, other.srv.SetRoomMuted(ctx, "user:70", "1", "1", true))
	require.Eventually(t, func() bool { return hearsWhile(t, own, pub.ID(), 25, listener)[0] == 0 },
		15*time.Second, 10*time.Millisecond, "the hosting node never applied the mute")
	require.NoError(t, other.srv.SetRoomMuted(ctx, "user:70", "1", "1", false))
	require.Eventually(t, func() bool { return hearsWhile(t, own, pub.ID(), 10, listener)[0] > 0 },
		15*time.Second, 10*time.Millisecond, "the hosting node never applied the unmute")
}

func TestMutedRoomsSpeakingIsNotAnnouncedToTheOtherRooms(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pub := e.join(t, evaluator("user:10", "1"))
	own := e.join(t, evaluator("user:11", "1"))
	other := e.join(t, evaluator("user:20", "2"))

	// The room's microphone starts silent (RFC 6464 level 127).
	m := newMedia(t, "a")
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	senders, err := pub.Publish(pctx, m.video, m.audio)
	require.NoError(t, err)
	m.setLevel(senders[1])
	var level atomic.Uint32
	level.Store(127)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := uint32(0); ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = m.video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(i), Timestamp: i * 1800},
				Payload: vp8(i%25 == 0, 7, 300)})
			ap := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: i * 960}, Payload: []byte{0xf8, 0xff, 0xfe}}
			if id := m.levelID.Load(); id != 0 {
				_ = ap.Header.SetExtension(uint8(id), []byte{byte(level.Load())})
			}
			_ = m.audio.WriteRTP(ap)
		}
	}()
	defer func() { close(stop); <-done }()
	own.receives(t, pub.ID(), false)
	other.receives(t, pub.ID(), true)

	// Muted, the room starts speaking: its own room is told, the other is not.
	require.NoError(t, e.srv.SetRoomMuted(ctx, "user:70", "1", "1", true))
	level.Store(10)
	speaking := func(p *peer) bool {
		return p.events.has(func(m sfu.Message) bool {
			return m.Type == sfu.TypeSpeaking && m.Speaking && m.Participant.ID == pub.ID()
		})
	}
	require.Eventually(t, func() bool { return speaking(own) }, 10*time.Second, 20*time.Millisecond)
	hearsWhile(t, own, pub.ID(), 25)
	require.False(t, speaking(other), "the other room learnt that the muted room speaks")

	// Unmuted, the next change reaches everyone.
	require.NoError(t, e.srv.SetRoomMuted(ctx, "user:70", "1", "1", false))
	level.Store(127)
	require.Eventually(t, func() bool {
		return other.events.has(func(m sfu.Message) bool {
			return m.Type == sfu.TypeSpeaking && !m.Speaking && m.Participant.ID == pub.ID()
		})
	}, 10*time.Second, 20*time.Millisecond)
}
