package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evalroom/evalroom/room"
)

// recorderLabels name a room and its recorder.
var recorderLabels = []string{"room_id", "room", "venue", "recorder"}

var (
	clockToleranceDesc  = newDesc("clock_tolerance_seconds", "How far a recorder's clock may be from the server's (room archives must line up within it): the alert threshold, from metrics.clock_tolerance_ms.")
	roomEvaluatingDesc  = newDesc("room_evaluating", "1 while the room's session is evaluating (a room must record then), else 0.", recorderLabels...)
	recorderStaleDesc   = newDesc("recorder_stale", "1 when the room's recorder sent no status report in the last 30 s (offline, cut off, stopped) or the room has none registered; its other metrics are then 0.", recorderLabels...)
	recorderRecording   = newDesc("recorder_recording", "1 while the recorder reports every camera archiving fresh frames.", recorderLabels...)
	recorderLive        = newDesc("recorder_live", "1 while the recorder publishes the room live to the room server.", recorderLabels...)
	recorderDevices     = newDesc("recorder_devices", "The recorder's cameras and microphones by state (open, lost).", append(recorderLabels, "state")...)
	recorderBacklog     = newDesc("recorder_backlog_segments", "Segments the recorder holds that the archive has not acknowledged yet.", recorderLabels...)
	recorderBacklogSize = newDesc("recorder_backlog_bytes", "Size of the segments not yet acknowledged by the archive.", recorderLabels...)
	recorderOffset      = newDesc("recorder_clock_offset_seconds", "Server clock minus the room PC's clock as the recorder measured it (it corrects its stamps by it).", recorderLabels...)
	recorderUncertainty = newDesc("recorder_clock_uncertainty_seconds", "Bound of the error of the recorder's corrected clock (half the round trip plus drift).", recorderLabels...)
	recorderFreeDisk    = newDesc("recorder_free_disk_bytes", "Free space of the recorder's spool file system (-1 unknown).", recorderLabels...)
	recorderAlarms      = newDesc("recorder_alarms", "Alarms the recorder reports (what needs a person).", recorderLabels...)
	recorderLastSegment = newDesc("recorder_last_segment_timestamp_seconds", "End of the recorder's newest sealed segment (Unix time; 0 none).", recorderLabels...)
	recorderReportedAt  = newDesc("recorder_report_timestamp_seconds", "When the server received the recorder's latest report (Unix time; 0 none fresh).", recorderLabels...)
)

// recordersCollector reads room.RecorderMonitor.RoomStates: one series
// per room that has a recorder or runs a session.
type recordersCollector struct {
	src       *sources
	states    func(ctx context.Context) ([]room.RoomRecorderState, error)
	tolerance time.Duration
}

func (c *recordersCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{clockToleranceDesc, roomEvaluatingDesc, recorderStaleDesc, recorderRecording, recorderLive,
		recorderDevices, recorderBacklog, recorderBacklogSize, recorderOffset, recorderUncertainty, recorderFreeDisk,
		recorderAlarms, recorderLastSegment, recorderReportedAt} {
		ch <- d
	}
}

func (c *recordersCollector) Collect(ch chan<- prometheus.Metric) {
	if c.tolerance > 0 {
		gauge(ch, clockToleranceDesc, c.tolerance.Seconds())
	}
	if c.states == nil {
		return
	}
	var states []room.RoomRecorderState
	if !c.src.read(ch, "recorders", func(ctx context.Context) (err error) { states, err = c.states(ctx); return err }) {
		return
	}
	for _, s := range states {
		l := []string{strconv.FormatInt(s.RoomID, 10), s.RoomName, s.VenueCode, s.RecorderID}
		gauge(ch, roomEvaluatingDesc, boolValue(s.Evaluating()), l...)
		gauge(ch, recorderStaleDesc, boolValue(s.Stale), l...)
		gauge(ch, recorderRecording, boolValue(s.Recording), l...)
		gauge(ch, recorderLive, boolValue(s.Live), l...)
		gauge(ch, recorderDevices, float64(s.DevicesOpen), append(l, "open")...)
		gauge(ch, recorderDevices, float64(s.DevicesLost), append(l, "lost")...)
		gauge(ch, recorderBacklog, float64(s.BacklogSegments), l...)
		gauge(ch, recorderBacklogSize, float64(s.BacklogBytes), l...)
		gauge(ch, recorderOffset, s.ClockOffsetMS/1000, l...)
		gauge(ch, recorderUncertainty, s.ClockUncertaintyMS/1000, l...)
		gauge(ch, recorderFreeDisk, float64(s.FreeDiskBytes), l...)
		gauge(ch, recorderAlarms, float64(len(s.Alarms)), l...)
		var last, at time.Time
		if s.LastSegmentAt != nil {
			last = *s.LastSegmentAt
		}
		if s.ReportedAt != nil {
			at = *s.ReportedAt
		}
		gauge(ch, recorderLastSegment, unixSeconds(last), l...)
		gauge(ch, recorderReportedAt, unixSeconds(at), l...)
	}
}
