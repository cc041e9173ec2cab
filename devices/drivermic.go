package devices

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
)

// driverMic is a real microphone opened through mediadevices
// (miniaudio: ALSA or PulseAudio).
type driverMic struct {
	d   driver.Driver
	r   audio.Reader
	now func() time.Time
	buf []int16
}

// openDriverMicrophone opens the microphone cfg.Device names at 48 kHz,
// 16-bit if offered (else float), in its own channel count; the encoder
// mixes to cfg.Channels.
func openDriverMicrophone(cfg MicConfig, now func() time.Time) (audioSource, error) {
	driverMu.Lock()
	defer driverMu.Unlock()
	d, err := findDriver(driver.Microphone, cfg.Device)
	if err != nil {
		return nil, err
	}
	rec, ok := d.(driver.AudioRecorder)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an audio recorder", ErrNotFound, cfg.Device)
	}
	if err := d.Open(); err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg.Device, err)
	}
	p, err := chooseAudioProp(d.Properties())
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	r, err := rec.AudioRecord(p) // closes d on failure
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.Device, err)
	}
	return &driverMic{d: d, r: r, now: now}, nil
}

// chooseAudioProp picks 48 kHz interleaved, 16-bit before float.
func chooseAudioProp(props []prop.Media) (prop.Media, error) {
	var best prop.Media
	found := false
	for _, p := range props {
		if p.SampleRate != sampleRate || !p.IsInterleaved || p.ChannelCount < 1 {
			continue
		}
		if !found || (best.IsFloat && !p.IsFloat) {
			best, found = p, true
		}
	}
	if !found {
		return prop.Media{}, fmt.Errorf("%w: 48 kHz interleaved audio (offered: %v)", ErrUnsupported, audioFormats(props))
	}
	best.Latency = packetDuration
	return best, nil
}

// read returns the next chunk; its capture time is the clock at read
// minus the chunk's duration (the packetizer smooths the jitter).
func (m *driverMic) read(_ context.Context) (chunk, error) {
	a, _, err := m.r.Read()
	at := m.now()
	if err != nil {
		return chunk{}, err
	}
	ci := a.ChunkInfo()
	m.buf = m.buf[:0]
	switch a := a.(type) {
	case *wave.Int16Interleaved:
		m.buf = append(m.buf, a.Data[:ci.Len*ci.Channels]...)
	case *wave.Float32Interleaved:
		for _, v := range a.Data[:ci.Len*ci.Channels] {
			m.buf = append(m.buf, int16(math.Max(-32768, math.Min(32767, float64(v)*32768))))
		}
	default:
		return chunk{}, fmt.Errorf("microphone gave %T", a)
	}
	return chunk{samples: m.buf, channels: ci.Channels, at: at.Add(-samplesDuration(ci.Len))}, nil
}

func (m *driverMic) close() error {
	driverMu.Lock()
	defer driverMu.Unlock()
	if err := m.d.Close(); err != nil {
		return fmt.Errorf("close microphone: %w", err)
	}
	return nil
}

// audioFormats describes props as "48000 Hz 2 ch s16".
func audioFormats(props []prop.Media) []string {
	var out []string
	for _, p := range props {
		kind := "s16"
		if p.IsFloat {
			kind = "f32"
		}
		out = append(out, fmt.Sprintf("%d Hz %d ch %s", p.SampleRate, p.ChannelCount, kind))
	}
	return out
}
