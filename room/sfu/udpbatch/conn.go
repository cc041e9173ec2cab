package udpbatch

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchWriter is ipv4.PacketConn or ipv6.PacketConn: both send with
// sendmmsg on Linux; the address family is chosen per message.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// Conn is a UDP socket whose writes are queued and sent in batches.
// It is safe for concurrent use.
type Conn struct {
	conn     *net.UDPConn
	bw       batchWriter
	interval time.Duration
	log      *slog.Logger

	// sendMu serialises sends; it is taken before mu, never after.
	sendMu sync.Mutex
	// mu guards cur, closed and sendErr; spare belongs to the holder of
	// sendMu.
	mu      sync.Mutex
	cur     *batch
	spare   *batch
	closed  bool
	sendErr error // first send error since the last Flush
	failing bool  // the last send failed (log once per run)

	// backstop sends a queue nobody flushed; armed (guarded by mu) while
	// it is set for the current queue. It is a runtime timer, not a
	// goroutine: arming and disarming it wakes nobody, so a caller that
	// flushes every fan-out pays no wake-up for it.
	backstop *time.Timer
	armed    bool
	// inflight counts backstop sends in progress, waited for by Close.
	inflight  sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	packets, batches, dropped atomic.Uint64
}

// Stats counts what a Conn sent.
type Stats struct {
	// Packets is the number of datagrams sent.
	Packets uint64
	// Batches is the number of sendmmsg calls (or write loops elsewhere).
	Batches uint64
	// Dropped is the number of datagrams the kernel refused.
	Dropped uint64
}

// New wraps conn; the Conn owns it from now on and closes it on Close.
// Errors: ErrBadOption.
func New(conn *net.UDPConn, opts ...Option) (*Conn, error) {
	if conn == nil {
		return nil, fmt.Errorf("%w: nil conn", ErrBadOption)
	}
	cfg := config{size: DefaultBatchSize, interval: DefaultInterval, log: slog.Default()}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Conn{
		conn: conn, interval: cfg.interval,
		log:   cfg.log.With("udp", conn.LocalAddr().String()),
		cur:   newBatch(cfg.size),
		spare: newBatch(cfg.size),
	}
	c.backstop = time.AfterFunc(time.Hour, c.onBackstop)
	c.backstop.Stop()
	if la, ok := conn.LocalAddr().(*net.UDPAddr); ok && la.IP.To4() != nil {
		c.bw = ipv4.NewPacketConn(conn)
	} else {
		c.bw = ipv6.NewPacketConn(conn)
	}
	return c, nil
}

// WriteTo queues p for addr (a *net.UDPAddr) and returns len(p). The
// datagram is sent by the next Flush, full batch or backstop; an error the
// kernel reports for it is returned by a later Flush. Errors here:
// net.ErrClosed, ErrBadAddr, ErrTooLarge.
func (c *Conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok || ua == nil {
		return 0, fmt.Errorf("%w: %T", ErrBadAddr, addr)
	}
	ip, ok := netip.AddrFromSlice(ua.IP)
	if !ok {
		return 0, fmt.Errorf("%w: %v", ErrBadAddr, ua)
	}
	return c.enqueue(p, netip.AddrPortFrom(ip.WithZone(ua.Zone), uint16(ua.Port)))
}

// WriteToAddrPort is WriteTo without allocating an address; pion/ice's
// UDPMuxDefault uses it.
func (c *Conn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	return c.enqueue(p, addr)
}

func (c *Conn) enqueue(p []byte, addr netip.AddrPort) (int, error) {
	if len(p) > maxDatagram {
		return 0, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(p))
	}
	if !addr.IsValid() || addr.Port() == 0 {
		return 0, fmt.Errorf("%w: %v", ErrBadAddr, addr)
	}
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, net.ErrClosed
		}
		b := c.cur
		if b.n == len(b.slots) {
			// Full: another writer is about to send it; help, then retry.
			c.mu.Unlock()
			c.sendCurrent()
			continue
		}
		b.put(p, addr)
		full := b.n == len(b.slots)
		if !full && !c.armed {
			c.armed = true
			c.backstop.Reset(c.interval)
		}
		c.mu.Unlock()
		if full {
			c.sendCurrent()
		}
		return len(p), nil
	}
}

// Flush sends everything queued and returns the first error the kernel
// reported since the previous Flush (the datagrams it refused are
// dropped; the others are sent). After Close it returns net.ErrClosed.
func (c *Conn) Flush() error {
	c.sendCurrent()
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.sendErr
	c.sendErr = nil
	if err == nil && c.closed {
		return net.ErrClosed
	}
	return err
}

// sendCurrent swaps the queue for the spare and sends it.
func (c *Conn) sendCurrent() {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	c.mu.Lock()
	b := c.cur
	if b.n == 0 {
		c.mu.Unlock()
		return
	}
	c.cur, c.spare = c.spare, b
	if c.armed {
		c.armed = false
		c.backstop.Stop()
	}
	c.mu.Unlock()
	err := c.send(b)
	b.reset()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil && c.sendErr == nil {
		c.sendErr = err
	}
	if err != nil && !c.failing {
		c.log.Warn("udp batch send failed", "err", err)
	}
	c.failing = err != nil
}

// send writes b's datagrams, skipping any the kernel refuses, and returns
// the first error.
func (c *Conn) send(b *batch) error {
	ms := b.msgs[:b.n]
	var first error
	for len(ms) > 0 {
		n, err := c.bw.WriteBatch(ms, 0)
		c.batches.Add(1)
		if n > 0 {
			c.packets.Add(uint64(n))
			ms = ms[n:]
		}
		if err == nil {
			if n <= 0 {
				break // no progress and no error: give up on the rest
			}
			continue
		}
		if first == nil {
			first = fmt.Errorf("udpbatch: send to %v: %w", ms[0].Addr, err)
		}
		if errors.Is(err, net.ErrClosed) {
			c.dropped.Add(uint64(len(ms)))
			break
		}
		// The first unsent datagram failed: drop it, send the rest.
		c.dropped.Add(1)
		ms = ms[1:]
	}
	return first
}

// onBackstop sends a queue that waited interval without Flush. It runs on
// the timer's goroutine; Close waits for it.
func (c *Conn) onBackstop() {
	c.mu.Lock()
	c.armed = false
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.inflight.Add(1)
	c.mu.Unlock()
	defer c.inflight.Done()
	c.sendCurrent()
}

// Stats returns counters since New.
func (c *Conn) Stats() Stats {
	return Stats{Packets: c.packets.Load(), Batches: c.batches.Load(), Dropped: c.dropped.Load()}
}

// Close sends what is queued, stops the backstop and closes the socket.
// It is idempotent.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.armed = false
		c.backstop.Stop()
		c.mu.Unlock()
		c.inflight.Wait()
		c.sendCurrent()
		c.closeErr = c.conn.Close()
	})
	return c.closeErr
}

// ReadFrom reads one datagram from the socket.
func (c *Conn) ReadFrom(p []byte) (int, net.Addr, error) { return c.conn.ReadFrom(p) }

// ReadFromAddrPort reads one datagram without allocating an address.
func (c *Conn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	return c.conn.ReadFromUDPAddrPort(p)
}

// LocalAddr returns the socket's address.
func (c *Conn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// SetDeadline sets the socket's read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// SetReadDeadline sets the socket's read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of the socket's sends (which happen
// in Flush, a full batch or the backstop, not in WriteTo).
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

var _ net.PacketConn = (*Conn)(nil)
