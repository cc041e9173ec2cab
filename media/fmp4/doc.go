// Package fmp4 writes and inspects fragmented MP4 (ISO/IEC 14496-12, ISO
// BMFF) files: the container of evalroom's archives.
//
// # Why fragmented MP4
//
// The archive is legal evidence that may have to be opened in fifteen
// years. H.264 in MP4 is the most widely playable pair there is (every
// browser, every operating system's player, every editing tool), and
// Chromium plays fragmented MP4 with H.264 and Opus both from a file and
// through Media Source Extensions. Opus is carried with the "Opus in
// ISOBMFF" mapping (an "Opus" sample entry with a "dOps" box), which
// ffmpeg and the browsers read. H.264 is the default codec; VP8, the
// edge recorder's second codec, is carried with the "VP Codec ISO Media
// File Format Binding" (a "vp08" sample entry with a "vpcC" box; each
// sample is one compressed frame). ffmpeg reads it, and Chromium 156
// plays such a file from a URL, although its canPlayType and
// MediaSource.isTypeSupported answer no for "video/mp4; codecs=vp08", so
// a player must not rely on Media Source Extensions for VP8 segments.
//
// A fragmented file is crash-safe by construction: the header (ftyp and
// moov) describes the tracks but holds no sample tables; every fragment
// (moof + mdat, about one second) describes and carries its own samples.
// A file cut at any byte, for example by kill -9 or a power loss, stays
// readable up to its last complete fragment, and [Scan] finds that point
// so that a recovering writer can truncate the file there.
//
// # Layout written by [Writer]
//
//	ftyp   major brand iso6, compatible iso6 isom mp41 dash (and avc1
//	       with an H.264 track)
//	moov   mvhd (creation_time = UTC start, whole seconds)
//	       trak… (tkhd, edts/elst for Opus with a pre-skip,
//	              mdia/mdhd/hdlr/minf/stbl with empty tables;
//	              avc1+avcC, vp08+vpcC or Opus+dOps sample entries)
//	       mvex/mehd, trex… (defaults per track)
//	       udta/meta/ilst: ©day = UTC start with milliseconds,
//	                       ----:com.evalroom:<key> = caller's tags
//	then per fragment, written with a single Write call:
//	prft   producer reference time: NTP UTC of the first sample of the
//	       reference track (flags 24: the real time of the depicted
//	       instant) and its decode time
//	moof   mfhd (sequence number), traf per track (tfhd with
//	       default-base-is-moof, tfdt baseMediaDecodeTime, trun with
//	       per-sample duration, size, flags and composition offset)
//	mdat   the samples, track after track
//
// # How time is represented
//
// This section is the contract an archivist can rely on: with it alone, a
// position in a file written by this package turns into UTC.
//
// Every time in a file counts from one instant, its UTC start
// (Header.UTCStart). recorder/segment makes it the capture time of the
// segment's first video frame, a keyframe, on the recorder's clock
// corrected to the server's. Each track counts in its own timescale
// (mdhd): 90000 ticks per second for video, 48000 for Opus.
//
//   - Decode time. A sample's decode time is the tfdt
//     baseMediaDecodeTime of its run plus the trun durations of the
//     samples before it. It is the sample's capture UTC minus the UTC
//     start, rounded to a tick; a sample's duration is the next sample's
//     capture time minus its own (the last sample of a file gets its
//     nominal duration). The first video sample has decode time 0. A
//     track's samples follow each other without holes (recorder/segment
//     ends a file at a gap in the media).
//   - Presentation time, video. Composition offsets are 0 (no B-frames)
//     and video tracks have no edit list: presentation time = decode
//     time.
//   - Presentation time, Opus. An Opus encoder's output lags its input by
//     the pre-skip P (dOps PreSkip, in 48 kHz samples; 312, 6.5 ms, for
//     libopus): a packet stamped with the capture UTC u of the first
//     sample of the 20 ms it was given decodes to sound captured from
//     u - P/48000 on. The track's edit list (edts/elst, one edit:
//     media_time = P in the track's timescale, segment_duration 0 meaning
//     "to the end", rate 1) makes presentation time = decode time - P, so
//     each decoded sample is presented at its own capture time. ffprobe
//     therefore shows the audio start_time as the first packet's offset
//     from the UTC start minus P/48000: -0.0065 s when the first packet
//     starts at the UTC start; players skip or cut what falls before
//     zero. A decoder that
//     starts at a file's first packet has no history for its first few
//     milliseconds (RFC 7845 recommends 80 ms of pre-roll).
//   - So for every track: capture UTC = UTC start + presentation time,
//     the time ffprobe reports as pts_time and a browser's currentTime.
//
// The UTC start is written four ways: every fragment's prft box (version
// 1, flags 24: "the time the depicted instant was captured") holds the
// NTP time (RFC 5905: seconds since 1900 and 2^-32 fractions) of the
// first sample of its reference track (the track of the fragment's first
// run, which prft names) and that sample's decode time
// (media_time), so UTC start = NTP time - media_time / timescale at
// sub-microsecond precision, restated in every fragment ([File.PrftStart]
// reads it); the ©day item holds it in RFC 3339 with milliseconds
// (ffprobe's tag "date"); mvhd, tkhd and mdhd hold it as creation_time
// in whole seconds since 1904-01-01 (ffprobe's "creation_time");
// recorder/segment also puts it in the file name, with milliseconds.
// The duration fields of mvhd, mehd, tkhd and mdhd are 0 while a file
// grows; PatchDuration sets them to the longest track's end when it is
// finished (ffprobe scans the fragments either way, Chromium takes the
// duration from there). The elst segment_duration stays 0.
//
// H.264 samples are stored as AVCC (4-byte length-prefixed NAL units);
// [AnnexBToAVCC] converts an encoder's Annex-B output.
//
// The package owns the byte layout only. It does not open or sync files,
// decide where a segment ends or keep time: recorder/segment does that.
// It never panics on input and holds no goroutines.
package fmp4
