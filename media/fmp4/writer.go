package fmp4

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/evalroom/evalroom/media/clock"
)

// Sample is one coded frame of a track.
type Sample struct {
	// Data is the sample in its stored form: AVCC for H.264 (see
	// AnnexBToAVCC), one Opus packet for Opus.
	Data []byte
	// Duration is the sample's duration in the track's timescale.
	Duration uint32
	// Sync marks a sample a decoder can start from (an H.264 IDR picture;
	// every Opus packet).
	Sync bool
	// CompositionOffset is presentation minus decode time, in the track's
	// timescale; zero for streams without B-frames.
	CompositionOffset int32
}

// Run is the part of a fragment that belongs to one track.
type Run struct {
	// TrackID names the track.
	TrackID uint32
	// BaseDecodeTime is the decode time of the first sample, in the
	// track's timescale, counted from the file's decode time zero.
	BaseDecodeTime uint64
	// Samples are the track's samples in decode order.
	Samples []Sample
}

// Fragment is one moof + mdat.
type Fragment struct {
	// UTC is the absolute time of the first sample of the first run; it
	// goes into the fragment's prft box. The zero time writes no prft.
	UTC time.Time
	// Runs hold the samples, at most one run per track.
	Runs []Run
}

// Writer writes a fragmented MP4 file: WriteHeader once, then
// WriteFragment for each fragment. Each call makes exactly one Write on
// the underlying writer, so a file is always a header followed by whole
// fragments and at most one partial one. A Writer is not safe for
// concurrent use.
type Writer struct {
	w         io.Writer
	tracks    []Track
	byID      map[uint32]*Track
	seq       uint32
	header    bool
	buf       builder
	dataOffs  []int
	durations []DurationField
}

// NewWriter checks the tracks and returns a Writer on w. H.264 tracks
// need SPS and PPS; their size is parsed from the SPS when not given.
func NewWriter(w io.Writer, tracks ...Track) (*Writer, error) {
	if len(tracks) == 0 {
		return nil, fmt.Errorf("%w: no tracks", ErrInvalidTrack)
	}
	fw := &Writer{w: w, tracks: make([]Track, len(tracks)), byID: map[uint32]*Track{}}
	copy(fw.tracks, tracks)
	for i := range fw.tracks {
		t := &fw.tracks[i]
		if err := t.normalize(); err != nil {
			return nil, err
		}
		if fw.byID[t.ID] != nil {
			return nil, fmt.Errorf("%w: track ID %d repeated", ErrInvalidTrack, t.ID)
		}
		fw.byID[t.ID] = t
	}
	return fw, nil
}

// Tracks returns the tracks with their defaults filled in.
func (w *Writer) Tracks() []Track {
	out := make([]Track, len(w.tracks))
	copy(out, w.tracks)
	return out
}

// Sequence returns the sequence number of the last fragment written.
func (w *Writer) Sequence() uint32 { return w.seq }

// WriteHeader writes ftyp and moov. It returns the number of bytes
// written. WriteFragment writes a header with no metadata if none was
// written.
func (w *Writer) WriteHeader(h Header) (int, error) {
	if w.header {
		return 0, fmt.Errorf("%w: header already written", ErrInvalidSample)
	}
	w.buf.b = w.buf.b[:0]
	w.durations = writeInit(&w.buf, w.tracks, h)
	w.header = true
	n, err := w.w.Write(w.buf.b)
	if err != nil {
		return n, fmt.Errorf("fmp4: write header: %w", err)
	}
	return n, nil
}

// WriteFragment writes one fragment (prft, moof, mdat) with a single
// Write and returns the number of bytes written.
func (w *Writer) WriteFragment(f Fragment) (int, error) {
	if err := w.check(f); err != nil {
		return 0, err
	}
	if !w.header {
		if _, err := w.WriteHeader(Header{}); err != nil {
			return 0, err
		}
	}
	w.seq++
	b := &w.buf
	b.b = b.b[:0]
	if !f.UTC.IsZero() {
		prft := b.startFull("prft", 1, 24) // 24: time of the depicted instant
		b.u32(f.Runs[0].TrackID)
		b.u64(clock.ToNTP(f.UTC))
		b.u64(f.Runs[0].BaseDecodeTime)
		b.end(prft)
	}
	moofAt := len(b.b)
	moof := b.start("moof")
	mfhd := b.startFull("mfhd", 0, 0)
	b.u32(w.seq)
	b.end(mfhd)
	w.dataOffs = w.dataOffs[:0]
	for _, r := range f.Runs {
		w.dataOffs = append(w.dataOffs, writeTraf(b, r))
	}
	b.end(moof)
	moofSize := len(b.b) - moofAt
	offset := moofSize + 8
	total := 8
	for i, r := range f.Runs {
		putU32(b.b[w.dataOffs[i]:], uint32(offset))
		for _, s := range r.Samples {
			offset += len(s.Data)
			total += len(s.Data)
		}
	}
	b.u32(uint32(total))
	b.str("mdat")
	for _, r := range f.Runs {
		for _, s := range r.Samples {
			b.bytes(s.Data)
		}
	}
	n, err := w.w.Write(b.b)
	if err != nil {
		return n, fmt.Errorf("fmp4: write fragment %d: %w", w.seq, err)
	}
	return n, nil
}

func (w *Writer) check(f Fragment) error {
	if len(f.Runs) == 0 {
		return fmt.Errorf("%w: fragment without runs", ErrInvalidSample)
	}
	seen := map[uint32]bool{}
	size := 0
	for _, r := range f.Runs {
		if w.byID[r.TrackID] == nil || seen[r.TrackID] {
			return fmt.Errorf("%w: track %d unknown or repeated", ErrInvalidSample, r.TrackID)
		}
		seen[r.TrackID] = true
		if len(r.Samples) == 0 {
			return fmt.Errorf("%w: track %d: empty run", ErrInvalidSample, r.TrackID)
		}
		for _, s := range r.Samples {
			size += len(s.Data)
		}
	}
	if size > 1<<31 {
		return fmt.Errorf("%w: fragment of %d bytes", ErrInvalidSample, size)
	}
	return nil
}

// Sample flags (ISO/IEC 14496-12 8.8.3.1).
const (
	flagsSync    = 0x02000000 // sample_depends_on = 2 (independent)
	flagsNonSync = 0x01010000 // depends on others, is_non_sync_sample
)

// writeTraf appends one traf and returns the offset of its trun's
// data_offset field, patched once the moof size is known.
func writeTraf(b *builder, r Run) int {
	traf := b.start("traf")
	tfhd := b.startFull("tfhd", 0, 0x020000) // default-base-is-moof
	b.u32(r.TrackID)
	b.end(tfhd)
	tfdt := b.startFull("tfdt", 1, 0)
	b.u64(r.BaseDecodeTime)
	b.end(tfdt)
	// data-offset, duration, size, flags, composition offset; version 1
	// makes the offsets signed.
	trun := b.startFull("trun", 1, 0x000001|0x000100|0x000200|0x000400|0x000800)
	b.u32(uint32(len(r.Samples)))
	at := len(b.b)
	b.u32(0)
	for _, s := range r.Samples {
		b.u32(s.Duration)
		b.u32(uint32(len(s.Data)))
		if s.Sync {
			b.u32(flagsSync)
		} else {
			b.u32(flagsNonSync)
		}
		b.u32(uint32(s.CompositionOffset))
	}
	b.end(trun)
	b.end(traf)
	return at
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// TakeBuffer lets w reuse the scratch buffer of from, a Writer of a
// finished file, so that writing a series of files does not grow a new
// buffer for each. from must not be used afterwards.
func (w *Writer) TakeBuffer(from *Writer) {
	if from != nil && from != w {
		w.buf.b, from.buf.b = from.buf.b[:0], nil
	}
}

// DurationField is a 64-bit duration field of the header (mvhd, mehd,
// tkhd, mdhd) and the timescale it counts in.
type DurationField struct {
	// Offset is the field's offset in the file.
	Offset int64
	// Timescale is the field's ticks per second.
	Timescale uint32
	// TrackID is the track of a tkhd or mdhd field, 0 for mvhd and mehd.
	TrackID uint32
}

// DurationFields returns the header's duration fields, for
// PatchDuration (the header is assumed to start the file).
func (w *Writer) DurationFields() []DurationField { return w.durations }

// PatchDuration writes a finished file's duration into the duration
// fields of its header (Writer.DurationFields or File.DurationFields):
// mvhd, mehd, and every tkhd and mdhd. They stay 0 while the file grows;
// players that do not scan every fragment (Chromium) take the duration
// from there, and a file left with 0 (a crash before the patch, before
// Recover) is still read by scanning.
func PatchDuration(wa io.WriterAt, fields []DurationField, d time.Duration) error {
	return PatchDurations(wa, fields, d, nil)
}

// PatchDurations is PatchDuration with each track's own duration: the
// tkhd and mdhd fields of a track in tracks get its duration, the others
// (and mvhd and mehd) get movie, the file's longest.
func PatchDurations(wa io.WriterAt, fields []DurationField, movie time.Duration, tracks map[uint32]time.Duration) error {
	if len(fields) == 0 {
		return fmt.Errorf("%w: no duration fields", ErrInvalidSample)
	}
	var b [8]byte
	for _, f := range fields {
		d, ok := tracks[f.TrackID]
		if f.TrackID == 0 || !ok {
			d = movie
		}
		ticks := uint64(math.Round(d.Seconds() * float64(f.Timescale)))
		binary.BigEndian.PutUint64(b[:], ticks)
		if _, err := wa.WriteAt(b[:], f.Offset); err != nil {
			return fmt.Errorf("fmp4: patch duration: %w", err)
		}
	}
	return nil
}
