package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/results"
)

// tinyConfig is a YAML configuration whose run takes about a second.
const tinyConfig = `dims: 3
train: 256
test: 128
large:
  hidden: [16, 16]
  epochs: 3
  batch_size: 64
prune:
  keep: 8
  boxes: 8
finetune:
  epochs: 3
  batch_size: 64
scratch_hidden: [4, 4]
`

func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(cfg, []byte(tinyConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	stdout, _, err := runSobolev(context.Background(), "run", "--config", cfg, "--seed", "3", "--keep", "6", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	res, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c pipeline.Config
	if err := json.Unmarshal(res.Config, &c); err != nil {
		t.Fatal(err)
	}
	if c.Seed != 3 || c.Prune.Keep != 6 || c.Dims != 3 {
		t.Errorf("flags and config file not both applied: seed %d keep %d dims %d", c.Seed, c.Prune.Keep, c.Dims)
	}
	for _, s := range res.Stages {
		if !strings.Contains(stdout, s.Stage) {
			t.Errorf("the printed table lacks stage %s", s.Stage)
		}
	}
	for _, f := range []string{"run.log", "report/index.html", "data/train.npz", "models/pruned-sobolev-ft.onnx"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// The run is built in a temporary folder; the page names the folder it
	// ends up in.
	page, err := os.ReadFile(filepath.Join(out, "report", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(page), "sobolev-tmp") || !strings.Contains(string(page), out) {
		t.Errorf("the report does not name the run's folder %s, or names its temporary folder", out)
	}
	// Every stage's shape is checked over the test box (certify.depth,
	// default pipeline.DefaultCertifyDepth), logged and shown in the report.
	log, err := os.ReadFile(filepath.Join(out, "run.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Stages {
		if c := s.Certificate; c == nil || c.Depth != pipeline.DefaultCertifyDepth || c.Check != "delta>=0,gamma>=0" {
			t.Errorf("stage %s: certificate %+v, want one of depth %d", s.Stage, c, pipeline.DefaultCertifyDepth)
		}
	}
	if n := strings.Count(string(log), "shape delta>=0,gamma>=0 over the test box"); n != len(res.Stages) {
		t.Errorf("run.log has %d certificate lines, want one per stage (%d)", n, len(res.Stages))
	}
	if !strings.Contains(string(page), `id="certificates"`) {
		t.Error("the report has no shape certificates section")
	}
}

func TestRunCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("dimz: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--dims", "0"}, "run: --dims 0: want at least 1 asset"},
		{[]string{"run", "--keep", "2"}, "run: --keep 2: want between 6 (one node per hidden layer) and 768 (the net's hidden nodes)"},
		{[]string{"run", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"run", "--config", filepath.Join(dir, "missing.yaml")}, "missing.yaml"},
		{[]string{"run", "--config", bad}, "dimz"},
		{[]string{"run", "extra"}, `unknown command "extra"`},
		{[]string{"run", "--preset", "fast"}, `run: --preset "fast": want default, quick or paper`},
		{[]string{"run", "--quick", "--preset", "paper"}, "run: --quick is --preset quick, but --preset is paper; give one of them"},
	} {
		_, _, err := runSobolev(context.Background(), append(tc.args, "--out", filepath.Join(dir, "o"))...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sobolev %v: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o")); err == nil {
		t.Error("a refused run created its output directory")
	}
}

// TestRunCommandHeston runs every stage on the Heston pricer with tiny
// sizes: results.json has a delta per input and the gamma along S₀, the
// printed table a column per input, the report a page plotted against S₀.
func TestRunCommandHeston(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(cfg, []byte(tinyConfig+"heston:\n  steps: 8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	stdout, _, err := runSobolev(context.Background(), "run", "--config", cfg, "--pricer", "heston", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	res, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.GammaDirection, []float64{1, 0, 0, 0}) {
		t.Errorf("gamma direction %v, want [1 0 0 0] (∂²V/∂S₀²)", res.GammaDirection)
	}
	for _, s := range res.Stages {
		if len(s.Deltas) != 4 {
			t.Errorf("stage %s has %d delta columns, want 4", s.Stage, len(s.Deltas))
		}
		// A call increases with the spot and decreases with the strike:
		// only the spot's delta is checked, and gamma along S₀.
		if c := s.Certificate; c == nil || c.Check != "delta[spot]>=0,gamma>=0" {
			t.Errorf("stage %s: certificate %+v, want the check delta[spot]>=0,gamma>=0", s.Stage, c)
		}
	}
	for _, col := range []string{"R² ∂spot", "R² ∂v0", "R² ∂maturity", "R² ∂strike"} {
		if !strings.Contains(stdout, col) {
			t.Errorf("the printed table lacks the column %q:\n%s", col, stdout)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, "report", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "against the spot") || !strings.Contains(string(page), "Heston") {
		t.Error("the report is not the Heston one (plots against the spot, Heston model)")
	}
	if _, _, err := runSobolev(context.Background(), "run", "--config", cfg, "--pricer", "heston", "--dims", "4", "--out", filepath.Join(dir, "o2")); err == nil ||
		!strings.Contains(err.Error(), "--dims") {
		t.Errorf("--dims with --pricer heston: %v, want an error naming --dims", err)
	}
	if _, _, err := runSobolev(context.Background(), "run", "--pricer", "sabr", "--out", filepath.Join(dir, "o3")); err == nil ||
		!strings.Contains(err.Error(), "bachelier or heston") {
		t.Errorf("--pricer sabr: %v, want an error listing the pricers", err)
	}
}
