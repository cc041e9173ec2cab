package fmp4_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/media/fmp4"
)

func TestNewWriterErrors(t *testing.T) {
	opus := fmp4.Track{ID: 2, Kind: fmp4.Audio, Codec: fmp4.Opus}
	for _, tc := range []struct {
		name   string
		tracks []fmp4.Track
		want   error
	}{
		{"no tracks", nil, fmp4.ErrInvalidTrack},
		{"track ID 0", []fmp4.Track{{Kind: fmp4.Audio, Codec: fmp4.Opus}}, fmp4.ErrInvalidTrack},
		{"repeated ID", []fmp4.Track{opus, opus}, fmp4.ErrInvalidTrack},
		{"H.264 without SPS", []fmp4.Track{{ID: 1, Kind: fmp4.Video, Codec: fmp4.H264}}, fmp4.ErrInvalidTrack},
		{"video Opus", []fmp4.Track{{ID: 1, Kind: fmp4.Video, Codec: fmp4.Opus}}, fmp4.ErrInvalidTrack},
		{"six channels", []fmp4.Track{{ID: 1, Kind: fmp4.Audio, Codec: fmp4.Opus, Channels: 6}}, fmp4.ErrInvalidTrack},
		{"VP8 without size", []fmp4.Track{{ID: 1, Kind: fmp4.Video, Codec: fmp4.VP8}}, fmp4.ErrInvalidTrack},
		{"VP8 version 4", []fmp4.Track{{ID: 1, Kind: fmp4.Video, Codec: fmp4.VP8, Width: 320, Height: 180, VP8Version: 4}}, fmp4.ErrInvalidTrack},
		{"audio VP8", []fmp4.Track{{ID: 1, Kind: fmp4.Audio, Codec: fmp4.VP8, Width: 320, Height: 180}}, fmp4.ErrInvalidTrack},
		{"negative pre-skip", []fmp4.Track{{ID: 1, Kind: fmp4.Audio, Codec: fmp4.Opus, PreSkip: -1}}, fmp4.ErrInvalidTrack},
		{"bad SPS", []fmp4.Track{{ID: 1, Kind: fmp4.Video, Codec: fmp4.H264, SPS: []byte{0x67, 1, 2, 3}, PPS: []byte{0x68}}}, fmp4.ErrBadSPS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fmp4.NewWriter(&bytes.Buffer{}, tc.tracks...)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestWriteFragmentErrors(t *testing.T) {
	var out bytes.Buffer
	w, err := fmp4.NewWriter(&out, fmp4.Track{ID: 2, Kind: fmp4.Audio, Codec: fmp4.Opus})
	require.NoError(t, err)
	s := []fmp4.Sample{{Data: []byte{0xfc, 1}, Duration: 960, Sync: true}}
	for _, tc := range []struct {
		name string
		f    fmp4.Fragment
	}{
		{"no runs", fmp4.Fragment{}},
		{"unknown track", fmp4.Fragment{Runs: []fmp4.Run{{TrackID: 3, Samples: s}}}},
		{"repeated track", fmp4.Fragment{Runs: []fmp4.Run{{TrackID: 2, Samples: s}, {TrackID: 2, Samples: s}}}},
		{"empty run", fmp4.Fragment{Runs: []fmp4.Run{{TrackID: 2}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.WriteFragment(tc.f)
			require.ErrorIs(t, err, fmp4.ErrInvalidSample)
		})
	}
	require.Zero(t, out.Len(), "nothing written for refused fragments")
	n, err := w.WriteFragment(fmp4.Fragment{Runs: []fmp4.Run{{TrackID: 2, Samples: s}}})
	require.NoError(t, err)
	require.Equal(t, out.Len(), n+headerLen(t, out.Bytes()))
}

func headerLen(t *testing.T, b []byte) int {
	f, err := fmp4.Scan(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	return int(f.HeaderEnd)
}

func TestOpusPacketSamples(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkt  []byte
		want int
	}{
		{"CELT 20 ms", []byte{0xfc}, 960},
		{"CELT 2.5 ms", []byte{0x80}, 120},
		{"SILK 60 ms", []byte{0x18}, 2880},
		{"hybrid 10 ms, two frames", []byte{0x61}, 960},
		{"code 3, three CELT 20 ms frames", []byte{0xfb, 0x03}, 2880},
		{"code 3 cut short", []byte{0xfb}, 0},
		{"empty", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, fmp4.OpusPacketSamples(tc.pkt))
		})
	}
}
