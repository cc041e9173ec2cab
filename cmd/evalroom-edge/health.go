package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/evalroom/evalroom/devices"
	"github.com/evalroom/evalroom/media/clock"
	"github.com/evalroom/evalroom/recorder"
	"github.com/evalroom/evalroom/recorder/live"
	"github.com/evalroom/evalroom/recorder/upload"
)

// staleAfter is how old the newest archived frame may be before the
// recorder counts as not recording.
const staleAfter = 5 * time.Second

// Status is the edge recorder's state, served as JSON at /status.
type Status struct {
	RecorderID string           `json:"recorder_id"`
	RoomID     string           `json:"room_id"`
	SessionID  string           `json:"session_id"`
	Recording  bool             `json:"recording"`
	Devices    []devices.Health `json:"devices"`
	Archive    recorder.Status  `json:"archive"`
	Upload     upload.Status    `json:"upload"`
	Live       *live.Status     `json:"live,omitempty"`
	Clock      *clock.Estimate  `json:"clock,omitempty"`
	Problems   []string         `json:"problems"`
}

// status gathers the state and what is wrong with it (in Chinese, for
// the control panel).
func (e *Edge) status() Status {
	s := Status{RecorderID: e.cfg.RecorderID, RoomID: e.grant.room(), SessionID: e.grant.session(),
		Archive: e.rec.Status(), Upload: e.up.Status(), Problems: []string{}}
	for _, c := range e.cams {
		s.Devices = append(s.Devices, c.Health())
	}
	if e.mic != nil {
		s.Devices = append(s.Devices, e.mic.Health())
	}
	if e.live != nil {
		ls := e.live.Status()
		s.Live = &ls
	}
	if est, err := e.sync.Estimate(); err == nil {
		s.Clock = &est
	} else {
		s.Problems = append(s.Problems, "尚未与服务器完成时钟校准")
	}
	now := e.sync.Now()
	s.Recording = true
	for _, c := range s.Archive.Cameras {
		if c.LastFrame.IsZero() || now.Sub(c.LastFrame) > staleAfter {
			s.Recording = false
			s.Problems = append(s.Problems, fmt.Sprintf("摄像机 %s 未在录像", c.Name))
		}
	}
	for _, d := range s.Devices {
		if !d.Open {
			s.Problems = append(s.Problems, fmt.Sprintf("设备 %s 已断开: %s", d.Name, d.LastError))
		}
	}
	if s.Upload.Pending > e.cfg.MaxBacklog {
		s.Problems = append(s.Problems, fmt.Sprintf("待上传录像 %d 段，超过上限 %d", s.Upload.Pending, e.cfg.MaxBacklog))
	}
	if s.Upload.Alarm != "" {
		s.Problems = append(s.Problems, s.Upload.Alarm)
	}
	return s
}

// listenHealth binds the health address (so a port clash fails the start).
func (e *Edge) listenHealth() error {
	ln, err := net.Listen("tcp", e.cfg.HealthAddr)
	if err != nil {
		return fmt.Errorf("health_addr: %w", err)
	}
	e.healthLn = ln
	return nil
}

// serveHealth serves /healthz (the process is up), /readyz (recording,
// devices open, backlog under its limit), /status and /metrics
// (Prometheus) until ctx ends.
func (e *Edge) serveHealth(ctx context.Context) error {
	mux := http.NewServeMux()
	metricsHandler, err := e.metricsHandler()
	if err != nil {
		return err
	}
	mux.Handle("GET /metrics", metricsHandler)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		s := e.status()
		code := http.StatusOK
		if len(s.Problems) > 0 {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]any{"ready": code == http.StatusOK, "problems": s.Problems})
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, e.status())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err = srv.Serve(e.healthLn)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
