package devices_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/devices"
	"github.com/evalroom/evalroom/media/frame"
)

// t0 is a quarter second before a whole second, so that the first frame
// does not flash.
var t0 = time.Date(2026, 11, 22, 9, 30, 14, 700_000_000, time.UTC)

func smallCamera(codec frame.Codec) devices.CameraConfig {
	return devices.CameraConfig{
		Name: "cam1", Device: devices.Synthetic, Width: 320, Height: 180, FPS: 15,
		BitrateKbps: 300, Codec: codec, KeyframeInterval: time.Second, Label: "1",
	}
}

func openCamera(t *testing.T, cfg devices.CameraConfig, o devices.Options) *devices.Camera {
	t.Helper()
	c, err := devices.OpenCamera(cfg, o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

func TestCameraEncodesWhatItCaptured(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codec frame.Codec
		probe string
	}{
		{"h264", frame.H264, "h264"},
		{"vp8", frame.VP8, "vp8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := openCamera(t, smallCamera(tc.codec), fakeTime(t0))
			frames := readN(t, c, 45) // 3 s
			period := time.Second / 15
			for i, f := range frames {
				require.Equal(t, period, f.Duration)
				require.Empty(t, f.AfterGap)
				require.Equal(t, t0.Add(time.Duration(i)*period), f.UTC, "frame %d carries its capture time", i)
				if tc.codec == frame.H264 {
					requireAnnexB(t, f)
				}
			}

			path := writeVideo(t, tc.codec, 320, 180, frames)
			st := ffprobe(t, path)
			require.Equal(t, tc.probe, st.CodecName)
			require.Equal(t, 320, st.Width)
			require.Equal(t, 180, st.Height)

			// The white frames decode where the first frame at or after
			// each whole second was captured.
			luma := decodeLuma(t, path, 320, 180)
			require.Len(t, luma, len(frames))
			var want, got []int
			for i, f := range frames {
				if i > 0 && f.UTC.Unix() != frames[i-1].UTC.Unix() {
					want = append(want, i)
				}
				if luma[i] > 200 {
					got = append(got, i)
				}
			}
			require.Equal(t, []int{5, 20, 35}, want)
			require.Equal(t, want, got, "white frames (mean luma %v)", luma)

			// Keyframes at least every KeyframeInterval by capture
			// time, starting with the first frame (the encoder may add
			// some at the flashes: scene cuts).
			requireKeyframes(t, frames, time.Second)
		})
	}
}

// requireAnnexB checks that f is an Annex-B access unit whose IDR slice,
// if any, follows an SPS and a PPS, and that Key says whether it has one.
func requireAnnexB(t *testing.T, f frame.Frame) {
	t.Helper()
	require.True(t, bytes.HasPrefix(f.Data, []byte{0, 0, 0, 1}) || bytes.HasPrefix(f.Data, []byte{0, 0, 1}))
	var types []byte
	for _, part := range bytes.Split(f.Data, []byte{0, 0, 1})[1:] {
		types = append(types, part[0]&0x1f)
	}
	idr := slices.Index(types, 5)
	require.Equal(t, idr >= 0, f.Key, "NAL types %v", types)
	if idr >= 0 {
		sps, pps := slices.Index(types, 7), slices.Index(types, 8)
		require.True(t, sps >= 0 && pps >= 0 && sps < idr && pps < idr, "SPS and PPS before the IDR slice: %v", types)
	}
}

func TestKeyframeInterval(t *testing.T) {
	for _, codec := range []frame.Codec{frame.H264, frame.VP8} {
		t.Run(string(codec), func(t *testing.T) {
			// 7.5 frames: keyframes every 7 frames, between the flashes.
			cfg := smallCamera(codec)
			cfg.KeyframeInterval = 500 * time.Millisecond
			c := openCamera(t, cfg, fakeTime(t0))
			frames := readN(t, c, 45)
			requireKeyframes(t, frames, cfg.KeyframeInterval)
			// Some keyframes are neither the first frame nor at a flash
			// (frames 5, 20, 35) or just after it: forced by time.
			var forced []int
			for _, k := range keyIndexes(frames) {
				if k%15 != 5 && k%15 != 6 && k != 0 {
					forced = append(forced, k)
				}
			}
			require.NotEmpty(t, forced)
		})
	}
}

// requireKeyframes checks that the first frame is a keyframe, that no
// two keyframes lie more than interval apart, and that most frames are
// not keyframes.
func requireKeyframes(t *testing.T, frames []frame.Frame, interval time.Duration) {
	t.Helper()
	keys := keyIndexes(frames)
	require.NotEmpty(t, keys)
	require.Zero(t, keys[0], "keyframes %v", keys)
	for i := 1; i < len(keys); i++ {
		require.LessOrEqual(t, frames[keys[i]].UTC.Sub(frames[keys[i-1]].UTC), interval, "keyframes %v", keys)
	}
	last := frames[len(frames)-1].UTC.Sub(frames[keys[len(keys)-1]].UTC)
	require.Less(t, last, interval, "keyframes %v", keys)
	require.Less(t, len(keys), len(frames)/3, "keyframes %v", keys)
	t.Logf("keyframes at %v", keys)
}

func keyIndexes(frames []frame.Frame) []int {
	var keys []int
	for i, f := range frames {
		if f.Key {
			keys = append(keys, i)
		}
	}
	return keys
}

func TestForceKeyframe(t *testing.T) {
	for _, codec := range []frame.Codec{frame.H264, frame.VP8} {
		t.Run(string(codec), func(t *testing.T) {
			cfg := smallCamera(codec)
			cfg.KeyframeInterval = 20 * time.Second // 300 frames
			c := openCamera(t, cfg, fakeTime(t0))
			frames := readN(t, c, 5)
			require.Equal(t, []int{0}, keyIndexes(frames))
			c.ForceKeyframe()
			// At most the queue (one second) was encoded before the
			// request; the next keyframe follows it, long before the
			// interval would bring one.
			more := readN(t, c, 40)
			keys := keyIndexes(more)
			require.NotEmpty(t, keys, "a keyframe after ForceKeyframe")
			require.Less(t, keys[0], 17)
		})
	}
}

func TestCameraStampsTheGivenClock(t *testing.T) {
	// A recorder whose clock is 7 s ahead of this machine's (the
	// server's time, as its clock sync measured it).
	const skew = 7 * time.Second
	o := devices.Options{Now: func() time.Time { return time.Now().Add(skew) }}
	before := time.Now()
	c := openCamera(t, smallCamera(frame.H264), o)
	cam := readN(t, c, 3)
	m, err := devices.OpenMicrophone(devices.MicConfig{Name: "mic1", Device: devices.Synthetic}, o)
	require.NoError(t, err)
	defer m.Close()
	mic := readN(t, m, 3)
	after := time.Now()
	// The synthetic microphone starts its samples on a whole
	// millisecond, up to 1 ms before the clock.
	for _, f := range append(cam, mic...) {
		require.False(t, f.UTC.Before(before.Add(skew).Add(-time.Millisecond)), "%v is on the skewed clock", f.UTC)
		require.False(t, f.UTC.After(after.Add(skew)), "%v is on the skewed clock", f.UTC)
	}
}

func TestCameraLostAndRecovered(t *testing.T) {
	o := fakeTime(t0)
	o.Retry = 2 * time.Second
	c := openCamera(t, smallCamera(frame.H264), o)
	before := readN(t, c, 5)
	require.True(t, c.Health().Open)

	devices.BreakCamera(c, errors.New("unplugged"))
	frames := drainUntilLost(t, c)
	h := c.Health()
	require.False(t, h.Open)
	require.Equal(t, 1, h.Losses)
	require.Contains(t, h.LastError, "unplugged")
	require.Equal(t, "camera", h.Kind)
	require.Equal(t, "cam1", h.Name)
	require.Zero(t, h.FPS, "no frames while lost")

	devices.RepairCamera(c)
	frames = append(before, frames...)
	for {
		f := readN(t, c, 1)[0]
		if f.AfterGap == "" {
			frames = append(frames, f)
			continue
		}
		require.Equal(t, "device lost: cam1", f.AfterGap)
		require.True(t, f.Key, "decoding restarts at the gap")
		last := frames[len(frames)-1]
		require.GreaterOrEqual(t, f.UTC.Sub(last.UTC), o.Retry, "the gap shows in the times; no frame covers it")
		break
	}
	for i := 1; i < len(frames); i++ {
		require.Equal(t, time.Second/15, frames[i].UTC.Sub(frames[i-1].UTC), "no gap before the loss")
	}
	readN(t, c, 5)
	h = c.Health()
	require.True(t, h.Open)
	require.Equal(t, 1, h.Losses)
	require.Positive(t, h.FPS)
}

// drainUntilLost reads frames until the device reports itself lost and
// returns them.
func drainUntilLost(t *testing.T, r interface {
	Read(context.Context) (frame.Frame, error)
	Health() devices.Health
}) []frame.Frame {
	t.Helper()
	var frames []frame.Frame
	deadline := time.Now().Add(time.Minute)
	for r.Health().Open {
		require.True(t, time.Now().Before(deadline), "device never reported lost")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		f, err := r.Read(ctx)
		cancel()
		if err == nil {
			require.Empty(t, f.AfterGap)
			frames = append(frames, f)
		}
	}
	return frames
}

func TestCameraConfig(t *testing.T) {
	c := openCamera(t, devices.CameraConfig{Name: "cam-1.a", Device: devices.Synthetic}, devices.Options{})
	require.Equal(t, devices.CameraConfig{
		Name: "cam-1.a", Device: devices.Synthetic, Width: 1280, Height: 720, FPS: 30,
		BitrateKbps: 2500, Codec: frame.H264, KeyframeInterval: 2 * time.Second,
	}, c.Config())

	for _, tc := range []struct {
		name string
		cfg  devices.CameraConfig
	}{
		{"path in name", devices.CameraConfig{Name: "../cam", Device: devices.Synthetic}},
		{"dot name", devices.CameraConfig{Name: "..", Device: devices.Synthetic}},
		{"no device", devices.CameraConfig{Name: "cam"}},
		{"odd width", devices.CameraConfig{Name: "cam", Device: devices.Synthetic, Width: 321, Height: 180}},
		{"fps", devices.CameraConfig{Name: "cam", Device: devices.Synthetic, FPS: 500}},
		{"codec", devices.CameraConfig{Name: "cam", Device: devices.Synthetic, Codec: frame.Opus}},
		{"keyframes", devices.CameraConfig{Name: "cam", Device: devices.Synthetic, KeyframeInterval: time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := devices.OpenCamera(tc.cfg, devices.Options{})
			require.ErrorIs(t, err, devices.ErrInvalid)
		})
	}
	_, err := devices.OpenCamera(devices.CameraConfig{Name: "cam", Device: "/dev/video-none"}, devices.Options{})
	require.ErrorIs(t, err, devices.ErrNotFound)
}

func TestReadAfterClose(t *testing.T) {
	c, err := devices.OpenCamera(smallCamera(frame.VP8), fakeTime(t0))
	require.NoError(t, err)
	readN(t, c, 1)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close is idempotent")
	_, err = c.Read(context.Background())
	require.ErrorIs(t, err, devices.ErrClosed)
}

func TestSyntheticSceneOnTheWorldsClockStampedOnTheRecorders(t *testing.T) {
	// The room's world (the flash, the beep) runs on the fake clock; the
	// recorder's clock reads 5 s more: the same instants, stamped 5 s on.
	const skew = 5 * time.Second
	o := fakeTime(t0)
	world := o.Now
	o.SceneNow, o.Now = world, func() time.Time { return world().Add(skew) }
	c := openCamera(t, smallCamera(frame.H264), o)
	frames := readN(t, c, 30)
	period := time.Second / 15
	for i, f := range frames {
		require.Equal(t, t0.Add(skew).Add(time.Duration(i)*period), f.UTC, "frame %d", i)
	}
	luma := decodeLuma(t, writeVideo(t, frame.H264, 320, 180, frames), 320, 180)
	whites := 0
	for i, y := range luma {
		scene := t0.Add(time.Duration(i) * period)
		first := i > 0 && scene.Unix() != scene.Add(-period).Unix()
		require.Equal(t, first, y > 200, "frame %d (scene %s, luma %.0f): white exactly on the world's whole seconds", i, scene.Format("05.000"), y)
		if first {
			whites++
		}
	}
	require.Equal(t, 2, whites)
	sceneStart := world().Truncate(time.Millisecond) // the synthetic microphone starts on a whole millisecond
	m, err := devices.OpenMicrophone(devices.MicConfig{Name: "mic1", Device: devices.Synthetic}, o)
	require.NoError(t, err)
	defer m.Close()
	pk := readN(t, m, 2)
	require.Equal(t, sceneStart.Add(skew), pk[0].UTC, "the microphone's first packet, stamped on the recorder's clock")
}
