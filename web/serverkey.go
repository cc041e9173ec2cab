package web

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/http"

	"github.com/evalroom/evalroom/recorder/archive/evidence"
	"github.com/gin-gonic/gin"
)

// ServerKeyInfo is the server's evidence export signing key as GET
// /api/archive/server-key publishes it: anyone holding an export checks
// its SHA256SUMS.sig against this key or its fingerprint
// (`evalroomctl archive verify -server-key`).
type ServerKeyInfo struct {
	Algorithm string `json:"algorithm"`
	// PublicKey is the Ed25519 public key, standard base64.
	PublicKey string `json:"public_key"`
	// Fingerprint is "SHA256:" and the hex SHA-256 of the key's bytes.
	Fingerprint string `json:"fingerprint"`
	// Purpose says what the key signs, in Chinese and English.
	Purpose string `json:"purpose"`
}

var errNoServerKey = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "服务器证据签名密钥未配置"}

// serverKey publishes the export signing key (public, no login: a court
// or an auditor compares it with the one in an export's README).
func (s *Server) serverKey(c *gin.Context) {
	pub := s.p.ExportKey
	if len(pub) != ed25519.PublicKeySize {
		s.writeError(c, errNoServerKey)
		return
	}
	c.Header("Cache-Control", "public, max-age=3600")
	c.JSON(http.StatusOK, ServerKeyInfo{Algorithm: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(pub),
		Fingerprint: evidence.Fingerprint(pub),
		Purpose:     "证据导出包签名：服务器用此密钥签署每个导出包的 SHA256SUMS (signs the SHA256SUMS of every evidence export)"})
}
