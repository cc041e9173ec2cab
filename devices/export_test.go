package devices

import (
	"image"
	"time"

	"github.com/evalroom/evalroom/media/frame"
)

// BreakCamera makes c's next read fail with err and every reopen fail
// until RepairCamera.
func BreakCamera(c *Camera, err error) { c.p.fault.breakDevice(err) }

// RepairCamera lets c's device open again.
func RepairCamera(c *Camera) { c.p.fault.repair() }

// BreakMicrophone and RepairMicrophone are BreakCamera and RepairCamera
// for a microphone.
func BreakMicrophone(m *Microphone, err error) { m.p.fault.breakDevice(err) }

// RepairMicrophone lets m's device open again.
func RepairMicrophone(m *Microphone) { m.p.fault.repair() }

// NewVideoEncoder exposes the encoder for benchmarks: encode codes one
// picture (a keyframe if key).
func NewVideoEncoder(cfg CameraConfig) (encode func(img *image.YCbCr, at time.Time, key bool) (frame.Frame, error), closeFn func() error, err error) {
	cfg, err = cfg.normalise()
	if err != nil {
		return nil, nil, err
	}
	e, err := newVideoEncoder(cfg)
	if err != nil {
		return nil, nil, err
	}
	return func(img *image.YCbCr, at time.Time, key bool) (frame.Frame, error) {
		f, _, err := e.encode(img, stamp{at: at}, key)
		return f, err
	}, e.Close, nil
}

// Chunk and Packet expose the packetizer to tests.
type Chunk struct {
	Samples  []int16
	Channels int
	At       time.Time
}

// Packetizer cuts chunks into 20 ms packets; Push returns each packet's
// time and sample count (per channel), and whether samples were lost.
type Packetizer struct{ p packetizer }

// Push adds a chunk.
func (p *Packetizer) Push(c Chunk) (times []time.Time, lens []int, lost bool) {
	pks, lost := p.p.push(chunk{samples: c.Samples, channels: c.Channels, at: c.At})
	for _, pk := range pks {
		times = append(times, pk.at)
		lens = append(lens, len(pk.samples)/pk.channels)
	}
	return times, lens, lost
}
