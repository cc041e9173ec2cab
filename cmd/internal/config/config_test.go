package config_test

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/stretchr/testify/require"
)

func load(t *testing.T, args []string, env []string) (config.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Load(fs, args, env)
}

func TestLoadLayersFileEnvAndFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(file, []byte("http:\n  addr: 127.0.0.1:1\nredis:\n  prefix: \"file:\"\nexpertpool:\n  rules:\n    max_draws_per_month: 2\n"), 0o600))
	c, err := load(t, []string{"-config", file, "-http.addr", "127.0.0.1:3"},
		[]string{"EVALROOM_HTTP_ADDR=127.0.0.1:2", "EVALROOM_REDIS_DB=4", "PATH=/bin"})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:3", c.HTTP.Addr, "flag wins over env and file")
	require.Equal(t, 4, c.Redis.DB, "env applies")
	require.Equal(t, "file:", c.Redis.Prefix, "file applies")
	require.Equal(t, 2, c.ExpertPool.Rules.MaxDrawsPerMonth)
	require.Equal(t, 5, c.ExpertPool.Rules.FormerEmployerYears, "defaults kept")
}

func TestLoadRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("htp:\n  addr: x\n"), 0o600))
	cases := []struct {
		name string
		args []string
		env  []string
	}{
		{"unknown file key", []string{"-config", bad}, nil},
		{"missing file", []string{"-config", filepath.Join(dir, "none.yaml")}, nil},
		{"unknown env", nil, []string{"EVALROOM_HTTP_ADRR=x"}},
		{"bad int", nil, []string{"EVALROOM_REDIS_DB=four"}},
		{"bad bool flag", []string{"-demo.seed", "maybe"}, nil},
		{"unknown flag", []string{"-nope", "1"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.args, tc.env)
			require.Error(t, err)
		})
	}
}

func TestReadmeReferenceIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	require.True(t, strings.Contains(string(readme), config.Reference()),
		"README.md configuration reference is stale: run `make config-doc` and paste its output")
	require.True(t, strings.Contains(string(readme), config.EdgeReference()),
		"README.md evalroom-edge configuration reference is stale: run `make config-doc` and paste its output")
}

func TestSecretsAreNotPrinted(t *testing.T) {
	c, err := load(t, nil, []string{"EVALROOM_SECRETS_MASTER_KEY=abc"})
	require.NoError(t, err)
	for _, f := range config.Fields(&c) {
		if f.Key == "secrets.master_key" {
			require.Equal(t, "***", f.String())
		}
	}
}
