// Package sdnotify tells systemd how a service is doing (sd_notify(3)):
// READY=1 once it serves, WATCHDOG=1 keep-alives while it runs under
// WatchdogSec=, STOPPING=1 when it shuts down, STATUS= lines for
// `systemctl status`.
//
// It is a few lines over the datagram socket systemd names in
// $NOTIFY_SOCKET (a path, or an abstract socket written "@name"), so that
// the binaries need no libsystemd. Without $NOTIFY_SOCKET (not started by
// systemd, or Type= is not notify) every call does nothing.
package sdnotify

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// The messages of sd_notify(3) the binaries send.
const (
	// Ready says start-up has finished (Type=notify waits for it).
	Ready = "READY=1"
	// Stopping says the service is shutting down.
	Stopping = "STOPPING=1"
	// Watchdog is the keep-alive WatchdogSec= expects.
	Watchdog = "WATCHDOG=1"
)

// Notifier sends messages to systemd. The zero Notifier (and a nil one)
// sends nothing.
type Notifier struct {
	socket   string
	watchdog time.Duration
}

// FromEnv reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID through
// getenv (os.Getenv in the binaries). The watchdog interval is set only
// when WATCHDOG_PID is unset or names this process, as sd_watchdog_enabled(3)
// does.
func FromEnv(getenv func(string) string) *Notifier {
	n := &Notifier{socket: getenv("NOTIFY_SOCKET")}
	usec, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return n
	}
	if pid := getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return n
	}
	n.watchdog = time.Duration(usec) * time.Microsecond
	return n
}

// Enabled reports whether systemd listens.
func (n *Notifier) Enabled() bool { return n != nil && n.socket != "" }

// WatchdogInterval is WatchdogSec= as systemd passed it, 0 when no
// watchdog is set.
func (n *Notifier) WatchdogInterval() time.Duration {
	if !n.Enabled() {
		return 0
	}
	return n.watchdog
}

// Send sends the messages as one datagram (newline-separated). Errors:
// the socket's, wrapped.
func (n *Notifier) Send(messages ...string) error {
	if !n.Enabled() || len(messages) == 0 {
		return nil
	}
	name := n.socket
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:] // Linux abstract namespace
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify %s: %w", n.socket, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(strings.Join(messages, "\n"))); err != nil {
		return fmt.Errorf("sd_notify %s: %w", n.socket, err)
	}
	return nil
}

// Status returns a STATUS= message (one line: newlines become spaces).
func Status(text string) string {
	return "STATUS=" + strings.NewReplacer("\n", " ", "\r", " ").Replace(text)
}

// RunWatchdog sends WATCHDOG=1 at half the watchdog interval until ctx
// ends, as sd_watchdog_enabled(3) recommends, whenever alive returns nil
// (nil alive: always); a failing alive skips the keep-alive, so systemd
// restarts a service that stays unhealthy. It returns at once when no
// watchdog is set, else when ctx ends. Failed sends and withheld
// keep-alives are passed to onError when not nil.
func (n *Notifier) RunWatchdog(ctx context.Context, alive func() error, onError func(error)) {
	every := n.WatchdogInterval() / 2
	if every <= 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		var err error
		if alive != nil {
			err = alive()
		}
		if err == nil {
			err = n.Send(Watchdog)
		} else {
			err = fmt.Errorf("watchdog keep-alive withheld: %w", err)
		}
		if err != nil && onError != nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
