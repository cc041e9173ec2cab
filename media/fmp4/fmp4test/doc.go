// Package fmp4test makes real media for tests with ffmpeg and checks
// files with ffprobe and ffmpeg: H.264 access units from libx264, VP8
// frames from libvpx (read from IVF), Opus packets from libopus, and the
// streams and format that ffprobe reports. It is imported only by tests;
// ffmpeg and ffprobe must be on PATH (`make test` installs them).
package fmp4test
