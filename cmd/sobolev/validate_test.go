package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/pipeline"
)

// setConfig sets the field of c with the YAML key (sections joined by dots)
// to the value v as a flag would read it, and reports whether the field's
// type can hold it.
func setConfig(c *pipeline.Config, key, v string) bool {
	f := reflect.ValueOf(c).Elem()
	for _, name := range strings.Split(key, ".") {
		var ok bool
		if f, ok = yamlFieldValue(f, name); !ok {
			panic("no setting " + key)
		}
	}
	switch f.Kind() {
	case reflect.Int:
		i, err := strconv.Atoi(v)
		if err != nil {
			return false
		}
		f.SetInt(int64(i))
	case reflect.Uint64:
		u, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return false
		}
		f.SetUint(u)
	case reflect.Float64:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		f.SetFloat(x)
	default:
		panic("setting " + key + " is not a number")
	}
	return true
}

// yamlFieldValue returns the field of the struct v, or of a struct inlined in
// it, whose YAML key is name.
func yamlFieldValue(v reflect.Value, name string) (reflect.Value, bool) {
	for i := range v.NumField() {
		tag, opts, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if opts == "inline" {
			if f, ok := yamlFieldValue(v.Field(i), name); ok {
				return f, true
			}
		} else if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// yamlDoc returns a YAML document setting the key (sections joined by dots)
// to the value v as a flag would read it.
func yamlDoc(key, v string) string {
	switch v {
	case "NaN":
		v = ".nan"
	case "+Inf":
		v = ".inf"
	case "-Inf":
		v = "-.inf"
	}
	var b strings.Builder
	parts := strings.Split(key, ".")
	for i, p := range parts {
		b.WriteString(strings.Repeat("  ", i) + p + ":")
		if i < len(parts)-1 {
			b.WriteString("\n")
		}
	}
	return b.String() + " " + v + "\n"
}

// TestSettingsRefusedEverywhere checks that the same impossible values —
// NaN, ±Inf, 0 and negative numbers where they make no sense, and numbers
// that are not whole for integer settings — are refused by all three ways of
// giving a setting: the Go API (Config.Validate), a YAML file (LoadConfig)
// and the command-line flag, each error naming the setting as it was given.
func TestSettingsRefusedEverywhere(t *testing.T) {
	dir := t.TempDir()
	nope := filepath.Join(dir, "nope.npz")
	model := filepath.Join(dir, "nope.onnx")
	out := filepath.Join(dir, "m.onnx")
	run := []string{"run", "--out", filepath.Join(dir, "o")}
	train := []string{"train", "--data", nope, "--out", out}
	finetune := []string{"finetune", "--model", model, "--data", nope, "--out", out}
	prune := []string{"prune", "--model", model, "--data", nope, "--out", out}
	data := []string{"data", "bachelier", "--out", filepath.Join(dir, "d")}
	ints, positive := []string{"0", "-1", "2.5", "NaN", "+Inf"}, []string{"NaN", "+Inf", "-Inf", "0", "-1"}
	for _, tc := range []struct {
		key  string
		cmd  []string // the command with the flag, nil if there is none
		flag string
		bad  []string
	}{
		{"dims", run, "dims", ints},
		{"train", run, "train", append(ints, "1")},
		{"large.epochs", run, "epochs", ints},
		{"prune.keep", run, "keep", append(ints, "5")},
		{"seed", run, "seed", []string{"-1", "2.5", "NaN"}},
		{"test", nil, "", append(ints, "1")},
		{"smoothing", data, "smoothing", []string{"NaN", "+Inf", "-Inf", "-1"}},
		{"large.epochs", train, "epochs", ints},
		{"large.batch_size", train, "batch", ints},
		{"large.lr_max", train, "lr-max", positive},
		{"large.lr_min", train, "lr-min", append(positive, "0.5")},
		{"finetune.epochs", finetune, "epochs", ints},
		{"finetune.batch_size", finetune, "batch", ints},
		{"finetune.lr_max", finetune, "lr-max", positive},
		{"finetune.hvp_directions", finetune, "hvp-directions", []string{"-1", "2.5", "NaN"}},
		{"finetune.hvp_weight", finetune, "hvp-weight", []string{"NaN", "+Inf", "-Inf", "-1"}},
		{"prune.boxes", prune, "boxes", ints},
		{"prune.box_radius", prune, "box-radius", positive},
		{"prune.keep", prune, "keep", []string{"0", "-1", "2.5", "NaN"}},
	} {
		for _, v := range tc.bad {
			// The Go API, where the type holds the value.
			c := pipeline.Default()
			if setConfig(&c, tc.key, v) {
				var se *pipeline.SettingError
				if err := c.Validate(); !errors.As(err, &se) || se.Key != tc.key {
					t.Errorf("Config.Validate with %s = %s: %v, want a *SettingError of that key", tc.key, v, err)
				}
			}
			// A YAML file.
			path := filepath.Join(dir, "c.yaml")
			doc := yamlDoc(tc.key, v)
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := pipeline.LoadConfig(path, pipeline.Default()); err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("LoadConfig of %q: %v, want an error naming %s", doc, err, tc.key)
			}
			// The flag.
			if tc.cmd == nil {
				continue
			}
			args := append(append([]string(nil), tc.cmd...), "--"+tc.flag+"="+v)
			if _, _, err := runSobolev(context.Background(), args...); err == nil || !strings.Contains(err.Error(), "--"+tc.flag) {
				t.Errorf("sobolev %s: %v, want an error naming --%s", strings.Join(args, " "), err, tc.flag)
			}
		}
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"c.yaml"}) {
		t.Errorf("refused commands left %q", got)
	}
}
