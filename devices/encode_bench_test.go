package devices_test

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/devices"
	"github.com/evalroom/evalroom/devices/synthetic"
	"github.com/evalroom/evalroom/media/frame"
)

// BenchmarkEncode measures the encoder alone on pre-rendered synthetic
// frames (one second of them, one white) at the sizes a room uses, with
// a keyframe every 2 s. "clock" is the synthetic picture as tests see it
// (a still background: easy); "noisy" adds sensor-like noise (±6 luma
// on every pixel, new each frame), closer to a real camera's cost. It reports wall and process CPU time per frame,
// the share of one core that 30 fps would take, and the bitrate at
// 30 fps. libvpx paces its rate control by the wall time between frames,
// so its bitrate here (frames fed as fast as it codes them) is not what
// it makes live.
func BenchmarkEncode(b *testing.B) {
	for _, codec := range []struct {
		name  string
		codec frame.Codec
	}{{"x264", frame.H264}, {"vp8", frame.VP8}} {
		for _, size := range [][2]int{{1280, 720}, {1920, 1080}} {
			for _, noisy := range []bool{false, true} {
				content := map[bool]string{false: "clock", true: "noisy"}[noisy]
				b.Run(fmt.Sprintf("%s/%dx%d/%s", codec.name, size[0], size[1], content), func(b *testing.B) {
					benchmarkEncode(b, codec.codec, size[0], size[1], noisy)
				})
			}
		}
	}
}

func benchmarkEncode(b *testing.B, codec frame.Codec, w, h int, noisy bool) {
	const fps = 30
	pics := renderSecond(b, w, h, fps, noisy)
	encode, closeFn, err := devices.NewVideoEncoder(devices.CameraConfig{
		Name: "bench", Device: devices.Synthetic, Width: w, Height: h, FPS: fps, Codec: codec,
	})
	require.NoError(b, err)
	defer closeFn()
	var bytes int
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := encode(pics[i%fps], time.Unix(0, 0).Add(time.Duration(i)*time.Second/fps), i%(2*fps) == 0)
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(f.Data)
	}
	b.StopTimer()
	cpu := float64(cpuTime()-cpu0) / float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
	b.ReportMetric(cpu, "cpu-ns/frame")
	b.ReportMetric(cpu*fps/1e9*100, "%core@30fps")
	b.ReportMetric(float64(bytes)*8*fps/float64(b.N)/1000, "kbit/s@30fps")
}

// renderSecond renders one second of synthetic frames starting on a
// whole second (the first is white), with noise if asked.
func renderSecond(b *testing.B, w, h, fps int, noisy bool) []*image.YCbCr {
	rng := rand.New(rand.NewPCG(1, 2))
	clock := time.Date(2026, 11, 22, 9, 30, 15, 0, time.UTC)
	v, err := synthetic.NewVideo(synthetic.VideoParams{
		Width: w, Height: h, FPS: fps, Label: "1",
		Now:   func() time.Time { return clock },
		Sleep: func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil },
	})
	require.NoError(b, err)
	pics := make([]*image.YCbCr, fps)
	for i := range pics {
		f, err := v.Read(context.Background())
		require.NoError(b, err)
		c := *f.Image
		c.Y, c.Cb, c.Cr = append([]byte(nil), c.Y...), append([]byte(nil), c.Cb...), append([]byte(nil), c.Cr...)
		if noisy {
			for _, plane := range [][]byte{c.Y, c.Cb, c.Cr} {
				for j, v := range plane {
					plane[j] = byte(min(255, max(0, int(v)+rng.IntN(13)-6)))
				}
			}
		}
		pics[i] = &c
	}
	return pics
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
