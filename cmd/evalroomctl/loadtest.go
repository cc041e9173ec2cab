package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/room/token"
)

// cmdLoadtest runs P publishers × S subscribers in each of N sessions
// against a running server and prints what it forwarded and at what cost.
func cmdLoadtest(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	base := fs.String("url", "", "server base URL (default http.public_url, else http://127.0.0.1:8080)")
	mount := fs.String("mount", "/media", "path where the SFU is mounted")
	sessions := fs.Int("sessions", 1, "media sessions")
	pubs := fs.Int("publishers", 2, "publishers per session (each VP8 + Opus)")
	subs := fs.Int("subscribers", 10, "subscribers per session (each watches every publisher)")
	bitrate := fs.String("bitrate", "1.5M", "video bitrate per publisher (e.g. 1.5M, 800k)")
	fps := fs.Int("fps", 30, "video frames per second")
	duration := fs.Duration("duration", 20*time.Second, "measured time")
	warmup := fs.Duration("warmup", 2*time.Second, "time after everyone joined before measuring")
	sessionBase := fs.Int("session-base", 900000, "first session id (consecutive ids are used)")
	pid := fs.Int("pid", 0, "server process id whose CPU is read from /proc (0: n/a)")
	quiet := fs.Bool("quiet", false, "log only failures")
	cfg, err := config.Load(fs, args, environ)
	if err != nil {
		return err
	}
	bps, err := parseBitrate(*bitrate)
	if err != nil {
		return err
	}
	if *sessions < 1 || *pubs < 1 || *subs < 0 || *fps < 1 || *fps > 120 || *duration <= 0 {
		return fmt.Errorf("loadtest: need sessions ≥ 1, publishers ≥ 1, subscribers ≥ 0, 1 ≤ fps ≤ 120, duration > 0")
	}
	keys, err := seal.ParseKey(cfg.Secrets.MasterKey)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	auth, err := token.New(keys.Derive("media-token"), time.Hour, nil)
	if err != nil {
		return err
	}
	url := *base
	if url == "" {
		url = cfg.HTTP.PublicURL
	}
	if url == "" {
		url = "http://127.0.0.1:8080"
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	lc := loadConfig{
		Media:    strings.TrimSuffix(url, "/") + "/" + strings.Trim(*mount, "/"),
		Sessions: *sessions, Publishers: *pubs, Subscribers: *subs,
		Bitrate: bps, FPS: *fps, Warmup: *warmup, Duration: *duration,
		SessionBase: *sessionBase, PID: *pid,
		Mint: func(c token.Claims) (string, error) {
			tok, _, err := auth.Mint(c)
			return tok, err
		},
		Log: slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: level})),
	}
	rep, err := runLoad(ctx, lc)
	if err != nil {
		return err
	}
	return rep.write(stdout)
}

// runLoad connects the publishers, then the subscribers, measures for
// cfg.Duration and reports. Clients that fail to join are counted and
// logged; the run fails only if no publisher joins.
func runLoad(ctx context.Context, cfg loadConfig) (*loadReport, error) {
	r := &loadRun{cfg: cfg, start: time.Now(), hc: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	defer r.hc.CloseIdleConnections()
	stop := make(chan struct{})
	stopOnce := sync.OnceFunc(func() { close(stop) })
	defer func() { stopOnce(); r.close() }()

	// Publishers, a few at a time (DTLS handshakes are CPU-heavy).
	bySession := make([][]*loadPublisher, cfg.Sessions)
	var mu sync.Mutex
	parallel(ctx, cfg.Sessions*cfg.Publishers, 4, func(i int) {
		s, p := i/cfg.Publishers, i%cfg.Publishers
		pub, err := r.publish(ctx, s, p)
		if err != nil {
			r.fail(err)
			return
		}
		r.goOwned(func() { r.send(pub, stop) })
		mu.Lock()
		bySession[s] = append(bySession[s], pub)
		mu.Unlock()
	})
	npub := 0
	for _, ps := range bySession {
		npub += len(ps)
	}
	if npub == 0 {
		return nil, fmt.Errorf("loadtest: no publisher could join (%d failures; first: %w)", len(r.failed), firstErr(r.failed))
	}
	cfg.Log.Info("publishers joined", "ok", npub, "wanted", cfg.Sessions*cfg.Publishers)
	// Let the server see the publishers' first packets (their tracks).
	if !sleepCtx(ctx, time.Second) {
		return nil, ctx.Err()
	}

	type job struct {
		s, sub int
		pub    *loadPublisher
	}
	var jobs []job
	for s, ps := range bySession {
		for sub := range cfg.Subscribers {
			for _, pub := range ps {
				jobs = append(jobs, job{s, sub, pub})
			}
		}
	}
	parallel(ctx, len(jobs), 4, func(i int) {
		j := jobs[i]
		if err := r.subscribe(ctx, j.s, j.sub, j.pub); err != nil {
			r.fail(err)
		}
	})
	cfg.Log.Info("subscribers joined", "streams", len(jobs), "failures", len(r.failed))

	if !sleepCtx(ctx, cfg.Warmup) {
		return nil, ctx.Err()
	}
	rep := &loadReport{cfg: cfg, PubsOK: npub, StreamsWanted: len(jobs)}
	cpu0, cpuErr := time.Duration(0), errors.New("no -pid")
	if cfg.PID > 0 {
		cpu0, cpuErr = processCPU(cfg.PID)
	}
	self0, selfErr := processCPU(os.Getpid())
	t0 := time.Now()
	r.measuring.Store(true)
	cfg.Log.Info("measuring", "for", cfg.Duration)
	sleepCtx(ctx, cfg.Duration) // an interrupt ends the measurement early
	r.measuring.Store(false)
	rep.Measured = time.Since(t0)
	if self1, err := processCPU(os.Getpid()); err == nil && selfErr == nil {
		rep.ClientCPU = self1 - self0
	}
	if cpuErr == nil {
		cpu1, err := processCPU(cfg.PID)
		if err == nil {
			rep.CPU, rep.CPUKnown = cpu1-cpu0, true
		}
	}
	stopOnce()
	time.Sleep(300 * time.Millisecond) // packets in flight arrive
	r.close()
	rep.collect(r)
	return rep, nil
}

// parallel runs f(0..n-1) with at most k at a time, stopping early if ctx
// ends.
func parallel(ctx context.Context, n, k int, f func(int)) {
	sem := make(chan struct{}, k)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func firstErr(errs []error) error {
	if len(errs) == 0 {
		return errors.New("none")
	}
	return errs[0]
}
