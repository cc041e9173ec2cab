package web_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/evalroom/evalroom/web"
)

func TestServerKeyIsPublished(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	e := buildEnv(t, false, func(_ *env, p *web.Params) { p.ExportKey = pub })
	var got web.ServerKeyInfo
	e.anon(t).call(http.MethodGet, "/api/archive/server-key", nil, http.StatusOK, &got)
	require.Equal(t, "Ed25519", got.Algorithm)
	require.Equal(t, base64.StdEncoding.EncodeToString(pub), got.PublicKey)
	require.Equal(t, evidence.Fingerprint(pub), got.Fingerprint)
	require.Contains(t, got.Purpose, "证据导出包签名")

	bare := newEnv(t)
	er := bare.anon(t).fail(http.MethodGet, "/api/archive/server-key", nil, http.StatusServiceUnavailable, "unavailable")
	require.Contains(t, er.Error.Message, "签名密钥未配置")
}
