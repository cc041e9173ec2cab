package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/demo"
	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/web/auth"
)

// demoPassword is the password of every demo account. Demo data is seeded
// only when demo.seed is on (make run), never in production.
const demoPassword = "evalroom-demo"

// demoAccount is one user the demo creates.
type demoAccount struct {
	username, name, role, venue, session string
}

// demoAccounts are the demo's users: one per role, staff at the main venue
// in Nanjing and at a remote venue in Hefei.
var demoAccounts = []demoAccount{
	{"admin", "系统管理员", "admin", "", ""},
	{"staff-nj", "南京主场工作人员", "staff", room.DemoMainVenue, ""},
	{"staff-hf", "合肥副场工作人员", "staff", room.DemoRemoteVenue, ""},
	{"supervisor", "监督人员", "supervisor", "", ""},
	{"archivist", "档案管理员", "archivist", "", ""},
	{"expert-demo", "演示评标专家", "evaluator", "", demoSessionRef},
}

// seedDemo creates the demo accounts and expert pool when the database has
// no users yet, and returns the text to print for the person who ran
// make run.
func (m *Main) seedDemo(ctx context.Context, users *auth.Store) (string, error) {
	existing, err := users.ListUsers(ctx)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	if len(existing) == 0 {
		for _, a := range demoAccounts {
			_, err := users.CreateUser(ctx, "system:demo", auth.UserInput{
				Username: a.username, DisplayName: a.name, Password: demoPassword, Role: a.role, VenueCode: a.venue, SessionRef: a.session,
			})
			if err != nil && !errors.Is(err, auth.ErrConflict) {
				return "", fmt.Errorf("demo user %s: %w", a.username, err)
			}
		}
		if err := m.seedDemoPool(ctx); err != nil {
			return "", err
		}
	}
	start := demoStart(time.Now())
	drawID, err := m.seedDemoDraw(ctx, start)
	if err != nil {
		return "", err
	}
	sess, err := m.rooms.SeedDemo(ctx, "system:demo", room.DemoOptions{
		Ref: demoSessionRef, DrawID: drawID, StartsAt: start, EndsAt: start.Add(8 * time.Hour),
		MainKey:   DemoRecorderKey(m.keys, room.DemoMainRecorder).Public().(ed25519.PublicKey),
		RemoteKey: DemoRecorderKey(m.keys, room.DemoRemoteRecorder).Public().(ed25519.PublicKey),
	})
	if err != nil {
		return "", fmt.Errorf("demo session: %w", err)
	}
	var b strings.Builder
	base := strings.TrimRight(m.Config.HTTP.PublicURL, "/")
	fmt.Fprintf(&b, "\n  evalroom demo is running: open %s/\n  accounts (password %q):\n", base, demoPassword)
	for _, a := range demoAccounts {
		fmt.Fprintf(&b, "    %-11s %-16s %s%s\n", a.username, a.name, base, demoHomes[a.role])
	}
	fmt.Fprintf(&b, "  experts: invitations arrive on the demo phone %s/phone; after sign-in at the control panel\n"+
		"  an expert enters the one-time code shown there at %s/join\n", base, base)
	fmt.Fprintf(&b, "  demo evaluation session %s (id %d): %s %s, %s %s\n", sess.Ref, sess.ID,
		room.DemoMainVenue, room.DemoMainRoom, room.DemoRemoteVenue, room.DemoRemoteRoom)
	return b.String(), nil
}

// demoHomes is each role's first page, for the banner.
var demoHomes = map[string]string{
	"admin": "/admin", "staff": "/control", "supervisor": "/wall", "archivist": "/archive", "evaluator": "/evaluator",
}

// demoSessionRef is the demo evaluation session's reference.
const demoSessionRef = "DEMO-1"

// DemoRecorderKey is the demo edge recorder's signing key (see
// demo.RecorderKey, which the demo edge recorders use too). Demo only.
func DemoRecorderKey(keys *seal.Keys, recorderID string) ed25519.PrivateKey {
	return demo.RecorderKey(keys, recorderID)
}

// demoStart is the demo session's start: the second full hour from now,
// so that it is still ahead when someone tries the demo.
func demoStart(now time.Time) time.Time {
	return now.UTC().Truncate(time.Hour).Add(2 * time.Hour)
}

// seedDemoDraw draws the demo session's committee (three experts in
// Nanjing, two in Hefei) for a session starting at start, with sign-in
// (and so the names) open at once, unless the demo session exists
// already; it returns the draw's id (0 when the session exists).
func (m *Main) seedDemoDraw(ctx context.Context, start time.Time) (int64, error) {
	if _, err := m.rooms.GetSessionByRef(ctx, demoSessionRef); err == nil {
		return 0, nil
	} else if !errors.Is(err, room.ErrNotFound) {
		return 0, fmt.Errorf("demo session: %w", err)
	}
	projects, _, err := m.pool.ListProjects(ctx, expertpool.ProjectFilter{Limit: 1})
	if err != nil || len(projects) == 0 {
		return 0, fmt.Errorf("demo draw: no project (%v)", err)
	}
	res, err := m.pool.CreateDraw(ctx, "system:demo", expertpool.DrawRequest{
		ProjectID: projects[0].ID, SessionRef: demoSessionRef, StartsAt: start, EndsAt: start.Add(8 * time.Hour),
		SigninOpensAt: time.Now().UTC(),
		Venues: []expertpool.Venue{
			{Code: room.DemoMainVenue, Name: "南京主场", Address: "南京市建邺区江东中路311号", Region: "320105", Main: true},
			{Code: room.DemoRemoteVenue, Name: "合肥副场", Address: "合肥市蜀山区怀宁路1699号", Region: "340104"},
		},
		Quotas: []expertpool.Quota{
			{VenueCode: room.DemoMainVenue, SpecialtyCode: "A01", RegionPrefix: "32", Count: 3, Reserves: 2},
			{VenueCode: room.DemoRemoteVenue, SpecialtyCode: "A01", RegionPrefix: "34", Count: 2, Reserves: 2},
		},
	})
	if err != nil {
		return 0, fmt.Errorf("demo draw: %w", err)
	}
	return res.DrawID, nil
}

// seedDemoPool fills an empty expert pool with made-up experts across three
// provinces, their organisations and a few projects.
func (m *Main) seedDemoPool(ctx context.Context) error {
	rep, err := m.pool.SeedDemo(ctx, "system:demo", expertpool.DemoOptions{Experts: m.Config.Demo.Experts, Seed: 1, OnlyIfEmpty: true})
	if err != nil {
		return fmt.Errorf("demo pool: %w", err)
	}
	m.log.Info("demo pool seeded", "report", rep)
	return nil
}
