// Package synthetic is a camera and a microphone that show and sound the
// time, so that recordings can be aligned from decoded media alone.
//
// The video source draws each frame's capture time in UTC
// (2026-11-22 09:30:15.433) on a dark background, and the first frame at
// or after each whole UTC second is entirely white. Every other frame also
// carries its capture instant as a timecode strip along its bottom edge
// (see ReadTimecode), which survives coding, so a test can read each
// decoded frame's capture time to the millisecond. The audio source is
// silent except for a 1 kHz tone of 50 ms starting exactly at each whole
// UTC second; its samples are computed from absolute time, so a beep
// starts on the second whatever the chunking.
//
// Both take their clock from the caller (Now, Sleep), so tests can run
// them on a fake clock and the recorder on its server-corrected clock. The
// package depends on no device library; the recorder adapts the frames.
package synthetic
