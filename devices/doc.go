// Package devices finds, opens, captures and encodes the cameras and
// microphones of an evaluation room. It is the only package that imports
// pion/mediadevices. It hands out coded frames (media/frame) and knows
// nothing of the archive or the live path; it never imports recorder or
// room.
//
// # Drivers
//
// mediadevices' real Linux drivers are compiled in: pkg/driver/camera
// (V4L2, through blackjack/webcam) and pkg/driver/microphone (miniaudio
// through gen2brain/malgo: ALSA or PulseAudio, loaded at run time). They
// register what they find when the process starts; List reports it, and
// a camera that is configured but not registered (plugged in later)
// triggers a new V4L2 discovery when it is opened. miniaudio registers a
// "null" capture device (silence) on a machine without a sound card; it
// is not a microphone and is neither listed nor opened, so List is empty
// on such a machine (no camera, no sound card) rather than wrong. A
// camera is opened at the configured size, at a frame rate at least the
// configured one, in the best pixel format it offers at that size (raw
// formats before MJPEG), and converted to I420; a device that does not
// offer the size is refused with ErrUnsupported naming what it offers
// (no scaling). Device "synthetic" selects the clock-faced camera and the
// beeping microphone of devices/synthetic, for tests and the demo.
//
// # Codecs: encode once
//
// Each device is encoded once, in its own goroutine, with the
// mediadevices codec packages used directly (an encoder built over a
// reader this package feeds one picture at a time). The same frames go to
// the archive and the live path.
//
//   - H.264 (default): libx264, preset veryfast, tune zerolatency: no
//     B-frames and no lookahead, so frames come out in capture order
//     with no delay; High profile (the wrapper's choice), Annex-B, SPS
//     and PPS before every IDR. Chosen by measurement (BENCHMARKS.md,
//     "Edge encoder"): it holds 1280×720 at 30 fps on a fraction of one
//     core and meets its bitrate, while mediadevices' VP8 wrapper, which
//     exposes no speed setting, needs several times the CPU; and H.264
//     plays everywhere an archive may have to be opened in 15 years.
//     The wrapper never tells x264 the frame rate, so x264 budgets for
//     25 fps; the target is scaled by 25/FPS to compensate. x264 prints
//     a summary to stderr when an encoder closes.
//   - VP8 (selectable): libvpx, real time, CBR, no lag frames.
//   - Opus for microphones: 48 kHz, 20 ms packets, VOIP application,
//     from the static libopus that mediadevices bundles (its default
//     build; `-tags dynamic` links Debian's libopus-dev instead). The
//     encoder delays its output by OpusPreSkip samples, which the
//     container must record as pre-skip.
//
// x264, libvpx and libopus link into one binary. mediadevices'
// pkg/codec/openh264 must never be imported next to them: it bundles a
// static OpenH264 whose C symbols clash with x264's at link time.
//
// Keyframes are placed by capture time: the first frame, then whenever
// KeyframeInterval (less half a frame) has passed since the last one, on
// ForceKeyframe, and after every gap; an encoder may add more (x264 cuts
// at the synthetic camera's white flashes).
//
// # Clock
//
// Every frame is stamped with its capture time on Options.Now, the
// recorder's server-corrected clock: a real camera's picture with the
// clock at the moment it is read from the driver, a synthetic picture
// with its own time (which it takes from the same clock). A FIFO carries
// each picture's time through the encoder to the frame it becomes. An
// Opus packet carries the capture time of its first sample: for a real
// microphone, the clock when a chunk is read less the chunk's length,
// followed by sample count and slewed by 1/16 of each deviation (a jump
// over 100 ms starts a new time line and marks a gap).
//
// # Health and gaps
//
// Health reports whether a device is open, its frame rate over the last
// ~5 s, the time of its last frame, how often it was lost, and its last
// error. When a device fails to deliver, it is closed and reopened every
// Options.Retry; nothing is produced meanwhile (no frame is ever made up
// to cover a gap), and the first frame after it carries
// frame.AfterGap, in English: "device lost: <name>", "encoder failed:
// <name>" or "samples lost: <name>". The gap runs from the end of the
// previous frame to that frame's UTC.
//
// Read must be drained promptly: up to one second of frames is queued,
// after which capture waits (and a real device drops pictures; the jump
// shows in the frame times). Close may take up to a real camera's read
// timeout (5 s) to let go of it.
package devices
