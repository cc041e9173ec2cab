package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/metrics"
)

// reportPath is where evalroomd takes the recorders' status reports.
const reportPath = "/api/devices/status"

// statusReport is the report evalroomd's POST /api/devices/status takes
// (room.RecorderReport; the field names are the API's contract). The
// edge binary keeps its own copy so as not to link the room server's
// packages.
type statusReport struct {
	RecorderID         string     `json:"recorder_id"`
	RoomID             string     `json:"room_id"`
	Recording          bool       `json:"recording"`
	Live               bool       `json:"live"`
	DevicesOpen        int        `json:"devices_open"`
	DevicesLost        int        `json:"devices_lost"`
	BacklogSegments    int64      `json:"backlog_segments"`
	BacklogBytes       int64      `json:"backlog_bytes"`
	ClockOffsetMS      float64    `json:"clock_offset_ms"`
	ClockUncertaintyMS float64    `json:"clock_uncertainty_ms"`
	FreeDiskBytes      int64      `json:"free_disk_bytes"`
	Alarms             []string   `json:"alarms"`
	LastSegmentAt      *time.Time `json:"last_segment_at,omitempty"`
}

// maxReportAlarms and maxAlarmRunes are the server's limits of a report.
const (
	maxReportAlarms = 32
	maxAlarmRunes   = 200
)

// report turns the recorder's status into its status report.
func report(s Status) statusReport {
	r := statusReport{RecorderID: s.RecorderID, RoomID: s.RoomID, Recording: s.Recording,
		BacklogSegments: int64(s.Upload.Pending), BacklogBytes: s.Upload.PendingBytes, FreeDiskBytes: s.Upload.FreeBytes,
		Alarms: []string{}}
	if r.FreeDiskBytes < -1 {
		r.FreeDiskBytes = -1
	}
	if s.Live != nil {
		r.Live = s.Live.Connected
	}
	for _, d := range s.Devices {
		if d.Open {
			r.DevicesOpen++
		} else {
			r.DevicesLost++
		}
	}
	if s.Clock != nil {
		r.ClockOffsetMS = float64(s.Clock.Offset) / float64(time.Millisecond)
		r.ClockUncertaintyMS = float64(s.Clock.Uncertainty) / float64(time.Millisecond)
	}
	if last := lastSealed(s); !last.IsZero() {
		r.LastSegmentAt = &last
	}
	for _, p := range s.Problems {
		if len(r.Alarms) == maxReportAlarms {
			break
		}
		if rs := []rune(p); len(rs) > maxAlarmRunes {
			p = string(rs[:maxAlarmRunes-1]) + "…"
		}
		if strings.TrimSpace(p) != "" {
			r.Alarms = append(r.Alarms, p)
		}
	}
	return r
}

// lastSealed is the end of the newest segment sealed since the start.
func lastSealed(s Status) time.Time {
	var last time.Time
	for _, c := range s.Archive.Cameras {
		if c.LastSealed.After(last) {
			last = c.LastSealed
		}
	}
	if m := s.Archive.Mic; m != nil && m.LastSealed.After(last) {
		last = m.LastSealed
	}
	return last
}

// runReports sends a status report every report_seconds until ctx ends.
// A failed report is logged when the reports start failing and when they
// recover, not at every attempt.
func (e *Edge) runReports(ctx context.Context) error {
	every := time.Duration(e.cfg.ReportSeconds) * time.Second
	if every <= 0 {
		return nil
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	failing := false
	for {
		err := e.sendReport(ctx)
		e.reports.Sent(err == nil)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			e.log.Warn("status report not delivered; retrying every interval", "err", err)
			failing = true
		case err == nil && failing:
			e.log.Info("status reports delivered again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// sendReport posts one report with the recorder's device token (an
// upload-only one outside a session). A refused token is dropped so the
// next report asks for a new one.
func (e *Edge) sendReport(ctx context.Context) error {
	r := report(e.status())
	if r.RoomID == "" {
		return fmt.Errorf("status report: the room is not known yet")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("status report: %w", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	g, err := e.token(tctx)
	if err != nil {
		return fmt.Errorf("status report: %w", err)
	}
	req, err := http.NewRequestWithContext(tctx, http.MethodPost, strings.TrimSuffix(e.cfg.Server, "/")+reportPath, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("status report: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.Token)
	resp, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("status report: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusConflict:
		e.auth.Invalidate()
	}
	return fmt.Errorf("status report: %s: %s", resp.Status, strings.TrimSpace(string(answer)))
}

// metricsStatus is the recorder's status as its metrics show it.
func (e *Edge) metricsStatus() metrics.EdgeStatus {
	s := e.status()
	r := report(s)
	m := metrics.EdgeStatus{RecorderID: s.RecorderID, RoomID: s.RoomID, Recording: s.Recording, Live: r.Live,
		BacklogSegments: r.BacklogSegments, BacklogBytes: r.BacklogBytes, SpoolBytes: s.Upload.SpoolBytes,
		FreeDiskBytes: s.Upload.FreeBytes, Alarms: len(s.Problems), LastSegmentAt: lastSealed(s)}
	if s.Clock != nil {
		m.ClockSynced, m.ClockOffset, m.ClockUncertainty = true, s.Clock.Offset, s.Clock.Uncertainty
	}
	for _, d := range s.Devices {
		m.Devices = append(m.Devices, metrics.EdgeDevice{Name: d.Name, Kind: d.Kind, Open: d.Open, FPS: d.FPS, Losses: d.Losses})
	}
	for _, c := range s.Archive.Cameras {
		m.Sources = append(m.Sources, metrics.EdgeSource{Name: c.Name, Frames: c.Frames, Errors: c.Errors, Sealed: c.Sealed})
	}
	if c := s.Archive.Mic; c != nil {
		m.Sources = append(m.Sources, metrics.EdgeSource{Name: c.Name, Frames: c.Frames, Errors: c.Errors, Sealed: c.Sealed})
	}
	return m
}

// metricsHandler serves the recorder's Prometheus metrics (on the
// health listener, at /metrics).
func (e *Edge) metricsHandler() (http.Handler, error) {
	reg := metrics.NewRegistry()
	if err := metrics.RegisterEdge(reg, e.metricsStatus, &e.reports); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return metrics.Handler(reg, e.log), nil
}
