package room

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// RecorderReport is what an edge recorder tells the server every few
// seconds about itself (POST /api/devices/status): whether it records
// and publishes, its devices, its upload backlog, its clock and its disk.
// The field names are an API contract (the venue control panel and the
// metrics read them).
type RecorderReport struct {
	// RecorderID and RoomID must be the ones the recorder's device token
	// names (RoomID in decimal, as the token carries it).
	RecorderID string `json:"recorder_id"`
	RoomID     string `json:"room_id"`
	// Recording is true while every camera's newest archived frame is
	// fresh; Live while the room is published to the room server.
	Recording bool `json:"recording"`
	Live      bool `json:"live"`
	// DevicesOpen and DevicesLost count the cameras and microphones open
	// and lost (being retried).
	DevicesOpen int `json:"devices_open"`
	DevicesLost int `json:"devices_lost"`
	// BacklogSegments and BacklogBytes are the segments not yet
	// acknowledged by the archive, and their size.
	BacklogSegments int64 `json:"backlog_segments"`
	BacklogBytes    int64 `json:"backlog_bytes"`
	// ClockOffsetMS is how far the server's clock is ahead of the room
	// PC's (server = local + offset), in milliseconds; the recorder
	// corrects its stamps by it. ClockUncertaintyMS bounds the error of
	// the corrected clock.
	ClockOffsetMS      float64 `json:"clock_offset_ms"`
	ClockUncertaintyMS float64 `json:"clock_uncertainty_ms"`
	// FreeDiskBytes is the free space of the spool's file system, -1
	// when unknown.
	FreeDiskBytes int64 `json:"free_disk_bytes"`
	// Alarms are what needs a person, in Chinese ([] when all is well).
	Alarms []string `json:"alarms"`
	// LastSegmentAt is the end of the newest sealed segment; nil before
	// the first.
	LastSegmentAt *time.Time `json:"last_segment_at,omitempty"`
}

// Limits of a report.
const (
	// MaxRecorderAlarms is the most alarms one report may carry.
	MaxRecorderAlarms = 32
	// MaxRecorderAlarmRunes is the longest alarm text.
	MaxRecorderAlarmRunes = 200
	// maxClockOffsetMS is a day: a room PC's clock may be wrong, but not
	// by more than that and still record usefully.
	maxClockOffsetMS = 24 * 3600 * 1000
	// maxFutureSegment is how far past the server's clock a segment's
	// end may lie (the recorder stamps on its corrected clock).
	maxFutureSegment = 5 * time.Minute
	// maxDevices bounds the device counts.
	maxDevices = 64
)

// RecorderIdentity is who sent a report, as its verified device token
// says.
type RecorderIdentity struct {
	// RecorderID is the token's subject without "device:".
	RecorderID string
	// RoomID is the token's room, in decimal.
	RoomID string
	// SessionID is the token's session, "" for an upload-only token
	// (the room runs no session).
	SessionID string
}

// check refuses a report that does not come from id or carries
// impossible values; the error wraps ErrInvalid with a Chinese reason.
func (r RecorderReport) check(id RecorderIdentity, now time.Time) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	switch {
	case r.RecorderID == "":
		return bad("缺少 recorder_id")
	case r.RecorderID != id.RecorderID:
		return bad("recorder_id %q 与设备令牌中的录像设备 %q 不符", r.RecorderID, id.RecorderID)
	case r.RoomID == "":
		return bad("缺少 room_id")
	case r.RoomID != id.RoomID:
		return bad("room_id %q 与设备令牌中的评标室 %q 不符", r.RoomID, id.RoomID)
	case r.DevicesOpen < 0 || r.DevicesLost < 0 || r.DevicesOpen+r.DevicesLost > maxDevices:
		return bad("devices_open 和 devices_lost 须为非负整数，合计不超过%d", maxDevices)
	case r.BacklogSegments < 0 || r.BacklogBytes < 0:
		return bad("backlog_segments 和 backlog_bytes 不能为负数")
	case r.FreeDiskBytes < -1:
		return bad("free_disk_bytes 须为非负整数（未知时为 -1）")
	case math.IsNaN(r.ClockOffsetMS) || math.Abs(r.ClockOffsetMS) > maxClockOffsetMS:
		return bad("clock_offset_ms 超出范围（绝对值不超过一天）")
	case math.IsNaN(r.ClockUncertaintyMS) || r.ClockUncertaintyMS < 0 || r.ClockUncertaintyMS > maxClockOffsetMS:
		return bad("clock_uncertainty_ms 须为非负数且不超过一天")
	case len(r.Alarms) > MaxRecorderAlarms:
		return bad("告警最多%d条", MaxRecorderAlarms)
	case r.LastSegmentAt != nil && r.LastSegmentAt.After(now.Add(maxFutureSegment)):
		return bad("last_segment_at 晚于服务器时间超过%d分钟", int(maxFutureSegment/time.Minute))
	}
	for i, a := range r.Alarms {
		if strings.TrimSpace(a) == "" || !utf8.ValidString(a) || utf8.RuneCountInString(a) > MaxRecorderAlarmRunes {
			return bad("第%d条告警须为非空文字，不超过%d字", i+1, MaxRecorderAlarmRunes)
		}
	}
	return nil
}

// RecorderStatus is a stored report: what the recorder said and when the
// server received it.
type RecorderStatus struct {
	RecorderReport
	// SessionID is the session the recorder's token was bound to, 0 for
	// an upload-only token.
	SessionID int64 `json:"session_id,omitempty"`
	// ReportedAt is when the server received the report (server UTC).
	ReportedAt time.Time `json:"reported_at"`
}

// RecorderView is one room's recorder as the control panel shows it
// (GET /api/sessions/{id}/recorders). A room whose recorder sent no report
// within the report lifetime is Stale, with zero values, no alarms and
// no ReportedAt. The JSON names are an API contract.
type RecorderView struct {
	RoomID     int64      `json:"room_id"`
	RoomName   string     `json:"room_name"`
	VenueCode  string     `json:"venue_code"`
	RecorderID string     `json:"recorder_id"`
	ReportedAt *time.Time `json:"reported_at"`
	Stale      bool       `json:"stale"`
	Recording  bool       `json:"recording"`
	Live       bool       `json:"live"`
	// DevicesOpen and DevicesLost count the recorder's devices.
	DevicesOpen        int        `json:"devices_open"`
	DevicesLost        int        `json:"devices_lost"`
	BacklogSegments    int64      `json:"backlog_segments"`
	BacklogBytes       int64      `json:"backlog_bytes"`
	ClockOffsetMS      float64    `json:"clock_offset_ms"`
	ClockUncertaintyMS float64    `json:"clock_uncertainty_ms"`
	FreeDiskBytes      int64      `json:"free_disk_bytes"`
	Alarms             []string   `json:"alarms"`
	LastSegmentAt      *time.Time `json:"last_segment_at"`
}

// viewOf shows room r with its recorder's status st (nil: none fresh).
func viewOf(r Room, st *RecorderStatus) RecorderView {
	v := RecorderView{RoomID: r.ID, RoomName: r.Name, VenueCode: r.VenueCode, RecorderID: r.RecorderID,
		Stale: st == nil, Alarms: []string{}}
	if st == nil {
		return v
	}
	at := st.ReportedAt
	v.ReportedAt = &at
	v.Recording, v.Live = st.Recording, st.Live
	v.DevicesOpen, v.DevicesLost = st.DevicesOpen, st.DevicesLost
	v.BacklogSegments, v.BacklogBytes = st.BacklogSegments, st.BacklogBytes
	v.ClockOffsetMS, v.ClockUncertaintyMS = st.ClockOffsetMS, st.ClockUncertaintyMS
	v.FreeDiskBytes, v.LastSegmentAt = st.FreeDiskBytes, st.LastSegmentAt
	v.Alarms = append(v.Alarms, st.Alarms...)
	return v
}

// sessionIDOf parses a token's session claim ("" is 0).
func sessionIDOf(claim string) (int64, error) {
	if claim == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(claim, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: 设备令牌中的评标编号无效", ErrInvalid)
	}
	return id, nil
}
