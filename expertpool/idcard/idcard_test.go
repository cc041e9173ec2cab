package idcard_test

import (
	"testing"
	"time"

	"github.com/evalroom/evalroom/expertpool/idcard"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	now := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		in   string
		err  error
	}{
		{"example from GB 11643 with X check char", "11010519491231002X", nil},
		{"lower-case x is accepted", "11010519491231002x", nil},
		{"surrounding spaces are trimmed", " 11010519491231002X ", nil},
		{"valid digit check char", "440524198001010013", nil},
		{"another valid number", "110101199003077117", nil},
		{"wrong check char", "110105194912310021", idcard.ErrChecksum},
		{"one digit changed", "11010519491231012X", idcard.ErrChecksum},
		{"too short", "11010519491231002", idcard.ErrLength},
		{"too long", "11010519491231002X1", idcard.ErrLength},
		{"15-digit old number", "110105491231002", idcard.ErrLength},
		{"letter in the body", "1101051949123100AX", idcard.ErrChars},
		{"full-width digit", "11010519491231002", idcard.ErrLength},
		{"unknown province", "99010519491231002X", idcard.ErrRegion},
		{"february 30", idcard.Generate("110105", time.Date(1990, 3, 2, 0, 0, 0, 0, time.UTC), 1)[:6] + "19900230" + "0011", idcard.ErrBirthDate},
		{"before 1900", "110105189912310029", idcard.ErrBirthDate},
		{"born tomorrow", idcard.Generate("320102", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), 5), idcard.ErrBirthDate},
		{"born today", idcard.Generate("320102", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), 5), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := idcard.ValidateAt(tc.in, now)
			if tc.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.err)
		})
	}
}

func TestValidateWithoutClockAcceptsFutureBirth(t *testing.T) {
	n := idcard.Generate("320102", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), 7)
	require.NoError(t, idcard.Validate(n))
}

func TestGenerateMakesValidNumbers(t *testing.T) {
	birth := time.Date(1975, 6, 30, 0, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for seq := 0; seq < 1000; seq++ {
		n := idcard.Generate("340104", birth, seq)
		require.NoError(t, idcard.Validate(n), n)
		require.Equal(t, "340104", n[:6])
		require.Equal(t, "19750630", n[6:14])
		seen[n] = true
	}
	require.Len(t, seen, 1000)
	got, err := idcard.BirthDate(idcard.Generate("370102", birth, 1))
	require.NoError(t, err)
	require.Equal(t, birth, got)
}

func TestMaskAndLast(t *testing.T) {
	cases := []struct {
		name, in, mask, last4 string
	}{
		{"with X", "11010519491231002x", "110105********002X", "002X"},
		{"digits", "440524198001010013", "440524********0013", "0013"},
		{"short input is fully masked", "12345", "*****", "2345"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.mask, idcard.Mask(tc.in))
			require.Equal(t, tc.last4, idcard.Last(tc.in, 4))
		})
	}
	require.Equal(t, "", idcard.Last("11010519491231002X", 0))
}

func TestValidRegion(t *testing.T) {
	require.True(t, idcard.ValidRegion("320102"))
	require.False(t, idcard.ValidRegion("000000"))
	require.False(t, idcard.ValidRegion("32010"))
	require.False(t, idcard.ValidRegion("32010A"))
}
