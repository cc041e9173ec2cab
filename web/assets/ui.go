package assets

import "embed"

// UI holds the panels: ui/<page>.html and the scripts and styles under
// static/ (plain ES modules and CSS, no build step).
//
//go:embed ui static
var UI embed.FS
