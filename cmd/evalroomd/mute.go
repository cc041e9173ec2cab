package main

import (
	"context"
	"strings"
	"time"
)

// startMuteRefresh passes mute changes made through any node on to this
// node's SFU at once: each "media.mute" hint on the event bus makes it
// re-read the mute state of the session, which it applies if it hosts
// the media. A lost hint costs at most the SFU's own re-reading period
// (sfu.DefaultMuteRefresh).
func (m *Main) startMuteRefresh() {
	if m.events == nil || m.sfu == nil {
		return
	}
	sub := m.events.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range sub.C() {
			session, ok := strings.CutPrefix(e.Object, "session:")
			if e.Action != "media.mute" || !ok {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := m.sfu.RefreshMutes(ctx, session); err != nil {
				m.log.Warn("refresh mutes", "session", session, "err", err)
			}
			cancel()
		}
	}()
	m.closer = append(m.closer, func(context.Context) error {
		sub.Close()
		<-done
		return nil
	})
}
