package deploycheck_test

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// ruleFile is a Prometheus rule file (the rule_files format); decoding
// refuses fields Prometheus does not know.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Limit    int    `yaml:"limit"`
		Rules    []struct {
			Alert         string            `yaml:"alert"`
			Record        string            `yaml:"record"`
			Expr          string            `yaml:"expr"`
			For           string            `yaml:"for"`
			KeepFiringFor string            `yaml:"keep_firing_for"`
			Labels        map[string]string `yaml:"labels"`
			Annotations   map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// promDuration is Prometheus' duration syntax (1h30m, 10m, 90s).
var promDuration = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)

// decodeStrict decodes YAML into v, refusing unknown fields.
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(v), path)
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TestAlertRules checks deploy/prometheus/alerts.yml: the rule groups'
// structure, the labels and Chinese annotations of each alert, that every
// expression is well formed and selects only metrics evalroomd or
// evalroom-edge export, and that the alerts the control room needs are
// there.
func TestAlertRules(t *testing.T) {
	var rf ruleFile
	decodeStrict(t, deployPath(t, "prometheus", "alerts.yml"), &rf)
	require.NotEmpty(t, rf.Groups)
	names := exportedNames()
	groups, alerts := map[string]bool{}, map[string]string{}
	for _, g := range rf.Groups {
		require.NotEmpty(t, g.Name)
		require.False(t, groups[g.Name], "group %s twice", g.Name)
		groups[g.Name] = true
		require.NotEmpty(t, g.Rules, g.Name)
		for _, r := range g.Rules {
			require.True(t, (r.Alert == "") != (r.Record == ""), "%s: a rule is an alert or a recording rule", g.Name)
			require.NotEmpty(t, r.Alert, "%s: only alerts here", g.Name)
			t.Run(r.Alert, func(t *testing.T) {
				require.NotContains(t, alerts, r.Alert, "alert names are unique")
				alerts[r.Alert] = r.Expr
				if r.For != "" {
					require.Regexp(t, promDuration, r.For)
				}
				require.Contains(t, []string{"critical", "warning"}, r.Labels["severity"])
				require.True(t, hasHan(r.Annotations["summary"]), "a Chinese summary")
				require.True(t, hasHan(r.Annotations["description"]), "a Chinese description")
				used, err := promMetricNames(r.Expr)
				require.NoError(t, err, r.Expr)
				require.NotEmpty(t, used)
				for _, n := range used {
					require.True(t, exported(names, n), "%s is not a metric evalroomd or evalroom-edge exports", n)
				}
			})
		}
	}
	// What the control room needs (issue 6).
	for alert, metric := range map[string]string{
		"EvalroomRoomNotRecording":        "evalroom_room_evaluating",
		"EvalroomUploadBacklogGrowing":    "evalroom_recorder_backlog_segments",
		"EvalroomClockBeyondTolerance":    "evalroom_clock_tolerance_seconds",
		"EvalroomClockOffset":             "evalroom_clock_tolerance_seconds",
		"EvalroomRecorderDiskLow":         "evalroom_recorder_free_disk_bytes",
		"EvalroomRecorderDiskFull":        "evalroom_recorder_free_disk_bytes",
		"EvalroomNotificationDeadLetters": "evalroom_notify_dead_total",
	} {
		require.Contains(t, alerts, alert)
		require.Contains(t, alerts[alert], metric, "%s uses %s", alert, metric)
	}
}

// TestAlertRulesCheckedByPromtool runs Prometheus' promtool (Debian's
// prometheus package): check rules and check config parse the files with
// Prometheus' own code, and test rules runs alerts_test.yml, which feeds
// series to every alert and names what must fire. Every alert has a test.
func TestAlertRulesCheckedByPromtool(t *testing.T) {
	promtool := lookTool(t, "promtool", "prometheus")
	dir := deployPath(t, "prometheus")
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"check", "config", "prometheus.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
		require.Contains(t, string(out), "SUCCESS")
	}
	var rf ruleFile
	decodeStrict(t, filepath.Join(dir, "alerts.yml"), &rf)
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "alerts_test.yml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &tests))
	fires := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			fires[a.Alertname] = fires[a.Alertname] || len(a.ExpAlerts) > 0
		}
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert != "EvalroomArchiveReplicationBehind" && r.Alert != "EvalroomMetricsSourceFailing" {
				require.True(t, fires[r.Alert], "alerts_test.yml has a case where %s fires", r.Alert)
			}
		}
	}
}

// dashboard is the part of a Grafana dashboard the check reads.
type dashboard struct {
	UID           string           `json:"uid"`
	Title         string           `json:"title"`
	SchemaVersion int              `json:"schemaVersion"`
	Panels        []dashboardPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type dashboardPanel struct {
	ID         int                   `json:"id"`
	Type       string                `json:"type"`
	Title      string                `json:"title"`
	Datasource *struct{ UID string } `json:"datasource"`
	Panels     []dashboardPanel      `json:"panels"`
	Targets    []struct {
		Expr       string                `json:"expr"`
		RefID      string                `json:"refId"`
		Datasource *struct{ UID string } `json:"datasource"`
	} `json:"targets"`
}

// grafanaVars are the variables Grafana replaces in queries.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")

// TestGrafanaDashboard checks deploy/grafana/evalroom.json: valid JSON,
// every panel titled and on the dashboard's Prometheus variable, every
// query well formed and on metrics the binaries export, and the recorder,
// media, notification and archive metrics all shown.
func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile(deployPath(t, "grafana", "evalroom.json"))
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal(data, &d))
	require.Equal(t, "evalroom", d.UID)
	require.NotEmpty(t, d.Title)
	require.Positive(t, d.SchemaVersion)
	require.Len(t, d.Templating.List, 1)
	require.Equal(t, "datasource", d.Templating.List[0].Type)
	require.Equal(t, "prometheus", d.Templating.List[0].Query)
	dsVar := "${" + d.Templating.List[0].Name + "}"

	names := exportedNames()
	used := map[string]bool{}
	ids := map[int]bool{}
	var walk func(ps []dashboardPanel)
	walk = func(ps []dashboardPanel) {
		for _, p := range ps {
			require.NotEmpty(t, p.Title, "panel %d has a title", p.ID)
			require.False(t, ids[p.ID], "panel id %d twice", p.ID)
			ids[p.ID] = true
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			require.NotEmpty(t, p.Targets, p.Title)
			require.NotNil(t, p.Datasource, p.Title)
			require.Equal(t, dsVar, p.Datasource.UID, p.Title)
			for _, tg := range p.Targets {
				require.NotNil(t, tg.Datasource, "%s %s", p.Title, tg.RefID)
				require.Equal(t, dsVar, tg.Datasource.UID)
				ns, err := promMetricNames(grafanaVars.Replace(tg.Expr))
				require.NoError(t, err, "%s: %s", p.Title, tg.Expr)
				for _, n := range ns {
					require.True(t, exported(names, n), "panel %q: %s is not a metric evalroomd or evalroom-edge exports", p.Title, n)
					used[n] = true
				}
			}
		}
	}
	walk(d.Panels)
	for _, n := range []string{"evalroom_sessions", "evalroom_room_evaluating", "evalroom_recorder_recording", "evalroom_recorder_live",
		"evalroom_recorder_stale", "evalroom_recorder_backlog_segments", "evalroom_recorder_clock_offset_seconds",
		"evalroom_recorder_clock_uncertainty_seconds", "evalroom_clock_tolerance_seconds", "evalroom_recorder_free_disk_bytes",
		"evalroom_sfu_participants", "evalroom_sfu_forward_bits_per_second", "evalroom_sfu_ingest_loss_ratio",
		"evalroom_sfu_forwarded_bytes_total", "evalroom_notifications", "evalroom_notify_dead_total", "evalroom_draws",
		"evalroom_archive_segments", "evalroom_http_requests_total", "evalroom_http_request_duration_seconds_bucket"} {
		require.True(t, used[n], "the dashboard shows %s", n)
	}
}

// TestPromQLCheckCatchesMistakes shows that the expression check refuses
// what Prometheus would refuse, and finds every metric name.
func TestPromQLCheckCatchesMistakes(t *testing.T) {
	names, err := promMetricNames(`sum by (le, route) (rate(evalroom_http_request_duration_seconds_bucket{route!~"/a|/b"}[5m])) > on () group_left () max(evalroom_clock_tolerance_seconds) and up{job="evalroomd"} == 0 unless count(x) by (a)`)
	require.NoError(t, err)
	require.Equal(t, []string{"evalroom_http_request_duration_seconds_bucket", "evalroom_clock_tolerance_seconds", "up", "x"}, names)
	for _, bad := range []string{`sum(rate(x[5m])`, `x{a="b"`, `rates(x[5m])`, `x{a=b}`, `sum by a (x)`, `x ) (`, `"open`} {
		_, err := promMetricNames(bad)
		require.Error(t, err, bad)
	}
	exp := exportedNames()
	require.True(t, exported(exp, "evalroom_http_request_duration_seconds_count"))
	require.False(t, exported(exp, "evalroom_recorder_recordings"))
}

// TestPrometheusScrapeConfig checks deploy/prometheus/prometheus.yml
// against the compose stack: its rule files exist beside it, the
// evalroomd job scrapes every evalroomd node at its HTTP port and the
// edge job the demo recorder at its health port, all at /metrics.
func TestPrometheusScrapeConfig(t *testing.T) {
	var cfg struct {
		Global        map[string]string `yaml:"global"`
		RuleFiles     []string          `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	decodeStrict(t, deployPath(t, "prometheus", "prometheus.yml"), &cfg)
	require.Contains(t, cfg.RuleFiles, "alerts.yml")
	for _, f := range cfg.RuleFiles {
		require.FileExists(t, deployPath(t, "prometheus", f))
	}
	p, err := loadCompose(t, exampleEnv(t), "demo")
	require.NoError(t, err)
	want := map[string][]string{}
	for _, s := range p.Services {
		env := envMap(t, s)
		switch {
		case builtFrom(s, "evalroomd.Dockerfile"):
			_, port, err := net.SplitHostPort(env["EVALROOM_HTTP_ADDR"])
			require.NoError(t, err)
			want["evalroomd"] = append(want["evalroomd"], s.Name+":"+port)
		case builtFrom(s, "evalroom-edge.Dockerfile"):
			_, port, err := net.SplitHostPort(env["EVALROOM_EDGE_HEALTH_ADDR"])
			require.NoError(t, err)
			want["evalroom-edge"] = append(want["evalroom-edge"], s.Name+":"+port)
		}
	}
	got := map[string][]string{}
	for _, sc := range cfg.ScrapeConfigs {
		require.Equal(t, "/metrics", sc.MetricsPath, sc.JobName)
		for _, st := range sc.StaticConfigs {
			got[sc.JobName] = append(got[sc.JobName], st.Targets...)
		}
	}
	for job := range want {
		require.ElementsMatch(t, want[job], got[job], "job %s scrapes the compose services", job)
	}
}

// TestComposeMonitoring checks the stack's Prometheus and Grafana: they
// mount the rule, scrape and dashboard files that exist in deploy/, bind
// to the host's loopback, and Grafana's admin password comes from .env.
func TestComposeMonitoring(t *testing.T) {
	p, err := loadCompose(t, exampleEnv(t), "demo")
	require.NoError(t, err)
	mounts := func(name string) map[string]string {
		s, ok := p.Services[name]
		require.True(t, ok, "compose has %s", name)
		out := map[string]string{}
		for _, v := range s.Volumes {
			if v.Type == "bind" {
				_, err := os.Stat(v.Source)
				require.NoError(t, err, "%s mounts %s, which exists", name, v.Source)
				out[v.Target] = v.Source
				require.True(t, v.ReadOnly, "%s: %s is mounted read-only", name, v.Target)
			}
		}
		for _, port := range s.Ports {
			require.Equal(t, "127.0.0.1", port.HostIP, "%s is bound to the host's loopback", name)
		}
		return out
	}
	prom := mounts("prometheus")
	require.Equal(t, deployPath(t, "prometheus", "prometheus.yml"), prom["/etc/prometheus/prometheus.yml"])
	require.Equal(t, deployPath(t, "prometheus", "alerts.yml"), prom["/etc/prometheus/alerts.yml"])
	require.True(t, slices.ContainsFunc(p.Services["prometheus"].Command, func(a string) bool {
		return a == "--config.file=/etc/prometheus/prometheus.yml"
	}))
	graf := mounts("grafana")
	require.Equal(t, deployPath(t, "grafana", "provisioning"), graf["/etc/grafana/provisioning"])
	require.Equal(t, deployPath(t, "grafana", "evalroom.json"), graf["/var/lib/grafana/dashboards/evalroom.json"])
	var provider struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name            string `yaml:"name"`
			Folder          string `yaml:"folder"`
			Type            string `yaml:"type"`
			DisableDeletion bool   `yaml:"disableDeletion"`
			AllowUIUpdates  bool   `yaml:"allowUiUpdates"`
			Options         struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	decodeStrict(t, deployPath(t, "grafana", "provisioning", "dashboards", "evalroom.yml"), &provider)
	require.Equal(t, "/var/lib/grafana/dashboards", provider.Providers[0].Options.Path)
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name      string `yaml:"name"`
			UID       string `yaml:"uid"`
			Type      string `yaml:"type"`
			Access    string `yaml:"access"`
			URL       string `yaml:"url"`
			IsDefault bool   `yaml:"isDefault"`
			Editable  bool   `yaml:"editable"`
		} `yaml:"datasources"`
	}
	decodeStrict(t, deployPath(t, "grafana", "provisioning", "datasources", "prometheus.yml"), &ds)
	require.Equal(t, "prometheus", ds.Datasources[0].Type)
	require.Equal(t, "http://prometheus:9090", ds.Datasources[0].URL, "the stack's Prometheus service")
	require.Contains(t, p.Services, "prometheus")
	raw, err := os.ReadFile(deployPath(t, "compose", "compose.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(raw), "${GRAFANA_ADMIN_PASSWORD:?", "Grafana's password comes from .env")
}
