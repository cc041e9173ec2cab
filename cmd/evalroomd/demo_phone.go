package main

import "github.com/evalroom/evalroom/web"

// demoInbox is the demo's phone for the web server, or nil (not a typed
// nil) outside the demo.
func (m *Main) demoInbox() web.DemoInbox {
	if m.inbox == nil {
		return nil
	}
	return m.inbox
}
