package deploycheck_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// manifests are the objects of deploy/k8s, decoded into their types.
type manifests struct {
	namespaces  []*corev1.Namespace
	configMaps  []*corev1.ConfigMap
	secrets     []*corev1.Secret
	services    []*corev1.Service
	deployments []*appsv1.Deployment
	pdbs        []*policyv1.PodDisruptionBudget
	all         []metav1.Object
}

// loadManifests decodes every document of deploy/k8s/*.yaml strictly into
// the k8s.io/api type of its apiVersion and kind: a field the type does
// not have, a field given twice or a value of the wrong type fails, as
// the API server's strict field validation would (kubectl apply
// --validate=strict). A kind without a type here fails too.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob(deployPath(t, "k8s", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var m manifests
	for _, file := range files {
		f, err := os.Open(file)
		require.NoError(t, err)
		r := k8syaml.NewYAMLReader(bufio.NewReader(f))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			var tm metav1.TypeMeta
			require.NoError(t, yaml.Unmarshal(doc, &tm), "%s #%d", file, i)
			where := filepath.Base(file) + " " + tm.Kind
			var obj metav1.Object
			switch tm.APIVersion + "/" + tm.Kind {
			case "v1/Namespace":
				o := &corev1.Namespace{}
				m.namespaces, obj = append(m.namespaces, o), o
			case "v1/ConfigMap":
				o := &corev1.ConfigMap{}
				m.configMaps, obj = append(m.configMaps, o), o
			case "v1/Secret":
				o := &corev1.Secret{}
				m.secrets, obj = append(m.secrets, o), o
			case "v1/Service":
				o := &corev1.Service{}
				m.services, obj = append(m.services, o), o
			case "apps/v1/Deployment":
				o := &appsv1.Deployment{}
				m.deployments, obj = append(m.deployments, o), o
			case "policy/v1/PodDisruptionBudget":
				o := &policyv1.PodDisruptionBudget{}
				m.pdbs, obj = append(m.pdbs, o), o
			default:
				t.Fatalf("%s #%d: %s %s has no type in this test: add it", file, i, tm.APIVersion, tm.Kind)
			}
			require.NoError(t, yaml.UnmarshalStrict(doc, obj), where)
			m.all = append(m.all, obj)
		}
		f.Close()
	}
	return m
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return out
}

func TestK8sManifestsDecodeStrictly(t *testing.T) {
	m := loadManifests(t)
	require.Len(t, m.namespaces, 1)
	ns := m.namespaces[0].Name
	names := map[string]bool{}
	for _, o := range m.all {
		require.Empty(t, validation.IsDNS1123Subdomain(o.GetName()), "name %q", o.GetName())
		if _, isNS := o.(*corev1.Namespace); !isNS {
			require.Equal(t, ns, o.GetNamespace(), "%s is in the namespace", o.GetName())
		}
		for k, v := range o.GetLabels() {
			require.Empty(t, validation.IsQualifiedName(k), "label key %q", k)
			require.Empty(t, validation.IsValidLabelValue(v), "label value %q", v)
		}
		key := strings.TrimPrefix(typeName(o), "*") + "/" + o.GetName()
		require.False(t, names[key], "%s defined twice", key)
		names[key] = true
	}
	for _, s := range m.services {
		require.Empty(t, validation.IsDNS1035Label(s.Name), "Service name %q", s.Name)
	}
}

func typeName(o metav1.Object) string {
	switch o.(type) {
	case *corev1.Namespace:
		return "Namespace"
	case *corev1.ConfigMap:
		return "ConfigMap"
	case *corev1.Secret:
		return "Secret"
	case *corev1.Service:
		return "Service"
	case *appsv1.Deployment:
		return "Deployment"
	case *policyv1.PodDisruptionBudget:
		return "PodDisruptionBudget"
	}
	return "?"
}

// evalroomdDeployment is the one Deployment, of evalroomd, and its container.
func evalroomdDeployment(t *testing.T, m manifests) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	require.Len(t, m.deployments, 1)
	d := m.deployments[0]
	require.Len(t, d.Spec.Template.Spec.Containers, 1)
	return d, &d.Spec.Template.Spec.Containers[0]
}

func TestK8sDeployment(t *testing.T) {
	m := loadManifests(t)
	d, c := evalroomdDeployment(t, m)
	spec := d.Spec.Template.Spec

	require.NotNil(t, d.Spec.Replicas)
	require.EqualValues(t, 2, *d.Spec.Replicas, "two evalroomd pods")
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	require.NoError(t, err)
	require.False(t, sel.Empty())
	require.True(t, sel.Matches(labels.Set(d.Spec.Template.Labels)), "the selector matches the pod template")

	require.NotEmpty(t, c.Image)
	require.Empty(t, validation.IsDNS1123Label(c.Name))
	ports := map[string]corev1.ContainerPort{}
	for _, p := range c.Ports {
		require.Empty(t, validation.IsValidPortName(p.Name), "port name %q", p.Name)
		require.NotContains(t, ports, p.Name)
		ports[p.Name] = p
	}

	// Probes: ready on /readyz, alive on /healthz, on a TCP port of the container.
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"readiness", c.ReadinessProbe, "/readyz"},
		{"liveness", c.LivenessProbe, "/healthz"},
		{"startup", c.StartupProbe, "/healthz"},
	} {
		require.NotNil(t, pr.probe, pr.name)
		require.NotNil(t, pr.probe.HTTPGet, pr.name)
		require.Equal(t, pr.path, pr.probe.HTTPGet.Path, pr.name)
		p, ok := containerPort(c, pr.probe.HTTPGet.Port)
		require.True(t, ok, "%s probe port %s is a container port", pr.name, pr.probe.HTTPGet.Port.String())
		require.Equal(t, corev1.ProtocolTCP, p.Protocol)
	}

	// Resources: requests for scheduling, a memory limit.
	req, lim := c.Resources.Requests, c.Resources.Limits
	require.False(t, req.Cpu().IsZero(), "cpu request")
	require.False(t, req.Memory().IsZero(), "memory request")
	require.False(t, lim.Memory().IsZero(), "memory limit")
	require.LessOrEqual(t, req.Memory().Cmp(*lim.Memory()), 0, "memory request ≤ limit")

	// evalroomd refuses unknown EVALROOM_* variables: no Service
	// variables may be injected.
	require.NotNil(t, spec.EnableServiceLinks)
	require.False(t, *spec.EnableServiceLinks)
	require.NotNil(t, c.SecurityContext)
	require.NotNil(t, c.SecurityContext.AllowPrivilegeEscalation)
	require.False(t, *c.SecurityContext.AllowPrivilegeEscalation)
	require.NotNil(t, spec.SecurityContext.RunAsNonRoot)
	require.True(t, *spec.SecurityContext.RunAsNonRoot)

	// References: ConfigMaps and Secrets defined here.
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			require.NotNil(t, findConfigMap(m, ef.ConfigMapRef.Name), "ConfigMap %s", ef.ConfigMapRef.Name)
		case ef.SecretRef != nil:
			require.NotNil(t, findSecret(m, ef.SecretRef.Name), "Secret %s", ef.SecretRef.Name)
		}
	}
	defined := map[string]bool{}
	for _, e := range c.Env {
		for _, ref := range regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).FindAllStringSubmatch(e.Value, -1) {
			require.True(t, defined[ref[1]], "%s uses $(%s) before it is defined", e.Name, ref[1])
		}
		defined[e.Name] = true
	}

	// One pod per node: the media NodePort sends a node's traffic to its own pod.
	aa := spec.Affinity
	require.NotNil(t, aa)
	require.NotNil(t, aa.PodAntiAffinity)
	require.Len(t, aa.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, 1)
	term := aa.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0]
	require.Equal(t, "kubernetes.io/hostname", term.TopologyKey)
	asel, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
	require.NoError(t, err)
	require.True(t, asel.Matches(labels.Set(d.Spec.Template.Labels)))

	require.Len(t, m.pdbs, 1)
	psel, err := metav1.LabelSelectorAsSelector(m.pdbs[0].Spec.Selector)
	require.NoError(t, err)
	require.True(t, psel.Matches(labels.Set(d.Spec.Template.Labels)), "the disruption budget covers the pods")
}

// containerPort resolves a probe's or Service's target port.
func containerPort(c *corev1.Container, port intstr.IntOrString) (corev1.ContainerPort, bool) {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			if p.Protocol == "" {
				p.Protocol = corev1.ProtocolTCP
			}
			return p, true
		}
	}
	return corev1.ContainerPort{}, false
}

func findConfigMap(m manifests, name string) *corev1.ConfigMap {
	for _, c := range m.configMaps {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func findSecret(m manifests, name string) *corev1.Secret {
	for _, s := range m.secrets {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func TestK8sServices(t *testing.T) {
	m := loadManifests(t)
	d, c := evalroomdDeployment(t, m)
	env := podEnv(t, m)
	kinds := map[corev1.ServiceType]int{}
	for _, s := range m.services {
		kinds[s.Spec.Type]++
		if s.Spec.Type == corev1.ServiceTypeExternalName {
			require.Empty(t, validation.IsDNS1123Subdomain(s.Spec.ExternalName), "%s: externalName", s.Name)
			continue
		}
		require.NotEmpty(t, s.Spec.Selector, s.Name)
		require.True(t, labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)), "%s selects the evalroomd pods", s.Name)
		for _, p := range s.Spec.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			cp, ok := containerPort(c, p.TargetPort)
			require.True(t, ok, "%s: targetPort %s is a container port", s.Name, p.TargetPort.String())
			require.Equal(t, proto, cp.Protocol, "%s: port %s protocol", s.Name, p.Name)
			if s.Spec.Type == corev1.ServiceTypeNodePort {
				require.True(t, p.NodePort >= 30000 && p.NodePort <= 32767, "%s: nodePort %d in the default range", s.Name, p.NodePort)
				// ICE candidates carry the port the pod listens on, so the
				// NodePort, the Service port and the container port are one number.
				require.Equal(t, p.NodePort, cp.ContainerPort, "%s: %s", s.Name, p.Name)
				require.Equal(t, p.NodePort, p.Port, "%s: %s", s.Name, p.Name)
				require.Equal(t, corev1.ServiceExternalTrafficPolicyLocal, s.Spec.ExternalTrafficPolicy, "%s: a node's media goes to its own pod", s.Name)
			}
		}
	}
	require.Equal(t, 1, kinds[corev1.ServiceTypeClusterIP], "HTTP inside the cluster")
	require.Equal(t, 1, kinds[corev1.ServiceTypeNodePort], "media from the venues")

	// The ports evalroomd listens on are the container ports the media Service publishes.
	for _, media := range []struct{ key, port string }{{"EVALROOM_MEDIA_UDP_ADDR", "media-udp"}, {"EVALROOM_MEDIA_TCP_ADDR", "media-tcp"}} {
		_, p, err := net.SplitHostPort(env[media.key])
		require.NoError(t, err, media.key)
		cp, ok := containerPort(c, intstr.FromString(media.port))
		require.True(t, ok, media.port)
		require.Equal(t, p, strconv.Itoa(int(cp.ContainerPort)), media.key)
	}
	_, p, err := net.SplitHostPort(env["EVALROOM_HTTP_ADDR"])
	require.NoError(t, err)
	cp, ok := containerPort(c, intstr.FromString("http"))
	require.True(t, ok)
	require.Equal(t, p, strconv.Itoa(int(cp.ContainerPort)), "EVALROOM_HTTP_ADDR")
}

// podEnv is the evalroomd container's environment as the kubelet builds
// it: ConfigMap and Secret (envFrom), then env, with fieldRef values and
// $(VAR) references filled in with sample values.
func podEnv(t *testing.T, m manifests) map[string]string {
	t.Helper()
	_, c := evalroomdDeployment(t, m)
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil {
			for k, v := range findConfigMap(m, ef.ConfigMapRef.Name).Data {
				env[ef.Prefix+k] = v
			}
		}
		if ef.SecretRef != nil {
			s := findSecret(m, ef.SecretRef.Name)
			for k, v := range s.StringData {
				env[ef.Prefix+k] = v
			}
			for k, v := range s.Data {
				env[ef.Prefix+k] = string(v)
			}
		}
	}
	sample := map[string]string{"metadata.name": "evalroomd-7d9f-abcde", "status.hostIP": "192.0.2.21", "status.podIP": "10.0.0.5"}
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil {
			require.NotNil(t, e.ValueFrom.FieldRef, "%s: only fieldRef is used", e.Name)
			s, ok := sample[e.ValueFrom.FieldRef.FieldPath]
			require.True(t, ok, "%s: fieldRef %s", e.Name, e.ValueFrom.FieldRef.FieldPath)
			v = s
		}
		v = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(v, func(ref string) string {
			return env[ref[2:len(ref)-1]]
		})
		env[e.Name] = v
	}
	return env
}

// TestK8sEnvironmentLoads gives the pod's environment to evalroomd's own
// loader, and keeps secrets out of the ConfigMap and example values in
// the example Secret.
func TestK8sEnvironmentLoads(t *testing.T) {
	m := loadManifests(t)
	env := podEnv(t, m)
	cfg, err := loadEvalroomd(envOf(env))
	require.NoError(t, err, "evalroomd would refuse the pod's environment")
	require.Equal(t, "evalroomd-7d9f-abcde", cfg.Cluster.NodeID, "each pod is its own node")
	require.Equal(t, "192.0.2.21", cfg.Media.PublicIPs, "each pod announces its node's address")
	require.Equal(t, "s3", cfg.Archive.Store)

	settings := evalroomdSettings()
	for _, cm := range m.configMaps {
		for k := range cm.Data {
			require.False(t, settings[k].Secret, "ConfigMap %s: %s is a secret: put it in the Secret", cm.Name, k)
		}
	}
	for _, s := range m.secrets {
		require.NotEmpty(t, s.Annotations["evalroom.example.org/example"], "Secret %s says it is an example", s.Name)
		for k, v := range s.StringData {
			require.True(t, v == "" || strings.Contains(v, "EXAMPLE-ONLY"), "Secret %s: %s holds an example value only", s.Name, k)
		}
		require.Empty(t, s.Data, "Secret %s: example values in stringData", s.Name)
	}
	for env, f := range settings {
		if !f.Secret {
			continue
		}
		for _, cm := range m.configMaps {
			require.NotContains(t, cm.Data, env)
		}
	}
}
