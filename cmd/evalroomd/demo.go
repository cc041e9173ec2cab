package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

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
	sess, err := m.rooms.SeedDemo(ctx, "system:demo", room.DemoOptions{
		Ref: demoSessionRef, MainKey: DemoRecorderKey(m.keys, room.DemoMainRecorder).Public().(ed25519.PublicKey),
		RemoteKey: DemoRecorderKey(m.keys, room.DemoRemoteRecorder).Public().(ed25519.PublicKey),
	})
	if err != nil {
		return "", fmt.Errorf("demo session: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n  evalroom demo is running at %s\n  accounts (password %q):\n", m.Config.HTTP.PublicURL, demoPassword)
	for _, a := range demoAccounts {
		fmt.Fprintf(&b, "    %-11s %s\n", a.username, a.name)
	}
	fmt.Fprintf(&b, "  demo evaluation session %s (id %d): %s %s, %s %s\n", sess.Ref, sess.ID,
		room.DemoMainVenue, room.DemoMainRoom, room.DemoRemoteVenue, room.DemoRemoteRoom)
	return b.String(), nil
}

// demoSessionRef is the demo evaluation session's reference.
const demoSessionRef = "DEMO-1"

// DemoRecorderKey is the demo edge recorder's signing key, derived from
// the master key so a demo edge recorder on the same configuration can
// sign its device-token requests. Demo only.
func DemoRecorderKey(keys *seal.Keys, recorderID string) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(keys.Derive("demo-recorder:" + recorderID))
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
