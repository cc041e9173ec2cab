package sfu_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		err      error
		check    func(*testing.T, sfu.Message)
	}{
		{"join", `{"type":"join","token":"abc"}`, nil, func(t *testing.T, m sfu.Message) { require.Equal(t, "abc", m.Token) }},
		{"subscribe", `{"type":"subscribe","track":"TR_1","layer":"low","paused":true}`, nil, func(t *testing.T, m sfu.Message) {
			require.Equal(t, "TR_1", m.TrackID)
			require.Equal(t, sfu.LayerLow, m.Layer)
			require.True(t, m.Paused)
		}},
		{"event with track object", `{"type":"track_published","track":{"id":"TR_1","kind":"video"}}`, nil, func(t *testing.T, m sfu.Message) {
			require.Equal(t, "video", m.Track.Kind)
		}},
		{"too large", `{"type":"join","token":"` + strings.Repeat("a", sfu.MaxMessageSize) + `"}`, sfu.ErrTooLarge, nil},
		{"not json", `hello`, sfu.ErrMalformed, nil},
		{"truncated", `{"type":"offer","sdp":`, sfu.ErrMalformed, nil},
		{"array", `[1,2]`, sfu.ErrMalformed, nil},
		{"no type", `{"token":"x"}`, sfu.ErrMalformed, nil},
		{"unknown type", `{"type":"dance"}`, sfu.ErrUnknownType, nil},
		{"join without token", `{"type":"join"}`, sfu.ErrMalformed, nil},
		{"offer without sdp", `{"type":"offer"}`, sfu.ErrMalformed, nil},
		{"candidate without target", `{"type":"candidate","candidate":{"candidate":"x"}}`, sfu.ErrMalformed, nil},
		{"subscribe bad layer", `{"type":"subscribe","track":"TR_1","layer":"ultra"}`, sfu.ErrMalformed, nil},
		{"subscribe track object", `{"type":"subscribe","track":{"id":"x"}}`, sfu.ErrMalformed, nil},
		{"wrong field type", `{"type":"join","token":5}`, sfu.ErrMalformed, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := sfu.Decode([]byte(tc.in))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			tc.check(t, m)
		})
	}
}

func TestSubscribeRoundTrip(t *testing.T) {
	b, err := json.Marshal(sfu.Message{Type: sfu.TypeSubscribe, TrackID: "TR_9", Layer: sfu.LayerHigh})
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"subscribe","track":"TR_9","layer":"high"}`, string(b))
	m, err := sfu.Decode(b)
	require.NoError(t, err)
	require.Equal(t, "TR_9", m.TrackID)
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"join","token":"abc"}`, `{"type":"offer","sdp":"v=0"}`,
		`{"type":"candidate","target":"publisher","candidate":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0"}}`,
		`{"type":"subscribe","track":"TR_1","layer":"mid"}`, `{"type":"track_published","track":{"id":"x"}}`,
		`{"type":"leave"}`, `{}`, `[]`, `null`, `{"type":"subscribe","track":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := sfu.Decode(data)
		if err != nil {
			if !errors.Is(err, sfu.ErrMalformed) && !errors.Is(err, sfu.ErrUnknownType) && !errors.Is(err, sfu.ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if m.Type == "" {
			t.Fatal("accepted a message without type")
		}
		// What decodes re-encodes and decodes to the same message.
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if len(b) <= sfu.MaxMessageSize {
			again, err := sfu.Decode(b)
			if err != nil {
				t.Fatalf("re-decode %s: %v", b, err)
			}
			if again.Type != m.Type || again.TrackID != m.TrackID || again.SDP != m.SDP || again.Token != m.Token {
				t.Fatalf("round trip changed %q into %q", data, b)
			}
		}
	})
}
