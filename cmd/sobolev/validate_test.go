package main

import (
	"context"
	"encoding"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/setting"
)

// setConfig sets the field of c with the YAML key (sections joined by dots)
// to the value v as the Go API would: a number if the field's type holds it
// (ok false otherwise), a named setting through its UnmarshalText, whose
// error is returned.
func setConfig(c *pipeline.Config, key, v string) (ok bool, err error) {
	f := reflect.ValueOf(c).Elem()
	for _, name := range strings.Split(key, ".") {
		var ok bool
		if f, ok = yamlFieldValue(f, name); !ok {
			panic("no setting " + key)
		}
	}
	if u, isText := f.Addr().Interface().(encoding.TextUnmarshaler); isText {
		return true, u.UnmarshalText([]byte(v))
	}
	switch f.Kind() {
	case reflect.Int:
		i, err := strconv.Atoi(v)
		if err != nil {
			return false, nil
		}
		f.SetInt(int64(i))
	case reflect.Uint64:
		u, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return false, nil
		}
		f.SetUint(u)
	case reflect.Float64:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false, nil
		}
		f.SetFloat(x)
	default:
		panic("setting " + key + " is neither a number nor a named setting")
	}
	return true, nil
}

// wantOf returns what an error about a setting says is wanted: the text
// from its last ": want " on, cut after "≤" where the words go on to name
// another setting (a key in YAML and the Go API, a flag on the command
// line).
func wantOf(err error) string {
	s := err.Error()
	i := strings.LastIndex(s, ": want ")
	if i < 0 {
		return s
	}
	s = s[i:]
	if j := strings.Index(s, "≤"); j >= 0 {
		s = s[:j+len("≤")]
	}
	return s
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
	if key == "large.hidden" {
		v = "[" + v + "]"
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
// NaN, ±Inf, 0 and negative numbers where they make no sense, numbers that
// are not whole for integer settings and unknown names for named settings —
// are refused by all three ways of giving a setting: the Go API
// (Config.Validate, or UnmarshalText for a name), a YAML file (LoadConfig)
// and the command-line flag, each error naming the setting as it was given
// and saying what is wanted in the same words.
func TestSettingsRefusedEverywhere(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range settingCases(dir) {
		for _, v := range tc.bad {
			wants := refusals(t, dir, tc, v)
			for i := 1; i < len(wants); i++ {
				w := wants[i]
				if w != wants[0] {
					t.Errorf("%s = %q: the ways of giving it want %q, want the same words", tc.key, v, wants)
					break
				}
			}
		}
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"c.yaml"}) {
		t.Errorf("refused commands left %q", got)
	}
}

// settingCase is a setting, the command and flag that set it, and values
// that every way of giving it must refuse.
type settingCase struct {
	key  string
	cmd  []string // the command with the flag, nil if there is none
	flag string
	bad  []string
}

// settingCases returns the settings of every command, with commands whose
// files are in dir.
func settingCases(dir string) []settingCase {
	nope := filepath.Join(dir, "nope.npz")
	model := filepath.Join(dir, "nope.onnx")
	out := filepath.Join(dir, "m.onnx")
	run := []string{"run", "--out", filepath.Join(dir, "o")}
	train := []string{"train", "--data", nope, "--out", out}
	finetune := []string{"finetune", "--model", model, "--data", nope, "--out", out}
	prune := []string{"prune", "--model", model, "--data", nope, "--out", out}
	data := []string{"data", "bachelier", "--out", filepath.Join(dir, "d")}
	ints, positive := []string{"0", "-1", "2.5", "NaN", "+Inf"}, []string{"NaN", "+Inf", "-Inf", "0", "-1"}
	return []settingCase{
		{"dims", run, "dims", ints},
		{"train", run, "train", append(ints, "1")},
		{"large.epochs", run, "epochs", ints},
		{"prune.keep", run, "keep", append(ints, "5")},
		{"seed", run, "seed", []string{"-1", "2.5", "NaN"}},
		{"test", nil, "", append(ints, "1")},
		{"smoothing", data, "smoothing", []string{"NaN", "+Inf", "-Inf", "-1"}},
		{"large.hidden", train, "hidden", []string{"0", "-3", "2.5"}},
		{"large.activation", train, "activation", []string{"gelu", "relu", "SiLU", ""}},
		{"large.epochs", train, "epochs", ints},
		{"large.batch_size", train, "batch", ints},
		{"large.lr_max", train, "lr-max", positive},
		{"large.lr_min", train, "lr-min", append(positive, "0.5")},
		{"large.schedule", train, "schedule", []string{"linear", "one-cycle"}},
		{"finetune.epochs", finetune, "epochs", ints},
		{"finetune.batch_size", finetune, "batch", ints},
		{"finetune.lr_max", finetune, "lr-max", positive},
		{"finetune.schedule", finetune, "schedule", []string{"step"}},
		{"finetune.hvp_directions", finetune, "hvp-directions", []string{"-1", "2.5", "NaN"}},
		{"finetune.hvp_weight", finetune, "hvp-weight", []string{"NaN", "+Inf", "-Inf", "-1"}},
		{"finetune.hvp_kind", finetune, "hvp-kind", []string{"pca", "Random"}},
		{"prune.boxes", prune, "boxes", ints},
		{"prune.box_radius", prune, "box-radius", positive},
		{"prune.keep", prune, "keep", []string{"0", "-1", "2.5", "NaN"}},
		{"prune.criterion", prune, "criterion", []string{"l1", "IASA", "snip"}},
		{"prune.quota", prune, "quota", []string{"odd", "per_layer"}},
		{"prune.method", prune, "method", []string{"crown", "interval"}},
		{"prune.combine", prune, "combine", []string{"sum"}},
		{"prune.fold", prune, "fold", []string{"median", "none"}},
	}
}

// refusals gives the value v of tc's setting through the Go API (where its
// type holds it), a YAML file in dir and the flag (if there is one), checks
// that each refuses it naming the setting, and returns what each wants
// (wantOf).
func refusals(t *testing.T, dir string, tc settingCase, v string) []string {
	t.Helper()
	var wants []string
	c := pipeline.Default()
	if ok, err := setConfigList(&c, tc.key, v); ok {
		if err == nil {
			err = c.Validate()
			var se *setting.Error
			if !errors.As(err, &se) || !strings.HasPrefix(se.Key, tc.key) {
				t.Errorf("Config.Validate with %s = %s: %v, want a *setting.Error of that key", tc.key, v, err)
			}
		}
		if err != nil {
			wants = append(wants, wantOf(err))
		}
	}
	path := filepath.Join(dir, "c.yaml")
	doc := yamlDoc(tc.key, v)
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.LoadConfig(path, pipeline.Default()); err == nil || !strings.Contains(err.Error(), tc.key) {
		t.Errorf("LoadConfig of %q: %v, want an error naming %s", doc, err, tc.key)
	} else {
		wants = append(wants, wantOf(err))
	}
	if tc.cmd != nil {
		args := append(append([]string(nil), tc.cmd...), "--"+tc.flag+"="+v)
		if _, _, err := runSobolev(context.Background(), args...); err == nil || !strings.Contains(err.Error(), "--"+tc.flag) {
			t.Errorf("sobolev %s: %v, want an error naming --%s", strings.Join(args, " "), err, tc.flag)
		} else {
			wants = append(wants, wantOf(err))
		}
	}
	return wants
}

// setConfigList is setConfig, with a list setting (large.hidden) set to the
// one-element list of v.
func setConfigList(c *pipeline.Config, key, v string) (bool, error) {
	if key == "large.hidden" {
		w, err := strconv.Atoi(v)
		if err != nil {
			return false, nil
		}
		c.Large.Hidden = []int{w}
		return true, nil
	}
	return setConfig(c, key, v)
}
