package upload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Uploader sends the spool's segments and manifests to the archive in
// chain order and deletes acknowledged segments when the spool needs
// room. Run is its only goroutine; Notify and Status are safe from any.
type Uploader struct {
	p         Params
	log       *slog.Logger
	api       *client
	spool     *spool
	statePath string
	notify    chan struct{}
	running   atomic.Bool

	// Owned by Run.
	st     state
	synced bool
	keys   map[int64]string // SM3 manifests' store keys, by seq

	mu          sync.Mutex
	status      Status
	uploadAlarm string
	quotaAlarm  string
}

// New returns an Uploader of p.Dir (created if missing). It reads the
// state file; one that cannot be trusted is logged and ignored (the
// archive's chain head then says what was acknowledged). Errors:
// ErrInvalid.
func New(p Params) (*Uploader, error) {
	if err := p.normalize(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(p.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool %s: %w", p.Dir, err)
	}
	log := p.Logger.With("component", "upload", "spool", p.Dir)
	u := &Uploader{p: p, log: log, api: &client{base: p.Endpoint, http: p.HTTP, token: p.Token, unauthorized: p.OnUnauthorized},
		spool: newSpool(p.Dir, log), statePath: filepath.Join(p.Dir, StateName),
		notify: make(chan struct{}, 1), keys: map[int64]string{}}
	st, err := loadState(u.statePath)
	if err != nil {
		log.Error("upload state ignored; the archive's chain head will say what it holds", "err", err)
	}
	u.st = st
	u.status.AckedSeq, u.status.FreeBytes = st.Acked, -1
	return u, nil
}

// Notify tells the uploader a new manifest was written: it scans at once
// unless it is backing off after a fault. It never blocks.
func (u *Uploader) Notify() {
	select {
	case u.notify <- struct{}{}:
	default:
	}
}

// Status returns the uploader's current state.
func (u *Uploader) Status() Status {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.status
}

// Run uploads until ctx ends, then returns nil. It scans the spool every
// Interval and on Notify; after a fault it waits twice as long each time
// up to MaxBackoff, after a refusal MaxBackoff. It may be called once
// (ErrInvalid otherwise).
func (u *Uploader) Run(ctx context.Context) error {
	if !u.running.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: Run called twice", ErrInvalid)
	}
	var backoff time.Duration
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var wake <-chan struct{}
		if backoff == 0 {
			wake = u.notify
		}
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-wake:
		}
		err := u.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		backoff = u.backoff(backoff, err)
		wait := backoff
		if wait == 0 {
			wait = u.p.Interval
		}
		timer.Reset(wait)
	}
}

// backoff returns the wait after a pass that ended with err, given the
// previous one: none after success, MaxBackoff after an alarm, else
// doubling from Interval up to MaxBackoff.
func (u *Uploader) backoff(prev time.Duration, err error) time.Duration {
	var al *alarm
	switch {
	case err == nil:
		return 0
	case errors.As(err, &al):
		return u.p.MaxBackoff
	}
	return min(max(2*prev, u.p.Interval), u.p.MaxBackoff)
}

// pass scans the spool, uploads what is pending, makes room if the spool
// is over its quota, and updates the Status.
func (u *Uploader) pass(ctx context.Context) error {
	l, err := u.spool.scan()
	if err == nil {
		u.observe(l)
		err = u.upload(ctx, l)
		u.makeRoom(l)
	}
	if err != nil {
		u.synced = false // ask where the archive stands before going on
	}
	if ctx.Err() == nil {
		u.report(l, err)
	}
	return err
}

// report updates the Status after a pass.
func (u *Uploader) report(l *listing, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := &u.status
	var al *alarm
	switch {
	case err == nil:
		u.setAlarm(&u.uploadAlarm, "")
		s.LastError = ""
	case errors.As(err, &al):
		u.setAlarm(&u.uploadAlarm, al.text)
		s.LastError = err.Error()
	default:
		s.LastError = err.Error()
		u.log.Warn("upload failed; retrying", "err", err)
	}
	var alarms []string
	for _, a := range []string{u.uploadAlarm, u.quotaAlarm} {
		if a != "" {
			alarms = append(alarms, a)
		}
	}
	s.Alarm = strings.Join(alarms, "；")
	if l != nil {
		u.observeLocked(l)
	}
}

// observe updates the Status's figures from a scan of the spool.
func (u *Uploader) observe(l *listing) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.observeLocked(l)
}

func (u *Uploader) observeLocked(l *listing) {
	s := &u.status
	s.AckedSeq = u.st.Acked
	s.FreeBytes = freeBytes(u.p.Dir)
	s.SpoolBytes, s.Pending, s.PendingBytes = l.total, 0, 0
	for _, e := range l.entries {
		if e.seq > u.st.Acked && (u.st.Recorder == "" || e.recorder == u.st.Recorder) {
			s.Pending++
			s.PendingBytes += e.size
		}
	}
}

// setAlarm sets one alarm slot, logging a new alarm at Error and its end
// at Info. u.mu is held.
func (u *Uploader) setAlarm(slot *string, text string) {
	switch {
	case text == *slot:
		return
	case text == "":
		u.log.Info("upload alarm cleared", "was", *slot)
	default:
		u.log.Error("upload alarm", "alarm", text)
	}
	*slot = text
}
