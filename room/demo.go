package room

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"
)

// Demo venues, rooms and recorders.
const (
	DemoMainVenue      = "JS-NJ"
	DemoRemoteVenue    = "AH-HF"
	DemoMainRoom       = "第一评标室"
	DemoRemoteRoom     = "第二评标室"
	DemoMainRecorder   = "edge-nj-1"
	DemoRemoteRecorder = "edge-hf-1"
)

// DemoOptions shape the demo session.
type DemoOptions struct {
	// Ref is the session reference (default "DEMO-1"); use the demo draw's
	// session_ref when there is one.
	Ref string
	// DrawID links the expert pool's demo draw; 0 links none.
	DrawID int64
	// StartsAt and EndsAt default to one hour from now and four hours
	// after that.
	StartsAt, EndsAt time.Time
	// MainKey and RemoteKey are the public keys of the recorders
	// edge-nj-1 and edge-hf-1; a nil key registers no recorder.
	MainKey, RemoteKey ed25519.PublicKey
}

// SeedDemo creates the demo session once: main venue JS-NJ with room
// 第一评标室 (5 seats, recorder edge-nj-1), remote venue AH-HF with room
// 第二评标室 (4 seats, recorder edge-hf-1). When a session with the
// reference exists it is returned unchanged.
func (s *Service) SeedDemo(ctx context.Context, actor string, o DemoOptions) (Session, error) {
	if o.Ref == "" {
		o.Ref = "DEMO-1"
	}
	if existing, err := s.GetSessionByRef(ctx, o.Ref); err == nil {
		return existing, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Session{}, err
	}
	if o.StartsAt.IsZero() {
		o.StartsAt = s.now().Add(time.Hour).Truncate(time.Minute)
	}
	if o.EndsAt.IsZero() {
		o.EndsAt = o.StartsAt.Add(4 * time.Hour)
	}
	sess, err := s.CreateSession(ctx, actor, SessionInput{
		Ref: o.Ref, DrawID: o.DrawID, ProjectCode: "DEMO-2026-001", ProjectName: "演示项目：某中学教学楼施工",
		StartsAt: o.StartsAt, EndsAt: o.EndsAt, MainVenue: DemoMainVenue, RemoteVenues: []string{DemoRemoteVenue},
	})
	if err != nil {
		return Session{}, fmt.Errorf("demo session: %w", err)
	}
	for _, r := range []struct {
		venue, name, recorder string
		seats                 int
		key                   ed25519.PublicKey
	}{
		{DemoMainVenue, DemoMainRoom, DemoMainRecorder, 5, o.MainKey},
		{DemoRemoteVenue, DemoRemoteRoom, DemoRemoteRecorder, 4, o.RemoteKey},
	} {
		room, err := s.AddRoom(ctx, actor, sess.ID, RoomInput{VenueCode: r.venue, Name: r.name, Seats: r.seats})
		if err != nil {
			return Session{}, fmt.Errorf("demo room %s: %w", r.name, err)
		}
		if r.key != nil {
			if _, err := s.RegisterRecorder(ctx, actor, room.ID, r.recorder, r.key); err != nil {
				return Session{}, fmt.Errorf("demo recorder %s: %w", r.recorder, err)
			}
		}
	}
	return s.GetSession(ctx, sess.ID)
}
