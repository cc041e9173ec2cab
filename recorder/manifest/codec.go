package manifest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// timeLayout is the canonical time form: UTC, nine fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(member, s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil || formatTime(t) != s {
		return time.Time{}, fmt.Errorf("%w: %s %q is not a UTC time of the form %s", ErrMalformed, member, s, timeLayout)
	}
	return t, nil
}

// object builds the manifest's JSON object; the signature member only
// when withSig.
func (m Manifest) object(withSig bool) object {
	tracks := make([]any, 0, len(m.Tracks))
	for _, t := range m.Tracks {
		tracks = append(tracks, object{
			"kind": t.Kind, "name": t.Name, "codec": t.Codec,
			"width": int64(t.Width), "height": int64(t.Height), "fps": int64(t.FPS),
			"sample_rate": int64(t.SampleRate), "channels": int64(t.Channels),
		})
	}
	gaps := make([]any, 0, len(m.Gaps))
	for _, g := range m.Gaps {
		gaps = append(gaps, object{"from": formatTime(g.From), "to": formatTime(g.To), "reason": g.Reason})
	}
	o := object{
		"version":     int64(m.Version),
		"recorder_id": m.Recorder,
		"room_id":     m.Room,
		"session_id":  m.Session,
		"segment":     object{"name": m.Segment, "size": m.Size, "hash": m.SegmentHash.String()},
		"hash_alg":    string(m.Alg),
		"seq":         m.Seq,
		"prev_hash":   m.Prev.String(),
		"start":       formatTime(m.Start),
		"end":         formatTime(m.End),
		"tracks":      tracks,
		"clock": object{
			"offset_ns":      int64(m.Clock.Offset),
			"uncertainty_ns": int64(m.Clock.Uncertainty),
			"measured_at":    formatTime(m.Clock.MeasuredAt),
		},
		"gaps":       gaps,
		"truncated":  m.Truncated,
		"created_at": formatTime(m.CreatedAt),
	}
	if withSig {
		o["signature"] = base64.StdEncoding.EncodeToString(m.Signature)
	}
	return o
}

// SignedBytes is the canonical encoding without the signature: the bytes
// the recorder signs. Errors wrap ErrInvalid (invalid UTF-8, integers out
// of range).
func (m Manifest) SignedBytes() ([]byte, error) {
	return appendCanonical(nil, m.object(false))
}

// Canonical is the canonical encoding with the signature: the bytes the
// chain link hashes and the manifest file holds (before its newline).
func (m Manifest) Canonical() ([]byte, error) {
	return appendCanonical(nil, m.object(true))
}

// MarshalJSON encodes the manifest canonically, signature included.
func (m Manifest) MarshalJSON() ([]byte, error) { return m.Canonical() }

// UnmarshalJSON parses a manifest strictly; see Parse.
func (m *Manifest) UnmarshalJSON(data []byte) error {
	x, err := Parse(data)
	if err != nil {
		return err
	}
	*m = x
	return nil
}

// wire is the manifest as JSON, members as the canonical encoding names
// them.
type wire struct {
	Version  int64  `json:"version"`
	Recorder string `json:"recorder_id"`
	Room     string `json:"room_id"`
	Session  string `json:"session_id"`
	Segment  struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
		Hash string `json:"hash"`
	} `json:"segment"`
	Alg    string `json:"hash_alg"`
	Seq    int64  `json:"seq"`
	Prev   string `json:"prev_hash"`
	Start  string `json:"start"`
	End    string `json:"end"`
	Tracks []struct {
		Kind       string `json:"kind"`
		Name       string `json:"name"`
		Codec      string `json:"codec"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		FPS        int    `json:"fps"`
		SampleRate int    `json:"sample_rate"`
		Channels   int    `json:"channels"`
	} `json:"tracks"`
	Clock struct {
		Offset      int64  `json:"offset_ns"`
		Uncertainty int64  `json:"uncertainty_ns"`
		MeasuredAt  string `json:"measured_at"`
	} `json:"clock"`
	Gaps []struct {
		From   string `json:"from"`
		To     string `json:"to"`
		Reason string `json:"reason"`
	} `json:"gaps"`
	Truncated bool   `json:"truncated"`
	CreatedAt string `json:"created_at"`
	Signature string `json:"signature"`
}

// Parse reads a manifest file's bytes strictly: unknown members, times
// not in the canonical form, hashes not in lowercase hex and a signature
// not in standard base64 are refused with ErrMalformed; a manifest that
// breaks a field rule is refused with ErrInvalid. The signature is not
// checked (Verify does).
func Parse(data []byte) (Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w wire
	if err := dec.Decode(&w); err != nil {
		return Manifest{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return Manifest{}, fmt.Errorf("%w: data after the manifest object", ErrMalformed)
	}
	m := Manifest{Version: int(w.Version), Recorder: w.Recorder, Room: w.Room, Session: w.Session,
		Segment: w.Segment.Name, Size: w.Segment.Size, Alg: Alg(w.Alg), Seq: w.Seq, Truncated: w.Truncated,
		Clock: Clock{Offset: time.Duration(w.Clock.Offset), Uncertainty: time.Duration(w.Clock.Uncertainty)}}
	var err error
	if m.SegmentHash, err = ParseDigest(w.Segment.Hash); err != nil {
		return Manifest{}, fmt.Errorf("segment.hash: %w", err)
	}
	if m.Prev, err = ParseDigest(w.Prev); err != nil {
		return Manifest{}, fmt.Errorf("prev_hash: %w", err)
	}
	times := []struct {
		name string
		src  string
		dst  *time.Time
	}{{"start", w.Start, &m.Start}, {"end", w.End, &m.End}, {"created_at", w.CreatedAt, &m.CreatedAt},
		{"clock.measured_at", w.Clock.MeasuredAt, &m.Clock.MeasuredAt}}
	for _, t := range times {
		if *t.dst, err = parseTime(t.name, t.src); err != nil {
			return Manifest{}, err
		}
	}
	for _, t := range w.Tracks {
		m.Tracks = append(m.Tracks, Track{Kind: t.Kind, Name: t.Name, Codec: t.Codec, Width: t.Width,
			Height: t.Height, FPS: t.FPS, SampleRate: t.SampleRate, Channels: t.Channels})
	}
	for i, g := range w.Gaps {
		var x Gap
		if x.From, err = parseTime(fmt.Sprintf("gaps[%d].from", i), g.From); err != nil {
			return Manifest{}, err
		}
		if x.To, err = parseTime(fmt.Sprintf("gaps[%d].to", i), g.To); err != nil {
			return Manifest{}, err
		}
		x.Reason = g.Reason
		m.Gaps = append(m.Gaps, x)
	}
	if m.Signature, err = base64.StdEncoding.Strict().DecodeString(w.Signature); err != nil {
		return Manifest{}, fmt.Errorf("%w: signature is not standard base64", ErrMalformed)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}
