package fmp4_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
)

func vp8Frames(t *testing.T) [][]byte {
	t.Helper()
	frames := fmp4test.VP8(t, fmp4test.Video{Width: 320, Height: 180, FPS: 15, Seconds: 3, GOP: 15})
	require.Len(t, frames, 45)
	return frames
}

func TestParseVP8(t *testing.T) {
	frames := vp8Frames(t)
	for i, f := range frames {
		h, err := fmp4.ParseVP8(f)
		require.NoError(t, err, "frame %d", i)
		require.Equal(t, i%15 == 0, h.Key, "frame %d: a keyframe each second", i)
		require.Equal(t, h.Key, fmp4.IsVP8Keyframe(f))
		require.True(t, h.Show)
		if h.Key {
			require.Equal(t, 320, h.Width)
			require.Equal(t, 180, h.Height)
			require.Zero(t, h.Version)
		}
	}
	key := bytes.Clone(frames[0])
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"empty", nil},
		{"two bytes", key[:2]},
		{"keyframe cut in its header", key[:8]},
		{"keyframe without start code", append([]byte{key[0], key[1], key[2], 0, 0, 0}, key[6:10]...)},
		{"keyframe of width 0", append(bytes.Clone(key[:6]), 0, 0, key[8], key[9])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fmp4.ParseVP8(tc.frame)
			require.ErrorIs(t, err, fmp4.ErrBadVP8)
			require.False(t, fmp4.IsVP8Keyframe(tc.frame))
		})
	}
}

// TestWriterVP8 muxes real VP8 and Opus: ffprobe reports the codec, the
// size and every frame, ffmpeg decodes it without a complaint, and Scan
// names the codecs.
func TestWriterVP8(t *testing.T) {
	frames := vp8Frames(t)
	h, err := fmp4.ParseVP8(frames[0])
	require.NoError(t, err)
	v := clip{track: fmp4.Track{ID: 1, Kind: fmp4.Video, Codec: fmp4.VP8, Width: h.Width, Height: h.Height}}
	for _, f := range frames {
		v.samples = append(v.samples, f)
		v.sync = append(v.sync, fmp4.IsVP8Keyframe(f))
	}
	data := muxFile(t, v)
	path := filepath.Join(t.TempDir(), "vp8.mp4")
	require.NoError(t, os.WriteFile(path, data, 0o644))

	p := fmp4test.FFprobe(t, path)
	vs, ok := p.Stream("video")
	require.True(t, ok)
	require.Equal(t, "vp8", vs.CodecName)
	require.Equal(t, 320, vs.Width)
	require.Equal(t, 180, vs.Height)
	a, ok := p.Stream("audio")
	require.True(t, ok)
	require.Equal(t, "opus", a.CodecName)
	require.InDelta(t, 3.0, p.Seconds(), 0.1)
	n, err := fmp4test.CountFrames(path, "video")
	require.NoError(t, err)
	require.Equal(t, 45, n)
	require.NoError(t, fmp4test.Decode(path))

	f, err := fmp4.Scan(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Equal(t, fmp4.VP8, f.Tracks[0].Codec)
	require.Equal(t, fmp4.Opus, f.Tracks[1].Codec)
	require.Equal(t, 45, f.Tracks[0].Samples)
	for i, fr := range f.Fragments {
		require.True(t, fr.Runs[0].FirstSync, "fragment %d starts with a keyframe", i)
	}
}
