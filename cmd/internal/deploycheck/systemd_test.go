package deploycheck_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/config"
)

var units = []string{"evalroomd.service", "evalroom-edge.service"}

// backupUnits are the nightly PostgreSQL backup (backup_test.go checks
// their settings); verify and security check them with the others.
var backupUnits = []string{"evalroom-backup.service", "evalroom-backup.timer"}

// allUnits is every unit of deploy/systemd.
func allUnits() []string { return append(append([]string{}, units...), backupUnits...) }

// unitRoot makes a scratch file-system root for systemd-analyze --root:
// the system's own units (targets such as network-online.target), the
// given units in /etc/systemd/system, and an empty executable at each
// ExecStart= path, since verify checks that the program exists.
func unitRoot(t *testing.T, files map[string][]byte) string {
	t.Helper()
	sysUnits := ""
	for _, d := range []string{"/usr/lib/systemd/system", "/lib/systemd/system"} {
		if _, err := os.Stat(filepath.Join(d, "multi-user.target")); err == nil {
			sysUnits = d
			break
		}
	}
	if sysUnits == "" {
		t.Skip("systemd's own units (/usr/lib/systemd/system) are missing: install Debian's systemd package")
	}
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/lib/systemd"), 0o755))
	out, err := exec.Command("cp", "-a", sysUnits, filepath.Join(root, "usr/lib/systemd/system")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	etc := filepath.Join(root, "etc/systemd/system")
	require.NoError(t, os.MkdirAll(etc, 0o755))
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(etc, name), data, 0o644))
		for _, v := range unitValues(data, "Service", "ExecStart") {
			prog := filepath.Join(root, strings.Fields(v)[0])
			require.NoError(t, os.MkdirAll(filepath.Dir(prog), 0o755))
			require.NoError(t, os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755))
		}
	}
	return root
}

// unitFiles reads the units of deploy/systemd.
func unitFiles(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, u := range allUnits() {
		data, err := os.ReadFile(deployPath(t, "systemd", u))
		require.NoError(t, err)
		out[u] = data
	}
	return out
}

// unitValues returns the values of key in section, in order.
func unitValues(data []byte, section, key string) []string {
	var out []string
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			cur = strings.Trim(line, "[]")
		case cur == section:
			if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == key {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	return out
}

// analyze runs systemd-analyze and returns its exit error and output.
func analyze(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(lookTool(t, "systemd-analyze", "systemd"), args...).CombinedOutput()
	return string(out), err
}

// TestSystemdVerify runs `systemd-analyze verify` on the units. verify
// exits 0 even when it ignores a misspelt or unknown setting (it only
// prints a warning), so any output fails the test; the second case shows
// that a bad setting is caught that way.
func TestSystemdVerify(t *testing.T) {
	t.Run("deploy/systemd units", func(t *testing.T) {
		root := unitRoot(t, unitFiles(t))
		out, err := analyze(t, append([]string{"verify", "--root=" + root}, allUnits()...)...)
		require.NoError(t, err, "%s", out)
		require.Empty(t, strings.TrimSpace(out), "systemd-analyze verify warned")
	})
	t.Run("a bad setting is reported", func(t *testing.T) {
		files := unitFiles(t)
		files["evalroomd.service"] = bytes.Replace(files["evalroomd.service"], []byte("Restart=on-failure"), []byte("Restart=sometimes"), 1)
		root := unitRoot(t, files)
		out, _ := analyze(t, "verify", "--root="+root, "evalroomd.service")
		require.Contains(t, out, "sometimes")
	})
}

// TestSystemdSecurity runs `systemd-analyze security --offline` on the
// units: their overall exposure must stay at most 3.0 of 10 (systemd's
// scale: below 4 is "OK"). The figures are logged.
func TestSystemdSecurity(t *testing.T) {
	root := unitRoot(t, unitFiles(t))
	for _, u := range append(append([]string{}, units...), "evalroom-backup.service") {
		out, err := analyze(t, "security", "--offline=true", "--root="+root, "--threshold=30", "--no-pager", u)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		t.Log(lines[len(lines)-1])
		require.NoError(t, err, "%s: exposure above 3.0:\n%s", u, out)
	}
}

// TestSystemdUnitSettings checks what the deployment asks of the units
// and ties them to the binaries' defaults.
func TestSystemdUnitSettings(t *testing.T) {
	files := unitFiles(t)
	for _, u := range units {
		data := files[u]
		t.Run(u, func(t *testing.T) {
			svc := func(key string) []string { return unitValues(data, "Service", key) }
			require.Equal(t, []string{"on-failure"}, svc("Restart"))
			for key, want := range map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes"} {
				require.Equal(t, []string{want}, svc(key), key)
			}
			require.Len(t, svc("EnvironmentFile"), 1)
			require.True(t, strings.HasPrefix(svc("EnvironmentFile")[0], "/etc/evalroom/"))
			require.Contains(t, strings.Join(unitValues(data, "Unit", "After"), " "), "network-online.target")
			require.Contains(t, unitValues(data, "Unit", "Wants"), "network-online.target")
			require.Equal(t, []string{"multi-user.target"}, unitValues(data, "Install", "WantedBy"))
			// Both binaries speak sd_notify (cmd/internal/sdnotify):
			// READY=1 once serving, WATCHDOG=1 every half WatchdogSec=.
			require.Equal(t, []string{"notify"}, svc("Type"))
			require.Equal(t, []string{"main"}, svc("NotifyAccess"))
			require.Len(t, svc("WatchdogSec"), 1)
			wd, err := time.ParseDuration(svc("WatchdogSec")[0])
			require.NoError(t, err, "WatchdogSec= in seconds (Go and systemd both read 30s)")
			require.GreaterOrEqual(t, wd, 10*time.Second, "room for a busy machine: keep-alives go every %s", wd/2)
			require.Len(t, svc("TimeoutStartSec"), 1, "start-up (migrations, the first clock measurement) has its own limit")
		})
	}

	for _, bin := range []string{"evalroomd", "evalroom-edge"} {
		require.True(t, sdNotifyIn(t, bin), "%s sends READY=1 and runs the watchdog (the units are Type=notify)", bin)
	}

	// Their state folders hold the defaults' archive and spool.
	edge := files["evalroom-edge.service"]
	require.Equal(t, []string{"evalroom-edge"}, unitValues(edge, "Service", "StateDirectory"))
	require.True(t, strings.HasPrefix(config.DefaultEdge().Spool, "/var/lib/evalroom-edge/"), "the spool is in the state folder")
	require.Equal(t, []string{"evalroom"}, unitValues(files["evalroomd.service"], "Service", "StateDirectory"))
	require.True(t, strings.HasPrefix(config.Default().Archive.Dir, "/var/lib/evalroom/"), "the archive is in the state folder")
	require.Contains(t, unitValues(edge, "Service", "ReadWritePaths"), "/var/lib/evalroom-edge")

	// The recorder reaches the cameras and sound cards and nothing else.
	require.Equal(t, []string{"closed"}, unitValues(edge, "Service", "DevicePolicy"))
	require.ElementsMatch(t, []string{"char-video4linux rw", "char-alsa rw"}, unitValues(edge, "Service", "DeviceAllow"))
	require.Equal(t, []string{"video audio"}, unitValues(edge, "Service", "SupplementaryGroups"))
	require.Empty(t, unitValues(edge, "Service", "PrivateDevices"), "PrivateDevices= would hide the cameras")

	// It starts after a camera, which systemd only sees with the udev rule.
	after := strings.Join(unitValues(edge, "Unit", "After"), " ")
	require.Contains(t, after, "dev-video0.device")
	require.Contains(t, unitValues(edge, "Unit", "Wants"), "dev-video0.device", "Wants, not Requires: one missing camera must not stop the recording")
	rules, err := os.ReadFile(deployPath(t, "systemd", "70-evalroom-cameras.rules"))
	require.NoError(t, err)
	require.Contains(t, string(rules), `SUBSYSTEM=="video4linux", TAG+="systemd"`)
}

// sdNotifyIn reports whether the Go files of cmd/<bin> send READY=1 and
// run the watchdog keep-alives (through cmd/internal/sdnotify).
func sdNotifyIn(t *testing.T, bin string) bool {
	t.Helper()
	var ready, watchdog bool
	err := filepath.WalkDir(filepath.Join(repoRoot(t), "cmd", bin), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		ready = ready || bytes.Contains(data, []byte("sdnotify.Ready"))
		watchdog = watchdog || bytes.Contains(data, []byte(".RunWatchdog("))
		return nil
	})
	require.NoError(t, err)
	return ready && watchdog
}

// TestSystemdUsersAndFolders applies the sysusers.d and tmpfiles.d files
// to a scratch root with systemd-sysusers and systemd-tmpfiles, and
// checks the users, groups and folders they make.
func TestSystemdUsersAndFolders(t *testing.T) {
	sysusers := lookTool(t, "systemd-sysusers", "systemd")
	tmpfiles := lookTool(t, "systemd-tmpfiles", "systemd")
	if os.Geteuid() != 0 {
		t.Skip("systemd-tmpfiles can give the folders their owners only as root")
	}
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	require.NoError(t, os.MkdirAll(etc, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(etc, "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(etc, "group"), []byte("root:x:0:\naudio:x:29:\nvideo:x:44:\n"), 0o644))

	dir := deployPath(t, "systemd")
	out, err := exec.Command(sysusers, "--root="+root, filepath.Join(dir, "evalroomd.sysusers"), filepath.Join(dir, "evalroom-edge.sysusers")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(tmpfiles, "--root="+root, "--create", filepath.Join(dir, "evalroomd.tmpfiles"), filepath.Join(dir, "evalroom-edge.tmpfiles")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Empty(t, strings.TrimSpace(string(out)), "systemd-tmpfiles warned")

	users := idsOf(t, filepath.Join(etc, "passwd"))
	groups := idsOf(t, filepath.Join(etc, "group"))
	require.Contains(t, users, "evalroom")
	require.Contains(t, users, "evalroom-edge")
	groupFile, err := os.ReadFile(filepath.Join(etc, "group"))
	require.NoError(t, err)
	require.Contains(t, string(groupFile), "video:x:44:evalroom-edge")
	require.Contains(t, string(groupFile), "audio:x:29:evalroom-edge")

	for _, tc := range []struct {
		path, user string
		mode       os.FileMode
	}{
		{"/var/lib/evalroom", "evalroom", 0o750},
		{"/var/lib/evalroom/archive", "evalroom", 0o750},
		{"/var/lib/evalroom-edge", "evalroom-edge", 0o750},
		{"/var/lib/evalroom-edge/spool", "evalroom-edge", 0o750},
		{"/etc/evalroom/edge", "evalroom-edge", 0o700},
	} {
		fi, err := os.Stat(filepath.Join(root, tc.path))
		require.NoError(t, err, tc.path)
		require.True(t, fi.IsDir(), tc.path)
		require.Equal(t, tc.mode, fi.Mode().Perm(), tc.path)
		st := fi.Sys().(*syscall.Stat_t)
		require.Equal(t, users[tc.user], int(st.Uid), "%s owned by %s", tc.path, tc.user)
		require.Equal(t, groups[tc.user], int(st.Gid), "%s group %s", tc.path, tc.user)
	}
	// The default spool and archive folders are among them.
	require.DirExists(t, filepath.Join(root, config.DefaultEdge().Spool))
	require.DirExists(t, filepath.Join(root, config.Default().Archive.Dir))
}

// idsOf maps names to ids in a passwd or group file.
func idsOf(t *testing.T, path string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	out := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, ":")
		require.GreaterOrEqual(t, len(f), 3, line)
		id, err := strconv.Atoi(f[2])
		require.NoError(t, err, line)
		out[f[0]] = id
	}
	return out
}

// TestSystemdEnvFiles loads the example EnvironmentFile= of each unit
// with the binary's own loader (unknown EVALROOM_* variables, values of
// the wrong type and, for the recorder, a configuration its check
// refuses all fail).
func TestSystemdEnvFiles(t *testing.T) {
	d := readEnvFile(t, deployPath(t, "systemd", "evalroomd.env.example"))
	_, err := loadEvalroomd(environ(d))
	require.NoError(t, err, "evalroomd.env.example")
	e := readEnvFile(t, deployPath(t, "systemd", "evalroom-edge.env.example"))
	cfg, err := loadEdge(environ(e))
	require.NoError(t, err, "evalroom-edge.env.example")
	require.True(t, strings.HasPrefix(cfg.Spool, "/var/lib/evalroom-edge/"), "the spool is in the unit's state folder")
	require.True(t, strings.HasPrefix(cfg.KeyFile, "/etc/evalroom/edge/"), "the key is where tmpfiles made its folder")
	units := unitFiles(t)
	require.Equal(t, []string{"/etc/evalroom/evalroomd.env"}, unitValues(units["evalroomd.service"], "Service", "EnvironmentFile"))
	require.Equal(t, []string{"/etc/evalroom/evalroom-edge.env"}, unitValues(units["evalroom-edge.service"], "Service", "EnvironmentFile"))
	cams, err := cfg.CameraSpecs()
	require.NoError(t, err)
	after := strings.Join(unitValues(units["evalroom-edge.service"], "Unit", "After"), " ")
	for _, c := range cams {
		if strings.HasPrefix(c.Device, "/dev/") {
			esc, err := exec.Command(lookTool(t, "systemd-escape", "systemd"), "--path", "--suffix=device", c.Device).Output()
			require.NoError(t, err)
			unit := strings.TrimSpace(string(esc))
			require.Contains(t, after, unit, "the unit starts after camera %s", c.Name)
		}
	}
}
