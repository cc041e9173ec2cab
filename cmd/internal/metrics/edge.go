package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// EdgeStatus is what evalroom-edge's metrics show, taken from its
// /status at scrape time.
type EdgeStatus struct {
	// RecorderID and RoomID label every series.
	RecorderID, RoomID string
	// Recording and Live are as in the status report.
	Recording, Live bool
	// Devices are the cameras and microphone.
	Devices []EdgeDevice
	// Sources are the archive's per-source counts.
	Sources []EdgeSource
	// BacklogSegments and BacklogBytes are not yet acknowledged by the
	// archive; SpoolBytes is the spool's size, FreeDiskBytes its file
	// system's free space (-1 unknown).
	BacklogSegments, BacklogBytes, SpoolBytes, FreeDiskBytes int64
	// ClockSynced is false before the first clock measurement; then
	// ClockOffset and ClockUncertainty are the estimate.
	ClockSynced                   bool
	ClockOffset, ClockUncertainty time.Duration
	// Alarms counts the problems /readyz reports.
	Alarms int
	// LastSegmentAt is the end of the newest sealed segment.
	LastSegmentAt time.Time
}

// EdgeDevice is one capture device.
type EdgeDevice struct {
	Name, Kind string
	Open       bool
	FPS        float64
	Losses     int
}

// EdgeSource is one archived source (camera or microphone).
type EdgeSource struct {
	Name                   string
	Frames, Errors, Sealed int64
}

var (
	edgeLabels       = []string{"recorder", "room_id"}
	edgeRecording    = newDesc("edge_recording", "1 while every camera archives fresh frames.", edgeLabels...)
	edgeLive         = newDesc("edge_live", "1 while the room is published live to evalroomd.", edgeLabels...)
	edgeDeviceUp     = newDesc("edge_device_open", "1 while the capture device is open, 0 while it is lost and retried.", append(edgeLabels, "device", "kind")...)
	edgeDeviceFPS    = newDesc("edge_device_frames_per_second", "Coded frames (packets for a microphone) per second over the last ~5 s.", append(edgeLabels, "device", "kind")...)
	edgeDeviceLosses = newDesc("edge_device_losses_total", "Times the device was lost since the recorder started.", append(edgeLabels, "device", "kind")...)
	edgeFrames       = newDesc("edge_archived_frames_total", "Frames archived since the recorder started, by source.", append(edgeLabels, "source")...)
	edgeFrameErrors  = newDesc("edge_frame_errors_total", "Frames not archived (waiting for a keyframe, out of order, write errors), by source.", append(edgeLabels, "source")...)
	edgeSealed       = newDesc("edge_segments_sealed_total", "Segments sealed since the recorder started, by source.", append(edgeLabels, "source")...)
	edgeBacklog      = newDesc("edge_backlog_segments", "Segments not yet acknowledged by the archive.", edgeLabels...)
	edgeBacklogBytes = newDesc("edge_backlog_bytes", "Size of the segments not yet acknowledged by the archive.", edgeLabels...)
	edgeSpool        = newDesc("edge_spool_bytes", "Size of the spool (local archive).", edgeLabels...)
	edgeFreeDisk     = newDesc("edge_free_disk_bytes", "Free space of the spool's file system (-1 unknown).", edgeLabels...)
	edgeClockSynced  = newDesc("edge_clock_synced", "1 once the clock was measured against evalroomd.", edgeLabels...)
	edgeClockOffset  = newDesc("edge_clock_offset_seconds", "Server clock minus this PC's clock, as measured.", edgeLabels...)
	edgeClockUncert  = newDesc("edge_clock_uncertainty_seconds", "Bound of the error of the corrected clock.", edgeLabels...)
	edgeAlarms       = newDesc("edge_alarms", "Problems the recorder reports on /readyz.", edgeLabels...)
	edgeLastSegment  = newDesc("edge_last_segment_timestamp_seconds", "End of the newest sealed segment (Unix time; 0 none).", edgeLabels...)
	edgeReports      = newDesc("edge_status_reports_total", "Status reports sent to evalroomd, by result (ok, failed).", append(edgeLabels, "result")...)
)

// Reports counts the edge recorder's status reports.
type Reports struct{ ok, failed atomic.Int64 }

// Sent counts one report.
func (r *Reports) Sent(ok bool) {
	if ok {
		r.ok.Add(1)
	} else {
		r.failed.Add(1)
	}
}

// edgeCollector reads the edge recorder's status at scrape time.
type edgeCollector struct {
	status  func() EdgeStatus
	reports *Reports
}

// RegisterEdge registers evalroom-edge's collector on reg; status is
// read at each scrape, reports (nil: none) counts the status reports.
func RegisterEdge(reg prometheus.Registerer, status func() EdgeStatus, reports *Reports) error {
	if reports == nil {
		reports = &Reports{}
	}
	return reg.Register(&edgeCollector{status: status, reports: reports})
}

func (c *edgeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{edgeRecording, edgeLive, edgeDeviceUp, edgeDeviceFPS, edgeDeviceLosses, edgeFrames, edgeFrameErrors,
		edgeSealed, edgeBacklog, edgeBacklogBytes, edgeSpool, edgeFreeDisk, edgeClockSynced, edgeClockOffset, edgeClockUncert,
		edgeAlarms, edgeLastSegment, edgeReports} {
		ch <- d
	}
}

func (c *edgeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.status()
	l := []string{s.RecorderID, s.RoomID}
	with := func(extra ...string) []string { return append(append([]string(nil), l...), extra...) }
	gauge(ch, edgeRecording, boolValue(s.Recording), l...)
	gauge(ch, edgeLive, boolValue(s.Live), l...)
	for _, d := range s.Devices {
		gauge(ch, edgeDeviceUp, boolValue(d.Open), with(d.Name, d.Kind)...)
		gauge(ch, edgeDeviceFPS, d.FPS, with(d.Name, d.Kind)...)
		counter(ch, edgeDeviceLosses, float64(d.Losses), with(d.Name, d.Kind)...)
	}
	for _, src := range s.Sources {
		counter(ch, edgeFrames, float64(src.Frames), with(src.Name)...)
		counter(ch, edgeFrameErrors, float64(src.Errors), with(src.Name)...)
		counter(ch, edgeSealed, float64(src.Sealed), with(src.Name)...)
	}
	gauge(ch, edgeBacklog, float64(s.BacklogSegments), l...)
	gauge(ch, edgeBacklogBytes, float64(s.BacklogBytes), l...)
	gauge(ch, edgeSpool, float64(s.SpoolBytes), l...)
	gauge(ch, edgeFreeDisk, float64(s.FreeDiskBytes), l...)
	gauge(ch, edgeClockSynced, boolValue(s.ClockSynced), l...)
	gauge(ch, edgeClockOffset, s.ClockOffset.Seconds(), l...)
	gauge(ch, edgeClockUncert, s.ClockUncertainty.Seconds(), l...)
	gauge(ch, edgeAlarms, float64(s.Alarms), l...)
	gauge(ch, edgeLastSegment, unixSeconds(s.LastSegmentAt), l...)
	counter(ch, edgeReports, float64(c.reports.ok.Load()), with("ok")...)
	counter(ch, edgeReports, float64(c.reports.failed.Load()), with("failed")...)
}
