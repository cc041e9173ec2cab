// Package segment writes a recorder's archive as a series of fragmented
// MP4 segment files (see media/fmp4 for the container) and recovers the
// segment that a crash left open.
//
// # Files
//
// A Writer writes <dir>/<recorder>-<UTC start>-<seq>.mp4, for example
// room1-cam1-20250314T092653.589Z-000042.mp4, where the UTC start
// (yyyymmddThhmmss.mmmZ) is the capture time of the segment's first
// frame and seq counts up across restarts (a new Writer continues after
// the highest seq in the folder). A segment begins at a video keyframe
// (an H.264 IDR access unit, or a VP8 frame whose key_frame bit is 0): a
// new file starts at the first keyframe at least Params.Length (default
// 10 s) after the current one began, so a file's first sample is always
// a keyframe and consecutive segments are contiguous (one ends where the
// next begins). Frames carry absolute UTC capture times; the writer
// stores them as decode times relative to the segment's UTC start, which
// the file carries in its header and every fragment's prft box. An Opus
// packet's UTC must be the capture time of the first sample of the 20 ms
// the encoder was given to make it; the Opus track's edit list then
// skips the encoder's pre-skip so that decoded sound lines up with the
// video (media/fmp4, "How time is represented", is the full contract).
//
// # Crash safety and the fsync policy
//
// While it is written a segment is named *.mp4.part; Close (or the next
// segment's start) finishes its last fragment, fsyncs it, renames it to
// *.mp4 and fsyncs the folder (the header's duration fields are
// patched just before the final fsync), so the closed segments are exactly the
// *.mp4 files and a closed segment never changes again. Inside a segment
// a fragment is written about every Params.FragmentLength (default 1 s)
// of media, each with a single write call, and with the default policy
// FsyncFragment the file is fsynced after every fragment and the folder
// after the .part file is created and after each rename. A kill -9 or a
// power loss therefore loses at most the frames not yet in a synced
// fragment: about FragmentLength plus the reorder delay (default 0.5 s),
// under 2 s. FsyncClose syncs only when a segment closes (an OS crash
// may then lose the open segment's tail, a process crash still loses
// nothing the kernel has); FsyncNever is for tests and benchmarks.
//
// After a crash, Recover(dir) turns each leftover .part file into a
// readable segment: it truncates the file to its last complete fragment
// (media/fmp4's Scan finds it), fsyncs, renames it to .mp4 and returns
// its SegmentInfo with Truncated set, for the manifest. The time between
// that segment's end and the first segment after the restart is a gap
// the caller records. A .part file with no complete fragment holds no
// media and is removed.
//
// # Gaps
//
// MarkGap records that media is missing between two instants (a lost
// device, an encoder stall, a restart). It closes the open segment, so no
// segment spans a gap, and the gap is listed in that segment's
// SegmentInfo.Gaps (or the next segment's, when none was open).
//
// The package does not hash, sign or upload segments (recorder/manifest
// and the uploader do, from OnClosed), does not measure time (frames
// arrive stamped with corrected UTC) and starts no goroutines.
package segment
