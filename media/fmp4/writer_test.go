package fmp4_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/media/fmp4"
	"github.com/evalroom/evalroom/media/fmp4/fmp4test"
)

var utcStart = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// muxTestFile muxes 3 s of real H.264 (320×180, 15 fps, a keyframe each
// second) and Opus into one fragment per second, and returns the file.
func muxTestFile(t *testing.T) []byte {
	t.Helper()
	aus := fmp4test.H264(t, fmp4test.Video{Width: 320, Height: 180, FPS: 15, Seconds: 3, GOP: 15})
	require.Len(t, aus, 45)
	sps, pps := fmp4.ParameterSets(aus[0])
	require.NotNil(t, sps)
	require.NotNil(t, pps)
	v := clip{track: fmp4.Track{ID: 1, Kind: fmp4.Video, Codec: fmp4.H264, SPS: sps, PPS: pps}}
	for _, au := range aus {
		v.samples = append(v.samples, fmp4.AnnexBToAVCC(nil, au))
		v.sync = append(v.sync, fmp4.IsKeyframe(au))
	}
	return muxFile(t, v)
}

// clip is a video track and its samples in stored form.
type clip struct {
	track   fmp4.Track
	samples [][]byte
	sync    []bool
}

// muxFile muxes 3 s of video at 15 fps and of real Opus into one
// fragment per second, and returns the file.
func muxFile(t *testing.T, v clip) []byte {
	t.Helper()
	require.Len(t, v.samples, 45)
	audio := fmp4test.Opus(t, 3)
	require.NotEmpty(t, audio.Packets)

	var out bytes.Buffer
	w, err := fmp4.NewWriter(&out, v.track,
		fmp4.Track{ID: 2, Kind: fmp4.Audio, Codec: fmp4.Opus, Channels: audio.Head.Channels, PreSkip: audio.Head.PreSkip})
	require.NoError(t, err)
	require.Equal(t, 320, w.Tracks()[0].Width)
	require.Equal(t, 180, w.Tracks()[0].Height)
	_, err = w.WriteHeader(fmp4.Header{UTCStart: utcStart, Tags: map[string]string{"recorder": "rec-1"}})
	require.NoError(t, err)

	const frameTicks = fmp4.VideoTimescale / 15
	audioTime, ai := uint64(0), 0
	for sec := 0; sec < 3; sec++ {
		video := fmp4.Run{TrackID: 1, BaseDecodeTime: uint64(sec * fmp4.VideoTimescale)}
		for i := sec * 15; i < sec*15+15; i++ {
			video.Samples = append(video.Samples, fmp4.Sample{Data: v.samples[i], Duration: frameTicks, Sync: v.sync[i]})
		}
		sound := fmp4.Run{TrackID: 2, BaseDecodeTime: audioTime}
		for ai < len(audio.Packets) && (audioTime < uint64((sec+1)*fmp4.AudioTimescale) || sec == 2) {
			n := fmp4.OpusPacketSamples(audio.Packets[ai])
			require.Positive(t, n)
			sound.Samples = append(sound.Samples, fmp4.Sample{Data: audio.Packets[ai], Duration: uint32(n), Sync: true})
			audioTime += uint64(n)
			ai++
		}
		_, err := w.WriteFragment(fmp4.Fragment{UTC: utcStart.Add(time.Duration(sec) * time.Second), Runs: []fmp4.Run{video, sound}})
		require.NoError(t, err)
	}
	require.Equal(t, uint32(3), w.Sequence())
	return out.Bytes()
}

func TestWriterFFprobe(t *testing.T) {
	data := muxTestFile(t)
	path := filepath.Join(t.TempDir(), "out.mp4")
	require.NoError(t, os.WriteFile(path, data, 0o644))

	p := fmp4test.FFprobe(t, path)
	v, ok := p.Stream("video")
	require.True(t, ok)
	require.Equal(t, "h264", v.CodecName)
	require.Equal(t, 320, v.Width)
	require.Equal(t, 180, v.Height)
	a, ok := p.Stream("audio")
	require.True(t, ok)
	require.Equal(t, "opus", a.CodecName)
	require.Equal(t, "48000", a.SampleRate)
	require.Equal(t, "0.000000", v.StartTime)
	require.Equal(t, "-0.006500", a.StartTime, "the edit list presents the first 312 samples (pre-skip) before zero")
	require.InDelta(t, 3.0, p.Seconds(), 0.1)
	require.Equal(t, "2025-03-14T09:26:53.589Z", p.Format.Tags["date"])
	require.Equal(t, "2025-03-14T09:26:53.000000Z", p.Format.Tags["creation_time"])
	require.Equal(t, "rec-1", p.Format.Tags["recorder"])
	require.NoError(t, fmp4test.Decode(path))
}

func TestScan(t *testing.T) {
	data := muxTestFile(t)
	f, err := fmp4.Scan(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), f.Complete)
	require.True(t, utcStart.Equal(f.UTCStart))
	require.Equal(t, "rec-1", f.Tags["recorder"])
	require.Len(t, f.Fragments, 3)
	for i, fr := range f.Fragments {
		require.Equal(t, uint32(i+1), fr.Sequence)
		require.True(t, fr.UTC.Sub(utcStart.Add(time.Duration(i)*time.Second)).Abs() < time.Microsecond, fr.UTC)
		require.True(t, fr.Runs[0].FirstSync, "fragment %d starts with a keyframe", i)
	}
	require.Len(t, f.Tracks, 2)
	require.Equal(t, fmp4.Video, f.Tracks[0].Kind)
	require.Equal(t, 45, f.Tracks[0].Samples)
	require.Equal(t, 3*time.Second, f.Tracks[0].Duration())
	require.Zero(t, f.Tracks[0].EditMediaTime)
	require.Equal(t, fmp4.Audio, f.Tracks[1].Kind)
	require.Equal(t, int64(312), f.Tracks[1].EditMediaTime, "the Opus pre-skip")
	require.InDelta(t, 3.0, f.Duration().Seconds(), 0.05)
}

// TestTruncatedFile cuts the file inside its last fragment, as kill -9
// during a write would. ffprobe still reads it with at least the first
// two fragments; Scan finds the end of the second one, and the file
// truncated there reads as exactly two seconds and decodes without error.
func TestTruncatedFile(t *testing.T) {
	data := muxTestFile(t)
	f, err := fmp4.Scan(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	last := f.Fragments[2]
	const prftSize = 32
	moofEnd := last.Offset + prftSize + int64(binary.BigEndian.Uint32(data[last.Offset+prftSize:]))
	for _, tc := range []struct {
		name string
		cut  int64
		// minSeconds is what ffprobe must report at least: a cut inside the
		// moof hides the fragment, a cut in the mdat leaves its table.
		minSeconds, maxSeconds float64
	}{
		{"inside the prft", last.Offset + 10, 1.9, 2.1},
		{"inside the moof", last.Offset + 100, 1.9, 2.1},
		{"inside the mdat", (moofEnd + last.End) / 2, 1.9, 3.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cut := data[:tc.cut]
			dir := t.TempDir()
			path := filepath.Join(dir, "cut.mp4")
			require.NoError(t, os.WriteFile(path, cut, 0o644))

			p := fmp4test.FFprobe(t, path)
			t.Logf("ffprobe duration of the cut file: %s s", p.Format.Duration)
			require.GreaterOrEqual(t, p.Seconds(), tc.minSeconds)
			require.LessOrEqual(t, p.Seconds(), tc.maxSeconds)

			g, err := fmp4.Scan(bytes.NewReader(cut), int64(len(cut)))
			require.NoError(t, err)
			require.Len(t, g.Fragments, 2)
			require.Equal(t, last.Offset, g.Complete)
			require.Equal(t, 2*time.Second, g.Tracks[0].Duration())

			fixed := writeTruncated(t, dir, cut, g.Complete)
			require.InDelta(t, 2.0, fmp4test.FFprobe(t, fixed).Seconds(), 0.05)
			require.NoError(t, fmp4test.Decode(fixed))
		})
	}
}

func writeTruncated(t *testing.T, dir string, data []byte, n int64) string {
	path := filepath.Join(dir, "truncated.mp4")
	require.NoError(t, os.WriteFile(path, data[:n], 0o644))
	return path
}

func TestScanHeaderCut(t *testing.T) {
	data := muxTestFile(t)
	f, err := fmp4.Scan(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	for _, n := range []int64{0, 7, 30, f.HeaderEnd - 1} {
		_, err := fmp4.Scan(bytes.NewReader(data[:n]), n)
		require.ErrorIs(t, err, fmp4.ErrTruncated, "cut at %d", n)
	}
	g, err := fmp4.Scan(bytes.NewReader(data[:f.HeaderEnd]), f.HeaderEnd)
	require.NoError(t, err)
	require.Empty(t, g.Fragments)
	require.Equal(t, f.HeaderEnd, g.Complete)
}

func TestPrftStart(t *testing.T) {
	data := muxTestFile(t)
	f, err := fmp4.Scan(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	start, ok := f.PrftStart()
	require.True(t, ok)
	require.Less(t, start.Sub(utcStart).Abs(), 2*time.Nanosecond)
	require.Equal(t, uint32(1), f.Fragments[1].RefTrackID)
	require.Equal(t, uint64(fmp4.VideoTimescale), f.Fragments[1].RefMediaTime)
}

func TestPatchDuration(t *testing.T) {
	data := muxTestFile(t)
	f, err := fmp4.Scan(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Len(t, f.DurationFields, 2+2*2, "mvhd, mehd, and tkhd and mdhd of both tracks")
	path := filepath.Join(t.TempDir(), "d.mp4")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	file, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	require.NoError(t, fmp4.PatchDuration(file, f.DurationFields, 3*time.Second))
	require.NoError(t, file.Close())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, d := range f.DurationFields {
		require.Equal(t, 3*uint64(d.Timescale), binary.BigEndian.Uint64(got[d.Offset:]), "field at %d", d.Offset)
	}
	require.InDelta(t, 3.0, fmp4test.FFprobe(t, path).Seconds(), 0.05)
	require.NoError(t, fmp4test.Decode(path))
	require.ErrorIs(t, fmp4.PatchDuration(file, nil, time.Second), fmp4.ErrInvalidSample)

	// Each track its own duration, the movie the longest.
	file, err = os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	ends := map[uint32]time.Duration{1: 3 * time.Second, 2: 3020 * time.Millisecond}
	require.NoError(t, fmp4.PatchDurations(file, f.DurationFields, 3020*time.Millisecond, ends))
	require.NoError(t, file.Close())
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	for _, d := range f.DurationFields {
		want := 3020 * time.Millisecond
		if d.TrackID == 1 {
			want = 3 * time.Second
		}
		ticks := binary.BigEndian.Uint64(got[d.Offset:])
		require.Equal(t, uint64(want.Seconds()*float64(d.Timescale)+0.5), ticks, "field at %d of track %d", d.Offset, d.TrackID)
	}
	p := fmp4test.FFprobe(t, path)
	v, _ := p.Stream("video")
	require.Equal(t, "3.000000", v.Duration)
}
