package segment_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/recorder/segment"
)

// A 1280×720 High-profile SPS and its PPS, as libx264 (veryfast) writes
// them.
var (
	sps720, _ = hex.DecodeString("6764001facb402802dd80880000003008000001e078c1950")
	pps720, _ = hex.DecodeString("68ef0fcb")
)

// BenchmarkArchive720p measures the archive path per 720p camera without
// the encoder: Annex-B frames of 10 KB at 30 fps (a 2.4 Mbit/s stream, a
// keyframe every 2 s) through the segment writer and fmp4 into files in a
// temporary folder, 10 s segments, 1 s fragments. It reports the
// process's CPU time (user + system, from getrusage) per frame and as a
// share of one core at 30 fps, and the bytes on disk per media byte.
//
//	go test -run '^$' -bench Archive720p -benchtime 9000x ./recorder/segment
func BenchmarkArchive720p(b *testing.B) {
	for _, tc := range []struct {
		name  string
		fsync segment.FsyncPolicy
	}{
		{"fsync=fragment", segment.FsyncFragment},
		{"fsync=never", segment.FsyncNever},
	} {
		b.Run(tc.name, func(b *testing.B) { benchArchive(b, tc.fsync) })
	}
}

func benchArchive(b *testing.B, fsync segment.FsyncPolicy) {
	key := frame(10_000, fmp4.NALIDR, true)
	delta := frame(10_000, fmp4.NALSlice, false)
	dir := b.TempDir()
	w, err := segment.NewWriter(segment.Params{Dir: dir, Recorder: "bench",
		Tracks: []fmp4.Track{{ID: 1, Kind: fmp4.Video, Codec: fmp4.H264}}, Fsync: fsync})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(delta)))
	b.ReportAllocs()
	media := int64(0)
	before := cpuTime(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data := delta
		if i%60 == 0 {
			data = key
		}
		media += int64(len(data))
		utc := start.Add(time.Duration(i) * time.Second / 30)
		if err := w.WriteFrame(1, segment.Frame{UTC: utc, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu := cpuTime(b) - before
	perFrame := float64(cpu) / float64(b.N)
	b.ReportMetric(perFrame, "cpu-ns/frame")
	b.ReportMetric(perFrame*30/1e9*100, "%core@30fps")
	b.ReportMetric(float64(dirSize(b, dir))/float64(media), "disk-bytes/media-byte")
}

func dirSize(b *testing.B, dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	total := int64(0)
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			b.Fatal(err)
		}
		total += info.Size()
	}
	return total
}

// frame builds an Annex-B access unit of about size bytes: SPS and PPS
// before a keyframe, then one slice NAL of filler.
func frame(size int, nalType int, withParams bool) []byte {
	var out []byte
	if withParams {
		out = append(out, 0, 0, 0, 1)
		out = append(out, sps720...)
		out = append(out, 0, 0, 0, 1)
		out = append(out, pps720...)
	}
	out = append(out, 0, 0, 0, 1, byte(0x60|nalType), 0x88)
	for len(out) < size {
		out = append(out, byte(len(out)%251)|0x10)
	}
	return out
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(fmt.Errorf("getrusage: %w", err))
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
