package sfu_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/sfu/sfuclient"
	"github.com/evalroom/evalroom/room/token"
)

// An upload-only device token (a recorder whose room runs no session)
// admits it to the archive's upload API, never to the media server.
func TestUploadOnlyDeviceTokenCannotPublish(t *testing.T) {
	e := newEnv(t)
	tok, c, err := e.tokens.Mint(token.Claims{Subject: "device:edge-1", Room: "1", Role: token.RoleDevice})
	require.NoError(t, err)
	require.True(t, c.UploadOnly())

	t.Run("WHIP", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, e.base+"/whip", strings.NewReader("v=0\r\n"))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/sdp")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
	t.Run("WebSocket", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := sfuclient.Join(ctx, e.ws, tok, e.client)
		var se *sfuclient.ServerError
		require.True(t, errors.As(err, &se), "got %v", err)
		require.Equal(t, "forbidden", se.Code)
	})
	require.Empty(t, e.srv.Participants(""), "nobody joined a session without an id")
	require.Empty(t, e.audit.find("media.join", "device:edge-1"))
}
