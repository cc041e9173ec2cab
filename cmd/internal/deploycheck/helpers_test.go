package deploycheck_test

import (
	"bufio"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/config"
)

// repoRoot is the module's root folder (this package is cmd/internal/deploycheck).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "the repository root holds go.mod")
	return root
}

// deployPath joins parts under deploy/.
func deployPath(t *testing.T, parts ...string) string {
	t.Helper()
	return filepath.Join(append([]string{repoRoot(t), "deploy"}, parts...)...)
}

// envLine is one KEY=value line of an env file.
type envLine struct {
	Key, Value string
	Line       int
}

// readEnvFile parses the KEY=value files of deploy/ (compose's .env and
// systemd's EnvironmentFile=): comments and blank lines are skipped;
// values are taken as written, so quotes are refused (the two formats
// treat them differently).
func readEnvFile(t *testing.T, path string) []envLine {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []envLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s:%d: not KEY=value: %q", path, n, line)
		require.NotContains(t, v, `"`, "%s:%d: no quotes in env files", path, n)
		require.NotContains(t, v, `'`, "%s:%d: no quotes in env files", path, n)
		out = append(out, envLine{Key: k, Value: v, Line: n})
	}
	require.NoError(t, sc.Err())
	return out
}

// environ turns env lines into KEY=value strings.
func environ(lines []envLine) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, l.Key+"="+l.Value)
	}
	return out
}

// envOf turns a map into sorted KEY=value strings.
func envOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// loadEvalroomd loads evalroomd's configuration from environ alone, as
// the binary does at start-up (unknown EVALROOM_* variables and values of
// the wrong type fail).
func loadEvalroomd(environ []string) (config.Config, error) {
	fs := flag.NewFlagSet("evalroomd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Load(fs, nil, environ)
}

// loadEdge loads and checks evalroom-edge's configuration from environ
// alone, as the binary does at start-up.
func loadEdge(environ []string) (config.Edge, error) {
	fs := flag.NewFlagSet("evalroom-edge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.LoadEdge(fs, nil, environ)
}

// evalroomdSettings maps each evalroomd environment variable to its field.
func evalroomdSettings() map[string]config.Field {
	c := config.Default()
	out := map[string]config.Field{}
	for _, f := range config.Fields(&c) {
		out[f.Env] = f
	}
	return out
}

// edgeSettings maps each evalroom-edge environment variable to its field.
func edgeSettings() map[string]config.Field {
	e := config.DefaultEdge()
	out := map[string]config.Field{}
	for _, f := range config.EdgeFields(&e) {
		out[f.Env] = f
	}
	return out
}

// lookTool finds a program or skips the test, saying what to install.
func lookTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not found on PATH: install Debian's %s package to run this check", name, debianPackage)
	}
	return p
}
