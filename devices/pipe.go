package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/evalroom/evalroom/media/frame"
)

// errLost wraps the errors of a device that stopped delivering.
var errLost = errors.New("device lost")

// capturer is one open device and its encoder, driven by a pipe.
type capturer interface {
	// step captures one picture or chunk and encodes it, returning the
	// coded frames it completed (maybe none). Errors wrapping errLost
	// mean the device failed; others are encoder failures (the capturer
	// rebuilds its encoder on the next step).
	step(ctx context.Context) ([]frame.Frame, error)
	// markGap makes the next coded frame carry reason (and, for video, be
	// a keyframe).
	markGap(reason string)
	// closeDevice closes the device after a loss; reopen opens it again.
	closeDevice()
	reopen() error
	// close frees the device (if open) and the encoder.
	close() error
}

// pipe runs a capturer in its own goroutine: it queues the coded frames
// for Read, keeps the health, and retries a lost device every
// Options.Retry. Camera and Microphone are pipes.
type pipe struct {
	name, kind string
	o          Options
	log        *slog.Logger
	health     *healthState
	out        chan frame.Frame
	fault      fault

	cancel    context.CancelFunc
	done      chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// newPipe returns a pipe with an output queue of depth frames.
func newPipe(name, kind, device string, o Options, depth int) *pipe {
	return &pipe{
		name:   name,
		kind:   kind,
		o:      o,
		log:    o.Logger.With(kind, name, "device", device),
		health: newHealthState(name, kind, device, o.Now),
		out:    make(chan frame.Frame, depth),
		done:   make(chan struct{}),
		closed: make(chan struct{}),
	}
}

// start runs c until Close.
func (p *pipe) start(c capturer) {
	p.health.opened()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go p.run(ctx, c)
}

// run is the capture goroutine. A full queue blocks capture: Read must
// be drained promptly (the recorder's archive path does).
func (p *pipe) run(ctx context.Context, c capturer) {
	defer close(p.done)
	defer func() { p.closeErr = c.close() }()
	open := true
	for ctx.Err() == nil {
		if !open {
			if p.o.Sleep(ctx, p.o.Retry) != nil {
				return
			}
			err := p.fault.opening()
			if err == nil {
				err = c.reopen()
			}
			if err != nil {
				p.health.failed(fmt.Errorf("reopen: %w", err))
				p.log.Debug("reopen failed", "err", err)
				continue
			}
			open = true
			p.health.opened()
			p.log.Info("device recovered")
		}
		frames, err := p.step(ctx, c)
		if ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, errLost):
			p.health.lost(err)
			p.log.Warn("device lost", "err", err)
			c.closeDevice()
			c.markGap(fmt.Sprintf("device lost: %s", p.name))
			open = false
		case err != nil:
			p.health.failed(err)
			p.log.Error("encoder failed", "err", err)
			c.markGap(fmt.Sprintf("encoder failed: %s", p.name))
			if p.o.Sleep(ctx, p.o.Retry) != nil {
				return
			}
		}
		for _, f := range frames {
			p.health.frame(f.UTC)
			select {
			case p.out <- f:
			case <-ctx.Done():
				return
			}
		}
	}
}

// step runs one capturer step, failing it first if a test broke the
// device.
func (p *pipe) step(ctx context.Context, c capturer) ([]frame.Frame, error) {
	if err := p.fault.reading(); err != nil {
		return nil, fmt.Errorf("%w: %w", errLost, err)
	}
	return c.step(ctx)
}

// Read returns the next coded frame.
func (p *pipe) Read(ctx context.Context) (frame.Frame, error) {
	select {
	case <-p.closed:
		return frame.Frame{}, fmt.Errorf("read %s %s: %w", p.kind, p.name, ErrClosed)
	default:
	}
	select {
	case f := <-p.out:
		return f, nil
	case <-p.closed:
		return frame.Frame{}, fmt.Errorf("read %s %s: %w", p.kind, p.name, ErrClosed)
	case <-ctx.Done():
		return frame.Frame{}, ctx.Err()
	}
}

// Health returns the device's current state.
func (p *pipe) Health() Health { return p.health.get() }

// Close stops the capture goroutine and frees the device and encoder.
// It is idempotent; a real camera may take up to its read timeout (5 s)
// to let go.
func (p *pipe) Close() error {
	p.closeOnce.Do(func() {
		close(p.closed)
		p.cancel()
		<-p.done
	})
	return p.closeErr
}
