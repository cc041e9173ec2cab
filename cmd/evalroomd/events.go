package main

import (
	"context"
	"sync"

	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/events"
)

// startEvents opens the audit log and the live event bus: every audit
// entry, once committed, becomes a change hint on the bus, which every
// node shares through Redis and hands to its panels' WebSockets. Both
// loops stop at Close.
func (m *Main) startEvents() {
	m.events = events.New(m.redis, events.Options{Prefix: m.Config.Redis.Prefix, Logger: m.log})
	bus := m.events
	m.audit = audit.New(m.db, audit.WithCommitted(func(e audit.Entry) {
		bus.Notify(context.Background(), events.FromAudit(e))
	}))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = bus.Run(ctx) }()
	go func() { defer wg.Done(); _ = m.audit.RunCommitted(ctx) }()
	m.closer = append(m.closer, func(context.Context) error { cancel(); wg.Wait(); return nil })
}
