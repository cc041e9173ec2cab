// Package recorder is the edge recorder's pipeline: it takes each room
// camera's and the microphone's coded frames (encoded once, by devices)
// and sends them two ways, to the archive and to the live path.
//
// # Archive path
//
// Each camera gets its own recorder/segment Writer in the spool folder,
// named <recorder>-<camera>; the room's microphone is written into every
// camera's segments, so each camera's file plays with the room's sound.
// When a segment closes, a sealer goroutine hashes it, builds its
// manifest (room, session, tracks, the clock offset and its uncertainty
// at the time, gaps, truncation) and appends it to the recorder's hash
// chain (recorder/manifest), which signs it and writes it beside the
// segment; then OnSealed tells the uploader. Sealing never runs on a
// capture goroutine, so hashing and fsync never hold up the cameras.
//
// # Live path
//
// The same frames go to a Live sink (recorder/live's WHIP publisher).
// Its Write never blocks: when the live path is slow or down it drops
// frames; the archive path does not notice.
//
// # Time
//
// Frames come stamped by their devices with the recorder's corrected
// clock (media/clock.Sync.Now: the server's time). The recorder stores
// them as they are, and records Clock.Estimate in every manifest.
//
// # Gaps and restarts
//
// A device that was lost reports it on its first frame after recovery
// (frame.Frame.AfterGap); the recorder marks the gap in the segment
// writer, which closes the open segment so that no segment spans a gap,
// and the gap goes into the manifest. At start, Run first recovers what a
// crash left: each .part segment is truncated to its last complete
// fragment and sealed with Truncated set, and each closed segment without
// a manifest is sealed; the time from the newest archived segment of a
// camera to its first frame after the restart is recorded as a gap
// ("录像程序重启").
package recorder
