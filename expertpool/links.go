package expertpool

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// linkPurpose names the key that signs confirmation links.
const linkPurpose = "confirm-link"

const linkPayloadLen = 8 + 8 + 12 // member id, expiry (unix s), nonce

// linkClaims are the signed contents of a confirmation link token.
type linkClaims struct {
	MemberID int64
	Expiry   time.Time
	Nonce    []byte
}

// signLink returns a token for c:
// base64url(member id | expiry | nonce) "." base64url(HMAC).
func (s *Service) signLink(c linkClaims) string {
	payload := make([]byte, linkPayloadLen)
	binary.BigEndian.PutUint64(payload[0:8], uint64(c.MemberID))
	binary.BigEndian.PutUint64(payload[8:16], uint64(c.Expiry.Unix()))
	copy(payload[16:], c.Nonce)
	sig := s.keys.MAC(linkPurpose, payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// parseLink checks a token's signature and expiry. Whether it was used is
// checked by the caller in the database. Every failure is ErrBadSignature.
func (s *Service) parseLink(token string) (linkClaims, error) {
	p64, s64, ok := strings.Cut(token, ".")
	if !ok {
		return linkClaims{}, fmt.Errorf("%w: 链接格式错误", ErrBadSignature)
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(s64)
	if err1 != nil || err2 != nil || len(payload) != linkPayloadLen {
		return linkClaims{}, fmt.Errorf("%w: 链接格式错误", ErrBadSignature)
	}
	if !hmac.Equal(sig, s.keys.MAC(linkPurpose, payload)) {
		return linkClaims{}, fmt.Errorf("%w: 链接签名无效", ErrBadSignature)
	}
	c := linkClaims{
		MemberID: int64(binary.BigEndian.Uint64(payload[0:8])),
		Expiry:   time.Unix(int64(binary.BigEndian.Uint64(payload[8:16])), 0),
		Nonce:    payload[16:],
	}
	if !s.now().Before(c.Expiry) {
		return linkClaims{}, fmt.Errorf("%w: 链接已过期", ErrBadSignature)
	}
	return c, nil
}

// linkFor returns the token for member's message outboxID: its nonce is
// derived from the outbox id, so a message retried after a failure carries
// the same link.
func (s *Service) linkFor(memberID, outboxID int64, expiry time.Time) string {
	nonce := s.keys.MAC(linkPurpose+"/nonce", binary.BigEndian.AppendUint64(nil, uint64(outboxID)))[:12]
	return s.signLink(linkClaims{MemberID: memberID, Expiry: expiry, Nonce: nonce})
}

// IssueLinkToken returns a fresh single-use confirmation link token for a
// member who is waiting to answer, valid until the member's deadline (for
// staff who resend a link by other means). It fails with ErrNotFound for
// an unknown member and ErrAnswerClosed when the member cannot answer.
func (s *Service) IssueLinkToken(ctx context.Context, memberID int64) (string, error) {
	v, err := s.loadMemberView(ctx, s.db, memberID)
	if err != nil {
		return "", err
	}
	if v.State != "notified" || v.Deadline == nil || !s.now().Before(*v.Deadline) {
		return "", fmt.Errorf("member %d: %w", memberID, errClosed)
	}
	nonce := make([]byte, 12)
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("link nonce: %w", err)
	}
	return s.signLink(linkClaims{MemberID: memberID, Expiry: *v.Deadline, Nonce: nonce}), nil
}

// ConfirmURL returns the confirmation page's address for token: baseURL
// with the query parameter t set.
func ConfirmURL(baseURL, token string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return baseURL + "?t=" + url.QueryEscape(token)
	}
	q := u.Query()
	q.Set("t", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// LinkInfo is what the confirmation page shows: the session's time and
// venue, the deadline and the member's state. It never names the project
// or its parties.
type LinkInfo struct {
	StartsAt     time.Time  `json:"starts_at"`
	EndsAt       time.Time  `json:"ends_at"`
	VenueName    string     `json:"venue_name"`
	VenueAddress string     `json:"venue_address"`
	Deadline     *time.Time `json:"deadline,omitempty"`
	State        string     `json:"state"`
	// CanAnswer is true while the member may still accept or decline.
	CanAnswer bool `json:"can_answer"`
	// Text is the same information as one Chinese sentence.
	Text string `json:"text"`
}

// LinkInfo returns what the confirmation page for token shows. It fails
// with ErrBadSignature for a forged, expired or already used token and
// ErrNotFound when the member no longer exists.
func (s *Service) LinkInfo(ctx context.Context, token string) (LinkInfo, error) {
	c, err := s.parseLink(token)
	if err != nil {
		return LinkInfo{}, err
	}
	var used bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM expertpool.link_uses WHERE nonce = $1)`, c.Nonce).Scan(&used); err != nil {
		return LinkInfo{}, fmt.Errorf("link: %w", err)
	}
	if used {
		return LinkInfo{}, fmt.Errorf("%w: 链接已使用", ErrBadSignature)
	}
	v, err := s.loadMemberView(ctx, s.db, c.MemberID)
	if err != nil {
		return LinkInfo{}, err
	}
	info := LinkInfo{StartsAt: v.StartsAt, EndsAt: v.EndsAt, VenueName: v.VenueName, VenueAddress: v.VenueAddress,
		Deadline: v.Deadline, State: v.State}
	info.CanAnswer = v.State == "notified" && (v.Deadline == nil || s.now().Before(*v.Deadline))
	kind := KindInvite
	if v.State == "confirmed" {
		kind = KindConfirmed
	}
	if info.Text, err = renderText(kind, v, ""); err != nil {
		return LinkInfo{}, err
	}
	return info, nil
}

// AnswerByLink records the answer given on the confirmation page of
// token. The token works once: it fails with ErrBadSignature when forged,
// expired or used before, and otherwise as Answer does (a decline needs a
// reason).
func (s *Service) AnswerByLink(ctx context.Context, token string, accept bool, reason string) (AnswerResult, error) {
	c, err := s.parseLink(token)
	if err != nil {
		return AnswerResult{}, err
	}
	var res AnswerResult
	err = s.answerTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO expertpool.link_uses (nonce, member_id, used_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			c.Nonce, c.MemberID, s.now().UTC())
		if err != nil {
			return fmt.Errorf("link use: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: 链接已使用", ErrBadSignature)
		}
		res, err = s.answerInTx(ctx, tx, AnswerInput{MemberID: c.MemberID, Accept: accept, Reason: reason, Channel: ChannelLink, Actor: "expert-link"})
		return err
	})
	return res, err
}
