package room

import (
	"context"
	"fmt"
	"slices"
)

// RoomRecording is whether one room's recorder is live.
type RoomRecording struct {
	RoomID     int64  `json:"room_id"`
	VenueCode  string `json:"venue_code"`
	Name       string `json:"name"`
	RecorderID string `json:"recorder_id,omitempty"`
	Live       bool   `json:"live"`
}

// RecordingReport is a session's recording status.
type RecordingReport struct {
	SessionID int64           `json:"session_id"`
	Phase     Phase           `json:"phase"`
	Rooms     []RoomRecording `json:"rooms"`
	// Warnings name, while the session is evaluating, each room that is
	// not recording (in Chinese, for staff).
	Warnings []string `json:"warnings"`
}

// RecordingStatus reports for each room of a session whether its
// recorder is live and, while the session is evaluating, warns about
// every room that is not recording. Errors: ErrNotFound, ErrUnavailable
// (no MediaPresence).
func (s *Service) RecordingStatus(ctx context.Context, sessionID int64) (RecordingReport, error) {
	if s.presence == nil {
		return RecordingReport{}, fmt.Errorf("%w: 录像状态不可用（未接入媒体服务）", ErrUnavailable)
	}
	sess, err := s.GetSession(ctx, sessionID)
	if err != nil {
		return RecordingReport{}, err
	}
	live, err := s.presence.LiveRooms(ctx, sess.IDString())
	if err != nil {
		return RecordingReport{}, fmt.Errorf("live rooms of session %d: %w", sessionID, err)
	}
	rep := RecordingReport{SessionID: sess.ID, Phase: sess.Phase, Rooms: []RoomRecording{}, Warnings: []string{}}
	for _, r := range sess.Rooms {
		rr := RoomRecording{RoomID: r.ID, VenueCode: r.VenueCode, Name: r.Name, RecorderID: r.RecorderID,
			Live: slices.Contains(live, r.IDString())}
		rep.Rooms = append(rep.Rooms, rr)
		if sess.Phase == PhaseEvaluating && !rr.Live {
			msg := fmt.Sprintf("%s（%s）未在录像", r.Name, r.VenueCode)
			if r.RecorderID == "" {
				msg += "：尚未登记录像设备"
			}
			rep.Warnings = append(rep.Warnings, msg)
		}
	}
	return rep, nil
}
