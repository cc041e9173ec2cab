package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/metrics"
	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu"
)

// scrape gathers reg: name → labels ("k=v,k=v" sorted) → value.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]map[string]float64{}
	for _, f := range fams {
		m := map[string]float64{}
		for _, s := range f.GetMetric() {
			var ls []string
			for _, l := range s.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			var v float64
			switch {
			case s.Gauge != nil:
				v = s.GetGauge().GetValue()
			case s.Counter != nil:
				v = s.GetCounter().GetValue()
			case s.Histogram != nil:
				v = float64(s.GetHistogram().GetSampleCount())
			default:
				v = s.GetUntyped().GetValue()
			}
			m[strings.Join(ls, ",")] = v
		}
		out[f.GetName()] = m
	}
	return out
}

// key joins label pairs as scrape does (sorted); each part may itself be
// a joined list.
func key(parts ...string) string {
	var ls []string
	for _, p := range parts {
		ls = append(ls, strings.Split(p, ",")...)
	}
	sort.Strings(ls)
	return strings.Join(ls, ",")
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fullSources returns sources that each have something to say; sfuNow
// is what the SFU reports at the next scrape.
func fullSources(sfuNow *sfu.Stats) metrics.Sources {
	last := time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)
	reported := last.Add(2 * time.Second)
	return metrics.Sources{
		Sessions: func(context.Context) (map[room.Phase]int, error) {
			return map[room.Phase]int{room.PhaseScheduled: 2, room.PhaseEvaluating: 1}, nil
		},
		SFU: func() sfu.Stats { return *sfuNow },
		Pool: func(context.Context) (expertpool.PoolStats, error) {
			return expertpool.PoolStats{Draws: map[string]int{"filled": 3}, Members: map[string]int{"confirmed": 9},
				Notifications: expertpool.NotificationStats{Total: 12, Delivered: 10, Dead: 2, InFlight: 0, Retrying: 0}}, nil
		},
		Notify: func() notify.WorkerStats { return notify.WorkerStats{Delivered: 10, Retried: 4, Dead: 2} },
		Recorders: func(context.Context) ([]room.RoomRecorderState, error) {
			return []room.RoomRecorderState{
				{RecorderView: room.RecorderView{RoomID: 1, RoomName: "第一评标室", VenueCode: "JS-NJ", RecorderID: "edge-nj-1",
					ReportedAt: &reported, Recording: true, Live: true, DevicesOpen: 2, BacklogSegments: 4, BacklogBytes: 4 << 20,
					ClockOffsetMS: 4000, ClockUncertaintyMS: 2.5, FreeDiskBytes: 9 << 30, Alarms: []string{"a"}, LastSegmentAt: &last},
					SessionID: 3, Phase: room.PhaseEvaluating},
				{RecorderView: room.RecorderView{RoomID: 2, RoomName: "第二评标室", VenueCode: "AH-HF", Stale: true, Alarms: []string{}},
					SessionID: 3, Phase: room.PhaseEvaluating},
			}, nil
		},
		Archive: func(context.Context) (archive.Stats, error) {
			return archive.Stats{Segments: map[string]int64{"verified": 5, "broken": 1}, Bytes: 600, Recorders: 2, LastAccepted: last, LastVerified: last}, nil
		},
		Replication: func(context.Context) (archive.ReplicationStats, error) {
			return archive.ReplicationStats{Pending: 1, Done: 5, OldestWaiting: last}, nil
		},
		ClockTolerance: 20 * time.Millisecond,
		Logger:         quiet,
	}
}

func TestServerMetrics(t *testing.T) {
	st := &sfu.Stats{
		Sessions: []sfu.SessionStats{{Session: "3", Participants: map[string]int{"device": 2, "supervisor": 1}, Hidden: 1,
			AudioTracks: 2, VideoTracks: 2, ReceiveBitrate: 3e6, ForwardBitrate: 5e6}},
		Layers: []sfu.LayerStats{{Key: "v1/0", Session: "3", Video: true, Bytes: 1000, Expected: 400, Received: 380},
			{Key: "v2/0", Session: "3", Video: true, Bytes: 500, Expected: 100, Received: 100},
			{Key: "a1/0", Session: "3", Bytes: 50}},
		Downs: []sfu.DownStats{{Key: "p1/v1", Session: "3", Packets: 100, Bytes: 10000}, {Key: "p1/a1", Session: "3", Packets: 4294967290, Bytes: 4294967000}},
	}
	reg := metrics.NewRegistry()
	require.NoError(t, metrics.RegisterServer(reg, fullSources(st)))
	h, err := metrics.NewHTTP(reg)
	require.NoError(t, err)
	h.ObserveRequest("GET", "/api/sessions/:id/recorders", 200, 3*time.Millisecond)
	h.ObserveRequest("GET", "/api/sessions/:id/recorders", 200, time.Millisecond)
	h.ObserveRequest("POST", "/api/devices/status", 422, time.Millisecond)

	m := scrape(t, reg)
	require.Equal(t, 1.0, m["evalroom_sessions"]["phase=evaluating"])
	require.Equal(t, 2.0, m["evalroom_sessions"]["phase=scheduled"])
	nj := "recorder=edge-nj-1,room=第一评标室,room_id=1,venue=JS-NJ"
	hf := "recorder=,room=第二评标室,room_id=2,venue=AH-HF"
	require.Equal(t, 1.0, m["evalroom_recorder_recording"][nj])
	require.Equal(t, 0.0, m["evalroom_recorder_stale"][nj])
	require.Equal(t, 1.0, m["evalroom_recorder_stale"][hf])
	require.Equal(t, 0.0, m["evalroom_recorder_recording"][hf])
	require.Equal(t, 1.0, m["evalroom_room_evaluating"][hf])
	require.Equal(t, 4.0, m["evalroom_recorder_clock_offset_seconds"][nj])
	require.Equal(t, 0.0025, m["evalroom_recorder_clock_uncertainty_seconds"][nj])
	require.Equal(t, float64(9<<30), m["evalroom_recorder_free_disk_bytes"][nj])
	require.Equal(t, 4.0, m["evalroom_recorder_backlog_segments"][nj])
	require.Equal(t, 2.0, m["evalroom_recorder_devices"][key(nj, "state=open")])
	require.Equal(t, 1.0, m["evalroom_recorder_alarms"][nj])
	require.Equal(t, 0.02, m["evalroom_clock_tolerance_seconds"][""])
	require.Equal(t, 2.0, m["evalroom_notifications"]["state=dead"])
	require.Equal(t, 2.0, m["evalroom_notify_dead_total"][""])
	require.Equal(t, 3.0, m["evalroom_draws"]["state=filled"])
	require.Equal(t, 1.0, m["evalroom_archive_segments"]["state=broken"])
	require.Equal(t, 1.0, m["evalroom_archive_replication_segments"]["state=pending"])
	require.Equal(t, 1.0, m["evalroom_sfu_sessions"][""])
	require.Equal(t, 2.0, m["evalroom_sfu_participants"]["role=device,session=3"])
	require.Equal(t, 5e6, m["evalroom_sfu_forward_bits_per_second"]["session=3"])
	require.InDelta(t, 20.0/500, m["evalroom_sfu_ingest_loss_ratio"]["session=3"], 1e-9)
	require.Equal(t, 1550.0, m["evalroom_sfu_received_bytes_total"][""])
	require.Equal(t, 100.0+4294967290, m["evalroom_sfu_forwarded_packets_total"][""])
	require.Equal(t, 2.0, m["evalroom_http_requests_total"]["code=200,method=GET,route=/api/sessions/:id/recorders"])
	require.Equal(t, 1.0, m["evalroom_http_requests_total"]["code=422,method=POST,route=/api/devices/status"])
	require.Equal(t, 2.0, m["evalroom_http_request_duration_seconds"]["method=GET,route=/api/sessions/:id/recorders"])
	for _, s := range []string{"sessions", "expertpool", "recorders", "archive", "archive_replication"} {
		require.Equal(t, 1.0, m["evalroom_metrics_source_up"]["source="+s], s)
	}

	first := m

	// The SFU's totals keep growing across streams that end and counters
	// that wrap: p1/a1 wraps (+11 packets), p1/v1 grows by 50 and then
	// ends, p2/v1 starts.
	st.Downs = []sfu.DownStats{{Key: "p1/v1", Packets: 150}, {Key: "p1/a1", Packets: 5}, {Key: "p2/v1", Packets: 10}}
	st.Layers = []sfu.LayerStats{{Key: "v1/0", Video: true, Bytes: 1600}}
	m = scrape(t, reg)
	require.Equal(t, 100.0+4294967290+50+11+10, m["evalroom_sfu_forwarded_packets_total"][""])
	require.Equal(t, 2150.0, m["evalroom_sfu_received_bytes_total"][""], "the ended layers keep what they counted")
	st.Downs = []sfu.DownStats{{Key: "p2/v1", Packets: 30}}
	m = scrape(t, reg)
	require.Equal(t, 100.0+4294967290+50+11+30, m["evalroom_sfu_forwarded_packets_total"][""])

	// Every name exported is one Names lists, and the full sources
	// export every evalroom_ name Names lists.
	names := metrics.Names(false)
	for n := range first {
		require.Contains(t, names, n)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "evalroom_") {
			require.Contains(t, first, n, "the full sources export %s", n)
		}
	}
}

func TestAFailingSourceLeavesTheRest(t *testing.T) {
	st := &sfu.Stats{}
	src := fullSources(st)
	src.Pool = func(context.Context) (expertpool.PoolStats, error) {
		return expertpool.PoolStats{}, errors.New("database down")
	}
	reg := metrics.NewRegistry()
	require.NoError(t, metrics.RegisterServer(reg, src))
	srv := httptest.NewServer(metrics.Handler(reg, quiet))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	text := string(body)
	require.Contains(t, text, `evalroom_metrics_source_up{source="expertpool"} 0`)
	require.Contains(t, text, `evalroom_metrics_source_up{source="recorders"} 1`)
	require.NotContains(t, text, "evalroom_draws{")
	require.Contains(t, text, `evalroom_sessions{phase="evaluating"} 1`)
	require.Contains(t, text, `evalroom_notify_dead_total 2`, "the node's own counts do not need the database")
}

func TestEdgeMetrics(t *testing.T) {
	last := time.Date(2026, 11, 23, 1, 2, 3, 0, time.UTC)
	reports := &metrics.Reports{}
	reports.Sent(true)
	reports.Sent(true)
	reports.Sent(false)
	reg := metrics.NewRegistry()
	require.NoError(t, metrics.RegisterEdge(reg, func() metrics.EdgeStatus {
		return metrics.EdgeStatus{RecorderID: "edge-nj-1", RoomID: "1", Recording: true, Live: false,
			Devices:         []metrics.EdgeDevice{{Name: "cam1", Kind: "camera", Open: true, FPS: 29.97}, {Name: "mic", Kind: "microphone", Losses: 2}},
			Sources:         []metrics.EdgeSource{{Name: "cam1", Frames: 900, Errors: 1, Sealed: 3}},
			BacklogSegments: 2, BacklogBytes: 1 << 20, SpoolBytes: 5 << 20, FreeDiskBytes: 7 << 30,
			ClockSynced: true, ClockOffset: 4 * time.Second, ClockUncertainty: 3 * time.Millisecond, Alarms: 1, LastSegmentAt: last}
	}, reports))
	m := scrape(t, reg)
	l := "recorder=edge-nj-1,room_id=1"
	require.Equal(t, 1.0, m["evalroom_edge_recording"][l])
	require.Equal(t, 0.0, m["evalroom_edge_live"][l])
	require.Equal(t, 1.0, m["evalroom_edge_device_open"][key(l, "device=cam1", "kind=camera")])
	require.Equal(t, 0.0, m["evalroom_edge_device_open"][key(l, "device=mic", "kind=microphone")])
	require.Equal(t, 2.0, m["evalroom_edge_device_losses_total"][key(l, "device=mic", "kind=microphone")])
	require.Equal(t, 900.0, m["evalroom_edge_archived_frames_total"][key(l, "source=cam1")])
	require.Equal(t, 4.0, m["evalroom_edge_clock_offset_seconds"][l])
	require.Equal(t, float64(last.Unix()), m["evalroom_edge_last_segment_timestamp_seconds"][l])
	require.Equal(t, 2.0, m["evalroom_edge_status_reports_total"][key(l, "result=ok")])
	require.Equal(t, 1.0, m["evalroom_edge_status_reports_total"][key(l, "result=failed")])
	names := metrics.Names(true)
	for n := range m {
		require.Contains(t, names, n)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "evalroom_") {
			require.Contains(t, m, n)
		}
	}
}
