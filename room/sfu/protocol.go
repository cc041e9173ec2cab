package sfu

// The signaling protocol (GET <mount>/ws, WebSocket, one JSON object per
// text message). Every message has a "type"; the other fields depend on it.
// A message over MaxMessageSize (64 KiB) bytes, malformed JSON, an unknown
// type, SDP that cannot be applied, an ICE candidate for another ICE
// session, or a request the token does not grant is answered with an
// "error" message and the connection is closed; nobody else notices.
//
// A client has up to two peer connections, so that offers never cross:
// the publisher connection ("target":"publisher"), on which the client
// offers the tracks it sends and the server answers, and the subscriber
// connection ("target":"subscriber"), on which the server offers the
// tracks the client receives (again whenever tracks come and go) and the
// client answers. The server sends no new subscriber offer before the
// last one was answered.
//
// Client → server:
//
//	{"type":"join","token":"<media token>","session":"<optional: must match the token>"}
//	    First message, within 10 s. Answered by "joined", "redirect" or "error".
//	{"type":"offer","sdp":"..."}
//	    Publisher connection offer. Answered by "answer" (target publisher).
//	    An offer that sends media without the publish grant is refused
//	    (error "forbidden", then close).
//	{"type":"answer","target":"subscriber","sdp":"..."}
//	    The answer to the server's last subscriber offer.
//	{"type":"candidate","target":"publisher|subscriber","candidate":{"candidate":"candidate:...",
//	    "sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"..."}}
//	    A trickled ICE candidate. An empty candidate string ends gathering.
//	{"type":"subscribe","track":"TR_...","layer":"low|mid|high","paused":false}
//	    Chooses the simulcast layer of a received track, or pauses it.
//	{"type":"leave"}
//	    Leaves the session; the server closes the connection.
//	{"type":"remove","participant":{"id":"PA_..."}}
//	    Control (admin grant): removes a participant from the session; it
//	    gets error "removed" and is closed. Staff may remove participants
//	    of their own venue only. Refused with a recoverable "forbidden"
//	    error otherwise.
//
// Server → client:
//
//	{"type":"joined","participant":{...you},"ice_servers":[...],
//	    "participants":[...visible others],"tracks":[...published tracks]}
//	{"type":"redirect","url":"ws://other-node/media/ws"}  then close
//	{"type":"offer","target":"subscriber","sdp":"..."}
//	{"type":"answer","target":"publisher","sdp":"..."}
//	{"type":"candidate","target":"publisher|subscriber","candidate":{...}}
//	{"type":"participant_joined","participant":{...}}
//	{"type":"participant_left","participant":{"id":"PA_..."}}
//	{"type":"track_published","track":{...}}
//	{"type":"track_unpublished","track":{"id":"TR_...","participant":"PA_..."}}
//	{"type":"speaking","participant":{"id":"PA_..."},"track":{"id":"TR_..."},"speaking":true}
//	{"type":"error","code":"...","message":"<中文说明>","recoverable":false}
//	    Unless "recoverable" is true (a subscribe naming an unknown track)
//	    the server closes the connection next. Codes: too_large, malformed,
//	    unknown_type, bad_sdp, bad_candidate, unauthorized, expired,
//	    forbidden, protocol, unavailable, closing, unknown_track.
//
// Hidden participants (supervisors) are never listed and never the subject
// of an event. A room display (role display) receives the tracks of the
// other rooms only, never its own room's. Each received track's MediaStreamTrack id is the track id
// ("TR_...") and its stream id is the publishing participant's id. A
// simulcast publisher sends rids q/h/f, l/m/h, low/mid/high or 0/1/2
// (lowest first) with the MID and RID header extensions.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// MaxMessageSize is the largest signaling message accepted, in bytes.
const MaxMessageSize = 64 << 10

// Message types.
const (
	TypeJoin              = "join"
	TypeJoined            = "joined"
	TypeRedirect          = "redirect"
	TypeOffer             = "offer"
	TypeAnswer            = "answer"
	TypeCandidate         = "candidate"
	TypeSubscribe         = "subscribe"
	TypeLeave             = "leave"
	TypeRemove            = "remove"
	TypeParticipantJoined = "participant_joined"
	TypeParticipantLeft   = "participant_left"
	TypeTrackPublished    = "track_published"
	TypeTrackUnpublished  = "track_unpublished"
	TypeSpeaking          = "speaking"
	TypeError             = "error"
)

// Simulcast layer names used in "subscribe".
const (
	LayerLow  = "low"
	LayerMid  = "mid"
	LayerHigh = "high"
)

// Message is one signaling message in either direction; which fields are
// set depends on Type (see the protocol description above).
type Message struct {
	Type string `json:"type"`

	Token   string `json:"token,omitempty"`
	Session string `json:"session,omitempty"`
	SDP     string `json:"sdp,omitempty"`
	URL     string `json:"url,omitempty"`
	// Target names the peer connection of offer, answer and candidate:
	// TargetPublisher or TargetSubscriber.
	Target string `json:"target,omitempty"`

	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`

	// TrackID, Layer and Paused are the fields of "subscribe".
	TrackID string `json:"-"`
	Layer   string `json:"layer,omitempty"`
	Paused  bool   `json:"paused,omitempty"`

	Participant  *ParticipantInfo   `json:"participant,omitempty"`
	Participants []ParticipantInfo  `json:"participants,omitempty"`
	Track        *TrackInfo         `json:"track,omitempty"`
	Tracks       []TrackInfo        `json:"tracks,omitempty"`
	ICEServers   []webrtc.ICEServer `json:"ice_servers,omitempty"`
	Speaking     bool               `json:"speaking,omitempty"`

	Code        string `json:"code,omitempty"`
	Text        string `json:"message,omitempty"`
	Recoverable bool   `json:"recoverable,omitempty"`
}

// ParticipantInfo describes a visible participant.
type ParticipantInfo struct {
	ID       string     `json:"id"`
	Subject  string     `json:"subject,omitempty"`
	Name     string     `json:"name,omitempty"`
	Role     string     `json:"role,omitempty"`
	Room     string     `json:"room,omitempty"`
	Venue    string     `json:"venue,omitempty"`
	JoinedAt *time.Time `json:"joined_at,omitempty"`
}

// TrackInfo describes a published track.
type TrackInfo struct {
	ID          string   `json:"id"`
	Participant string   `json:"participant,omitempty"`
	Kind        string   `json:"kind,omitempty"`
	Codec       string   `json:"codec,omitempty"`
	Label       string   `json:"label,omitempty"`
	Room        string   `json:"room,omitempty"`
	Simulcast   bool     `json:"simulcast,omitempty"`
	Layers      []string `json:"layers,omitempty"`
}

// MarshalJSON encodes m; in "subscribe" the track is its id string.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	if m.Type == TypeSubscribe {
		return json.Marshal(struct {
			plain
			Track string `json:"track"`
		}{plain(m), m.TrackID})
	}
	return json.Marshal(plain(m))
}

// Decode parses one signaling message and checks that its type is known
// and that the fields its type needs are present. It returns ErrTooLarge,
// ErrMalformed or ErrUnknownType (wrapped).
func Decode(data []byte) (Message, error) {
	if len(data) > MaxMessageSize {
		return Message{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Message{}, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	var raw struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	type plain Message
	var w struct {
		plain
		Track json.RawMessage `json:"track,omitempty"`
	}
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	m := Message(w.plain)
	if len(w.Track) > 0 && !bytes.Equal(w.Track, []byte("null")) {
		if m.Type == TypeSubscribe {
			if err := json.Unmarshal(w.Track, &m.TrackID); err != nil {
				return Message{}, fmt.Errorf("%w: track: %v", ErrMalformed, err)
			}
		} else {
			var ti TrackInfo
			if err := json.Unmarshal(w.Track, &ti); err != nil {
				return Message{}, fmt.Errorf("%w: track: %v", ErrMalformed, err)
			}
			m.Track = &ti
		}
	}
	return m, m.validate()
}

func (m *Message) validate() error {
	missing := func(f string) error { return fmt.Errorf("%w: %s needs %s", ErrMalformed, m.Type, f) }
	switch m.Type {
	case TypeJoin:
		if m.Token == "" {
			return missing("token")
		}
	case TypeOffer, TypeAnswer:
		if m.SDP == "" {
			return missing("sdp")
		}
	case TypeCandidate:
		if m.Candidate == nil {
			return missing("candidate")
		}
		if m.Target != TargetPublisher && m.Target != TargetSubscriber {
			return missing("target publisher or subscriber")
		}
	case TypeSubscribe:
		if m.TrackID == "" {
			return missing("track")
		}
		switch m.Layer {
		case "", LayerLow, LayerMid, LayerHigh:
		default:
			return fmt.Errorf("%w: unknown layer %q", ErrMalformed, m.Layer)
		}
	case TypeLeave:
	case TypeRemove:
		if m.Participant == nil || m.Participant.ID == "" {
			return missing("participant id")
		}
	case TypeJoined, TypeRedirect, TypeParticipantJoined, TypeParticipantLeft,
		TypeTrackPublished, TypeTrackUnpublished, TypeSpeaking, TypeError:
		// Server messages: decoded by clients.
	case "":
		return fmt.Errorf("%w: no type", ErrMalformed)
	default:
		return fmt.Errorf("%w: %q", ErrUnknownType, m.Type)
	}
	return nil
}

// clientMessage reports whether a client may send messages of type t.
func clientMessage(t string) bool {
	switch t {
	case TypeJoin, TypeOffer, TypeAnswer, TypeCandidate, TypeSubscribe, TypeLeave, TypeRemove:
		return true
	}
	return false
}
