package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalroom/evalroom/cmd/internal/infra"
	"github.com/evalroom/evalroom/expertpool"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/seal"
	"github.com/evalroom/evalroom/internal/testenv"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func run(t *testing.T, stdin string, env []string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := dispatch(context.Background(), args, strings.NewReader(stdin), &out, env)
	return out.String(), err
}

func TestUserAddCreatesAnAdminAndRefusesBadInput(t *testing.T) {
	env := []string{"EVALROOM_POSTGRES_DSN=" + testenv.PostgresDSN(t)}
	out, err := run(t, "a-long-password\n", env, "user", "add", "-username", "root", "-role", "admin")
	require.NoError(t, err)
	require.Contains(t, out, "created user 1 root (admin)")

	cases := []struct {
		name, stdin string
		args        []string
	}{
		{"duplicate", "a-long-password\n", []string{"-username", "root"}},
		{"unknown role", "a-long-password\n", []string{"-username", "x1", "-role", "king"}},
		{"short password", "short\n", []string{"-username", "x2"}},
		{"staff without venue", "a-long-password\n", []string{"-username", "x3", "-role", "staff"}},
		{"no username", "a-long-password\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, tc.stdin, env, append([]string{"user", "add"}, tc.args...)...)
			require.Error(t, err)
		})
	}
	_, err = run(t, "", nil, "nonsense")
	require.ErrorIs(t, err, errUsage)
}

func TestDrawVerifyReplaysAnExportAndNamesATamperedOne(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	key := seal.GenerateKey()
	pool, err := infra.OpenPostgres(ctx, configPostgres(dsn))
	require.NoError(t, err)
	defer pool.Close()
	_, err = infra.Migrate(ctx, pool)
	require.NoError(t, err)
	keys, err := seal.ParseKey(key)
	require.NoError(t, err)
	svc, err := expertpool.New(expertpool.Params{DB: pool, Audit: audit.New(pool), Keys: keys})
	require.NoError(t, err)
	rep, err := svc.SeedDemo(ctx, "test", expertpool.DemoOptions{Experts: 300, Seed: 7})
	require.NoError(t, err)
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Hour)
	res, err := svc.CreateDraw(ctx, "user:1", expertpool.DrawRequest{
		ProjectID: rep.ProjectIDs[0], SessionRef: "S1", StartsAt: start, EndsAt: start.Add(8 * time.Hour),
		Venues: []expertpool.Venue{{Code: "A", Name: "主场", Region: "320105", Main: true}, {Code: "B", Name: "副场", Region: "340104"}},
		Quotas: []expertpool.Quota{{VenueCode: "A", SpecialtyCode: "A01", RegionPrefix: "32", Count: 3}, {VenueCode: "B", SpecialtyCode: "A01", RegionPrefix: "34", Count: 2}},
	})
	require.NoError(t, err)

	env := []string{"EVALROOM_POSTGRES_DSN=" + dsn, "EVALROOM_SECRETS_MASTER_KEY=" + key}
	_, err = run(t, "", env, "draw", "verify", "-id", itoa(res.DrawID))
	require.ErrorIs(t, err, expertpool.ErrSealed, "nothing to replay before the seed is revealed")

	_, err = svc.RevealSeed(ctx, "user:2", res.DrawID, true)
	require.NoError(t, err)
	out, err := run(t, "", env, "draw", "verify", "-id", itoa(res.DrawID))
	require.NoError(t, err)
	require.Contains(t, out, "draw verifies")

	rec, err := svc.ExportDrawRecord(ctx, res.DrawID)
	require.NoError(t, err)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	writeJSON(t, good, rec)
	out, err = run(t, "", nil, "draw", "verify", "-file", good)
	require.NoError(t, err, out)

	rec.Seed[0] ^= 1
	bad := filepath.Join(dir, "bad.json")
	writeJSON(t, bad, rec)
	out, err = run(t, "", nil, "draw", "verify", "-file", bad)
	require.ErrorIs(t, err, errDrawBroken)
	require.Contains(t, out, `"ok": false`)
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}
