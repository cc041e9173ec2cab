package devices

import (
	"context"
	"fmt"

	"github.com/evalroom/evalroom/media/frame"
)

// Microphone captures a microphone (or a mixer's output) and encodes it
// to Opus at 48 kHz in 20 ms packets. Read, Health and Close may be
// called from any goroutine; Read by one reader.
type Microphone struct {
	cfg MicConfig
	p   *pipe
}

// audioSource is an open microphone.
type audioSource interface {
	// read returns the next chunk of samples (valid until the next read).
	read(ctx context.Context) (chunk, error)
	close() error
}

// OpenMicrophone opens the microphone cfg names and starts capturing and
// encoding in a goroutine of its own until Close; see OpenCamera.
func OpenMicrophone(cfg MicConfig, o Options) (*Microphone, error) {
	cfg, err := cfg.normalise()
	if err != nil {
		return nil, err
	}
	o = o.withDefaults()
	open := func() (audioSource, error) { return openSyntheticAudio(o) }
	if cfg.Device != Synthetic {
		open = func() (audioSource, error) { return openDriverMicrophone(cfg, o.Now) }
	}
	src, err := open()
	if err != nil {
		return nil, fmt.Errorf("open microphone %s (%s): %w", cfg.Name, cfg.Device, err)
	}
	enc, err := newAudioEncoder(cfg)
	if err != nil {
		_ = src.close()
		return nil, fmt.Errorf("open microphone %s: %w", cfg.Name, err)
	}
	m := &Microphone{cfg: cfg, p: newPipe(cfg.Name, "microphone", cfg.Device, o, 50)}
	m.p.start(&audioCapturer{cfg: cfg, open: open, src: src, enc: enc})
	return m, nil
}

// Read returns the next Opus packet (20 ms, Key always true): its UTC is
// the capture time of its first sample; a decoder that honours
// OpusPreSkip puts that sample there. The first packet after a device
// loss carries AfterGap ("device lost: mic1"). Errors as Camera.Read.
func (m *Microphone) Read(ctx context.Context) (frame.Frame, error) { return m.p.Read(ctx) }

// Config returns the configuration with its defaults filled in.
func (m *Microphone) Config() MicConfig { return m.cfg }

// Health returns the microphone's state; FPS counts packets (50/s).
func (m *Microphone) Health() Health { return m.p.Health() }

// Close stops capturing and frees the device and the encoder; it is
// idempotent.
func (m *Microphone) Close() error { return m.p.Close() }

// audioCapturer is the capturer of a Microphone.
type audioCapturer struct {
	cfg  MicConfig
	open func() (audioSource, error)
	src  audioSource
	enc  *audioEncoder
	pk   packetizer
	gap  string
}

func (a *audioCapturer) step(ctx context.Context) ([]frame.Frame, error) {
	if a.enc == nil {
		enc, err := newAudioEncoder(a.cfg)
		if err != nil {
			return nil, err
		}
		a.enc = enc
	}
	c, err := a.src.read(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errLost, err)
	}
	packets, lost := a.pk.push(c)
	if lost {
		a.markGap(fmt.Sprintf("samples lost: %s", a.cfg.Name))
	}
	var out []frame.Frame
	for _, pk := range packets {
		f, err := a.enc.encode(pk)
		if err != nil {
			_ = a.enc.Close()
			a.enc = nil
			return out, err
		}
		f.AfterGap, a.gap = a.gap, ""
		out = append(out, f)
	}
	return out, nil
}

func (a *audioCapturer) markGap(reason string) {
	if a.gap == "" {
		a.gap = reason
	}
}

func (a *audioCapturer) closeDevice() {
	if a.src != nil {
		_ = a.src.close()
		a.src = nil
	}
	a.pk = packetizer{}
}

func (a *audioCapturer) reopen() error {
	src, err := a.open()
	if err != nil {
		return err
	}
	a.src = src
	return nil
}

func (a *audioCapturer) close() error {
	var err error
	if a.src != nil {
		err = a.src.close()
	}
	if a.enc != nil {
		if e := a.enc.Close(); err == nil {
			err = e
		}
	}
	return err
}
