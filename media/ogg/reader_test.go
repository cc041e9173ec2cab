package ogg_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/media/ogg"
)

// opusFile encodes 3 s of a sine with ffmpeg's libopus into Ogg.
func opusFile(t *testing.T) []byte {
	path := filepath.Join(t.TempDir(), "a.ogg")
	out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=1000:r=48000",
		"-t", "3", "-c:a", "libopus", "-f", "ogg", path).CombinedOutput()
	require.NoError(t, err, string(out))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func TestReaderOpus(t *testing.T) {
	r := ogg.NewReader(bytes.NewReader(opusFile(t)))
	head, _, err := r.Packet()
	require.NoError(t, err)
	h, err := ogg.ParseOpusHead(head)
	require.NoError(t, err)
	require.Equal(t, 1, h.Channels)
	require.Equal(t, 48000, h.InputSampleRate)
	require.Positive(t, h.PreSkip)

	tags, _, err := r.Packet()
	require.NoError(t, err)
	require.Equal(t, "OpusTags", string(tags[:8]))

	packets, last := 0, int64(0)
	for {
		pkt, granule, err := r.Packet()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.NotEmpty(t, pkt)
		packets++
		last = granule
	}
	// 20 ms packets; the last granule position is pre-skip plus 3 s.
	require.Equal(t, 151, packets)
	require.Equal(t, int64(h.PreSkip+3*48000), last)
}

func TestReaderBadPage(t *testing.T) {
	data := opusFile(t)
	for _, tc := range []struct {
		name string
		at   int
	}{
		{"capture pattern", 0},
		{"body byte", 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Clone(data)
			bad[tc.at] ^= 0x55
			_, _, err := ogg.NewReader(bytes.NewReader(bad)).Packet()
			require.ErrorIs(t, err, ogg.ErrBadPage)
		})
	}
	_, err := ogg.ParseOpusHead([]byte("OpusTags and more bytes"))
	require.ErrorIs(t, err, ogg.ErrNotOpusHead)
}
