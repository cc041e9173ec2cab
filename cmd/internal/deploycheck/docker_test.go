package deploycheck_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// stage is one FROM stage of a Dockerfile.
type stage struct {
	From     string
	Name     string
	Env      map[string]string
	Packages []string // apt-get install arguments that are not options
	User     string
	Health   string
	Runs     []string
}

// parseDockerfile reads the instructions of deploy/docker/<name> that the
// checks need (FROM, ENV, RUN apt-get install, USER, HEALTHCHECK),
// joining continued lines. It is no full Dockerfile parser: the files are
// kept to the simple forms it reads.
func parseDockerfile(t *testing.T, name string) []*stage {
	t.Helper()
	f, err := os.Open(deployPath(t, "docker", name))
	require.NoError(t, err)
	defer f.Close()
	var (
		stages []*stage
		cur    string
	)
	sc := bufio.NewScanner(f)
	flush := func(ins string) {
		word, rest, _ := strings.Cut(strings.TrimSpace(ins), " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(word) {
		case "FROM":
			fields := strings.Fields(rest)
			s := &stage{From: fields[0], Env: map[string]string{}}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				s.Name = fields[2]
			}
			stages = append(stages, s)
		case "ENV":
			require.NotEmpty(t, stages, "%s: ENV before FROM", name)
			for _, kv := range strings.Fields(rest) {
				k, v, ok := strings.Cut(kv, "=")
				require.True(t, ok, "%s: ENV in KEY=value form: %q", name, kv)
				stages[len(stages)-1].Env[k] = v
			}
		case "RUN":
			s := stages[len(stages)-1]
			s.Runs = append(s.Runs, rest)
			for _, cmd := range strings.Split(rest, "&&") {
				args := strings.Fields(cmd)
				i := slices.Index(args, "install")
				if i < 0 || !slices.Contains(args[:i], "apt-get") {
					continue
				}
				for _, a := range args[i+1:] {
					if !strings.HasPrefix(a, "-") {
						s.Packages = append(s.Packages, a)
					}
				}
			}
		case "USER":
			stages[len(stages)-1].User = rest
		case "HEALTHCHECK":
			stages[len(stages)-1].Health = rest
		}
	}
	for sc.Scan() {
		line := sc.Text()
		if t := strings.TrimSpace(line); cur == "" && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		flush(cur + line)
		cur = ""
	}
	require.NoError(t, sc.Err())
	require.Empty(t, cur, "%s ends in a continued line", name)
	return stages
}

// dockerfileEnv is the ENV of the Dockerfile's last (runtime) stage.
func dockerfileEnv(t *testing.T, name string) map[string]string {
	stages := parseDockerfile(t, name)
	out := map[string]string{}
	for k, v := range stages[len(stages)-1].Env {
		out[k] = v
	}
	return out
}

func TestDockerfiles(t *testing.T) {
	for _, tc := range []struct {
		file     string
		binaries []string
		cgo      bool
	}{
		{file: "evalroomd.Dockerfile", binaries: []string{"./cmd/evalroomd", "./cmd/evalroomctl"}},
		{file: "evalroom-edge.Dockerfile", binaries: []string{"./cmd/evalroom-edge", "./cmd/evalroomctl"}, cgo: true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			stages := parseDockerfile(t, tc.file)
			require.Len(t, stages, 2, "a build stage and a runtime stage")
			build, run := stages[0], stages[1]
			require.Equal(t, "golang:1.26-bookworm", build.From, "Go 1.26 on Debian bookworm")
			require.Equal(t, "debian:bookworm-slim", run.From)
			require.NotEmpty(t, run.User, "the runtime stage sets a user")
			user, _, _ := strings.Cut(run.User, ":")
			require.NotContains(t, []string{"root", "0"}, user, "the service does not run as root")
			for _, b := range tc.binaries {
				require.True(t, slices.ContainsFunc(build.Runs, func(r string) bool { return strings.Contains(r, b) }), "builds %s", b)
			}
			// The health check's program must be installed in that stage.
			require.Contains(t, run.Health, "curl ")
			require.Contains(t, run.Packages, "curl")
			require.Contains(t, run.Packages, "ca-certificates", "TLS to S3, webhooks and evalroomd")
			if !tc.cgo {
				require.Empty(t, build.Packages, "a pure Go build needs no C library")
				require.True(t, slices.ContainsFunc(build.Runs, func(r string) bool { return strings.Contains(r, "CGO_ENABLED=0") }))
			}
			_, err := os.Stat(deployPath(t, "docker", tc.file+".dockerignore"))
			require.NoError(t, err, "a .dockerignore beside the Dockerfile keeps the context small")
		})
	}
}

// TestEvalroomdNeedsNoCgo justifies CGO_ENABLED=0 for evalroomd's image:
// no package it or evalroomctl imports, outside the standard library
// (which has pure Go fallbacks), uses cgo.
func TestEvalroomdNeedsNoCgo(t *testing.T) {
	goTool := goBinary(t)
	cmd := exec.Command(goTool, "list", "-deps", "-f", "{{if and (not .Standard) .CgoFiles}}{{.ImportPath}}{{end}}", "./cmd/evalroomd", "./cmd/evalroomctl")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	require.NoError(t, err)
	require.Empty(t, strings.TrimSpace(string(out)), "these packages use cgo: evalroomd's image builds with CGO_ENABLED=0 and has no C libraries")
}

// TestEdgeImageLibraries derives, on this Debian machine, which packages
// the edge image needs: the -dev package of every pkg-config module the
// recorder's cgo code names (built with -tags dynamic, as the Dockerfile
// does) must be installed in the build stage, and the package holding
// the shared library it links must be installed in the runtime stage.
func TestEdgeImageLibraries(t *testing.T) {
	lookTool(t, "pkg-config", "pkg-config")
	lookTool(t, "dpkg", "dpkg")
	osRelease, err := os.ReadFile("/etc/os-release")
	if err != nil || !strings.Contains(string(osRelease), "VERSION_CODENAME=bookworm") {
		t.Skip("the image's package names are Debian bookworm's: this check runs on a bookworm machine")
	}
	stages := parseDockerfile(t, "evalroom-edge.Dockerfile")
	build, run := stages[0], stages[1]
	require.True(t, slices.ContainsFunc(build.Runs, func(r string) bool { return strings.Contains(r, "-tags dynamic") }))

	cmd := exec.Command(goBinary(t), "list", "-tags", "dynamic", "-deps", "-f", "{{join .CgoPkgConfig \" \"}}", "./cmd/evalroom-edge")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	require.NoError(t, err)
	var modules []string
	for _, m := range strings.Fields(string(out)) {
		if !slices.Contains(modules, m) {
			modules = append(modules, m)
		}
	}
	require.Subset(t, modules, []string{"x264", "vpx", "opus"})
	for _, m := range modules {
		t.Run(m, func(t *testing.T) {
			pcdir := pkgConfig(t, "--variable=pcfiledir", m)
			dev := dpkgOwner(t, filepath.Join(pcdir, m+".pc"))
			require.Contains(t, build.Packages, dev, "the build stage installs %s (pkg-config %s)", dev, m)
			libdir := pkgConfig(t, "--variable=libdir", m)
			for _, l := range strings.Fields(pkgConfig(t, "--libs-only-l", m)) {
				lib := strings.TrimPrefix(l, "-l")
				if lib == "m" || lib == "pthread" || lib == "dl" {
					continue // libc6
				}
				real, err := filepath.EvalSymlinks(findLib(t, libdir, "lib"+lib+".so"))
				require.NoError(t, err, "lib%s.so", lib)
				pkg := dpkgOwner(t, real)
				require.Contains(t, run.Packages, pkg, "the runtime stage installs %s (%s)", pkg, filepath.Base(real))
			}
		})
	}
	// miniaudio loads ALSA's library at run time (dlopen), so no linker
	// flag names it.
	require.Contains(t, run.Packages, "libasound2")
}

// findLib is where the C linker finds name: in libdir, or where cc
// looks (Debian's vpx.pc names /usr/lib, the library is in the
// multiarch folder).
func findLib(t *testing.T, libdir, name string) string {
	t.Helper()
	if p := filepath.Join(libdir, name); fileExists(p) {
		return p
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	out, err := exec.Command(cc, "-print-file-name="+name).Output()
	require.NoError(t, err, "%s -print-file-name=%s", cc, name)
	p := strings.TrimSpace(string(out))
	require.True(t, filepath.IsAbs(p) && fileExists(p), "the C compiler finds %s", name)
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func pkgConfig(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("pkg-config", args...).Output()
	require.NoError(t, err, "pkg-config %v", args)
	return strings.TrimSpace(string(out))
}

// dpkgOwner is the Debian package that installed path (trying the
// merged-/usr twin too).
func dpkgOwner(t *testing.T, path string) string {
	t.Helper()
	candidates := []string{path}
	if rest, ok := strings.CutPrefix(path, "/usr/lib/"); ok {
		candidates = append(candidates, "/lib/"+rest)
	} else if rest, ok := strings.CutPrefix(path, "/lib/"); ok {
		candidates = append(candidates, "/usr/lib/"+rest)
	}
	for _, c := range candidates {
		out, err := exec.Command("dpkg", "-S", c).Output()
		if err != nil {
			continue
		}
		pkg, _, _ := strings.Cut(strings.TrimSpace(string(out)), ": ")
		pkg, _, _ = strings.Cut(pkg, ":") // drop the architecture
		return pkg
	}
	t.Fatalf("no Debian package owns %s", path)
	return ""
}

// goBinary is the go command that runs these tests.
func goBinary(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("go")
	require.NoError(t, err, "the go command")
	return p
}
