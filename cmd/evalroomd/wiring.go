package main

import (
	"context"
	"net/http"

	"github.com/evalroom/evalroom/internal/seal"
)

// startBackground starts the notifier and the deadline sweeper.
func (m *Main) startBackground(ctx context.Context) error {
	return nil
}

// buildHandler builds the HTTP API.
func (m *Main) buildHandler(keys *seal.Keys) (http.Handler, error) {
	return http.NotFoundHandler(), nil
}
