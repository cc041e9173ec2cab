package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/events"
	"github.com/evalroom/evalroom/web"
	"github.com/evalroom/evalroom/web/auth"
)

// provider builds the notification provider named in the configuration.
func (m *Main) provider() (notify.Provider, error) {
	c := m.Config.Notify
	switch c.Provider {
	case "log":
		p := &notify.LogProvider{Logger: m.log.With("component", "notify-log")}
		if m.Config.Demo.Seed { // the demo's phone shows the messages in a page
			if m.inbox == nil { // one phone: settings asks for the provider again
				m.inbox = &notify.Inbox{Next: p}
			}
			return m.inbox, nil
		}
		return p, nil
	case "webhook":
		p, err := notify.NewWebhookProvider(notify.WebhookParams{URL: c.WebhookURL, Secret: c.WebhookSecret})
		if err != nil {
			return nil, fmt.Errorf("notify.provider webhook: %w", err)
		}
		return p, nil
	default:
		return nil, fmt.Errorf("notify.provider %q: use log or webhook", c.Provider)
	}
}

// drawProgressEvents publishes what the audit log does not record of a
// draw's invitations (a message delivered, retried, skipped) as a
// "draw.progress" hint, so the draw page refreshes its counts.
type drawProgressEvents struct{ bus *events.Bus }

// DrawProgressed publishes the hint; a failure is only logged.
func (d drawProgressEvents) DrawProgressed(ctx context.Context, drawID int64) {
	d.bus.Notify(ctx, events.Event{Action: "draw.progress", Object: "draw:" + strconv.FormatInt(drawID, 10)})
}

// startBackground starts the notification pipeline (relay, delivery
// workers, deadline runner); Close stops it.
func (m *Main) startBackground(ctx context.Context) error {
	prov, err := m.provider()
	if err != nil {
		return err
	}
	sweep := time.Duration(m.Config.ExpertPool.DeadlineSweepSeconds) * time.Second
	if sweep <= 0 {
		sweep = -1 // deadlines are then left to another node
	}
	// The notifier lives until Close, not until the start-up context ends.
	n, err := m.pool.StartNotifier(context.WithoutCancel(ctx), expertpool.NotifierParams{
		Redis: m.redis, Prefix: m.Config.Redis.Prefix, Provider: prov,
		Workers: m.Config.Notify.Workers, MaxAttempts: m.Config.Notify.MaxAttempts,
		LinkBaseURL:      strings.TrimRight(m.Config.HTTP.PublicURL, "/") + "/confirm",
		DeadlineInterval: sweep, CallbackSecret: m.Config.Notify.WebhookSecret,
		Progress: drawProgressEvents{m.events}, Logger: m.log,
	})
	if err != nil {
		return fmt.Errorf("start notifier: %w", err)
	}
	m.notifier = n
	m.closer = append(m.closer, func(context.Context) error { return n.Close() })
	return nil
}

// buildHandler builds the HTTP API and panels.
func (m *Main) buildHandler() (http.Handler, error) {
	hours := time.Duration(m.Config.HTTP.SessionHours) * time.Hour
	m.users = auth.NewStore(m.db, auth.WithAudit(m.audit), auth.WithSessionTimeouts(hours, hours))
	srv, err := web.New(web.Params{
		Auth: m.users, Audit: m.audit, Pool: m.pool, Events: m.events, DemoInbox: m.demoInbox(),
		GatewaySecret: m.Config.Notify.WebhookSecret, Callbacks: m.notifier,
		Sessions: m.rooms, Tokens: m.tokens, Media: m.sfu.Handler(), Mutes: m.sfu,
		ArchiveUpload: m.archiveUpload, Archive: archiveIndex{m.archive}, ArchiveCatalog: m.archiveCatalog(),
		Evidence:   m.sessionEvidence(),
		ExportKey:  m.exportPublicKey(),
		Holds:      sessionHolds{rooms: m.rooms, archive: m.archive},
		ICEServers: webICEServers(iceServers(m.Config.Media)),
		Notify:     m.notifySettings(),
		Checks: map[string]web.Pinger{
			"postgres": web.PingerFunc(m.db.Ping),
			"redis":    web.PingerFunc(func(ctx context.Context) error { return m.redis.Ping(ctx).Err() }),
			"archive":  web.PingerFunc(m.archive.Ping),
		},
		Recorders: m.mon.recorders, Metrics: m.mon.web,
		SecureCookies: m.Config.HTTP.SecureCookies,
		Logger:        m.log,
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return srv.Handler(), nil
}
