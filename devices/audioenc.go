package devices

import (
	"errors"
	"fmt"
	"time"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/opus"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"

	"github.com/evalroom/evalroom/media/frame"
)

// Audio framing of every microphone.
const (
	sampleRate     = 48000
	packetDuration = 20 * time.Millisecond
	packetSamples  = sampleRate / 50 // per channel
)

// OpusPreSkip is the number of samples (48 kHz) by which the Opus
// encoder delays its output (its lookahead, 6.5 ms). A decoder that
// discards OpusPreSkip samples at the start (the OpusHead or dOps
// pre-skip field) puts each packet's first decoded sample at the
// packet's UTC.
const OpusPreSkip = 312

// audioEncoder encodes 20 ms packets through mediadevices' Opus encoder,
// reading from a reader this type feeds; one packet in, one out. It is
// used by one goroutine.
type audioEncoder struct {
	cfg     MicConfig
	enc     codec.ReadCloser
	pending *wave.Int16Interleaved
}

// newAudioEncoder builds the Opus encoder cfg (normalised) asks for.
func newAudioEncoder(cfg MicConfig) (*audioEncoder, error) {
	e := &audioEncoder{cfg: cfg}
	params, err := opus.NewParams()
	if err != nil {
		return nil, fmt.Errorf("opus params: %w", err)
	}
	params.BitRate = cfg.BitrateKbps * 1000
	params.Latency = opus.Latency20ms
	p := prop.Media{Audio: prop.Audio{
		ChannelCount: cfg.Channels, SampleRate: sampleRate, SampleSize: 2, IsInterleaved: true, Latency: packetDuration,
	}}
	enc, err := params.BuildAudioEncoder(audio.ReaderFunc(e.feed), p)
	if err != nil {
		return nil, fmt.Errorf("build opus encoder: %w", err)
	}
	e.enc = enc
	return e, nil
}

var errNoSamples = errors.New("encoder asked for samples it was not given")

// feed hands the pending packet to the encoder.
func (e *audioEncoder) feed() (wave.Audio, func(), error) {
	a := e.pending
	if a == nil {
		return nil, func() {}, errNoSamples
	}
	e.pending = nil
	return a, func() {}, nil
}

// encode codes one packet of 20 ms.
func (e *audioEncoder) encode(pk packet) (frame.Frame, error) {
	e.pending = &wave.Int16Interleaved{
		Data: pk.samples,
		Size: wave.ChunkInfo{Len: packetSamples, Channels: pk.channels, SamplingRate: sampleRate},
	}
	data, release, err := e.enc.Read()
	if release != nil {
		release()
	}
	e.pending = nil
	if err != nil {
		return frame.Frame{}, fmt.Errorf("encode opus: %w", err)
	}
	return frame.Frame{UTC: pk.at, Data: data, Key: true, Duration: packetDuration}, nil
}

// Close frees the encoder.
func (e *audioEncoder) Close() error {
	if err := e.enc.Close(); err != nil {
		return fmt.Errorf("close opus encoder: %w", err)
	}
	return nil
}
