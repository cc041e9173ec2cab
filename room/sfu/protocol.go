package sfu

// The signaling protocol (GET <mount>/ws, WebSocket, one JSON object per
// text message). Every message has a "type"; the other fields depend on it.
// A message over MaxMessageSize (64 KiB) bytes, malformed JSON, an unknown
// type, SDP that cannot be applied, an ICE candidate for another ICE
// session, or a request the token does not grant is answered with an
// "error" message and the connection is closed; nobody else notices.
//
// Client → server:
//
//	{"type":"join","token":"<media token>","session":"<optional: must match the token>"}
//	    First message, within 10 s. Answered by "joined", "redirect" or "error".
//	{"type":"offer","sdp":"..."}
//	    The client's offer (to publish tracks). Answered by "answer". A client
//	    without the publish grant whose offer sends media is refused.
//	{"type":"answer","sdp":"..."}
//	    The answer to a server "offer".
//	{"type":"candidate","candidate":{"candidate":"candidate:...","sdpMid":"0",
//	    "sdpMLineIndex":0,"usernameFragment":"..."}}
//	    A trickled ICE candidate. An empty candidate string ends gathering.
//	{"type":"subscribe","track":"TR_...","layer":"low|mid|high","paused":false}
//	    Chooses the simulcast layer of a received track, or pauses it.
//	{"type":"leave"}
//	    Leaves the session; the server closes the connection.
//
// Server → client:
//
//	{"type":"joined","participant":{...you},"ice_servers":[...],
//	    "participants":[...visible others],"tracks":[...published tracks]}
//	{"type":"redirect","url":"ws://other-node/media/ws"}  then close
//	{"type":"offer","sdp":"..."}   server-initiated (re)negotiation when
//	    tracks come and go. The server sends no new offer before the client
//	    answered the last one. If both sides offer at once (glare) the server
//	    gives way: it rolls its offer back, answers the client, and offers
//	    again afterwards; a client should ignore a server offer while its own
//	    offer is outstanding.
//	{"type":"answer","sdp":"..."}
//	{"type":"candidate","candidate":{...}}
//	{"type":"participant_joined","participant":{...}}
//	{"type":"participant_left","participant":{"id":"PA_..."}}
//	{"type":"track_published","track":{...}}
//	{"type":"track_unpublished","track":{"id":"TR_...","participant":"PA_..."}}
//	{"type":"speaking","participant":{"id":"PA_..."},"track":{"id":"TR_..."},"speaking":true}
//	{"type":"error","code":"...","message":"<中文说明>","recoverable":false}
//	    Unless "recoverable" is true the server closes the connection next.
//
// Hidden participants (supervisors) are never listed and never the subject
// of an event. Each received track's MediaStreamTrack id is the track id
// ("TR_...") and its stream id is the publishing participant's id.

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
	case TypeJoin, TypeOffer, TypeAnswer, TypeCandidate, TypeSubscribe, TypeLeave:
		return true
	}
	return false
}
