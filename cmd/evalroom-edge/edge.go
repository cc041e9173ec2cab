package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/cmd/internal/demo"
	"github.com/evalroom/evalroom/cmd/internal/metrics"
	"github.com/evalroom/evalroom/cmd/internal/sdnotify"
	"github.com/evalroom/evalroom/devices"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/media/clock"
	"github.com/evalroom/evalroom/media/frame"
	"github.com/evalroom/evalroom/recorder"
	"github.com/evalroom/evalroom/recorder/devauth"
	"github.com/evalroom/evalroom/recorder/live"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/recorder/segment"
	"github.com/evalroom/evalroom/recorder/upload"
)

// clockWait bounds how long the recorder waits for its first clock
// measurement before it starts capturing on the local clock.
const clockWait = 15 * time.Second

// Hooks let tests change what a real room PC cannot: the local clock.
type Hooks struct {
	// LocalNow is the machine's clock; time.Now when nil.
	LocalNow func() time.Time
}

// Edge is one running edge recorder: clock, devices, archive, live path
// and uploader.
type Edge struct {
	cfg   config.Edge
	log   *slog.Logger
	hooks Hooks
	key   ed25519.PrivateKey
	http  *http.Client

	sync  *clock.Sync
	auth  *devauth.Client
	cams  []*devices.Camera
	mic   *devices.Microphone
	rec   *recorder.Recorder
	live  *live.Publisher
	up    *upload.Uploader
	grant grantCache

	healthLn net.Listener
	// reports counts the status reports sent (for the metrics).
	reports metrics.Reports
}

// NewEdge checks the configuration and reads the recorder's key; nothing
// is opened until Run.
func NewEdge(cfg config.Edge, log *slog.Logger, hooks Hooks) (*Edge, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if hooks.LocalNow == nil {
		hooks.LocalNow = time.Now
	}
	key, err := loadKey(cfg)
	if err != nil {
		return nil, err
	}
	return &Edge{cfg: cfg, log: log.With("recorder", cfg.RecorderID), hooks: hooks, key: key,
		http: &http.Client{Timeout: 30 * time.Second}}, nil
}

func loadKey(cfg config.Edge) (ed25519.PrivateKey, error) {
	if cfg.KeyFile != "" {
		k, err := manifest.ReadPrivateKeyFile(cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("key_file: %w", err)
		}
		return k, nil
	}
	keys, err := seal.ParseKey(cfg.DemoMasterKey)
	if err != nil {
		return nil, fmt.Errorf("demo_master_key: %w", err)
	}
	return demo.RecorderKey(keys, cfg.RecorderID), nil
}

// Run measures the clock, opens the devices and records until ctx ends;
// then it closes every segment, seals it and stops. Uploads not finished
// by then resume at the next start.
func (e *Edge) Run(ctx context.Context) error {
	if err := e.startClock(ctx); err != nil {
		return err
	}
	defer e.sync.Close()
	var err error
	e.auth, err = devauth.New(devauth.Params{BaseURL: e.cfg.Server, RecorderID: e.cfg.RecorderID, Key: e.key,
		HTTP: e.http, Now: e.sync.Now})
	if err != nil {
		return fmt.Errorf("device auth: %w", err)
	}
	if err := e.resolveRoom(ctx); err != nil {
		return err
	}
	if err := e.openDevices(); err != nil {
		return err
	}
	defer e.closeDevices()
	if err := e.build(); err != nil {
		return err
	}
	if err := e.listenHealth(); err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				e.log.Error(name+" stopped", "err", err)
			}
		}()
	}
	start("uploader", e.up.Run)
	if e.live != nil {
		start("live", e.live.Run)
	}
	start("health", e.serveHealth)
	start("reports", e.runReports)
	sd := sdnotify.FromEnv(os.Getenv)
	start("watchdog", func(ctx context.Context) error {
		sd.RunWatchdog(ctx, nil, func(err error) { e.log.Warn("systemd watchdog", "err", err) })
		return nil
	})
	e.log.Info("recording", "spool", e.cfg.Spool, "cameras", len(e.cams), "mic", e.mic != nil, "live", e.live != nil)
	if err := sd.Send(sdnotify.Ready, sdnotify.Status("正在录像")); err != nil {
		e.log.Warn("systemd notification", "err", err)
	}
	recErr := e.rec.Run(ctx) // returns once ctx ends and every segment is sealed
	if err := sd.Send(sdnotify.Stopping, sdnotify.Status("正在封存录像并停止")); err != nil {
		e.log.Warn("systemd notification", "err", err)
	}
	// Give the uploader a moment to send what was just sealed.
	e.up.Notify()
	grace := time.NewTimer(2 * time.Second)
	<-grace.C
	cancel()
	wg.Wait()
	return recErr
}

// startClock starts the clock exchange with evalroomd and waits (bounded)
// for the first measurement.
func (e *Edge) startClock(ctx context.Context) error {
	ex, err := clock.NewHTTPExchanger(e.cfg.Server, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("clock: %w", err)
	}
	e.sync, err = clock.NewSync(ex, clock.WithInterval(time.Duration(e.cfg.ClockSeconds)*time.Second),
		clock.WithClock(e.hooks.LocalNow), clock.WithLogger(e.log.With("component", "clock")))
	if err != nil {
		return fmt.Errorf("clock: %w", err)
	}
	e.sync.Start()
	wait := time.NewTimer(clockWait)
	defer wait.Stop()
	select {
	case <-e.sync.Ready():
		est, _ := e.sync.Estimate()
		e.log.Info("clock measured", "offset", est.Offset, "uncertainty", est.Uncertainty)
	case <-wait.C:
		e.log.Warn("no clock measurement yet; recording on the local clock until the server answers", "server", e.cfg.Server)
	case <-ctx.Done():
		e.sync.Close()
		return ctx.Err()
	}
	return nil
}

// openDevices opens the configured cameras and microphone.
func (e *Edge) openDevices() error {
	specs, _ := e.cfg.CameraSpecs()
	// Synthetic devices show the machine's own clock, the world's time;
	// frames are stamped on the corrected clock. (With the test hook the
	// recorder's local clock is wrong while the world is not.)
	opts := devices.Options{Now: e.sync.Now, SceneNow: time.Now, Logger: e.log}
	for _, s := range specs {
		c, err := devices.OpenCamera(devices.CameraConfig{Name: s.Name, Device: s.Device, Width: s.Width, Height: s.Height,
			FPS: s.FPS, BitrateKbps: s.BitrateKbps, Codec: frame.Codec(s.Codec), Label: e.cfg.RecorderID + " " + s.Name}, opts)
		if err != nil {
			e.closeDevices()
			return fmt.Errorf("camera %s (%s): %w", s.Name, s.Device, err)
		}
		e.cams = append(e.cams, c)
	}
	if m, _ := e.cfg.MicSpec(); m != nil {
		mic, err := devices.OpenMicrophone(devices.MicConfig{Name: m.Name, Device: m.Device, BitrateKbps: m.BitrateKbps, Channels: m.Channels}, opts)
		if err != nil {
			e.closeDevices()
			return fmt.Errorf("microphone %s (%s): %w", m.Name, m.Device, err)
		}
		e.mic = mic
	}
	return nil
}

func (e *Edge) closeDevices() {
	for _, c := range e.cams {
		c.Close()
	}
	if e.mic != nil {
		e.mic.Close()
	}
}

// build wires the recorder, the live path and the uploader.
func (e *Edge) build() error {
	var err error
	e.up, err = upload.New(upload.Params{
		Dir: e.cfg.Spool, Endpoint: strings.TrimSuffix(e.cfg.Server, "/") + "/archive", Token: e.uploadToken, OnUnauthorized: e.auth.Invalidate,
		HTTP: e.http, QuotaBytes: int64(e.cfg.QuotaMB) << 20, Logger: e.log.With("component", "upload"),
	})
	if err != nil {
		return fmt.Errorf("uploader: %w", err)
	}
	var tracks []live.Track
	var cams []recorder.Camera
	for _, c := range e.cams {
		cc := c.Config()
		cams = append(cams, recorder.Camera{Name: cc.Name, Codec: cc.Codec, Width: cc.Width, Height: cc.Height, FPS: cc.FPS, Source: c})
		t := live.Track{ID: cc.Name, Codec: cc.Codec}
		if cc.Codec == frame.H264 {
			t.Fmtp = x264Fmtp
		}
		tracks = append(tracks, t)
	}
	var mic *recorder.Microphone
	if e.mic != nil {
		mc := e.mic.Config()
		mic = &recorder.Microphone{Name: mc.Name, Channels: mc.Channels, Source: e.mic}
		tracks = append(tracks, live.Track{ID: mc.Name, Codec: frame.Opus})
	}
	var sink recorder.Live
	if e.cfg.Live {
		e.live, err = live.New(live.Params{Tracks: tracks, Endpoint: e.liveEndpoint, Now: e.sync.Now,
			OnKeyframe: e.forceKeyframe, OnFailure: e.liveFailed, HTTP: e.http, Logger: e.log.With("component", "live")})
		if err != nil {
			return fmt.Errorf("live: %w", err)
		}
		sink = e.live
	}
	fsync := map[string]segment.FsyncPolicy{"fragment": segment.FsyncFragment, "close": segment.FsyncClose, "never": segment.FsyncNever}[e.cfg.Fsync]
	e.rec, err = recorder.New(recorder.Params{
		Dir: e.cfg.Spool, RecorderID: e.cfg.RecorderID, Room: e.grant.room(), Session: e.grant.session,
		Key: e.key, Alg: manifest.Alg(e.cfg.Hash), Cameras: cams, Mic: mic, Clock: e.sync, Live: sink,
		SegmentLength: time.Duration(e.cfg.SegmentSeconds) * time.Second, Fsync: fsync,
		OnSealed: func(manifest.Manifest) { e.up.Notify() }, Logger: e.log.With("component", "recorder"),
	})
	if err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	return nil
}

// x264Fmtp is the H.264 format the recorder offers for its live video:
// constrained baseline (42e01f), although mediadevices' x264 wrapper
// encodes High profile (its profile is fixed in C). Browsers accept only
// the profiles they list, and Debian's Chromium lists constrained
// baseline and Main but not High, so a High offer leaves the rooms dark
// on every panel; its software decoder (FFmpeg) decodes the High stream
// under this label (TestWallPage checks it). A decoder that trusts the
// label (a hardware one) may not: an encoder profile option in the
// wrapper is the real fix.
const x264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

// forceKeyframe asks a camera for a keyframe (the live path needs one).
func (e *Edge) forceKeyframe(trackID string) {
	for _, c := range e.cams {
		if c.Config().Name == trackID {
			c.ForceKeyframe()
		}
	}
}
