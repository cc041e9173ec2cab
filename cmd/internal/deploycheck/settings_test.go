package deploycheck_test

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// settingName is an EVALROOM_ variable name; one ending in '_' (as in
// "EVALROOM_EDGE_*") names a prefix, not a variable.
var settingName = regexp.MustCompile(`EVALROOM_[A-Z0-9_]+`)

// TestDeploySettingsAreReal reads every file of deploy/compose,
// deploy/systemd, deploy/k8s and deploy/docker and deploy/README.md, and
// checks that each EVALROOM_* name in them is a setting of evalroomd
// (config.Fields) or of evalroom-edge (config.EdgeFields), or names the
// configuration file. The per-binary tests load each container's, pod's
// and unit's environment with the right binary's loader; this one also
// covers comments and the README.
func TestDeploySettingsAreReal(t *testing.T) {
	known := map[string]bool{"EVALROOM_CONFIG": true, "EVALROOM_EDGE_CONFIG": true}
	for env := range evalroomdSettings() {
		known[env] = true
	}
	for env := range edgeSettings() {
		known[env] = true
	}
	var files []string
	for _, dir := range []string{"compose", "systemd", "k8s", "docker"} {
		err := filepath.WalkDir(deployPath(t, dir), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() != ".env" {
				files = append(files, p)
			}
			return err
		})
		require.NoError(t, err)
	}
	if _, err := os.Stat(deployPath(t, "README.md")); err == nil {
		files = append(files, deployPath(t, "README.md"))
	}
	seen := 0
	for _, p := range files {
		f, err := os.Open(p)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			for _, name := range settingName.FindAllString(sc.Text(), -1) {
				if strings.HasSuffix(name, "_") {
					continue
				}
				seen++
				require.True(t, known[name], "%s:%d: %s is no setting of evalroomd or evalroom-edge", p, n, name)
			}
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
	require.Greater(t, seen, 50, "the deploy files name the settings they set")
}
