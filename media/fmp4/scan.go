package fmp4

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/evalroom/evalroom/media/clock"
)

// File is what Scan learns about a fragmented MP4 file.
type File struct {
	// Size is the number of bytes scanned.
	Size int64
	// HeaderEnd is the offset just after the moov box.
	HeaderEnd int64
	// Complete is the offset just after the last complete fragment (or
	// HeaderEnd when there is none): truncating the file there leaves a
	// valid file.
	Complete int64
	// DurationFields are the header's 64-bit duration fields (version 1
	// mvhd, mehd, tkhd, mdhd), for PatchDuration.
	DurationFields []DurationField
	// UTCStart is read from the ©day item (zero if absent or unparsable).
	UTCStart time.Time
	// Tags are the free-form items with mean TagMean.
	Tags map[string]string
	// Tracks are the tracks of the moov box.
	Tracks []TrackInfo
	// Fragments are the complete fragments in file order.
	Fragments []FragmentInfo
}

// TrackInfo describes a track found by Scan.
type TrackInfo struct {
	// ID is the track_ID.
	ID uint32
	// Kind is Video or Audio (0 for other handlers).
	Kind Kind
	// Codec is named by the first sample entry (0 for one the package
	// does not write).
	Codec Codec
	// Timescale is the media timescale.
	Timescale uint32
	// EditMediaTime is the media time (in Timescale) that the track's
	// edit list presents at time zero: an Opus track's pre-skip, 0 for a
	// track without an edit list. Presentation time = decode time -
	// EditMediaTime.
	EditMediaTime int64
	// Samples is the number of samples in the complete fragments.
	Samples int
	// End is the decode time just after the track's last sample, in the
	// track's timescale.
	End uint64
}

// Duration returns End as a duration.
func (t TrackInfo) Duration() time.Duration {
	if t.Timescale == 0 {
		return 0
	}
	return time.Duration(float64(t.End) / float64(t.Timescale) * float64(time.Second))
}

// FragmentInfo describes a complete fragment found by Scan.
type FragmentInfo struct {
	// Offset is where the fragment starts (its prft, or its moof).
	Offset int64
	// End is the offset just after its mdat.
	End int64
	// Sequence is mfhd's sequence_number.
	Sequence uint32
	// UTC is the prft time (zero without prft): the time of the sample of
	// track RefTrackID at decode time RefMediaTime.
	UTC time.Time
	// RefTrackID and RefMediaTime are prft's reference_track_ID and
	// media_time.
	RefTrackID   uint32
	RefMediaTime uint64
	// Runs are the fragment's track runs.
	Runs []RunInfo
}

// RunInfo describes one traf of a fragment.
type RunInfo struct {
	// TrackID names the track.
	TrackID uint32
	// BaseDecodeTime is tfdt's baseMediaDecodeTime.
	BaseDecodeTime uint64
	// Samples is trun's sample_count.
	Samples int
	// Duration is the sum of the sample durations.
	Duration uint64
	// FirstSync reports whether the first sample is a sync sample.
	FirstSync bool
}

// Duration returns the longest track duration.
func (f *File) Duration() time.Duration {
	var d time.Duration
	for _, t := range f.Tracks {
		if t.Duration() > d {
			d = t.Duration()
		}
	}
	return d
}

// PrftStart returns the UTC of decode time zero according to the first
// fragment's prft box, at the nanosecond (the ©day item has
// milliseconds only). ok is false without such a box.
func (f *File) PrftStart() (t time.Time, ok bool) {
	if len(f.Fragments) == 0 || f.Fragments[0].UTC.IsZero() {
		return time.Time{}, false
	}
	fr := f.Fragments[0]
	for _, tr := range f.Tracks {
		if tr.ID == fr.RefTrackID && tr.Timescale > 0 {
			off := time.Duration(float64(fr.RefMediaTime) / float64(tr.Timescale) * float64(time.Second))
			return fr.UTC.Add(-off), true
		}
	}
	return time.Time{}, false
}

// maxBox bounds the boxes Scan reads into memory (moov and moof).
const maxBox = 64 << 20

// Scan reads the top-level boxes of a fragmented MP4 file of the given
// size: the header, then every complete fragment. A fragment cut short
// (or any trailing partial box) ends the scan without error; File.Complete
// tells where the readable part ends. Scan returns ErrTruncated when the
// header itself is incomplete and ErrMalformed for boxes it cannot parse.
func Scan(r io.ReaderAt, size int64) (*File, error) {
	f := &File{Size: size, Tags: map[string]string{}}
	byID := map[uint32]*TrackInfo{}
	var pending *FragmentInfo // a prft or moof waiting for its mdat
	off := int64(0)
	for off < size {
		typ, boxSize, hdr, err := readBoxHeader(r, off, size)
		if err != nil {
			return nil, err
		}
		end := off + boxSize
		if boxSize == 0 || end > size {
			break // partial box: the readable file ends before it
		}
		switch typ {
		case "moov":
			body, err := readBody(r, off+hdr, boxSize-hdr)
			if err != nil {
				return nil, err
			}
			if err := f.parseMoov(body); err != nil {
				return nil, err
			}
			for i := range f.Tracks {
				byID[f.Tracks[i].ID] = &f.Tracks[i]
			}
			f.HeaderEnd, f.Complete = end, end
			f.DurationFields = durationFields(body, off+hdr)
		case "prft":
			body, err := readBody(r, off+hdr, boxSize-hdr)
			if err != nil {
				return nil, err
			}
			pending = &FragmentInfo{Offset: off}
			if len(body) >= 24 && body[0] == 1 {
				pending.RefTrackID = binary.BigEndian.Uint32(body[4:])
				pending.UTC = clock.FromNTP(binary.BigEndian.Uint64(body[8:]))
				pending.RefMediaTime = binary.BigEndian.Uint64(body[16:])
			}
		case "moof":
			if f.HeaderEnd == 0 {
				return nil, fmt.Errorf("%w: moof before moov", ErrMalformed)
			}
			body, err := readBody(r, off+hdr, boxSize-hdr)
			if err != nil {
				return nil, err
			}
			if pending == nil || len(pending.Runs) > 0 {
				pending = &FragmentInfo{Offset: off}
			}
			if err := pending.parseMoof(body); err != nil {
				return nil, err
			}
		case "mdat":
			if pending != nil && len(pending.Runs) > 0 {
				pending.End = end
				f.Fragments = append(f.Fragments, *pending)
				for _, run := range pending.Runs {
					if t := byID[run.TrackID]; t != nil {
						t.Samples += run.Samples
						if e := run.BaseDecodeTime + run.Duration; e > t.End {
							t.End = e
						}
					}
				}
				f.Complete = end
			}
			pending = nil
		}
		off = end
	}
	if f.HeaderEnd == 0 {
		return nil, ErrTruncated
	}
	return f, nil
}

// readBoxHeader reads a box header at off; boxSize 0 means the header
// itself is cut off.
func readBoxHeader(r io.ReaderAt, off, size int64) (typ string, boxSize, hdr int64, err error) {
	if size-off < 8 {
		return "", 0, 0, nil
	}
	var h [16]byte
	if _, err := r.ReadAt(h[:8], off); err != nil {
		return "", 0, 0, fmt.Errorf("fmp4: read box at %d: %w", off, err)
	}
	boxSize, hdr, typ = int64(binary.BigEndian.Uint32(h[:])), 8, string(h[4:8])
	switch boxSize {
	case 0: // to the end of the file
		boxSize = size - off
	case 1:
		if size-off < 16 {
			return typ, 0, 0, nil
		}
		if _, err := r.ReadAt(h[8:16], off+8); err != nil {
			return "", 0, 0, fmt.Errorf("fmp4: read box at %d: %w", off, err)
		}
		boxSize, hdr = int64(binary.BigEndian.Uint64(h[8:])), 16
	}
	if boxSize < hdr {
		return "", 0, 0, fmt.Errorf("%w: %q at %d has size %d", ErrMalformed, typ, off, boxSize)
	}
	return typ, boxSize, hdr, nil
}

func readBody(r io.ReaderAt, off, n int64) ([]byte, error) {
	if n > maxBox {
		return nil, fmt.Errorf("%w: box of %d bytes at %d", ErrMalformed, n, off)
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("fmp4: read at %d: %w", off, err)
	}
	return b, nil
}

// eachChild calls fn for each child box in b.
func eachChild(b []byte, fn func(typ string, body []byte) error) error {
	for len(b) >= 8 {
		n := int(binary.BigEndian.Uint32(b))
		if n < 8 || n > len(b) {
			return fmt.Errorf("%w: child %q of size %d in %d bytes", ErrMalformed, b[4:8], n, len(b))
		}
		if err := fn(string(b[4:8]), b[8:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// findPath returns the body of the first box along path under b.
func findPath(b []byte, path ...string) []byte {
	for _, want := range path {
		var found []byte
		_ = eachChild(b, func(typ string, body []byte) error {
			if found == nil && typ == want {
				found = body
			}
			return nil
		})
		if found == nil {
			return nil
		}
		b = found
		if want == "meta" && len(b) >= 8 && string(b[4:8]) != "hdlr" {
			b = b[4:] // ISO meta is a full box; QuickTime's is not
		}
	}
	return b
}

// durationFields finds the version 1 mvhd, mehd, tkhd and mdhd boxes of
// a moov body that starts at file offset moovAt and returns their
// duration fields.
func durationFields(moov []byte, moovAt int64) []DurationField {
	// Sub-slices share moov's array and end: cap differences are offsets.
	at := func(body []byte, field int) int64 { return moovAt + int64(cap(moov)-cap(body)) + int64(field) }
	var out []DurationField
	if mvhd := findPath(moov, "mvhd"); len(mvhd) >= 32 && mvhd[0] == 1 {
		out = append(out, DurationField{Offset: at(mvhd, 24), Timescale: binary.BigEndian.Uint32(mvhd[20:])})
	}
	if mehd := findPath(moov, "mvex", "mehd"); len(mehd) >= 12 && mehd[0] == 1 && len(out) == 1 {
		out = append(out, DurationField{Offset: at(mehd, 4), Timescale: out[0].Timescale})
	}
	_ = eachChild(moov, func(typ string, trak []byte) error {
		if typ != "trak" || len(out) == 0 {
			return nil
		}
		tkhd := findPath(trak, "tkhd")
		if len(tkhd) < 36 || tkhd[0] != 1 {
			return nil
		}
		id := binary.BigEndian.Uint32(tkhd[20:])
		out = append(out, DurationField{Offset: at(tkhd, 28), Timescale: out[0].Timescale, TrackID: id})
		if mdhd := findPath(trak, "mdia", "mdhd"); len(mdhd) >= 32 && mdhd[0] == 1 {
			out = append(out, DurationField{Offset: at(mdhd, 24), Timescale: binary.BigEndian.Uint32(mdhd[20:]), TrackID: id})
		}
		return nil
	})
	return out
}
