package devices

import (
	"context"
	"image"
	"time"

	"github.com/evalroom/evalroom/devices/synthetic"
)

// syntheticVideo adapts a synthetic camera to videoSource.
type syntheticVideo struct{ v *synthetic.Video }

func openSyntheticVideo(cfg CameraConfig, o Options) (videoSource, error) {
	v, err := synthetic.NewVideo(synthetic.VideoParams{
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Label: cfg.Label, Now: o.Now, Sleep: o.Sleep,
	})
	if err != nil {
		return nil, err
	}
	return syntheticVideo{v}, nil
}

func (s syntheticVideo) read(ctx context.Context) (*image.YCbCr, time.Time, error) {
	f, err := s.v.Read(ctx)
	return f.Image, f.At, err
}

func (s syntheticVideo) close() error { return nil }

// syntheticAudio adapts a synthetic microphone to audioSource.
type syntheticAudio struct{ a *synthetic.Audio }

func openSyntheticAudio(o Options) (audioSource, error) {
	a, err := synthetic.NewAudio(synthetic.AudioParams{
		SampleRate: sampleRate, Chunk: packetDuration, Now: o.Now, Sleep: o.Sleep,
	})
	if err != nil {
		return nil, err
	}
	return syntheticAudio{a}, nil
}

func (s syntheticAudio) read(ctx context.Context) (chunk, error) {
	c, err := s.a.Read(ctx)
	return chunk{samples: c.Samples, channels: 1, at: c.At}, err
}

func (s syntheticAudio) close() error { return nil }
