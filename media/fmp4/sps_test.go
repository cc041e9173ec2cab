package fmp4_test

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
)

func TestParseSPS(t *testing.T) {
	for _, tc := range []struct{ w, h int }{{320, 180}, {1280, 720}, {1920, 1080}, {642, 362}} {
		t.Run(fmt.Sprintf("%dx%d", tc.w, tc.h), func(t *testing.T) {
			aus := fmp4test.H264(t, fmp4test.Video{Width: tc.w, Height: tc.h, FPS: 30, Seconds: 0.1, GOP: 30})
			require.True(t, fmp4.IsKeyframe(aus[0]))
			require.False(t, fmp4.IsKeyframe(aus[1]))
			sps, _ := fmp4.ParameterSets(aus[0])
			info, err := fmp4.ParseSPS(sps)
			require.NoError(t, err)
			require.Equal(t, tc.w, info.Width)
			require.Equal(t, tc.h, info.Height)
			require.Equal(t, 1, info.ChromaFormat)
		})
	}
	for _, tc := range []struct {
		name string
		hex  string
	}{
		{"not an SPS", "68ef0fcb"},
		{"cut short", "6764001facb4"},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := hex.DecodeString(tc.hex)
			require.NoError(t, err)
			_, err = fmp4.ParseSPS(b)
			require.ErrorIs(t, err, fmp4.ErrBadSPS)
		})
	}
}

func TestAnnexBToAVCC(t *testing.T) {
	in := []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x65, 0xaa, 0, 0, 0, 1, 0x41, 0xbb, 0}
	want := []byte{0, 0, 0, 3, 0x67, 1, 2, 0, 0, 0, 2, 0x65, 0xaa, 0, 0, 0, 2, 0x41, 0xbb}
	require.Equal(t, want, fmp4.AnnexBToAVCC(nil, in))
	require.True(t, fmp4.IsKeyframe(in))
	sps, pps := fmp4.ParameterSets(in)
	require.Equal(t, []byte{0x67, 1, 2}, sps)
	require.Nil(t, pps)
}
