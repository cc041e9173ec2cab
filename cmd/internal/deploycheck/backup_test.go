package deploycheck_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/evalroom/evalroom/cmd/internal/config"
	"github.com/evalroom/evalroom/cmd/internal/infra"
	"github.com/evalroom/evalroom/internal/audit"
	"github.com/evalroom/evalroom/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// backupName is the name pg-backup.sh gives a backup.
var backupName = regexp.MustCompile(`^evalroom-\d{8}T\d{6}Z\.dump$`)

// pgBin is the newest /usr/lib/postgresql/*/bin holding pg_dump and
// pg_restore (Debian's postgresql package), or the test is skipped.
func pgBin(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) < versionOf(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_restore")); err == nil {
			return dirs[i]
		}
	}
	t.Skip("no /usr/lib/postgresql/*/bin/pg_dump: install Debian's postgresql package")
	return ""
}

func versionOf(binDir string) int {
	v := 0
	for _, c := range filepath.Base(filepath.Dir(binDir)) {
		if c >= '0' && c <= '9' {
			v = v*10 + int(c-'0')
		}
	}
	return v
}

// script runs a deploy/backup script with exactly env (plus PG_BIN and a
// PATH of the system's folders) and returns its exit code, standard
// output and standard error.
func script(t *testing.T, name string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(deployPath(t, "backup", name), args...)
	cmd.Env = append([]string{"PG_BIN=" + pgBin(t), "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8"}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errOut.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errOut.String()
}

// backups lists the backups in dir.
func backups(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if backupName.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// migrated opens dsn with every migration applied.
func migrated(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	db, err := infra.OpenPostgres(context.Background(), config.Postgres{DSN: dsn, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(db.Close)
	_, err = infra.Migrate(context.Background(), db)
	require.NoError(t, err)
	return db
}

// TestBackupAndRestoreScripts runs pg-backup.sh and pg-restore.sh with
// the real pg_dump and pg_restore against real databases: the backup,
// its checksum and its retention; the restore into an empty database,
// its refusals (a non-empty database, a damaged backup) and --force;
// the exit codes an operator's monitoring sees.
func TestBackupAndRestoreScripts(t *testing.T) {
	ctx := context.Background()
	srcDSN := testenv.PostgresDSN(t)
	src := migrated(t, srcDSN)
	entry, err := audit.New(src).AppendNow(ctx, audit.Record{Actor: "user:1", Action: "test.backup", Object: "session:7",
		Detail: map[string]any{"note": "备份前写入"}})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "backups")
	env := []string{"EVALROOM_POSTGRES_DSN=" + srcDSN}

	code, out, errOut := script(t, "pg-backup.sh", env, "--dir", dir)
	require.Zero(t, code, errOut)
	path := strings.TrimSpace(out)
	require.Equal(t, dir, filepath.Dir(path))
	require.Regexp(t, backupName, filepath.Base(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(data, []byte("PGDMP")), "pg_dump's custom format")
	sum := sha256.Sum256(data)
	check, err := os.ReadFile(path + ".sha256")
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(sum[:])+"  "+filepath.Base(path)+"\n", string(check), "sha256sum's format")
	sumCheck := exec.Command("sha256sum", "--check", filepath.Base(path)+".sha256")
	sumCheck.Dir = dir
	o, err := sumCheck.CombinedOutput()
	require.NoError(t, err, "%s", o)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a backup holds personal data")

	// Restore into a new, empty database: the data is back, audit chain
	// and all.
	dstDSN := testenv.PostgresDSN(t)
	code, _, errOut = script(t, "pg-restore.sh", []string{"EVALROOM_POSTGRES_DSN=" + dstDSN}, path)
	require.Zero(t, code, errOut)
	require.Contains(t, errOut, "checksum verified")
	dst := migrated(t, dstDSN) // nothing left to apply, and it opens
	var n int
	require.NoError(t, dst.QueryRow(ctx, `SELECT count(*) FROM audit.entries WHERE action = 'test.backup' AND seq = $1`, entry.Seq).Scan(&n))
	require.Equal(t, 1, n)
	rep, err := audit.New(dst).Verify(ctx)
	require.NoError(t, err)
	require.True(t, rep.Intact, "%+v", rep)
	require.GreaterOrEqual(t, rep.Entries, int64(1))

	// The same database again: refused, unless --force.
	code, _, errOut = script(t, "pg-restore.sh", []string{"EVALROOM_POSTGRES_DSN=" + dstDSN}, path)
	require.Equal(t, 6, code)
	require.Contains(t, errOut, "the database is not empty")
	code, _, errOut = script(t, "pg-restore.sh", nil, "--force", "--dsn", dstDSN, path)
	require.Zero(t, code, errOut)
	require.NoError(t, dst.QueryRow(ctx, `SELECT count(*) FROM audit.entries WHERE action = 'test.backup'`).Scan(&n))
	require.Equal(t, 1, n, "replaced, not doubled")

	// A backup altered by one byte is refused before anything is touched.
	bad := filepath.Join(t.TempDir(), filepath.Base(path))
	data[len(data)/2] ^= 0x01
	require.NoError(t, os.WriteFile(bad, data, 0o600))
	require.NoError(t, os.WriteFile(bad+".sha256", check, 0o600))
	emptyDSN := testenv.PostgresDSN(t)
	code, _, errOut = script(t, "pg-restore.sh", []string{"EVALROOM_POSTGRES_DSN=" + emptyDSN}, bad)
	require.Equal(t, 5, code)
	require.Contains(t, errOut, "does not match its checksum")
	require.NoError(t, os.Remove(bad+".sha256"))
	code, _, errOut = script(t, "pg-restore.sh", []string{"EVALROOM_POSTGRES_DSN=" + emptyDSN}, bad)
	require.Equal(t, 5, code)
	require.Contains(t, errOut, "no checksum file")
	empty := migratedNot(t, emptyDSN)
	require.NoError(t, empty.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'`).Scan(&n))
	require.Zero(t, n, "nothing was restored")

	// Retention: three more backups with --keep 2 leave the newest two.
	for range 3 {
		code, _, errOut = script(t, "pg-backup.sh", env, "--dir", dir, "--keep", "2")
		require.Zero(t, code, errOut)
	}
	kept := backups(t, dir)
	require.Len(t, kept, 2)
	require.NotContains(t, kept, filepath.Base(path), "the oldest went")
	for _, k := range kept {
		require.FileExists(t, filepath.Join(dir, k+".sha256"))
	}
	require.NoFileExists(t, path+".sha256")

	// Failures: their codes, and nothing left behind.
	code, _, errOut = script(t, "pg-backup.sh", []string{"EVALROOM_POSTGRES_DSN=host=127.0.0.1 port=1 dbname=none connect_timeout=5"}, "--dir", dir)
	require.Equal(t, 4, code, errOut)
	require.Len(t, backups(t, dir), 2)
	leftovers, err := filepath.Glob(filepath.Join(dir, ".*partial"))
	require.NoError(t, err)
	require.Empty(t, leftovers)
	code, _, errOut = script(t, "pg-backup.sh", nil, "--dir", dir)
	require.Equal(t, 3, code, "no DSN and no evalroomctl")
	require.Contains(t, errOut, "no database")
	code, _, _ = script(t, "pg-backup.sh", env, "--keep", "two")
	require.Equal(t, 2, code)
	code, _, _ = script(t, "pg-restore.sh", env)
	require.Equal(t, 2, code)
}

// migratedNot opens dsn without migrating it.
func migratedNot(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	db, err := infra.OpenPostgres(context.Background(), config.Postgres{DSN: dsn, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return db
}

// TestBackupReadsTheConfiguration: with no DSN in the environment the
// scripts ask evalroomctl for postgres.dsn, which reads evalroomd's
// configuration file.
func TestBackupReadsTheConfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds evalroomctl")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "evalroomctl"), "./cmd/evalroomctl")
	build.Dir = repoRoot(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	dsn := testenv.PostgresDSN(t)
	migrated(t, dsn)
	cfg := filepath.Join(t.TempDir(), "evalroomd.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("postgres:\n  dsn: \""+dsn+"\"\n"), 0o600))
	dir := t.TempDir()
	cmd := exec.Command(deployPath(t, "backup", "pg-backup.sh"), "--dir", dir, "--config", cfg)
	cmd.Env = []string{"PG_BIN=" + pgBin(t), "PATH=" + bin + ":/usr/bin:/bin"}
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Len(t, backups(t, dir), 1)
	cmd = exec.Command(deployPath(t, "backup", "pg-backup.sh"), "--dir", dir)
	cmd.Env = []string{"PG_BIN=" + pgBin(t), "PATH=" + bin + ":/usr/bin:/bin", "EVALROOM_CONFIG=" + cfg}
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Len(t, backups(t, dir), 2)
}

// TestBackupScriptsAreClean runs bash -n and, when installed, shellcheck
// on the scripts.
func TestBackupScriptsAreClean(t *testing.T) {
	for _, name := range []string{"pg-backup.sh", "pg-restore.sh"} {
		p := deployPath(t, "backup", name)
		fi, err := os.Stat(p)
		require.NoError(t, err)
		require.NotZero(t, fi.Mode()&0o111, "%s is executable", name)
		out, err := exec.Command("bash", "-n", p).CombinedOutput()
		require.NoError(t, err, "%s", out)
		if sc, err := exec.LookPath("shellcheck"); err == nil {
			out, err := exec.Command(sc, p).CombinedOutput()
			require.NoError(t, err, "%s", out)
		} else {
			t.Log("shellcheck not installed (Debian package shellcheck): only bash -n checked", name)
		}
	}
}

// TestBackupUnits checks the nightly backup's timer and service: a
// oneshot as the evalroom user with evalroomd's settings, writing only
// the backup folder pg-backup.sh is given, which tmpfiles creates for
// that user; a daily, persistent timer.
func TestBackupUnits(t *testing.T) {
	files := unitFiles(t)
	svcData, timer := files["evalroom-backup.service"], files["evalroom-backup.timer"]
	svc := func(key string) []string { return unitValues(svcData, "Service", key) }
	require.Equal(t, []string{"oneshot"}, svc("Type"))
	require.Equal(t, []string{"evalroom"}, svc("User"))
	require.Empty(t, svc("Restart"), "a failed backup waits for the next night, not a restart loop")
	require.Equal(t, unitValues(files["evalroomd.service"], "Service", "EnvironmentFile"), svc("EnvironmentFile"),
		"the backup reads EVALROOM_POSTGRES_DSN where evalroomd does")
	require.Empty(t, unitValues(svcData, "Install", "WantedBy"), "the timer starts it")
	argv := strings.Fields(svc("ExecStart")[0])
	require.Equal(t, "pg-backup.sh", filepath.Base(argv[0]))
	dir := ""
	for i, a := range argv {
		if a == "--dir" && i+1 < len(argv) {
			dir = argv[i+1]
		}
	}
	require.NotEmpty(t, dir, "ExecStart names the backup folder")
	require.Equal(t, []string{dir}, svc("ReadWritePaths"))
	for key, want := range map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes"} {
		require.Equal(t, []string{want}, svc(key), key)
	}
	script, err := os.ReadFile(deployPath(t, "backup", "pg-backup.sh"))
	require.NoError(t, err)
	require.Contains(t, string(script), "dir=${BACKUP_DIR:-"+dir+"}", "the script's default folder is the unit's")

	tm := func(key string) []string { return unitValues(timer, "Timer", key) }
	require.Equal(t, []string{"evalroom-backup.service"}, tm("Unit"))
	require.Equal(t, []string{"yes"}, tm("Persistent"), "a night missed while off is made up")
	require.Equal(t, []string{"timers.target"}, unitValues(timer, "Install", "WantedBy"))
	require.Len(t, tm("OnCalendar"), 1)
	out, err := analyze(t, "calendar", "--iterations=2", tm("OnCalendar")[0])
	require.NoError(t, err, out)
	require.Contains(t, out, "Normalized form: *-*-* 02:30:00", "once a day")

	// tmpfiles makes the folder for the evalroom user, readable by it alone.
	sysusers := lookTool(t, "systemd-sysusers", "systemd")
	tmpfiles := lookTool(t, "systemd-tmpfiles", "systemd")
	if os.Geteuid() != 0 {
		t.Skip("systemd-tmpfiles can give the folder its owner only as root")
	}
	root := t.TempDir()
	etc := filepath.Join(root, "etc")
	require.NoError(t, os.MkdirAll(etc, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(etc, "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(etc, "group"), []byte("root:x:0:\n"), 0o644))
	o, err := run(sysusers, "--root="+root, deployPath(t, "systemd", "evalroomd.sysusers"))
	require.NoError(t, err, o)
	o, err = run(tmpfiles, "--root="+root, "--create", deployPath(t, "systemd", "evalroom-backup.tmpfiles"))
	require.NoError(t, err, o)
	require.Empty(t, strings.TrimSpace(o), "systemd-tmpfiles warned")
	fi, err := os.Stat(filepath.Join(root, dir))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o750), fi.Mode().Perm())
	users := idsOf(t, filepath.Join(etc, "passwd"))
	require.Equal(t, users["evalroom"], int(fi.Sys().(*syscall.Stat_t).Uid))
}

// run runs a program and returns its combined output.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
