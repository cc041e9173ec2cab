package live

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/evalroom/evalroom/media/frame"
)

// Defaults of Params.
const (
	DefaultQueue      = 64
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 30 * time.Second
	// DefaultH264Fmtp is the H.264 format the publisher offers unless a
	// track says otherwise: Constrained Baseline, level 3.1, one of the
	// formats the room server accepts.
	DefaultH264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
)

// Track is one published track.
type Track struct {
	// ID names the track ("cam1", "mic"); Write and OnKeyframe use it,
	// and it is the track's id in the SDP (msid).
	ID string
	// Codec is the coded format of the frames written to the track.
	Codec frame.Codec
	// Fmtp, for H.264, is the format offered (the SDP fmtp line); it must
	// describe the encoder's profile. Empty means DefaultH264Fmtp.
	Fmtp string
}

// Endpoint is where and how to publish.
type Endpoint struct {
	// URL is the absolute URL of the WHIP endpoint.
	URL string
	// Token is sent as "Authorization: Bearer <Token>".
	Token string
	// ICEServers are the STUN and TURN servers to use.
	ICEServers []webrtc.ICEServer
}

// Params configures a Publisher.
type Params struct {
	// Tracks are the published tracks. Required.
	Tracks []Track
	// Endpoint is called before every connection attempt and returns
	// where to publish (cmd wires the device token client here). An
	// error counts as a failed attempt. Required.
	Endpoint func(ctx context.Context) (Endpoint, error)
	// Now is the recorder's corrected clock: RTP timestamps and RTCP
	// Sender Reports come from it. Nil means time.Now.
	Now func() time.Time
	// OnKeyframe is called when a video track needs a keyframe: a new
	// connection, a keyframe request (PLI/FIR) from the server, or a
	// dropped frame. It must not block (set a flag for the encoder).
	OnKeyframe func(trackID string)
	// OnFailure, when set, is called with the error of each failed
	// attempt or lost connection, before the backoff; it must not block.
	// cmd uses it to drop a device token the server refused
	// (errors.Is(err, ErrUnauthorized)).
	OnFailure func(err error)
	// Queue is how many frames are buffered per track (default 64).
	Queue int
	// BackoffMin and BackoffMax bound the wait between connection
	// attempts, which doubles after each failure from BackoffMin up to
	// BackoffMax and is jittered (default 1 s and 30 s).
	BackoffMin, BackoffMax time.Duration
	// After returns a channel that fires after d; it times the waits
	// between attempts. Nil means time.After.
	After func(d time.Duration) <-chan time.Time
	// SettingEngine, when set, configures the WebRTC stack (network
	// types, ICE timeouts, loopback in tests).
	SettingEngine *webrtc.SettingEngine
	// HTTP is the client for the WHIP requests; nil means one with a
	// 10 s timeout.
	HTTP *http.Client
	// Logger receives the publisher's log; nil discards it.
	Logger *slog.Logger
}

// withDefaults checks p and fills in its defaults.
func (p Params) withDefaults() (Params, error) {
	if len(p.Tracks) == 0 {
		return p, fmt.Errorf("%w: Tracks", ErrMissingParam)
	}
	if p.Endpoint == nil {
		return p, fmt.Errorf("%w: Endpoint", ErrMissingParam)
	}
	seen := map[string]bool{}
	for _, t := range p.Tracks {
		switch {
		case t.ID == "":
			return p, fmt.Errorf("%w: track without ID", ErrInvalidParam)
		case seen[t.ID]:
			return p, fmt.Errorf("%w: duplicate track %q", ErrInvalidParam, t.ID)
		case t.Codec != frame.H264 && t.Codec != frame.VP8 && t.Codec != frame.Opus:
			return p, fmt.Errorf("%w: track %q: codec %q", ErrInvalidParam, t.ID, t.Codec)
		}
		seen[t.ID] = true
	}
	if p.Queue < 0 || p.BackoffMin < 0 || p.BackoffMax < 0 {
		return p, fmt.Errorf("%w: negative queue or backoff", ErrInvalidParam)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.OnKeyframe == nil {
		p.OnKeyframe = func(string) {}
	}
	if p.OnFailure == nil {
		p.OnFailure = func(error) {}
	}
	if p.Queue == 0 {
		p.Queue = DefaultQueue
	}
	if p.BackoffMin == 0 {
		p.BackoffMin = DefaultBackoffMin
	}
	if p.BackoffMax == 0 {
		p.BackoffMax = DefaultBackoffMax
	}
	if p.BackoffMax < p.BackoffMin {
		p.BackoffMax = p.BackoffMin
	}
	if p.After == nil {
		p.After = time.After
	}
	if p.HTTP == nil {
		p.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return p, nil
}
