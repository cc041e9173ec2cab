package metrics

import (
	"regexp"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
)

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// Names lists the metric names evalroomd (server) or evalroom-edge
// (edge) exports, from the descriptions of the very collectors the
// binaries register, Go runtime and process metrics included. A
// histogram's name stands for its _bucket, _sum and _count series.
// The deployment checks compare the alert rules and the dashboard with
// it.
func Names(edge bool) []string {
	var cs []prometheus.Collector
	if edge {
		cs = append(cs, &edgeCollector{status: func() EdgeStatus { return EdgeStatus{} }, reports: &Reports{}})
	} else {
		src := newSources(0, nil)
		cs = append(cs, &sessionsCollector{src: src}, newSFUCollector(nil), &poolCollector{src: src}, &recordersCollector{src: src},
			&archiveCollector{src: src}, src)
		h, _ := NewHTTP(prometheus.NewRegistry())
		cs = append(cs, h.requests, h.duration)
	}
	cs = append(cs, runtimeCollectors()...)
	seen := map[string]bool{}
	for _, c := range cs {
		ch := make(chan *prometheus.Desc, 256)
		go func() {
			c.Describe(ch)
			close(ch)
		}()
		for d := range ch {
			if m := fqName.FindStringSubmatch(d.String()); m != nil {
				seen[m[1]] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
