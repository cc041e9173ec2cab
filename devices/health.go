package devices

import (
	"sync"
	"time"
)

// fpsWindow is the span over which Health.FPS is measured.
const fpsWindow = 5 * time.Second

// Health is a device's state as the recorder and the control panel show it.
type Health struct {
	// Name and Device are from the configuration; Kind is "camera" or
	// "microphone".
	Name, Kind string
	Device     string
	// Open is false while the device is lost and being retried.
	Open bool
	// FPS is the rate of coded frames (packets, for a microphone) over
	// the last ~5 s on the capture clock.
	FPS float64
	// LastFrame is the capture time of the last coded frame.
	LastFrame time.Time
	// Losses counts how often the device was lost since it was opened.
	Losses int
	// LastError is the last device or encoder error ("" if none); it
	// stays after the device recovers.
	LastError string
}

// healthState is the mutable Health of one device, shared between its
// capture goroutine and Health callers.
type healthState struct {
	mu     sync.Mutex
	h      Health
	now    func() time.Time
	since  time.Time   // when the device last (re)opened
	frames []time.Time // capture times within fpsWindow
}

func newHealthState(name, kind, device string, now func() time.Time) *healthState {
	return &healthState{h: Health{Name: name, Kind: kind, Device: device}, now: now}
}

// opened records that the device is open (again).
func (s *healthState) opened() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Open = true
	s.since = s.now()
	s.frames = s.frames[:0]
}

// lost records a device loss.
func (s *healthState) lost(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Open = false
	s.h.Losses++
	s.h.LastError = err.Error()
}

// failed records an error that did not (or not again) lose the device,
// such as a failed reopen or an encoder error.
func (s *healthState) failed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.LastError = err.Error()
}

// frame records a coded frame captured at t.
func (s *healthState) frame(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.LastFrame = t
	s.frames = append(s.frames, t)
	s.trim(t)
}

// trim drops frame times older than the window before now.
func (s *healthState) trim(now time.Time) {
	i := 0
	for i < len(s.frames) && now.Sub(s.frames[i]) >= fpsWindow {
		i++
	}
	if i > 0 {
		s.frames = append(s.frames[:0], s.frames[i:]...)
	}
}

// get returns a snapshot with FPS measured up to now.
func (s *healthState) get() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.trim(now)
	h := s.h
	span := min(fpsWindow, now.Sub(s.since))
	if h.Open && span > 0 {
		h.FPS = float64(len(s.frames)) / span.Seconds()
	}
	return h
}
