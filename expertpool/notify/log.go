package notify

import (
	"context"
	"log/slog"
)

// LogProvider "delivers" messages by logging them, for demos and
// development. It masks the recipient's number.
type LogProvider struct {
	// Logger receives the messages; nil means slog.Default().
	Logger *slog.Logger
}

var _ Provider = (*LogProvider)(nil)

// Send logs m at Info level.
func (l *LogProvider) Send(ctx context.Context, m Message) error {
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "notification", "id", m.ID, "kind", m.Kind, "to", MaskMobile(m.To), "text", m.Text, "link", m.Link)
	return nil
}

// MaskMobile shows the first three and last four digits of a mobile
// number (138****5678); shorter input is fully masked.
func MaskMobile(s string) string {
	r := []rune(s)
	if len(r) < 8 {
		out := make([]rune, len(r))
		for i := range out {
			out[i] = '*'
		}
		return string(out)
	}
	for i := 3; i < len(r)-4; i++ {
		r[i] = '*'
	}
	return string(r)
}
