package devices_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/devices"
)

func TestList(t *testing.T) {
	infos, err := devices.List()
	require.NoError(t, err)
	cams, _ := filepath.Glob("/dev/video*")
	var n int
	for _, in := range infos {
		t.Logf("%s %s %q %q %v", in.Kind, in.ID, in.Label, in.Name, in.Formats)
		require.Contains(t, []string{"camera", "microphone"}, in.Kind)
		require.NotEmpty(t, in.ID)
		require.NotEmpty(t, in.Label)
		require.NotEqual(t, "6e756c6c", in.Label, "miniaudio's null device is not a microphone")
		if in.Kind == "camera" {
			n++
		}
	}
	if len(cams) == 0 {
		require.Zero(t, n, "no V4L2 device, no camera")
	}
}
