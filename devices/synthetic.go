package devices

import (
	"context"
	"image"
	"time"

	"github.com/evalroom/evalroom/devices/synthetic"
)

// The synthetic devices run on Options.SceneNow, the world's time, and
// their frames are stamped on Options.Now: a scene instant at becomes
// at + (Now() - SceneNow()), read together when the frame is taken. When
// both are the same clock (the default) the stamp is the scene instant.

// stampOf translates a scene instant to the capture clock.
func stampOf(o Options, at time.Time) time.Time {
	if at.IsZero() {
		return at
	}
	return at.Add(o.Now().Sub(o.SceneNow())).UTC()
}

// syntheticVideo adapts a synthetic camera to videoSource.
type syntheticVideo struct {
	v *synthetic.Video
	o Options
}

func openSyntheticVideo(cfg CameraConfig, o Options) (videoSource, error) {
	v, err := synthetic.NewVideo(synthetic.VideoParams{
		Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Label: cfg.Label, Now: o.SceneNow, Sleep: o.Sleep,
	})
	if err != nil {
		return nil, err
	}
	return syntheticVideo{v: v, o: o}, nil
}

func (s syntheticVideo) read(ctx context.Context) (*image.YCbCr, time.Time, error) {
	f, err := s.v.Read(ctx)
	return f.Image, stampOf(s.o, f.At), err
}

func (s syntheticVideo) close() error { return nil }

// syntheticAudio adapts a synthetic microphone to audioSource.
type syntheticAudio struct {
	a *synthetic.Audio
	o Options
}

func openSyntheticAudio(o Options) (audioSource, error) {
	a, err := synthetic.NewAudio(synthetic.AudioParams{
		SampleRate: sampleRate, Chunk: packetDuration, Now: o.SceneNow, Sleep: o.Sleep,
	})
	if err != nil {
		return nil, err
	}
	return syntheticAudio{a: a, o: o}, nil
}

func (s syntheticAudio) read(ctx context.Context) (chunk, error) {
	c, err := s.a.Read(ctx)
	return chunk{samples: c.Samples, channels: 1, at: stampOf(s.o, c.At)}, err
}

func (s syntheticAudio) close() error { return nil }
