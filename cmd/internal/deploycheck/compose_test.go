package deploycheck_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
)

// loadCompose loads deploy/compose/compose.yaml the way
// `docker compose --env-file F [--profile P] config` does, with compose-go
// (the loader of docker compose v2), except that the shell's environment
// is left out so the test does not depend on it. envFile "" means an
// empty one (no variables at all).
func loadCompose(t *testing.T, envFile string, profiles ...string) (*types.Project, error) {
	t.Helper()
	dir := deployPath(t, "compose")
	if envFile == "" {
		envFile = filepath.Join(t.TempDir(), "empty.env")
		require.NoError(t, os.WriteFile(envFile, nil, 0o600))
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(envFile),
		cli.WithDotEnv,
		cli.WithProfiles(profiles),
	)
	require.NoError(t, err)
	return opts.LoadProject(context.Background())
}

// exampleEnv is deploy/compose/.env.example, the file the README tells to
// copy to .env.
func exampleEnv(t *testing.T) string { return deployPath(t, "compose", ".env.example") }

// envMap returns a service's environment with every value set.
func envMap(t *testing.T, s types.ServiceConfig) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range s.Environment {
		require.NotNil(t, v, "service %s: %s has no value", s.Name, k)
		out[k] = *v
	}
	return out
}

// builtFrom reports whether the service is built from the named Dockerfile.
func builtFrom(s types.ServiceConfig, dockerfile string) bool {
	return s.Build != nil && filepath.Base(s.Build.Dockerfile) == dockerfile
}

func TestComposeConfigAccepts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		profiles []string
		edge     bool
	}{
		{name: "default profile", edge: false},
		{name: "demo profile", profiles: []string{"demo"}, edge: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := loadCompose(t, exampleEnv(t), tc.profiles...)
			require.NoError(t, err, "docker compose config would refuse compose.yaml")
			_, err = p.MarshalYAML()
			require.NoError(t, err, "docker compose config prints the project as YAML")
			for _, name := range []string{"postgres", "redis", "minio", "minio-init", "evalroomd-1", "evalroomd-2"} {
				require.Contains(t, p.Services, name)
			}
			_, edge := p.Services["edge-demo"]
			require.Equal(t, tc.edge, edge, "the demo recorder runs with the demo profile only")
			if !tc.edge {
				require.Contains(t, p.DisabledServices, "edge-demo")
			}
		})
	}
}

// TestComposeNeedsSecrets drops each variable compose.yaml requires
// (${NAME:?...}) from the example .env in turn: compose must refuse to
// start without it and name it.
func TestComposeNeedsSecrets(t *testing.T) {
	raw, err := os.ReadFile(deployPath(t, "compose", "compose.yaml"))
	require.NoError(t, err)
	var required []string
	for _, m := range regexp.MustCompile(`\$\{([A-Z0-9_]+):\?`).FindAllStringSubmatch(string(raw), -1) {
		if !slices.Contains(required, m[1]) {
			required = append(required, m[1])
		}
	}
	for _, must := range []string{"EVALROOM_SECRETS_MASTER_KEY", "EVALROOM_ARCHIVE_S3_ACCESS_KEY", "EVALROOM_ARCHIVE_S3_SECRET_KEY",
		"POSTGRES_PASSWORD", "REDIS_PASSWORD", "MINIO_ROOT_PASSWORD", "EVALROOM_MEDIA_PUBLIC_IPS"} {
		require.Contains(t, required, must, "compose.yaml must require %s from .env", must)
	}
	lines := readEnvFile(t, exampleEnv(t))
	for _, name := range required {
		t.Run(name, func(t *testing.T) {
			var kept []string
			found := false
			for _, l := range lines {
				if l.Key == name {
					found = true
					continue
				}
				kept = append(kept, l.Key+"="+l.Value)
			}
			require.True(t, found, ".env.example must list %s", name)
			env := filepath.Join(t.TempDir(), ".env")
			require.NoError(t, os.WriteFile(env, []byte(strings.Join(kept, "\n")+"\n"), 0o600))
			_, err := loadCompose(t, env, "demo")
			require.Error(t, err)
			require.Contains(t, err.Error(), name)
		})
	}
	_, err = loadCompose(t, "")
	require.Error(t, err, "without a .env compose must refuse to start")
}

// TestComposeSecretsNotInFile checks that every secret setting given to a
// container is written as ${...} in compose.yaml, so its value lives in
// .env only.
func TestComposeSecretsNotInFile(t *testing.T) {
	dir := deployPath(t, "compose")
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir), cli.WithEnvFiles(exampleEnv(t)), cli.WithDotEnv,
		cli.WithProfiles([]string{"*"}), cli.WithInterpolation(false))
	require.NoError(t, err)
	model, err := opts.LoadModel(context.Background())
	require.NoError(t, err)
	secrets := map[string]bool{}
	for env, f := range evalroomdSettings() {
		secrets[env] = f.Secret
	}
	for env, f := range edgeSettings() {
		secrets[env] = f.Secret
	}
	services, ok := model["services"].(map[string]any)
	require.True(t, ok)
	checked := 0
	for name, svc := range services {
		envs, _ := svc.(map[string]any)["environment"].(map[string]any)
		for k, v := range envs {
			if !secrets[k] {
				continue
			}
			s, _ := v.(string)
			require.True(t, strings.HasPrefix(s, "${"), "service %s: secret %s must come from .env (${...}), not be written in compose.yaml", name, k)
			checked++
		}
	}
	require.Positive(t, checked, "the master key and the S3 secret key are secrets given to containers")
}

// TestComposeStack checks what the deployment needs of the stack: the
// versions, two evalroomd nodes with their own ids and media ports, the
// health checks, the start order and the archive bucket.
func TestComposeStack(t *testing.T) {
	p, err := loadCompose(t, exampleEnv(t), "demo")
	require.NoError(t, err)

	require.True(t, strings.HasPrefix(p.Services["postgres"].Image, "postgres:15"), "PostgreSQL 15")
	require.True(t, strings.HasPrefix(p.Services["redis"].Image, "redis:7"), "Redis 7")
	require.True(t, strings.HasPrefix(p.Services["minio"].Image, "minio/minio:"), "MinIO")

	var nodes []types.ServiceConfig
	for _, s := range p.Services {
		if builtFrom(s, "evalroomd.Dockerfile") {
			nodes = append(nodes, s)
		}
	}
	require.Len(t, nodes, 2, "two evalroomd nodes")
	ids := map[string]bool{}
	published := map[string]string{}
	for _, s := range nodes {
		env := envMap(t, s)
		id := env["EVALROOM_CLUSTER_NODE_ID"]
		require.NotEmpty(t, id, "%s: a node id", s.Name)
		require.False(t, ids[id], "%s: node ids differ", s.Name)
		ids[id] = true
		require.Equal(t, env["EVALROOM_POSTGRES_DSN"], envMap(t, nodes[0])["EVALROOM_POSTGRES_DSN"], "same database")
		require.Equal(t, env["EVALROOM_REDIS_ADDR"], envMap(t, nodes[0])["EVALROOM_REDIS_ADDR"], "same Redis")
		require.Equal(t, "s3", env["EVALROOM_ARCHIVE_STORE"])
		require.Equal(t, "minio:9000", env["EVALROOM_ARCHIVE_S3_ENDPOINT"])

		// ICE candidates carry the port the node listens on, so the
		// media ports are published at the same number.
		for _, media := range []struct{ key, proto string }{{"EVALROOM_MEDIA_UDP_ADDR", "udp"}, {"EVALROOM_MEDIA_TCP_ADDR", "tcp"}} {
			_, port, err := net.SplitHostPort(env[media.key])
			require.NoError(t, err, "%s: %s", s.Name, media.key)
			require.True(t, publishes(s, port, port, media.proto), "%s: %s port %s/%s published at the same number", s.Name, media.key, port, media.proto)
			require.NotContains(t, published, port+"/"+media.proto, "%s: media port %s used by two nodes", s.Name, port)
			published[port+"/"+media.proto] = s.Name
		}
		_, httpPort, err := net.SplitHostPort(env["EVALROOM_HTTP_ADDR"])
		require.NoError(t, err)
		require.NotNil(t, s.HealthCheck, "%s: health check", s.Name)
		test := strings.Join(s.HealthCheck.Test, " ")
		require.Contains(t, test, "127.0.0.1:"+httpPort+"/healthz")
		require.Contains(t, test, "127.0.0.1:"+httpPort+"/readyz")

		require.Equal(t, types.ServiceConditionHealthy, s.DependsOn["postgres"].Condition, "%s starts after PostgreSQL is healthy", s.Name)
		require.Equal(t, types.ServiceConditionHealthy, s.DependsOn["redis"].Condition, "%s starts after Redis is healthy", s.Name)
		require.Equal(t, types.ServiceConditionCompletedSuccessfully, s.DependsOn["minio-init"].Condition, "%s starts after the bucket exists", s.Name)
	}

	init := p.Services["minio-init"]
	require.Equal(t, types.ServiceConditionHealthy, init.DependsOn["minio"].Condition)
	initEnv := envMap(t, init)
	nodeEnv := envMap(t, nodes[0])
	require.Equal(t, nodeEnv["EVALROOM_ARCHIVE_S3_BUCKET"], initEnv["BUCKET"], "the job creates the bucket evalroomd uses")
	require.Equal(t, nodeEnv["EVALROOM_ARCHIVE_S3_ACCESS_KEY"], initEnv["APP_ACCESS_KEY"], "the job creates evalroomd's key")
	require.Equal(t, nodeEnv["EVALROOM_ARCHIVE_S3_SECRET_KEY"], initEnv["APP_SECRET_KEY"])
	script := strings.Join(init.Command, " ")
	require.Contains(t, script, "mc mb --ignore-existing")

	edge := p.Services["edge-demo"]
	require.Equal(t, []string{"demo"}, edge.Profiles)
	require.True(t, builtFrom(edge, "evalroom-edge.Dockerfile"))
	edgeEnv := envMap(t, edge)
	require.Contains(t, edgeEnv["EVALROOM_EDGE_CAMERAS"], "=synthetic")
	require.NotNil(t, edge.HealthCheck)
	_, healthPort, err := net.SplitHostPort(edgeEnv["EVALROOM_EDGE_HEALTH_ADDR"])
	require.NoError(t, err)
	require.Contains(t, strings.Join(edge.HealthCheck.Test, " "), "127.0.0.1:"+healthPort+"/healthz")

	for _, s := range p.Services {
		if s.Build == nil {
			continue
		}
		require.Equal(t, repoRoot(t), s.Build.Context, "%s: built from the repository root", s.Name)
		_, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile))
		require.NoError(t, err, "%s: its Dockerfile exists", s.Name)
	}
}

// publishes reports whether s publishes container port target at host
// port published for proto.
func publishes(s types.ServiceConfig, target, published, proto string) bool {
	for _, p := range s.Ports {
		if p.Protocol == proto && p.Published == published && target == strconv.FormatUint(uint64(p.Target), 10) {
			return true
		}
	}
	return false
}

// TestComposeEnvironmentLoads hands each container's environment (the
// compose file's, with the example .env, over the image's ENV lines) to
// the binary's own configuration loader: evalroomd refuses unknown
// EVALROOM_* variables and both refuse values of the wrong type.
func TestComposeEnvironmentLoads(t *testing.T) {
	p, err := loadCompose(t, exampleEnv(t), "demo")
	require.NoError(t, err)
	n := 0
	for _, s := range p.Services {
		switch {
		case builtFrom(s, "evalroomd.Dockerfile"):
			env := dockerfileEnv(t, "evalroomd.Dockerfile")
			for k, v := range envMap(t, s) {
				env[k] = v
			}
			_, err := loadEvalroomd(envOf(env))
			require.NoError(t, err, "service %s: evalroomd would refuse its environment", s.Name)
			n++
		case builtFrom(s, "evalroom-edge.Dockerfile"):
			env := dockerfileEnv(t, "evalroom-edge.Dockerfile")
			for k, v := range envMap(t, s) {
				env[k] = v
			}
			_, err := loadEdge(envOf(env))
			require.NoError(t, err, "service %s: evalroom-edge would refuse its environment", s.Name)
			n++
		}
	}
	require.Equal(t, 3, n, "two evalroomd nodes and the demo recorder")
}
