// Package assets holds the static files and page templates web serves,
// embedded in the binary. The pages are self-contained: no external
// scripts, styles or fonts, so they work on any phone behind any network.
package assets

import "embed"

// Templates are the HTML templates (html/template syntax).
//
//go:embed templates/*.html
var Templates embed.FS
