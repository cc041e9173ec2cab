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
// ffmpeg and the browsers read. H.264 is the default codec; the package
// takes a second codec as another sample entry when one is needed.
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
//	ftyp   major brand iso6, compatible iso6 isom mp41 avc1 dash
//	moov   mvhd (creation_time = UTC start, whole seconds)
//	       trak… (tkhd, mdia/mdhd/hdlr/minf/stbl with empty tables;
//	              avc1+avcC or Opus+dOps sample entries)
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
// The duration fields of mvhd, mehd, tkhd and mdhd are 0 while a file
// grows; PatchDuration fills them in when it is finished (ffprobe scans
// the fragments either way, Chromium takes the duration from there).
//
// The segment's absolute UTC start is therefore visible three ways:
// ffprobe shows mvhd's creation_time as the format tag "creation_time"
// (whole seconds) and ©day as the tag "date" (RFC 3339 with
// milliseconds); every fragment's prft carries the UTC of its first
// sample at NTP resolution. Decode times are offsets from the UTC start
// in the track's timescale (90000 for video, 48000 for Opus).
//
// Opus pre-skip is recorded in dOps (players and ffmpeg's decoder read
// it there); no edit list is written, so a track's decode time zero is
// the first packet's timestamp as the caller gave it.
//
// H.264 samples are stored as AVCC (4-byte length-prefixed NAL units);
// [AnnexBToAVCC] converts an encoder's Annex-B output.
//
// The package owns the byte layout only. It does not open or sync files,
// decide where a segment ends or keep time: recorder/segment does that.
// It never panics on input and holds no goroutines.
package fmp4
