package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func loadEdge(t *testing.T, args []string, env ...string) (Edge, error) {
	t.Helper()
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return LoadEdge(fs, args, env)
}

func TestEdgeConfigFromEnvAndFlags(t *testing.T) {
	e, err := loadEdge(t, []string{"-recorder_id", "edge-nj-1", "-cameras", "cam1=synthetic,320x180,15fps; cam2=/dev/video2,1920x1080,30fps,4000kbps,vp8"},
		"EVALROOM_EDGE_KEY_FILE=/etc/evalroom-edge/key", "EVALROOM_EDGE_MIC=mic=synthetic,48kbps,stereo",
		"EVALROOM_POSTGRES_DSN=ignored: evalroomd's")
	if err != nil {
		t.Fatal(err)
	}
	cams, _ := e.CameraSpecs()
	want := []CameraSpec{{Name: "cam1", Device: "synthetic", Width: 320, Height: 180, FPS: 15},
		{Name: "cam2", Device: "/dev/video2", Width: 1920, Height: 1080, FPS: 30, BitrateKbps: 4000, Codec: "vp8"}}
	if len(cams) != 2 || cams[0] != want[0] || cams[1] != want[1] {
		t.Fatalf("cameras %+v", cams)
	}
	mic, _ := e.MicSpec()
	if mic == nil || *mic != (MicSpec{Name: "mic", Device: "synthetic", BitrateKbps: 48, Channels: 2}) {
		t.Fatalf("mic %+v", mic)
	}
}

func TestEdgeConfigRefusesBadSettings(t *testing.T) {
	base := []string{"-recorder_id", "r1", "-key_file", "k"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-key_file", "k"}, "recorder_id"},
		{[]string{"-recorder_id", "r1"}, "key_file"},
		{append(base, "-cameras", "cam1"), "name=device"},
		{append(base, "-cameras", "../x=synthetic"), "name=device"},
		{append(base, "-cameras", "cam1=synthetic,720p"), "720p"},
		{append(base, "-cameras", "cam1=synthetic;cam1=/dev/video0"), "twice"},
		{append(base, "-cameras", "cam1=synthetic,0fps"), "positive"},
		{append(base, "-hash", "md5"), "hash"},
		{append(base, "-quota_mb", "0"), "quota_mb"},
		{append(base, "-mic", "mic=synthetic,loud"), "loud"},
	} {
		if _, err := loadEdge(t, tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want one naming %q", tc.args, err, tc.want)
		}
	}
	if _, err := loadEdge(t, base, "EVALROOM_EDGE_CAMERA=typo"); err == nil || !strings.Contains(err.Error(), "EVALROOM_EDGE_CAMERA") {
		t.Errorf("unknown variable: %v", err)
	}
}
