package pipeline

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/setting"
)

func TestDefaultsValid(t *testing.T) {
	for name, c := range map[string]Config{"default": Default(), "quick": Quick(), "paper": Paper()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s config invalid: %v", name, err)
		}
	}
	if got := sum(Default().Large.Hidden); got != 768 {
		t.Errorf("default large net has %d hidden nodes, want 768 (method.md §4)", got)
	}
	if Default().Scratch != nil {
		t.Errorf("scratch control has its own widths %v, want the pruned net's shape", Default().Scratch)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := LoadConfig(write("ok.yaml", "dims: 5\nlarge:\n  epochs: 7\n  hidden: [32, 32]\nprune:\n  keep: 10\n"), Default())
	if err != nil {
		t.Fatal(err)
	}
	if c.Dims != 5 || c.Large.Epochs != 7 || len(c.Large.Hidden) != 2 || c.Prune.Keep != 10 {
		t.Errorf("overrides not applied: %+v", c)
	}
	if c.Train != Default().Train || c.Large.BatchSize != Default().Large.BatchSize {
		t.Errorf("keys absent from the file changed: %+v", c)
	}
	if _, err := LoadConfig(write("empty.yaml", ""), Default()); err != nil {
		t.Errorf("empty file: %v", err)
	}
	for _, tc := range []struct{ text, want string }{
		{"dimz: 3\n", "dimz"},
		{"dims: 0\n", "dims = 0"},
		{"prune:\n  fold: median\n", "prune.fold"},
		{"large:\n  hidden: [4, 0]\n", "large.hidden[1]"},
		{"finetune:\n  lr_min: 1\n  lr_max: 0.1\n", "finetune"},
		{"dims: [1\n", "bad.yaml: yaml: line 1"},
	} {
		_, err := LoadConfig(write("bad.yaml", tc.text), Default())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadConfig(%q) error = %v, want one mentioning %q", tc.text, err, tc.want)
		}
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.yaml"), Default()); err == nil {
		t.Error("missing file: no error")
	}
}

// TestValidateSettings checks that every impossible value is refused with a
// *setting.Error naming its key, including the non-finite numbers that slipped
// through before (an infinite learning rate, box radius or HVP weight, a NaN
// HVP weight).
func TestValidateSettings(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		key string
		set func(c *Config)
	}{
		{"dims", func(c *Config) { c.Dims = 0 }},
		{"baskets", func(c *Config) { c.Baskets = -1 }},
		{"train", func(c *Config) { c.Train = 1 }},
		{"test", func(c *Config) { c.Test = -3 }},
		{"smoothing", func(c *Config) { c.Smoothing = nan }},
		{"smoothing", func(c *Config) { c.Smoothing = inf }},
		{"smoothing", func(c *Config) { c.Smoothing = -inf }},
		{"smoothing", func(c *Config) { c.Smoothing = -0.1 }},
		{"large.hidden", func(c *Config) { c.Large.Hidden = nil }},
		{"large.hidden[2]", func(c *Config) { c.Large.Hidden[2] = 0 }},
		{"large.activation", func(c *Config) { c.Large.Activation = mlp.ReLU }},
		{"large.epochs", func(c *Config) { c.Large.Epochs = 0 }},
		{"large.batch_size", func(c *Config) { c.Large.BatchSize = -1 }},
		{"large.lr_max", func(c *Config) { c.Large.LRMax = inf }},
		{"large.lr_max", func(c *Config) { c.Large.LRMax = nan }},
		{"large.lr_max", func(c *Config) { c.Large.LRMax = 0 }},
		{"large.lr_min", func(c *Config) { c.Large.LRMin = -inf }},
		{"large.lr_min", func(c *Config) { c.Large.LRMin = 1 }},
		{"large.schedule", func(c *Config) { c.Large.Schedule = mlp.ScheduleKind(9) }},
		{"finetune.hvp_directions", func(c *Config) { c.Finetune.HVPDirections = -1 }},
		{"finetune.hvp_kind", func(c *Config) { c.Finetune.HVPKind = mlp.HVPDirections(-1) }},
		{"finetune.hvp_weight", func(c *Config) { c.Finetune.HVPWeight = nan }},
		{"finetune.hvp_weight", func(c *Config) { c.Finetune.HVPWeight = inf }},
		{"finetune.hvp_weight", func(c *Config) { c.Finetune.HVPWeight = -1 }},
		{"scratch_hidden[0]", func(c *Config) { c.Scratch = []int{-8, 8} }},
		{"scratch_hidden", func(c *Config) { c.Scratch = []int{} }},
		{"prune.keep", func(c *Config) { c.Prune.Keep = 0 }},
		{"prune.keep", func(c *Config) { c.Prune.Keep = 5 }},
		{"prune.keep", func(c *Config) { c.Prune.Keep = 769 }},
		{"prune.quota", func(c *Config) { c.Prune.Quota = prune.Quota(5) }},
		{"prune.method", func(c *Config) { c.Prune.Method = iasa.Method(4) }},
		{"prune.combine", func(c *Config) { c.Prune.Combine = iasa.Combine(2) }},
		{"prune.boxes", func(c *Config) { c.Prune.Boxes = 0 }},
		{"prune.box_radius", func(c *Config) { c.Prune.BoxRadius = inf }},
		{"prune.box_radius", func(c *Config) { c.Prune.BoxRadius = nan }},
		{"prune.box_radius", func(c *Config) { c.Prune.BoxRadius = 0 }},
		{"prune.fold", func(c *Config) { c.Prune.Fold = prune.Fold(3) }},
		{"prune.fold", func(c *Config) { c.Prune.Fold, c.Prune.Criterion = prune.FoldMidpoint, prune.ByTaylor }},
		{"prune.criterion", func(c *Config) { c.Prune.Criterion = prune.Criterion(99) }},
		{"prune.keep_per_layer", func(c *Config) { c.Prune.Quota = prune.QuotaPerLayer }},
		{"prune.keep_per_layer", func(c *Config) { c.Prune.KeepPerLayer = []int{8, 8, 8, 8, 8, 8} }},
		{"prune.keep_per_layer", func(c *Config) { c.Prune.Quota, c.Prune.KeepPerLayer = prune.QuotaPerLayer, []int{8, 8} }},
		{"prune.keep_per_layer[1]", func(c *Config) { c.Prune.Quota, c.Prune.KeepPerLayer = prune.QuotaPerLayer, []int{8, 0, 8, 8, 8, 8} }},
		{"prune.keep_per_layer[5]", func(c *Config) { c.Prune.Quota, c.Prune.KeepPerLayer = prune.QuotaPerLayer, []int{8, 8, 8, 8, 8, 129} }},
	} {
		c := Default()
		c.Large.Hidden = slices.Clone(c.Large.Hidden)
		c.Scratch = slices.Clone(c.Scratch)
		tc.set(&c)
		err := c.Validate()
		var se *setting.Error
		if !errors.As(err, &se) || se.Key != tc.key {
			t.Errorf("Validate of a config with a bad %s: %v, want a *setting.Error of that key", tc.key, err)
		}
	}
}

// TestBaskets checks the number of baskets: read from YAML, passed to the
// data folder, and in the JSON encoding only if it is set (so a default
// run's results.json records the configuration it recorded before).
func TestBaskets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("baskets: 16\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path, Default())
	if err != nil {
		t.Fatal(err)
	}
	if c.Baskets != 16 || c.dataConfig().Baskets != 16 {
		t.Errorf("baskets: 16 gives Baskets %d and a data folder of %d baskets", c.Baskets, c.dataConfig().Baskets)
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"baskets":16`) {
		t.Errorf("JSON of a config of 16 baskets: %s", js)
	}
	if js, _ := json.Marshal(Default()); strings.Contains(string(js), "baskets") {
		t.Errorf("JSON of the default config names the baskets: %s", js)
	}
	for _, p := range []Config{Default(), Quick(), Paper()} {
		if p.dataConfig().Baskets > 1 {
			t.Errorf("a preset prices %d baskets, want one", p.Baskets)
		}
	}
}

func TestSettingErrorMessages(t *testing.T) {
	c := Default()
	c.Finetune.LRMin = 0.1
	if err := c.Validate(); err == nil || err.Error() != "finetune.lr_min = 0.1: want a learning rate > 0 and ≤ finetune.lr_max = 0.01" {
		t.Errorf("lr_min above lr_max: %v", err)
	}
	c = Default()
	c.Prune.Fold = prune.Fold(3)
	if err := c.Validate(); err == nil || err.Error() != `prune.fold = Fold(3): want mean, midpoint or zero` {
		t.Errorf("bad fold: %v", err)
	}
	c = Default()
	c.Large.Hidden = nil
	if err := c.Validate(); err == nil || err.Error() != "large.hidden = []: want at least one hidden layer" {
		t.Errorf("no hidden layer: %v", err)
	}
	r := Default().Finetune
	r.LRMax = math.Inf(1)
	if err := r.Validate(); err == nil || err.Error() != "lr_max = +Inf: want a finite learning rate > 0" {
		t.Errorf("TrainRecipe.Validate of an infinite lr_max: %v", err)
	}
	p := Default().Prune
	p.Boxes = -2
	if err := p.Validate(); err == nil || err.Error() != "boxes = -2: want at least 1" {
		t.Errorf("PruneConfig.Validate of -2 boxes: %v", err)
	}
}

// TestLoadConfigNumbers checks that YAML numbers are refused, naming the key,
// where an integer setting gets a number that is not a whole one (yaml.v3
// would truncate 2.5 to 2) and where a setting gets .nan or .inf, which
// yaml.v3 reads into float64 fields.
func TestLoadConfigNumbers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	for _, tc := range []struct{ text, want string }{
		{"large:\n  epochs: 2.5\n", "large.epochs = 2.5: want a whole number"},
		{"large:\n  epochs: 2.0\n", "large.epochs = 2.0: want a whole number"},
		{"train: 1e4\n", "train = 1e4: want a whole number"},
		{"baskets: 2.5\n", "baskets = 2.5: want a whole number"},
		{"baskets: -2\n", "baskets = -2: want a number of basket calls ≥ 1 (0 also means 1)"},
		{"seed: 2.5\n", "seed = 2.5: want a whole number ≥ 0"},
		{"seed: -1\n", "seed = -1: want a whole number ≥ 0"},
		{"dims: .nan\n", "dims = .nan: want a whole number"},
		{"prune:\n  boxes: .inf\n", "prune.boxes = .inf: want a whole number"},
		{"large:\n  hidden: [64, 32.5]\n", "large.hidden[1] = 32.5: want a whole number"},
		{"scratch_hidden: [8, 8.0]\n", "scratch_hidden[1] = 8.0: want a whole number"},
		{"finetune:\n  hvp_directions: -0.5\n", "finetune.hvp_directions = -0.5: want a whole number"},
		{"base: &b\n  epochs: 1.5\n", "base"}, // unknown key, reported by the decoder
		{"smoothing: .nan\n", "smoothing = NaN: want a finite width"},
		{"finetune:\n  hvp_weight: .nan\n", "finetune.hvp_weight = NaN: want a finite weight ≥ 0"},
		{"finetune:\n  hvp_weight: .inf\n", "finetune.hvp_weight = +Inf"},
		{"large:\n  lr_max: .inf\n", "large.lr_max = +Inf: want a finite learning rate > 0"},
		{"large:\n  lr_min: -.inf\n", "large.lr_min = -Inf"},
		{"prune:\n  box_radius: .inf\n", "prune.box_radius = +Inf: want a finite half-width > 0"},
		{"prune:\n  fold: median\n", `prune.fold = "median": want mean, midpoint or zero`},
		{"prune:\n  criterion: l1\n", `prune.criterion = "l1": want iasa, magnitude, random, taylor, iasa-plain, obd or sobolev-taylor`},
		{"large:\n  activation: gelu\n", `large.activation = "gelu": want silu, softplus, tanh or relu`},
		{"large:\n  activation: relu\n", `large.activation = relu: want silu, softplus or tanh`},
		{"finetune:\n  schedule: [cosine]\n", "finetune.schedule"},
	} {
		if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path, Default())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadConfig(%q): %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
	for _, text := range []string{"large:\n  epochs: 12\n  lr_max: 2.5e-3\n", "train: 0x1000\n", "smoothing: 1\n", "large:\n  hidden: [0o100, 64]\nprune:\n  keep: 8\n"} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConfig(path, Default()); err != nil {
			t.Errorf("LoadConfig(%q): %v, want no error", text, err)
		}
	}
}

func TestPresets(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Config
	}{{"default", Default()}, {"quick", Quick()}, {"paper", Paper()}} {
		var p Preset
		if err := p.UnmarshalText([]byte(tc.name)); err != nil || p.String() != tc.name {
			t.Errorf("preset %q reads as %v, %v", tc.name, p, err)
		}
		if !reflect.DeepEqual(p.Config(), tc.want) {
			t.Errorf("preset %s: Config() differs from its function", tc.name)
		}
	}
	var p Preset
	if err := p.UnmarshalText([]byte("fast")); err == nil || err.Error() != `unknown preset "fast": want default, quick or paper` {
		t.Errorf("unknown preset: %v", err)
	}
	if c := Paper(); c.Large.BatchSize != 512 || c.Large.LRMax != 1e-2 || c.Large.Epochs*c.Train != 100*64*512 || c.LargeMSE != c.Large.TrainRecipe {
		t.Errorf("paper preset: large recipe %+v on %d samples, MSE %+v; want batch 512, 1e-2, 100 × 64 batches for both", c.Large.TrainRecipe, c.Train, c.LargeMSE)
	}
}
