package udpbatch

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults for New.
const (
	// DefaultBatchSize is how many datagrams one system call sends at most.
	DefaultBatchSize = 64
	// DefaultInterval is how long a queued datagram may wait for Flush.
	DefaultInterval = 200 * time.Microsecond
	// slotSize is each slot's initial buffer: one Ethernet MTU.
	slotSize = 1500
	// maxDatagram is the largest UDP payload over IPv4.
	maxDatagram = 65507
)

type config struct {
	size     int
	interval time.Duration
	log      *slog.Logger
}

// Option configures New.
type Option func(*config) error

// WithBatchSize sets how many datagrams are queued before the queue is
// sent (1 to 1024).
func WithBatchSize(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("%w: batch size %d (1..1024)", ErrBadOption, n)
		}
		c.size = n
		return nil
	}
}

// WithInterval sets the backstop: the longest a queued datagram waits for
// Flush or a full batch (10 µs to 100 ms). The Go runtime may round very
// short timers up (to about a millisecond when the process is idle).
func WithInterval(d time.Duration) Option {
	return func(c *config) error {
		if d < 10*time.Microsecond || d > 100*time.Millisecond {
			return fmt.Errorf("%w: interval %v (10µs..100ms)", ErrBadOption, d)
		}
		c.interval = d
		return nil
	}
}

// WithLogger sets the logger for send errors (the first of each run of
// failures is logged at Warn).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrBadOption)
		}
		c.log = l
		return nil
	}
}
