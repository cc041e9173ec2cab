package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/archivewire"
	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/cmd/internal/infra"
	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/events"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/recorder/archive"
	"github.com/evalroom/evalroom/room"
	"github.com/evalroom/evalroom/room/sfu"
	"github.com/evalroom/evalroom/room/token"
	"github.com/evalroom/evalroom/web/auth"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Main is one running evalroomd: it owns every connection, worker and
// listener it starts and stops them all in Close.
type Main struct {
	// Config is what Run starts from.
	Config config.Config
	// Addr is the address the HTTP server listens on, known after Run
	// (useful with port 0).
	Addr string
	// Banner is what to tell the person who started the demo (empty
	// unless demo.seed is on).
	Banner string

	log   *slog.Logger
	keys  *seal.Keys
	db    *pgxpool.Pool
	redis *redis.Client
	audit *audit.Log
	// events carries live change hints between nodes and to the panels.
	events *events.Bus
	// inbox is the demo's phone (demo.seed with the log provider), else nil.
	inbox *notify.Inbox
	pool  *expertpool.Service
	users *auth.Store
	rooms *room.Service
	// tokens mints media access tokens; sfu forwards the media.
	tokens *token.Authority
	sfu    *sfu.Server
	// archive indexes uploaded segments; archiveUpload is its recorders' API.
	archive       *archive.Service
	archiveUpload http.Handler
	// retention deletes what the retention period no longer requires;
	// clock is its clock (tests move it years ahead; time.Now when nil).
	retention *archive.Retention
	clock     func() time.Time
	// notifier delivers invitations; nil until startBackground.
	notifier *expertpool.Notifier
	http     *http.Server
	ln       net.Listener
	closer   []func(context.Context) error

	// mon keeps the recorders' status reports and the metrics.
	mon monitoring

	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// NewMain returns an unstarted Main.
func NewMain(cfg config.Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, log: log}
}

// Run connects to PostgreSQL and Redis, applies migrations, builds every
// service, starts the background workers and begins serving HTTP. It
// returns once the server is listening.
func (m *Main) Run(ctx context.Context) error {
	if err := archivewire.CheckRetention(m.Config.Archive); err != nil {
		return err
	}
	keys, err := infra.Keys(m.Config.Secrets)
	if err != nil {
		return err
	}
	m.keys = keys
	if m.db, err = infra.OpenPostgres(ctx, m.Config.Postgres); err != nil {
		return err
	}
	n, err := infra.Migrate(ctx, m.db)
	if err != nil {
		return err
	}
	m.log.Info("database ready", "migrations_applied", n)
	if m.redis, err = infra.OpenRedis(ctx, m.Config.Redis); err != nil {
		return err
	}
	m.startEvents()
	rules := m.Config.ExpertPool.Rules
	if m.pool, err = expertpool.New(expertpool.Params{DB: m.db, Audit: m.audit, Keys: keys, Rules: &rules, Logger: m.log}); err != nil {
		return fmt.Errorf("expert pool: %w", err)
	}
	if err := m.startBackground(ctx); err != nil {
		return err
	}
	if err := m.startRoom(ctx); err != nil {
		return err
	}
	if err := m.startArchive(ctx); err != nil {
		return err
	}
	if err := m.startRetention(ctx); err != nil {
		return err
	}
	if err := m.startMonitoring(); err != nil {
		return err
	}
	handler, err := m.buildHandler()
	if err != nil {
		return err
	}
	if m.ln, err = net.Listen("tcp", m.Config.HTTP.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.HTTP.Addr, err)
	}
	m.Addr = m.ln.Addr().String()
	m.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelWarn)}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.http.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("http server stopped", "err", err)
		}
	}()
	m.log.Info("evalroomd listening", "addr", m.Addr, "public_url", m.Config.HTTP.PublicURL)
	if m.Config.Demo.Seed {
		if m.Banner, err = m.seedDemo(ctx, m.users); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the HTTP server, the workers and every connection. It is
// safe to call more than once and after a failed Run.
func (m *Main) Close(ctx context.Context) error {
	m.closeOnce.Do(func() {
		var errs []error
		if m.http != nil {
			errs = append(errs, m.http.Shutdown(ctx))
		}
		m.wg.Wait()
		for i := len(m.closer) - 1; i >= 0; i-- {
			errs = append(errs, m.closer[i](ctx))
		}
		if m.redis != nil {
			errs = append(errs, m.redis.Close())
		}
		if m.db != nil {
			m.db.Close()
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}
