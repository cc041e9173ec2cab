package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/expertpool/notify"
	"github.com/gin-gonic/gin"
)

// NotifySettings describe the notification provider as configured, for
// the administration page. The provider is chosen at start-up and cannot
// be changed at run time; its secrets are never part of this.
type NotifySettings struct {
	// Provider is "log" or "webhook".
	Provider string
	// WebhookURL is the gateway's address (shown without user
	// information or query).
	WebhookURL string
	// SecretConfigured says whether the gateway's HMAC secret is set.
	SecretConfigured bool
	// Workers and MaxAttempts are the delivery workers per node and the
	// attempts before a message is dead-lettered.
	Workers, MaxAttempts int
	// Sender delivers test messages; nil leaves the test unavailable.
	Sender notify.Provider
}

// notifyView is GET /api/settings/notify.
type notifyView struct {
	Provider         string `json:"provider"`
	ProviderLabel    string `json:"provider_label"`
	WebhookURL       string `json:"webhook_url,omitempty"`
	SecretConfigured bool   `json:"secret_configured"`
	Workers          int    `json:"workers"`
	MaxAttempts      int    `json:"max_attempts"`
	DeadLetters      int    `json:"dead_letters"`
	// RuntimeChange is false: the provider is read from the configuration
	// at start-up; ChangeHint says where to change it.
	RuntimeChange bool   `json:"runtime_change"`
	ChangeHint    string `json:"change_hint"`
	TestAvailable bool   `json:"test_available"`
}

// notifyChangeHint tells administrators where the provider is configured.
const notifyChangeHint = "通知通道在服务启动时读取配置，运行中不能修改。请修改配置文件中的 notify 部分" +
	"（provider、webhook_url、webhook_secret、workers、max_attempts），或环境变量 EVALROOM_NOTIFY_PROVIDER、" +
	"EVALROOM_NOTIFY_WEBHOOK_URL、EVALROOM_NOTIFY_WEBHOOK_SECRET、EVALROOM_NOTIFY_WORKERS、" +
	"EVALROOM_NOTIFY_MAX_ATTEMPTS，然后重启 evalroomd。"

// providerLabels are the providers' Chinese names.
var providerLabels = map[string]string{
	"log":     "演示模式（只写入服务器日志，不真正发送）",
	"webhook": "语音/短信网关（webhook）",
}

// publicURL strips user information, query and fragment from an address.
func publicURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return ""
	}
	hidden := u.User != nil || u.RawQuery != "" || u.Fragment != ""
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	if hidden {
		return u.String() + "（已隐藏其余部分）"
	}
	return u.String()
}

// getNotifySettings shows the notification provider, read-only.
func (s *Server) getNotifySettings(c *gin.Context) {
	n := s.p.Notify
	dead, err := s.p.Pool.DeadLetters(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	label := providerLabels[n.Provider]
	if label == "" {
		label = n.Provider
	}
	if n.Provider == "" {
		label = "未配置"
	}
	c.JSON(http.StatusOK, notifyView{Provider: n.Provider, ProviderLabel: label, WebhookURL: publicURL(n.WebhookURL),
		SecretConfigured: n.SecretConfigured, Workers: n.Workers, MaxAttempts: n.MaxAttempts, DeadLetters: len(dead),
		ChangeHint: notifyChangeHint, TestAvailable: n.Sender != nil})
}

type testMessageRequest struct {
	Mobile string `json:"mobile"`
}

// errNoSender answers a test message when no provider was given.
var errNoSender = &requestError{status: http.StatusServiceUnavailable, code: "unavailable", message: "未启用通知通道，无法发送测试短信"}

// sendTestMessage sends one test message through the provider.
func (s *Server) sendTestMessage(c *gin.Context) {
	if s.p.Notify.Sender == nil {
		s.writeError(c, errNoSender)
		return
	}
	var req testMessageRequest
	if err := bindJSON(c, &req); err != nil {
		s.writeError(c, err)
		return
	}
	err := s.p.Pool.SendTestMessage(c.Request.Context(), me(c).Actor(), s.p.Notify.Sender, req.Mobile)
	if err != nil && !errors.Is(err, expertpool.ErrInvalid) {
		s.log.WarnContext(c.Request.Context(), "test message failed", "err", err)
		s.writeError(c, &requestError{status: http.StatusBadGateway, code: "send_failed",
			message: "测试短信发送失败：网关拒绝或无法连接，详情见服务器日志"})
		return
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"sent": true, "text": expertpool.TestMessageText})
}
