package fmp4

import (
	"sort"
	"time"
)

// Header is the file-level metadata written into the moov box.
type Header struct {
	// UTCStart is the absolute UTC instant of decode time zero. It is
	// written as mvhd/tkhd/mdhd creation_time (whole seconds) and as the
	// ©day metadata item (RFC 3339 with milliseconds).
	UTCStart time.Time
	// Tags are free-form metadata items written as "----" items with the
	// mean "com.evalroom" (ffprobe shows each under its key). Keys and
	// values are UTF-8.
	Tags map[string]string
}

// TagMean is the reverse-DNS "mean" of the free-form metadata items the
// writer adds.
const TagMean = "com.evalroom"

// DayLayout is the layout of the ©day item: UTC with milliseconds.
const DayLayout = "2006-01-02T15:04:05.000Z"

// movieTimescale is the timescale of mvhd, tkhd and mehd durations.
const movieTimescale = 1000

// mp4Epoch is the origin of ISO BMFF times: 1904-01-01T00:00:00Z.
var mp4Epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)

func mp4Time(t time.Time) uint64 {
	if t.IsZero() || t.Before(mp4Epoch) {
		return 0
	}
	return uint64(t.Unix() - mp4Epoch.Unix()) // whole seconds
}

// writeInit appends ftyp and moov and returns the offset of mehd's
// fragment_duration field.
func writeInit(b *builder, tracks []Track, h Header) []DurationField {
	var fields []DurationField
	field := func(scale uint32, track uint32) {
		fields = append(fields, DurationField{Offset: int64(len(b.b)), Timescale: scale, TrackID: track})
		b.u64(0)
	}
	ftyp := b.start("ftyp")
	b.str("iso6")
	b.u32(0) // minor_version
	for _, brand := range []string{"iso6", "isom", "mp41", "avc1", "dash"} {
		if brand == "avc1" && !hasCodec(tracks, H264) {
			continue
		}
		b.str(brand)
	}
	b.end(ftyp)

	ct := mp4Time(h.UTCStart)
	moov := b.start("moov")
	mvhd := b.startFull("mvhd", 1, 0)
	b.u64(ct)
	b.u64(ct)
	b.u32(movieTimescale)
	field(movieTimescale, 0) // duration: 0 until PatchDuration
	b.u32(0x00010000)
	b.u16(0x0100)
	b.zeros(10)
	b.matrix()
	b.zeros(24)
	next := uint32(1)
	for _, t := range tracks {
		if t.ID >= next {
			next = t.ID + 1
		}
	}
	b.u32(next)
	b.end(mvhd)
	for i := range tracks {
		writeTrak(b, &tracks[i], ct, field)
	}
	mvex := b.start("mvex")
	// mehd: the whole file's duration, unknown (0) until PatchDuration.
	mehd := b.startFull("mehd", 1, 0)
	field(movieTimescale, 0)
	b.end(mehd)
	for _, t := range tracks {
		trex := b.startFull("trex", 0, 0)
		b.u32(t.ID)
		b.u32(1) // default_sample_description_index
		b.u32(0)
		b.u32(0)
		b.u32(0)
		b.end(trex)
	}
	b.end(mvex)
	writeUdta(b, h)
	b.end(moov)
	return fields
}

// writeUdta appends udta/meta/ilst with ©day and the free-form tags.
func writeUdta(b *builder, h Header) {
	if h.UTCStart.IsZero() && len(h.Tags) == 0 {
		return
	}
	udta := b.start("udta")
	meta := b.startFull("meta", 0, 0)
	hdlr := b.startFull("hdlr", 0, 0)
	b.u32(0)
	b.str("mdir")
	b.str("appl")
	b.zeros(8)
	b.u8(0)
	b.end(hdlr)
	ilst := b.start("ilst")
	if !h.UTCStart.IsZero() {
		item := b.start("\xa9day")
		writeData(b, h.UTCStart.UTC().Format(DayLayout))
		b.end(item)
	}
	keys := make([]string, 0, len(h.Tags))
	for k := range h.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		item := b.start("----")
		mean := b.startFull("mean", 0, 0)
		b.str(TagMean)
		b.end(mean)
		name := b.startFull("name", 0, 0)
		b.str(k)
		b.end(name)
		writeData(b, h.Tags[k])
		b.end(item)
	}
	b.end(ilst)
	b.end(meta)
	b.end(udta)
}

// writeData appends an iTunes-style data box holding UTF-8 text.
func writeData(b *builder, s string) {
	data := b.start("data")
	b.u32(1) // type: UTF-8
	b.u32(0) // locale
	b.str(s)
	b.end(data)
}

func writeTrak(b *builder, t *Track, ct uint64, field func(scale, track uint32)) {
	trak := b.start("trak")
	tkhd := b.startFull("tkhd", 1, 3) // enabled, in movie
	b.u64(ct)
	b.u64(ct)
	b.u32(t.ID)
	b.u32(0)
	field(movieTimescale, t.ID) // tkhd duration
	b.zeros(8)
	b.u16(0) // layer
	if t.Kind == Audio {
		b.u16(1) // alternate_group
		b.u16(0x0100)
	} else {
		b.u16(0)
		b.u16(0)
	}
	b.u16(0)
	b.matrix()
	b.u32(uint32(t.Width) << 16)
	b.u32(uint32(t.Height) << 16)
	b.end(tkhd)
	writeEdts(b, t)

	mdia := b.start("mdia")
	mdhd := b.startFull("mdhd", 1, 0)
	b.u64(ct)
	b.u64(ct)
	b.u32(t.Timescale)
	field(t.Timescale, t.ID) // mdhd duration
	b.u16(0x55c4)            // language "und"
	b.u16(0)
	b.end(mdhd)
	hdlr := b.startFull("hdlr", 0, 0)
	b.u32(0)
	if t.Kind == Video {
		b.str("vide")
	} else {
		b.str("soun")
	}
	b.zeros(12)
	if t.Kind == Video {
		b.str("VideoHandler\x00")
	} else {
		b.str("SoundHandler\x00")
	}
	b.end(hdlr)

	minf := b.start("minf")
	if t.Kind == Video {
		vmhd := b.startFull("vmhd", 0, 1)
		b.zeros(8)
		b.end(vmhd)
	} else {
		smhd := b.startFull("smhd", 0, 0)
		b.zeros(4)
		b.end(smhd)
	}
	dinf := b.start("dinf")
	dref := b.startFull("dref", 0, 0)
	b.u32(1)
	url := b.startFull("url ", 0, 1) // media in this file
	b.end(url)
	b.end(dref)
	b.end(dinf)

	stbl := b.start("stbl")
	stsd := b.startFull("stsd", 0, 0)
	b.u32(1)
	switch t.Codec {
	case H264:
		writeAvc1(b, t)
	case VP8:
		writeVp08(b, t)
	case Opus:
		writeOpus(b, t)
	}
	b.end(stsd)
	for _, typ := range []string{"stts", "stsc", "stco"} {
		box := b.startFull(typ, 0, 0)
		b.u32(0)
		b.end(box)
	}
	stsz := b.startFull("stsz", 0, 0)
	b.u32(0)
	b.u32(0)
	b.end(stsz)
	b.end(stbl)
	b.end(minf)
	b.end(mdia)
	b.end(trak)
}

func hasCodec(tracks []Track, c Codec) bool {
	for _, t := range tracks {
		if t.Codec == c {
			return true
		}
	}
	return false
}

// writeEdts appends an edit list for an Opus track with a pre-skip: one
// edit (ISO/IEC 14496-12 8.6.6) whose media_time is the pre-skip in the
// track's timescale, so that presentation time = decode time - pre-skip,
// as "Encapsulation of Opus in ISO Base Media File Format" asks. Its
// segment_duration is 0, "to the end of the media", as fragmented files
// whose duration is unknown while they grow write it (ffmpeg's mov muxer
// does the same); it is never patched. Other tracks get no edit list:
// their presentation time is their decode time.
func writeEdts(b *builder, t *Track) {
	shift := t.editMediaTime()
	if shift == 0 {
		return
	}
	edts := b.start("edts")
	elst := b.startFull("elst", 1, 0)
	b.u32(1)             // entry_count
	b.u64(0)             // segment_duration: the whole (unknown) duration
	b.u64(uint64(shift)) // media_time
	b.u16(1)             // media_rate_integer
	b.u16(0)             // media_rate_fraction
	b.end(elst)
	b.end(edts)
}
