package recorder

import "time"

// Status is the recorder's state for the health endpoint and the panels.
type Status struct {
	// Cameras and Mic are per source.
	Cameras []SourceStatus `json:"cameras"`
	Mic     *SourceStatus  `json:"mic,omitempty"`
	// ChainSeq is the seq of the last sealed manifest.
	ChainSeq int64 `json:"chain_seq"`
}

// SourceStatus is one source's archive state.
type SourceStatus struct {
	Name string `json:"name"`
	// Frames counts frames archived since start; Errors counts frames
	// not archived (waiting for a keyframe, out of order, write errors).
	Frames int64 `json:"frames"`
	Errors int64 `json:"errors"`
	// LastFrame is the capture time of the last archived frame.
	LastFrame time.Time `json:"last_frame"`
	// Sealed counts segments sealed since start; LastSealed is the end
	// of the newest.
	Sealed     int64     `json:"sealed"`
	LastSealed time.Time `json:"last_sealed"`
	// LastError is the last read or write error; SealError the last
	// sealing error (cleared by a successful seal).
	LastError string `json:"last_error,omitempty"`
	SealError string `json:"seal_error,omitempty"`
}

// Status returns the recorder's current state.
func (r *Recorder) Status() Status {
	var s Status
	for _, c := range r.cams {
		c.mu.Lock()
		s.Cameras = append(s.Cameras, SourceStatus{Name: c.cam.Name, Frames: c.frames, Errors: c.errors,
			LastFrame: c.lastUTC, Sealed: c.sealed, LastSealed: c.lastSeal, LastError: c.lastErr, SealError: c.sealErr})
		c.mu.Unlock()
	}
	if m := r.mic; m != nil {
		m.mu.Lock()
		s.Mic = &SourceStatus{Name: m.mic.Name, Frames: m.frames, LastFrame: m.lastUTC, LastError: m.lastErr}
		m.mu.Unlock()
	}
	s.ChainSeq = r.Head()
	return s
}
