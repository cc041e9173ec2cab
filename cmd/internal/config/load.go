package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrUnknownKey is returned for a config file key, environment variable or
// flag that names no field.
var ErrUnknownKey = errors.New("config: unknown key")

// Field is one leaf setting.
type Field struct {
	// Key is the dotted yaml path, e.g. "http.addr".
	Key string
	// Env is the environment variable, e.g. EVALROOM_HTTP_ADDR.
	Env string
	// Type is the Go kind: string, int or bool.
	Type string
	// Doc describes the setting.
	Doc string
	// Secret fields are never printed with their value.
	Secret bool
	value  reflect.Value
}

// Fields lists every leaf setting of c, in declaration order, bound to c.
func Fields(c *Config) []Field { return fieldsOf(c, EnvPrefix) }

// Environment variable prefixes of evalroomd's and evalroom-edge's
// settings.
const (
	EnvPrefix     = "EVALROOM_"
	EdgeEnvPrefix = "EVALROOM_EDGE_"
)

// fieldsOf lists the leaf settings of the struct ptr points to.
func fieldsOf(ptr any, envPrefix string) []Field {
	var out []Field
	walk(reflect.ValueOf(ptr).Elem(), "", envPrefix, &out)
	return out
}

func walk(v reflect.Value, prefix, envPrefix string, out *[]Field) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name := strings.Split(sf.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			walk(fv, key, envPrefix, out)
			continue
		}
		doc := sf.Tag.Get("doc")
		if doc == "" {
			doc = strings.ReplaceAll(sf.Tag.Get("json"), "_", " ")
			doc = strings.Split(doc, ",")[0]
		}
		*out = append(*out, Field{
			Key: key, Env: envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_")),
			Type: fv.Kind().String(), Doc: doc, Secret: sf.Tag.Get("secret") == "true", value: fv,
		})
	}
}

// Set parses s into the field.
func (f Field) Set(s string) error {
	switch f.value.Kind() {
	case reflect.String:
		f.value.SetString(s)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("config %s: %q is not an integer", f.Key, s)
		}
		f.value.SetInt(int64(n))
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("config %s: %q is not true or false", f.Key, s)
		}
		f.value.SetBool(b)
	default:
		return fmt.Errorf("config %s: unsupported type %s", f.Key, f.value.Kind())
	}
	return nil
}

// String returns the field's current value as text ("***" for secrets
// that are set).
func (f Field) String() string {
	if f.Secret && !f.value.IsZero() {
		return "***"
	}
	return fmt.Sprint(f.value.Interface())
}

// Load builds evalroomd's configuration from defaults, then the YAML
// file named by -config (or EVALROOM_CONFIG), then EVALROOM_* variables
// from environ (EVALROOM_EDGE_* belong to evalroom-edge and are ignored),
// then the flags in args. It registers its flags on fs.
func Load(fs *flag.FlagSet, args []string, environ []string) (Config, error) {
	c := Default()
	err := load(&c, fieldsOf(&c, EnvPrefix), EnvPrefix, EdgeEnvPrefix, fs, args, environ)
	return c, err
}

// load fills target (holding its defaults) from the YAML file, the
// environment variables with envPrefix (except those with skipPrefix) and
// the flags.
func load(target any, fields []Field, envPrefix, skipPrefix string, fs *flag.FlagSet, args []string, environ []string) error {
	configFile := fs.String("config", "", "YAML configuration file (or "+envPrefix+"CONFIG)")
	flagVals := map[string]*string{}
	for _, f := range fields {
		flagVals[f.Key] = fs.String(f.Key, "", f.Doc+" (env "+f.Env+")")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, envPrefix) && (skipPrefix == "" || !strings.HasPrefix(k, skipPrefix)) {
			env[k] = v
		}
	}
	path := *configFile
	if path == "" {
		path = env[envPrefix+"CONFIG"]
	}
	if path != "" {
		if err := loadFile(target, path); err != nil {
			return err
		}
	}
	known := map[string]bool{envPrefix + "CONFIG": true}
	for _, f := range fields {
		known[f.Env] = true
		if v, ok := env[f.Env]; ok {
			if err := f.Set(v); err != nil {
				return err
			}
		}
	}
	for k := range env {
		if !known[k] && !strings.HasPrefix(k, "EVALROOM_TEST") {
			return fmt.Errorf("%w: environment variable %s", ErrUnknownKey, k)
		}
	}
	var setErr error
	fs.Visit(func(fl *flag.Flag) {
		for _, f := range fields {
			if f.Key == fl.Name && setErr == nil {
				setErr = f.Set(*flagVals[f.Key])
			}
		}
	})
	return setErr
}

func loadFile(target any, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(target); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}
