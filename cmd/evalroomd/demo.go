package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/web/auth"
)

// demoPassword is the password of every demo account. Demo data is seeded
// only when demo.seed is on (make run), never in production.
const demoPassword = "evalroom-demo"

// demoAccount is one user the demo creates.
type demoAccount struct {
	username, name, role, venue string
}

// demoAccounts are the demo's users: one per role, staff at the main venue
// in Nanjing and at a remote venue in Hefei.
var demoAccounts = []demoAccount{
	{"admin", "系统管理员", "admin", ""},
	{"staff-nj", "南京主场工作人员", "staff", "JS-NJ"},
	{"staff-hf", "合肥副场工作人员", "staff", "AH-HF"},
	{"supervisor", "监督人员", "supervisor", ""},
	{"archivist", "档案管理员", "archivist", ""},
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
				Username: a.username, DisplayName: a.name, Password: demoPassword, Role: a.role, VenueCode: a.venue,
			})
			if err != nil && !errors.Is(err, auth.ErrConflict) {
				return "", fmt.Errorf("demo user %s: %w", a.username, err)
			}
		}
		if err := m.seedDemoPool(ctx); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n  evalroom demo is running at %s\n  accounts (password %q):\n", m.Config.HTTP.PublicURL, demoPassword)
	for _, a := range demoAccounts {
		fmt.Fprintf(&b, "    %-11s %s\n", a.username, a.name)
	}
	return b.String(), nil
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
