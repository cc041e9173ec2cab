package config

import (
	"fmt"
	"strings"
)

// Reference returns the Markdown table of every setting with its
// environment variable and default, as printed in the README.
func Reference() string {
	c := Default()
	var b strings.Builder
	b.WriteString("| key / flag | environment variable | default | meaning |\n|---|---|---|---|\n")
	for _, f := range Fields(&c) {
		def := f.String()
		if def == "" {
			def = "—"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", f.Key, f.Env, def, f.Doc)
	}
	return b.String()
}
