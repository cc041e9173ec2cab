package web

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/evalroom/evalroom/room"
	"github.com/gin-gonic/gin"
)

// addRoom adds a venue's room (created on first use) to a session.
func (s *Server) addRoom(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req room.RoomInput
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	r, err := s.p.Sessions.AddRoom(c.Request.Context(), me(c).Actor(), id, req)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, r)
}

type recorderRequest struct {
	RecorderID string `json:"recorder_id"`
	// PublicKey is the recorder's Ed25519 public key, base64, as
	// `evalroomctl recorder keygen` prints it.
	PublicKey string `json:"public_key"`
}

// registerRecorder registers a room's edge recorder and its public key.
func (s *Server) registerRecorder(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req recorderRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	pub, err := base64.StdEncoding.DecodeString(strings.TrimSpace(req.PublicKey))
	if err != nil || len(pub) != ed25519.PublicKeySize {
		s.writeError(c, fieldInvalid("public_key", "设备公钥须为 base64 编码的 32 字节 Ed25519 公钥（evalroomctl recorder keygen 打印的那一行）"))
		return
	}
	r, err := s.p.Sessions.RegisterRecorder(c.Request.Context(), me(c).Actor(), id, req.RecorderID, pub)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// changePhase moves a session to another phase (main venue staff, admins).
func (s *Server) changePhase(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var req room.PhaseChange
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	sess, err := s.p.Sessions.ChangePhase(c.Request.Context(), actorOf(me(c)), id, req)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, sess)
}
