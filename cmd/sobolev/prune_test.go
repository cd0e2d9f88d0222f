package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/prune"
)

// TestPrune checks that the flags reach pipeline.PruneModel (the model file
// is its net, bit for bit) and that the table shows its report.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	out := filepath.Join(dir, "pruned.onnx")
	stdout, stderr, err := runSobolev(context.Background(), "prune", "--model", large, "--data", train, "--keep", "7",
		"--method", "affine", "--boxes", "8", "--box-radius", "0.1", "--fold", "midpoint", "--combine", "mean", "--seed", "4",
		"--quota", "global", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	got := loadNet(t, out)
	cfg := pipeline.PruneConfig{Keep: 7, Quota: prune.QuotaGlobal, Method: iasa.Affine, Boxes: 8, BoxRadius: 0.1, Fold: prune.FoldMidpoint, Combine: iasa.Mean}
	want, rep, err := pipeline.PruneModel(context.Background(), loadNet(t, large), loadSet(t, train).X,
		pipeline.PruneOptions{Config: cfg, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Sizes, want.Sizes) || !sameBits(got.Params.Flat, want.Params.Flat) {
		t.Errorf("the model file (sizes %v) differs from pipeline.PruneModel's net (sizes %v) with the same settings", got.Sizes, want.Sizes)
	}
	if got.HiddenNodes() != 7 || got.Inputs() != 3 || len(got.Hidden()) != 2 {
		t.Errorf("pruned net: %d inputs, hidden %v; want 3 inputs, 2 layers, 7 nodes", got.Inputs(), got.Hidden())
	}

	// One row per layer with width, kept nodes and the three over-estimations,
	// then the totals.
	for _, l := range rep.Layers {
		row := regexp.MustCompile(`(?m)^\s*` + strconv.Itoa(l.Layer) + `\s+` + strconv.Itoa(l.Width) + `\s+` + strconv.Itoa(len(l.Kept)) +
			`\s+` + regexp.QuoteMeta(overEst(l.OverValue)) + `\s+` + regexp.QuoteMeta(overEst(l.OverAdjoint)) +
			`\s+` + regexp.QuoteMeta(overEst(l.NaiveOverValue)) + `$`)
		if !row.MatchString(stdout) {
			t.Errorf("table has no row %s for layer %d:\n%s", row, l.Layer, stdout)
		}
	}
	if !regexp.MustCompile(`(?m)^\s*total\s+22\s+7$`).MatchString(stdout) {
		t.Errorf("table has no totals row (22 nodes, 7 kept):\n%s", stdout)
	}
	for _, s := range []string{"value over-est. (affine)", "adjoint over-est. (affine)", "value over-est. (naive)",
		"wrote " + out, "criterion iasa, affine on 8 boxes around points of " + train, "fold midpoint"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("output does not contain %q:\n%s", s, stdout)
		}
	}
}

// TestPruneBox prunes in a domain box without data, with one range for all
// inputs and with one per input, and checks the nets are PruneModel's.
func TestPruneBox(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	for _, tc := range []struct {
		box    string
		domain []interval.Interval
	}{
		{"0.5:1.5", []interval.Interval{interval.New(0.5, 1.5), interval.New(0.5, 1.5), interval.New(0.5, 1.5)}},
		{"0.5:1.5, -1:2,0:1e-1", []interval.Interval{interval.New(0.5, 1.5), interval.New(-1, 2), interval.New(0, 0.1)}},
	} {
		out := filepath.Join(dir, "pruned.onnx")
		stdout, _, err := runSobolev(context.Background(), "prune", "--model", large, "--box", tc.box, "--fold", "zero",
			"--keep", "5", "--boxes", "4", "--method", "naive", "--out", out)
		if err != nil {
			t.Fatalf("--box %q: %v", tc.box, err)
		}
		cfg := pipeline.Default().Prune
		cfg.Keep, cfg.Boxes, cfg.Method, cfg.Fold = 5, 4, iasa.Naive, prune.FoldZero
		want, _, err := pipeline.PruneModel(context.Background(), loadNet(t, large), nil,
			pipeline.PruneOptions{Config: cfg, Domain: tc.domain})
		if err != nil {
			t.Fatal(err)
		}
		if got := loadNet(t, out); !sameBits(got.Params.Flat, want.Params.Flat) || got.HiddenNodes() != 5 {
			t.Errorf("--box %q: the model file (%d hidden nodes) differs from PruneModel's in the domain %v", tc.box, got.HiddenNodes(), tc.domain)
		}
		if !strings.Contains(stdout, "naive on 4 boxes in the --box domain, fold zero") {
			t.Errorf("--box %q: summary does not name the box domain:\n%s", tc.box, stdout)
		}
	}
}

func TestPruneErrors(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	train2, _ := testData(t, other, 2)
	linear := filepath.Join(other, "linear.onnx")
	if err := onnx.Save(linear, mlp.New(3, nil, mlp.SiLU)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pruned.onnx")
	nope := filepath.Join(dir, "nope.onnx")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", nope, "--data", train}, "prune: --model: onnx: open " + nope},
		{[]string{"--model", train, "--data", train}, "prune: --model: onnx: " + train + ": not an ONNX model"},
		{[]string{"--model", large, "--data", train2}, "prune: --data " + train2 + " has 2 input columns, but --model " + large + " has 3 inputs"},
		{[]string{"--model", large, "--data", filepath.Join(dir, "nope.npz")}, "prune: --data: dataset: stat"},
		{[]string{"--model", linear, "--data", train}, "prune: --model " + linear + " has no hidden layers to prune"},
		{[]string{"--model", large, "--data", train, "--keep", "1"}, "prune: --keep 1: want between 2 (one node per hidden layer) and 22 (the net's hidden nodes) (--model " + large + ")"},
		{[]string{"--model", large, "--data", train, "--keep", "23"}, "prune: --keep 23: want between 2"},
		{[]string{"--model", large, "--box", "1:0", "--fold", "zero"}, `prune: --box "1:0": range 1 is "1:0": lo 1 ≥ hi 0, want lo < hi`},
		{[]string{"--model", large, "--box", "0:1,1:1,0:1", "--fold", "zero"}, `range 2 is "1:1": lo 1 ≥ hi 1`},
		{[]string{"--model", large, "--box", "0:1,0:1", "--fold", "zero"}, `prune: --box "0:1,0:1": 2 ranges for a model of 3 inputs, want one lo:hi for all inputs or 3`},
		{[]string{"--model", large, "--box", "a:b", "--fold", "zero"}, `range 1 is "a:b", want lo:hi with two numbers, e.g. 0.5:1.5`},
		{[]string{"--model", large, "--box", "0.5", "--fold", "zero"}, `range 1 is "0.5", want lo:hi with two numbers`},
		{[]string{"--model", large, "--box", "0:1:2", "--fold", "zero"}, `range 1 is "0:1:2", want lo:hi with two numbers`},
		{[]string{"--model", large, "--box", "0:Inf", "--fold", "zero"}, `range 1 is "0:Inf": want finite bounds`},
		{[]string{"--model", large, "--box", "NaN:1", "--fold", "zero"}, `range 1 is "NaN:1": want finite bounds`},
		{[]string{"--model", large, "--box", "0:1"}, "prune: --fold mean needs --data"},
		{[]string{"--model", large}, "prune: give --data (points to score around) or --box (a domain box) to --criterion iasa"},
		{[]string{"--model", large, "--data", train, "--method", "crown"}, `prune: --method "crown": want quadratic, affine, zonotope or naive`},
		{[]string{"--model", large, "--data", train, "--fold", "median"}, `prune: --fold "median": want mean, midpoint or zero`},
		{[]string{"--model", large, "--data", train, "--combine", "min"}, `prune: --combine "min": want max or mean`},
		{[]string{"--model", large, "--data", train, "--boxes", "0"}, "prune: --boxes 0: want at least 1"},
		{[]string{"--model", large, "--data", train, "--box-radius", "0"}, "prune: --box-radius 0: want a finite half-width > 0"},
		{[]string{"--model", large, "--data", train, "--box-radius", "NaN"}, "prune: --box-radius NaN"},
		{[]string{"--model", large, "--data", train, "--out", filepath.Join(dir, "no", "p.onnx")}, "directory " + filepath.Join(dir, "no") + " does not exist"},
		{[]string{"--data", train}, `required flag(s) "model" not set`},
	} {
		args := append([]string{"prune"}, tc.args...)
		if !hasFlag(args, "--out") {
			args = append(args, "--out", out)
		}
		if !hasFlag(args, "--keep") {
			args = append(args, "--keep", "6")
		}
		if !hasFlag(args, "--boxes") {
			args = append(args, "--boxes", "4")
		}
		_, _, err := runSobolev(context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sobolev %s: error %v, want one containing %q", strings.Join(args, " "), err, tc.want)
		}
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"large.onnx", "other", "test.npz", "train.npz"}) {
		t.Errorf("after the failed runs the directory holds %q, want only the inputs", got)
	}
}

func TestPruneInterrupted(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := runSobolev(ctx, "prune", "--model", large, "--data", train, "--keep", "6", "--boxes", "4",
		"--out", filepath.Join(dir, "pruned.onnx"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled pruning: error %v, want context.Canceled", err)
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"large.onnx", "test.npz", "train.npz"}) {
		t.Errorf("cancelled pruning left %q, want only the inputs", got)
	}
}

// TestPruneCriteria prunes with every criterion, on data and in a domain
// box alone, and with each quota, and checks that the model file is
// PruneModel's net for the same settings, that the kept nodes are the best
// of the criterion's scores, and that the output names the criterion.
func TestPruneCriteria(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	set := loadSet(t, train)
	net, x := loadNet(t, large), set.X
	out := filepath.Join(dir, "pruned.onnx")
	kept := map[string][][]int{}
	for _, tc := range []struct {
		criterion prune.Criterion
		box       bool
		quota     []string
	}{
		{prune.ByIASA, false, nil},
		{prune.ByMagnitude, false, nil},
		{prune.ByRandom, false, []string{"--quota", "global"}},
		{prune.ByTaylor, false, []string{"--quota", "per-layer", "--keep-per-layer", "4,2"}},
		{prune.ByMagnitude, true, nil},
		{prune.ByRandom, true, nil},
		{prune.ByTaylor, true, nil},
		{prune.ByIASAPlain, false, nil},
		{prune.ByOBD, false, []string{"--quota", "global"}},
		{prune.BySobolevTaylor, false, nil},
		{prune.ByIASAPlain, true, nil},
		{prune.ByOBD, true, nil},
	} {
		args := []string{"prune", "--model", large, "--criterion", tc.criterion.String(), "--keep", "6", "--boxes", "8",
			"--seed", "2", "--fold", "zero", "--out", out}
		cfg := pipeline.Default().Prune
		cfg.Criterion, cfg.Keep, cfg.Boxes, cfg.Fold = tc.criterion, 6, 8, prune.FoldZero
		opts := pipeline.PruneOptions{Config: cfg, Seed: 2}
		data := x
		if tc.box {
			args = append(args, "--box", "0.5:1.5")
			opts.Domain = []interval.Interval{{Lo: 0.5, Hi: 1.5}, {Lo: 0.5, Hi: 1.5}, {Lo: 0.5, Hi: 1.5}}
			data = nil
		} else {
			args = append(args, "--data", train)
			opts.Y, opts.DYDX = set.Y, set.DYDX
		}
		args = append(args, tc.quota...)
		switch {
		case tc.quota == nil:
		case tc.quota[1] == "global":
			opts.Config.Quota = prune.QuotaGlobal
		default:
			opts.Config.Quota, opts.Config.KeepPerLayer = prune.QuotaPerLayer, []int{4, 2}
		}
		name := strings.Join(args[4:], " ")
		stdout, stderr, err := runSobolev(context.Background(), args...)
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, stderr)
			continue
		}
		want, rep, err := pipeline.PruneModel(context.Background(), net, data, opts)
		if err != nil {
			t.Fatal(err)
		}
		got := loadNet(t, out)
		if !reflect.DeepEqual(got.Sizes, want.Sizes) || !sameBits(got.Params.Flat, want.Params.Flat) {
			t.Errorf("%s: the model file (sizes %v) differs from PruneModel's (sizes %v)", name, got.Sizes, want.Sizes)
		}
		if got.HiddenNodes() != 6 {
			t.Errorf("%s: %d hidden nodes kept, want 6", name, got.HiddenNodes())
		}
		if rep.Criterion != tc.criterion.String() || !strings.Contains(stdout, "criterion "+tc.criterion.String()+",") {
			t.Errorf("%s: report of criterion %q; output:\n%s", name, rep.Criterion, stdout)
		}
		if tc.criterion == prune.ByIASAPlain && (rep.Method != "naive" || !strings.Contains(stdout, "criterion iasa-plain, naive on 8 boxes")) {
			t.Errorf("%s: report of method %q, want naive; output:\n%s", name, rep.Method, stdout)
		}
		var keep [][]int
		for _, l := range rep.Layers {
			keep = append(keep, l.Kept)
		}
		var scores [][]float64
		switch tc.criterion {
		case prune.ByMagnitude:
			scores = prune.Magnitude(net)
		case prune.BySobolevTaylor:
			if scores, err = prune.SobolevTaylor(net, x, set.Y, set.DYDX); err != nil {
				t.Fatal(err)
			}
		}
		if scores != nil {
			best, err := prune.Select(scores, prune.Budget{Quota: prune.QuotaEven, Total: 6})
			if err != nil || !reflect.DeepEqual(keep, best) {
				t.Errorf("%s: kept %v, want the best %s scores %v (%v)", name, keep, tc.criterion, best, err)
			}
		}
		if !tc.box {
			kept[tc.criterion.String()] = keep
		}
	}
	// Magnitude needs neither data nor a domain.
	if _, stderr, err := runSobolev(context.Background(), "prune", "--model", large, "--criterion", "magnitude", "--keep", "6",
		"--fold", "zero", "--out", out); err != nil {
		t.Errorf("prune --criterion magnitude without --data or --box: %v\n%s", err, stderr)
	}
	if reflect.DeepEqual(kept["iasa"], kept["magnitude"]) && reflect.DeepEqual(kept["iasa"], kept["random"]) {
		t.Errorf("iasa, magnitude and random kept the same nodes %v", kept["iasa"])
	}
	// sobolev-taylor needs the labels of --data (the data files always hold
	// y and dydx).
	args := []string{"prune", "--model", large, "--criterion", "sobolev-taylor", "--keep", "6", "--out", out, "--box", "0.5:1.5", "--fold", "zero"}
	if _, _, err := runSobolev(context.Background(), args...); err == nil ||
		!strings.Contains(err.Error(), "prune: --criterion sobolev-taylor needs --data with dydx labels") {
		t.Errorf("sobolev %s: error %v, want one saying it needs --data with dydx labels", strings.Join(args, " "), err)
	}
}
