package seal_test

import (
	"testing"

	"github.com/evalroom/evalroom/internal/seal"
	"github.com/stretchr/testify/require"
)

func TestSealOpensOnlyWithSameKeyAndAAD(t *testing.T) {
	k, err := seal.ParseKey(seal.GenerateKey())
	require.NoError(t, err)
	other, err := seal.ParseKey(seal.GenerateKey())
	require.NoError(t, err)
	box := k.Seal([]byte("110101199003077777"), []byte("expert:1"))
	pt, err := k.Open(box, []byte("expert:1"))
	require.NoError(t, err)
	require.Equal(t, "110101199003077777", string(pt))

	cases := []struct {
		name string
		keys *seal.Keys
		box  []byte
		aad  string
	}{
		{"other row", k, box, "expert:2"},
		{"other key", other, box, "expert:1"},
		{"flipped bit", k, append(append([]byte{}, box[:len(box)-1]...), box[len(box)-1]^1), "expert:1"},
		{"truncated", k, box[:5], "expert:1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.keys.Open(tc.box, []byte(tc.aad))
			require.ErrorIs(t, err, seal.ErrOpen)
		})
	}
}

func TestParseKeyRejectsShortKeysAndDeriveSeparatesPurposes(t *testing.T) {
	_, err := seal.ParseKey("c2hvcnQ=")
	require.ErrorIs(t, err, seal.ErrBadKey)
	_, err = seal.ParseKey("not base64!")
	require.ErrorIs(t, err, seal.ErrBadKey)
	k, err := seal.ParseKey(seal.GenerateKey())
	require.NoError(t, err)
	require.NotEqual(t, k.Derive("a"), k.Derive("b"))
	require.Equal(t, k.MAC("idx", []byte("x")), k.MAC("idx", []byte("x")))
	require.NotEqual(t, k.MAC("idx", []byte("x")), k.MAC("link", []byte("x")))
}

func TestNewMACMatchesMAC(t *testing.T) {
	k, err := seal.ParseKey(seal.GenerateKey())
	require.NoError(t, err)
	m := k.NewMAC("idx")
	for _, msg := range []string{"a", "b", "110101199003077777"} {
		m.Reset()
		m.Write([]byte(msg))
		require.Equal(t, k.MAC("idx", []byte(msg)), m.Sum(nil))
	}
	d := k.Derive("idx")
	d[0] ^= 0xff
	require.NotEqual(t, d, k.Derive("idx"), "callers cannot change the cached key")
}
