package deploycheck_test

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/evalroom/evalroom/cmd/internal/metrics"
)

// The PromQL expressions of the alert rules and the dashboard are checked
// here without Prometheus' own parser (its module would upgrade a dozen
// of this project's dependencies): a tokenizer that knows PromQL's
// brackets, strings, numbers, keywords, functions and label lists finds
// every metric name an expression selects. promtool, when installed,
// parses and evaluates the rules for real (TestAlertRulesPromtool).

// promqlFunctions are PromQL's functions and aggregation operators.
var promqlFunctions = []string{
	"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
	"abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "day_of_month",
	"day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp", "floor", "histogram_quantile",
	"holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace", "ln", "log2", "log10",
	"minute", "month", "predict_linear", "rate", "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sqrt",
	"time", "timestamp", "vector", "year", "avg_over_time", "min_over_time", "max_over_time", "sum_over_time",
	"count_over_time", "quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
	"present_over_time",
}

// promqlLabelListKeywords are followed by a parenthesised list of label
// names.
var promqlLabelListKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

// promqlKeywords are the other words of the language.
var promqlKeywords = []string{"and", "or", "unless", "bool", "offset", "atan2"}

// promBuiltins are series Prometheus records itself about each scrape.
var promBuiltins = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped"}

type promToken struct {
	kind string // "ident", "string", "number", "punct"
	text string
}

// promTokens splits a PromQL expression into tokens.
func promTokens(expr string) ([]promToken, error) {
	var out []promToken
	r := []rune(expr)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '#': // comment to the end of the line
			for i < len(r) && r[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(r) && r[j] != c {
				if r[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(r) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, promToken{"string", string(r[i+1 : j])})
			i = j + 1
		case unicode.IsDigit(c) || (c == '.' && i+1 < len(r) && unicode.IsDigit(r[i+1])):
			j := i
			for j < len(r) && (unicode.IsDigit(r[j]) || unicode.IsLetter(r[j]) || r[j] == '.' ||
				((r[j] == '+' || r[j] == '-') && (r[j-1] == 'e' || r[j-1] == 'E'))) {
				j++
			}
			out = append(out, promToken{"number", string(r[i:j])})
			i = j
		case unicode.IsLetter(c) || c == '_' || c == ':':
			j := i
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_' || r[j] == ':') {
				j++
			}
			out = append(out, promToken{"ident", string(r[i:j])})
			i = j
		default:
			two := ""
			if i+1 < len(r) {
				two = string(r[i : i+2])
			}
			switch two {
			case "==", "!=", "<=", ">=", "=~", "!~":
				out = append(out, promToken{"punct", two})
				i += 2
				continue
			}
			if !strings.ContainsRune("(){}[],=<>+-*/%^@", c) {
				return nil, fmt.Errorf("unexpected %q at %d", c, i)
			}
			out = append(out, promToken{"punct", string(c)})
			i++
		}
	}
	return out, nil
}

// promMetricNames returns the metric names expr selects, and an error for
// unbalanced brackets, unknown functions or malformed label lists and
// matchers.
func promMetricNames(expr string) ([]string, error) {
	toks, err := promTokens(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	var stack []string
	closing := map[string]string{")": "(", "}": "{", "]": "["}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := promToken{}
		if i+1 < len(toks) {
			next = toks[i+1]
		}
		inBraces := len(stack) > 0 && stack[len(stack)-1] == "{"
		switch {
		case t.kind == "punct" && (t.text == "(" || t.text == "{" || t.text == "["):
			stack = append(stack, t.text)
		case t.kind == "punct" && closing[t.text] != "":
			if len(stack) == 0 || stack[len(stack)-1] != closing[t.text] {
				return nil, fmt.Errorf("unbalanced %q", t.text)
			}
			stack = stack[:len(stack)-1]
		case t.kind == "ident" && inBraces:
			// A matcher: label, operator, string.
			if i+2 >= len(toks) || !slices.Contains([]string{"=", "!=", "=~", "!~"}, next.text) || toks[i+2].kind != "string" {
				return nil, fmt.Errorf("malformed label matcher at %q", t.text)
			}
			i += 2
		case t.kind == "ident" && slices.Contains(promqlLabelListKeywords, t.text):
			if t.text == "group_left" || t.text == "group_right" {
				if next.text != "(" {
					continue // without a label list
				}
			} else if next.text != "(" {
				return nil, fmt.Errorf("%s needs a label list", t.text)
			}
			j := i + 2
			for ; j < len(toks) && toks[j].text != ")"; j++ {
				if toks[j].kind != "ident" && toks[j].text != "," {
					return nil, fmt.Errorf("label list of %s holds %q", t.text, toks[j].text)
				}
			}
			if j == len(toks) {
				return nil, fmt.Errorf("unclosed label list of %s", t.text)
			}
			i = j
		case t.kind == "ident" && slices.Contains(promqlKeywords, t.text):
		case t.kind == "ident" && slices.Contains(promqlFunctions, t.text) && (next.text == "by" || next.text == "without"):
			// An aggregation with its grouping first: sum by (a) (x).
		case t.kind == "ident" && next.text == "(":
			if !slices.Contains(promqlFunctions, t.text) {
				return nil, fmt.Errorf("unknown function %s", t.text)
			}
		case t.kind == "ident":
			names = append(names, t.text)
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("unclosed %q", stack[len(stack)-1])
	}
	return names, nil
}

// exportedNames are the names evalroomd and evalroom-edge export, and
// Prometheus' own scrape series.
func exportedNames() map[string]bool {
	out := map[string]bool{}
	for _, n := range append(append(metrics.Names(false), metrics.Names(true)...), promBuiltins...) {
		out[n] = true
	}
	return out
}

// exported reports whether name is exported (a histogram's _bucket, _sum
// and _count series included).
func exported(names map[string]bool, name string) bool {
	if names[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && names[base] {
			return true
		}
	}
	return false
}
