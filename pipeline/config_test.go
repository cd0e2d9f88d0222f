package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultsValid(t *testing.T) {
	for name, c := range map[string]Config{"default": Default(), "quick": Quick()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s config invalid: %v", name, err)
		}
	}
	if got := sum(Default().Large.Hidden); got != 768 {
		t.Errorf("default large net has %d hidden nodes, want 768 (method.md §4)", got)
	}
	if got := sum(Default().Scratch); got != Default().Prune.Keep {
		t.Errorf("scratch control has %d hidden nodes, want %d like the pruned net", got, Default().Prune.Keep)
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
