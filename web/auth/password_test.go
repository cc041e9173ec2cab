package auth_test

import (
	"strings"
	"testing"

	"github.com/evalroom/evalroom/web/auth"
	"github.com/stretchr/testify/require"
)

func TestPasswordHash(t *testing.T) {
	h := auth.HashPassword("correct horse", fastHash)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$"), h)
	require.NotEqual(t, h, auth.HashPassword("correct horse", fastHash), "salted")
	cases := []struct {
		name, pw, hash string
		ok, err        bool
	}{
		{"right password", "correct horse", h, true, false},
		{"wrong password", "correct horsE", h, false, false},
		{"not argon2id", "x", "$2a$10$abcdef", false, true},
		{"bad params", "x", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$aGFzaA", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := auth.VerifyPassword(tc.pw, tc.hash)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.err, err != nil)
		})
	}
}
