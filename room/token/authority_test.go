package token_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/room/token"
)

var key = bytes.Repeat([]byte("k"), 32)

func newAuthority(t *testing.T, now *time.Time) *token.Authority {
	t.Helper()
	a, err := token.New(key, 10*time.Minute, func() time.Time { return *now })
	require.NoError(t, err)
	return a
}

func TestMintVerifyRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	a := newAuthority(t, &now)
	in := token.Claims{Subject: "user:7", Name: "张三", Session: "12", Room: "3", Venue: "JS-NJ",
		Role: token.RoleEvaluator, Grants: token.Grants{Publish: true, Subscribe: true}}
	tok, minted, err := a.Mint(in)
	require.NoError(t, err)
	require.NotEmpty(t, minted.ID)
	require.Equal(t, now.Add(10*time.Minute), minted.Expires)

	got, err := a.Verify(tok)
	require.NoError(t, err)
	require.Equal(t, minted, got)
}

func TestVerifyRejects(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	a := newAuthority(t, &now)
	good, _, err := a.Mint(token.Claims{Subject: "user:1", Session: "1", Role: token.RoleStaff,
		Grants: token.Grants{Subscribe: true, Admin: true}})
	require.NoError(t, err)

	other, err := token.New(bytes.Repeat([]byte("x"), 32), time.Minute, func() time.Time { return now })
	require.NoError(t, err)
	forged, _, err := other.Mint(token.Claims{Subject: "user:1", Session: "1", Role: token.RoleAdmin,
		Grants: token.Grants{Publish: true, Subscribe: true, Admin: true}})
	require.NoError(t, err)

	parts := strings.Split(good, ".")
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	elevated := bytes.Replace(body, []byte(`"staff"`), []byte(`"admin"`), 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(elevated) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."

	for _, tc := range []struct {
		name, tok string
	}{
		{"garbage", "not a token"},
		{"empty", ""},
		{"other key", forged},
		{"tampered body", tampered},
		{"alg none", none},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Verify(tc.tok)
			require.ErrorIs(t, err, token.ErrInvalid)
		})
	}

	t.Run("expired", func(t *testing.T) {
		later := now.Add(11 * time.Minute)
		_, err := newAuthority(t, &later).Verify(good)
		require.ErrorIs(t, err, token.ErrExpired)
	})
	t.Run("issued in the future", func(t *testing.T) {
		earlier := now.Add(-time.Minute)
		_, err := newAuthority(t, &earlier).Verify(good)
		require.ErrorIs(t, err, token.ErrExpired)
	})
}

func TestMintRefusesForbiddenClaims(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	a := newAuthority(t, &now)
	for _, tc := range []struct {
		name string
		c    token.Claims
	}{
		{"publishing supervisor", token.Claims{Subject: "user:2", Session: "1", Role: token.RoleSupervisor,
			Grants: token.Grants{Subscribe: true, Hidden: true, Publish: true}}},
		{"visible supervisor", token.Claims{Subject: "user:2", Session: "1", Role: token.RoleSupervisor,
			Grants: token.Grants{Subscribe: true}}},
		{"device without room", token.Claims{Subject: "device:edge-1", Session: "1", Role: token.RoleDevice,
			Grants: token.Grants{Publish: true}}},
		{"hidden publisher", token.Claims{Subject: "user:3", Session: "1", Role: token.RoleAdmin,
			Grants: token.Grants{Publish: true, Hidden: true}}},
		{"unknown role", token.Claims{Subject: "user:3", Session: "1", Role: "guest"}},
		{"no session", token.Claims{Subject: "user:3", Role: token.RoleStaff}},
		{"publishing device without session", token.Claims{Subject: "device:edge-1", Room: "4", Role: token.RoleDevice,
			Grants: token.Grants{Publish: true}}},
		{"subscribing device without session", token.Claims{Subject: "device:edge-1", Room: "4", Role: token.RoleDevice,
			Grants: token.Grants{Subscribe: true}}},
		{"upload-only device without room", token.Claims{Subject: "device:edge-1", Role: token.RoleDevice}},
		{"evaluator without session or grants", token.Claims{Subject: "user:3", Room: "4", Role: token.RoleEvaluator}},
		{"no subject", token.Claims{Session: "1", Role: token.RoleStaff}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := a.Mint(tc.c)
			require.ErrorIs(t, err, token.ErrInvalid)
		})
	}
}

func TestUploadOnlyDeviceToken(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	a := newAuthority(t, &now)
	tok, minted, err := a.Mint(token.Claims{Subject: "device:edge-1", Name: "第一评标室", Room: "4", Venue: "JS-NJ", Role: token.RoleDevice})
	require.NoError(t, err)
	require.True(t, minted.UploadOnly())
	got, err := a.Verify(tok)
	require.NoError(t, err)
	require.Equal(t, minted, got)
	require.True(t, got.UploadOnly())
	require.Empty(t, got.Session)
	require.Equal(t, token.Grants{}, got.Grants, "no publish grant")

	publishing := token.Claims{Subject: "device:edge-1", Session: "7", Room: "4", Role: token.RoleDevice, Grants: token.Grants{Publish: true}}
	require.False(t, publishing.UploadOnly())
}

func TestNewChecksKey(t *testing.T) {
	_, err := token.New([]byte("short"), time.Minute, nil)
	require.Error(t, err)
	_, err = token.New(key, 0, nil)
	require.Error(t, err)
}
