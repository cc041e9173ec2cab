package main

import "github.com/evalroom/evalroom/web"

// notifySettings describes the configured notification provider for the
// administration page (GET /api/settings/notify), secrets left out, with
// a provider of its own for the administrator's test messages.
func (m *Main) notifySettings() web.NotifySettings {
	c := m.Config.Notify
	ns := web.NotifySettings{Provider: c.Provider, WebhookURL: c.WebhookURL, SecretConfigured: c.WebhookSecret != "",
		Workers: c.Workers, MaxAttempts: c.MaxAttempts}
	// The pipeline's defaults for zero values (expertpool.NotifierParams).
	if ns.Workers <= 0 {
		ns.Workers = 2
	}
	if ns.MaxAttempts <= 0 {
		ns.MaxAttempts = 5
	}
	if p, err := m.provider(); err == nil {
		ns.Sender = p
	}
	return ns
}
