package main

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalroom/evalroom/cmd/internal/infra"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/evalroom/evalroom/recorder/manifest"
	"github.com/evalroom/evalroom/room"
	"github.com/stretchr/testify/require"
)

func TestRecorderKeygenWritesAKeyPairOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	out, err := run(t, "", nil, "recorder", "keygen", "-out", dir)
	require.NoError(t, err)
	pub, err := manifest.ParsePublicKey(out)
	require.NoError(t, err)
	st, err := os.Stat(filepath.Join(dir, manifest.PrivateKeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the private key is readable by its owner only")
	priv, err := manifest.ReadPrivateKeyFile(filepath.Join(dir, manifest.PrivateKeyFile))
	require.NoError(t, err)
	require.Equal(t, pub, priv.Public())
	pubFile, err := os.ReadFile(filepath.Join(dir, manifest.PublicKeyFile))
	require.NoError(t, err)
	require.Equal(t, out, string(pubFile))

	_, err = run(t, "", nil, "recorder", "keygen", "-out", dir)
	require.ErrorIs(t, err, manifest.ErrKeyExists, "an existing key is never overwritten")
	again, err := manifest.ReadPrivateKeyFile(filepath.Join(dir, manifest.PrivateKeyFile))
	require.NoError(t, err)
	require.Equal(t, priv, again)
	_, err = run(t, "", nil, "recorder", "keygen")
	require.Error(t, err)
}

func TestRecorderRegisterStoresTheKeyOfARoom(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	pool, err := infra.OpenPostgres(ctx, configPostgres(dsn))
	require.NoError(t, err)
	defer pool.Close()
	_, err = infra.Migrate(ctx, pool)
	require.NoError(t, err)
	svc, err := room.New(room.Params{DB: pool, Audit: audit.New(pool), Committee: noCommittee{}})
	require.NoError(t, err)
	sess, err := svc.SeedDemo(ctx, "user:1", room.DemoOptions{})
	require.NoError(t, err)
	nj, hf := sess.Rooms[0], sess.Rooms[1]
	require.Empty(t, nj.RecorderID)

	out, err := run(t, "", nil, "recorder", "keygen", "-out", t.TempDir())
	require.NoError(t, err)
	pub := strings.TrimSpace(out)
	env := []string{"EVALROOM_POSTGRES_DSN=" + dsn}
	out, err = run(t, "", env, "recorder", "register", "-room", itoa(nj.ID), "-recorder", "edge-nj-1", "-pub", pub)
	require.NoError(t, err)
	require.Contains(t, out, "registered recorder edge-nj-1 for room "+itoa(nj.ID)+" (JS-NJ 第一评标室)")
	sess, err = svc.GetSession(ctx, sess.ID)
	require.NoError(t, err)
	require.Equal(t, "edge-nj-1", sess.Rooms[0].RecorderID)
	require.Equal(t, pub, base64.StdEncoding.EncodeToString(sess.Rooms[0].RecorderKey))
	entries, err := audit.New(pool).List(ctx, audit.Filter{Object: "room:" + nj.IDString()})
	require.NoError(t, err)
	require.Equal(t, "room.register_recorder", entries[len(entries)-1].Action)
	require.Equal(t, "cli:evalroomctl", entries[len(entries)-1].Actor)

	cases := []struct {
		name string
		args []string
		err  error
	}{
		{"same key for another room", []string{"-room", itoa(hf.ID), "-recorder", "edge-hf-1", "-pub", pub}, room.ErrConflict},
		{"unknown room", []string{"-room", "999999", "-recorder", "edge-x", "-pub", pub}, room.ErrNotFound},
		{"path-like recorder id", []string{"-room", itoa(hf.ID), "-recorder", "../x", "-pub", pub}, room.ErrInvalid},
		{"short key", []string{"-room", itoa(hf.ID), "-recorder", "edge-hf-1", "-pub", "AAAA"}, manifest.ErrInvalid},
		{"no key", []string{"-room", itoa(hf.ID), "-recorder", "edge-hf-1"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, "", env, append([]string{"recorder", "register"}, tc.args...)...)
			require.Error(t, err)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			}
		})
	}
	sess, err = svc.GetSession(ctx, sess.ID)
	require.NoError(t, err)
	require.Empty(t, sess.Rooms[1].RecorderID, "refused registrations change nothing")
}
