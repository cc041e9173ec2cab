package devices

import (
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/codec/x264"
	mdframe "github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"github.com/evalroom/evalroom/media/frame"
)

// x264DefaultFPS is the frame rate libx264 assumes when none is set.
// mediadevices' x264 wrapper never sets one, so its rate control spends
// bitrate/25 per frame; the target is scaled by fps/25 to compensate.
const x264DefaultFPS = 25

// errNoInput is returned by the feeding reader when an encoder asks for
// a second picture within one encode call (a codec with delay).
var errNoInput = errors.New("encoder asked for a picture it was not given")

// stamp is what a picture handed to the encoder carries to its coded
// frame.
type stamp struct {
	at  time.Time
	gap string
}

// videoEncoder encodes pictures one at a time through a mediadevices
// encoder that reads from a reader this type feeds. The encoders are set
// up without delay (x264 zero latency, no B-frames; libvpx with no lag),
// so each picture gives at most one coded frame, in order; the FIFO of
// stamps pairs each coded frame with the capture time of its picture.
// It is used by one goroutine.
type videoEncoder struct {
	cfg     CameraConfig
	enc     codec.ReadCloser
	kf      codec.KeyFrameController
	pending *image.YCbCr
	next    stamp
	fifo    []stamp
	carry   string // gap of a picture the encoder dropped
	h264    h264Params
}

// newVideoEncoder builds the encoder cfg asks for (cfg is normalised).
func newVideoEncoder(cfg CameraConfig) (*videoEncoder, error) {
	e := &videoEncoder{cfg: cfg}
	p := prop.Media{Video: prop.Video{
		Width: cfg.Width, Height: cfg.Height, FrameRate: float32(cfg.FPS), FrameFormat: mdframe.FormatI420,
	}}
	// The codec's own limit is a backstop: Camera forces keyframes by
	// capture time, so that a camera running slower than configured
	// still keeps KeyframeInterval.
	gop := 2 * int(cfg.KeyframeInterval*time.Duration(cfg.FPS)/time.Second)
	var b codec.VideoEncoderBuilder
	switch cfg.Codec {
	case frame.H264:
		params, err := x264.NewParams()
		if err != nil {
			return nil, fmt.Errorf("x264 params: %w", err)
		}
		params.Preset = x264.PresetVeryfast
		params.BitRate = cfg.BitrateKbps * 1000 * x264DefaultFPS / cfg.FPS
		params.KeyFrameInterval = gop
		b = &params
	case frame.VP8:
		params, err := vpx.NewVP8Params()
		if err != nil {
			return nil, fmt.Errorf("vp8 params: %w", err)
		}
		params.BitRate = cfg.BitrateKbps * 1000
		params.KeyFrameInterval = gop
		params.LagInFrames = 0
		params.RateControlEndUsage = vpx.RateControlCBR
		b = &params
	default:
		return nil, fmt.Errorf("%w: codec %q", ErrInvalid, cfg.Codec)
	}
	enc, err := b.BuildVideoEncoder(video.ReaderFunc(e.feed), p)
	if err != nil {
		return nil, fmt.Errorf("build %s encoder %dx%d: %w", cfg.Codec, cfg.Width, cfg.Height, err)
	}
	e.enc = enc
	e.kf, _ = enc.Controller().(codec.KeyFrameController)
	return e, nil
}

// feed hands the pending picture to the encoder.
func (e *videoEncoder) feed() (image.Image, func(), error) {
	img := e.pending
	if img == nil {
		return nil, func() {}, errNoInput
	}
	e.pending = nil
	e.fifo = append(e.fifo, e.next)
	return img, func() {}, nil
}

// encode encodes img captured at st.at. It reports false when the
// encoder produced nothing for it (a dropped picture; its gap moves to
// the next frame). img must be I420 with strides equal to its width.
func (e *videoEncoder) encode(img *image.YCbCr, st stamp, key bool) (frame.Frame, bool, error) {
	if key && e.kf != nil {
		if err := e.kf.ForceKeyFrame(); err != nil {
			return frame.Frame{}, false, fmt.Errorf("force keyframe: %w", err)
		}
	}
	e.pending, e.next = img, st
	data, release, err := e.enc.Read()
	if release != nil {
		release()
	}
	e.pending = nil
	if err != nil {
		e.drop()
		return frame.Frame{}, false, fmt.Errorf("encode %s: %w", e.cfg.Codec, err)
	}
	if len(e.fifo) == 0 {
		return frame.Frame{}, false, fmt.Errorf("encode %s: %w", e.cfg.Codec, errNoInput)
	}
	if len(data) == 0 {
		e.drop()
		return frame.Frame{}, false, nil
	}
	in := e.fifo[0]
	e.fifo = e.fifo[1:]
	f := frame.Frame{UTC: in.at, Data: data, Duration: e.cfg.period(), AfterGap: in.gap}
	if f.AfterGap == "" {
		f.AfterGap = e.carry
	}
	e.carry = ""
	switch e.cfg.Codec {
	case frame.H264:
		f.Data, f.Key = e.h264.complete(data)
	case frame.VP8:
		f.Key = vp8Key(data)
	}
	return f, true, nil
}

// drop forgets the oldest stamp, keeping its gap for the next frame.
func (e *videoEncoder) drop() {
	if len(e.fifo) == 0 {
		return
	}
	if g := e.fifo[0].gap; g != "" && e.carry == "" {
		e.carry = g
	}
	e.fifo = e.fifo[1:]
}

// Close frees the encoder.
func (e *videoEncoder) Close() error {
	if err := e.enc.Close(); err != nil {
		return fmt.Errorf("close %s encoder: %w", e.cfg.Codec, err)
	}
	return nil
}

// vp8Key reports whether a VP8 frame is a keyframe: bit 0 of its frame
// tag is 0 (RFC 6386, section 9.1).
func vp8Key(b []byte) bool { return len(b) > 0 && b[0]&1 == 0 }
