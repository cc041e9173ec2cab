package config

import (
	"fmt"
	"strings"
)

// Reference returns the Markdown table of every evalroomd setting with its
// environment variable and default, as printed in the README.
func Reference() string {
	c := Default()
	return table(Fields(&c))
}

// EdgeReference is Reference for evalroom-edge.
func EdgeReference() string {
	e := DefaultEdge()
	return table(EdgeFields(&e))
}

func table(fields []Field) string {
	var b strings.Builder
	b.WriteString("| key / flag | environment variable | default | meaning |\n|---|---|---|---|\n")
	for _, f := range fields {
		def := f.String()
		if def == "" {
			def = "—"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", f.Key, f.Env, def, f.Doc)
	}
	return b.String()
}
