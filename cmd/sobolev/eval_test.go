package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/results"
)

// TestChain runs train → prune → finetune → eval as a user would and checks
// the models' sizes and that eval --json reports pipeline.Evaluate's scores.
func TestChain(t *testing.T) {
	dir := t.TempDir()
	train, test := testData(t, dir, 3)
	path := func(name string) string { return filepath.Join(dir, name) }
	for _, args := range [][]string{
		{"train", "--data", train, "--hidden", "16,16,16", "--epochs", "3", "--batch", "64", "--out", path("large.onnx")},
		{"prune", "--model", path("large.onnx"), "--data", train, "--keep", "9", "--boxes", "16", "--out", path("pruned.onnx")},
		{"finetune", "--model", path("pruned.onnx"), "--teacher", path("large.onnx"), "--data", train, "--epochs", "3",
			"--batch", "64", "--out", path("tuned.onnx")},
	} {
		if _, stderr, err := runSobolev(context.Background(), args...); err != nil {
			t.Fatalf("sobolev %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
	}
	for _, tc := range []struct {
		name   string
		hidden int
	}{{"large.onnx", 48}, {"pruned.onnx", 9}, {"tuned.onnx", 9}} {
		net := loadNet(t, path(tc.name))
		if net.Inputs() != 3 || net.HiddenNodes() != tc.hidden || len(net.Hidden()) != 3 {
			t.Errorf("%s: %d inputs, hidden %v; want 3 inputs and %d nodes in 3 layers", tc.name, net.Inputs(), net.Hidden(), tc.hidden)
		}
	}
	if p, q := loadNet(t, path("pruned.onnx")), loadNet(t, path("tuned.onnx")); !reflect.DeepEqual(p.Sizes, q.Sizes) {
		t.Errorf("fine-tuning changed the sizes %v to %v", p.Sizes, q.Sizes)
	}

	stdout, _, err := runSobolev(context.Background(), "eval", "--model", path("tuned.onnx"), "--data", test, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Model, Data string
		Points      int
		Hidden      []int
		results.Scores
		Speed evalSpeed
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("eval --json printed no JSON object: %v\n%s", err, stdout)
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"model", "data", "points", "inputs", "hidden", "hidden_nodes", "parameters", "activation",
		"r2_value", "r2_delta", "r2_gamma", "rmse_value", "max_err_value", "rmse_delta", "max_err_delta", "rmse_gamma",
		"max_err_gamma", "deltas", "speed"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("eval --json lacks key %q:\n%s", key, stdout)
		}
	}
	want := pipeline.Evaluate(loadNet(t, path("tuned.onnx")), loadSet(t, test))
	if !reflect.DeepEqual(got.Scores, want) {
		t.Errorf("eval --json scores\n%+v\nwant pipeline.Evaluate's\n%+v", got.Scores, want)
	}
	if len(got.Deltas) != 3 || got.Points != 200 || got.Model != path("tuned.onnx") || got.Data != test ||
		!reflect.DeepEqual(got.Hidden, loadNet(t, path("tuned.onnx")).Hidden()) {
		t.Errorf("eval --json: %d deltas, %d points, model %q, data %q, hidden %v", len(got.Deltas), got.Points, got.Model, got.Data, got.Hidden)
	}
	sp := got.Speed
	if !(sp.PointsPerSecond > 0) || sp.Kernel != mlp.EvalKernel() || sp.Workers != runtime.GOMAXPROCS(0) || sp.Repetitions < 1 ||
		!(sp.Seconds >= speedMinTime.Seconds()) || sp.Outputs != "value and gradient" {
		t.Errorf("eval --json speed %+v, want points/s > 0, kernel %q, %d workers, ≥ 1 repetition in ≥ %v",
			sp, mlp.EvalKernel(), runtime.GOMAXPROCS(0), speedMinTime)
	}
	if !(sp.ValuePerSecond > 0) || !(sp.GreeksPerSecond > 0) || !(sp.PointSeconds > 0) || sp.PointSeconds > 1 {
		t.Errorf("eval --json: %v points/s value alone, %v with gamma, %v s per point; want all positive",
			sp.ValuePerSecond, sp.GreeksPerSecond, sp.PointSeconds)
	}
	if d := sp.PointsPerSecond - float64(sp.Repetitions*200)/sp.Seconds; d != 0 {
		t.Errorf("speed %v points/s, want %d repetitions × 200 points / %v s", sp.PointsPerSecond, sp.Repetitions, sp.Seconds)
	}
}

// TestEvalTable checks the human table: one row per figure, the numbers of
// pipeline.Evaluate, and no gamma row for data without gamma.
func TestEvalTable(t *testing.T) {
	dir := t.TempDir()
	train, test := testData(t, dir, 2)
	model := filepath.Join(dir, "m.onnx")
	if _, _, err := runSobolev(context.Background(), "train", "--data", train, "--hidden", "5", "--epochs", "2", "--out", model); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runSobolev(context.Background(), "eval", "--model", model, "--data", test)
	if err != nil {
		t.Fatal(err)
	}
	s := pipeline.Evaluate(loadNet(t, model), loadSet(t, test))
	for _, r := range []struct {
		name             string
		r2, rmse, maxErr results.Metric
	}{
		{"value", s.R2Value, s.RMSEValue, s.MaxErrValue},
		{"delta 1", s.Deltas[0].R2, s.Deltas[0].RMSE, s.Deltas[0].MaxErr},
		{"delta 2", s.Deltas[1].R2, s.Deltas[1].RMSE, s.Deltas[1].MaxErr},
		{"deltas pooled", s.R2Delta, s.RMSEDelta, s.MaxErrDelta},
		{"gamma (1ᵀH1)", s.R2Gamma, s.RMSEGamma, s.MaxErrGamma},
	} {
		line := fmt.Sprintf(`(?m)^\s*%s\s+%s\s+%s\s+%s$`, regexp.QuoteMeta(r.name), regexp.QuoteMeta(fmt.Sprintf("%.6f", r.r2)),
			regexp.QuoteMeta(fmt.Sprintf("%.3e", r.rmse)), regexp.QuoteMeta(fmt.Sprintf("%.3e", r.maxErr)))
		if !regexp.MustCompile(line).MatchString(stdout) {
			t.Errorf("table has no line %s:\n%s", line, stdout)
		}
	}
	for _, want := range []string{"model " + model + ": 2 inputs, hidden 5 (5 nodes), 21 parameters, silu",
		"data  " + test + ": 200 points", "points/s (value and gradient; ", "points/s value alone, ", "kernel " + mlp.EvalKernel()} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output does not contain %q:\n%s", want, stdout)
		}
	}

	// Without gamma labels: no gamma row, and null in JSON.
	set := loadSet(t, test)
	set.Gamma = nil
	noGamma := filepath.Join(dir, "nogamma.npz")
	if err := dataset.WriteNPZ(noGamma, set); err != nil {
		t.Fatal(err)
	}
	stdout, _, err = runSobolev(context.Background(), "eval", "--model", model, "--data", noGamma)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout, "gamma (1ᵀH1)") || !strings.Contains(stdout, "deltas pooled") {
		t.Errorf("table for data without gamma:\n%s\nwant delta rows and no gamma row", stdout)
	}
	stdout, _, err = runSobolev(context.Background(), "eval", "--model", model, "--data", noGamma, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, `"r2_gamma": null`) {
		t.Errorf("eval --json for data without gamma:\n%s\nwant \"r2_gamma\": null", stdout)
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	train, test := testData(t, dir, 3)
	model := trainLarge(t, dir, train)
	empty := filepath.Join(dir, "empty.npz")
	if err := dataset.WriteNPZ(empty, dataset.New(0, 3, 0)); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	_, test2 := testData(t, other, 2)
	nope := filepath.Join(dir, "nope.onnx")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", nope, "--data", test}, "eval: --model: onnx: open " + nope},
		{[]string{"--model", test, "--data", test}, "eval: --model: onnx: " + test + ": not an ONNX model"},
		{[]string{"--model", model, "--data", filepath.Join(dir, "nope.npz")}, "eval: --data: dataset: stat " + filepath.Join(dir, "nope.npz")},
		{[]string{"--model", model, "--data", model}, `eval: --data: dataset: ` + model + `: unknown file type ".onnx", want .npz or .csv`},
		{[]string{"--model", model, "--data", empty}, "eval: --data " + empty + " has no rows"},
		{[]string{"--model", model, "--data", test2}, "eval: --data " + test2 + " has 2 input columns, but --model " + model + " has 3 inputs"},
		{[]string{"--model", model}, `required flag(s) "data" not set`},
		{[]string{"--data", test}, `required flag(s) "model" not set`},
	} {
		args := append([]string{"eval"}, tc.args...)
		_, _, err := runSobolev(context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sobolev %s: error %v, want one containing %q", strings.Join(args, " "), err, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if stdout, _, err := runSobolev(ctx, "eval", "--model", model, "--data", test); !errors.Is(err, context.Canceled) || stdout != "" {
		t.Errorf("cancelled eval: error %v, output %q; want context.Canceled and no output", err, stdout)
	}
}

// TestEvalGammaDirection checks that eval scores gamma along the
// gamma_direction of the spec.json beside --data (Heston data: ∂²V/∂S₀²),
// which --direction overrides, against pipeline.EvaluateAlong.
func TestEvalGammaDirection(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if _, stderr, err := runSobolev(ctx, "data", "heston", "--train", "512", "--test", "64", "--out", data); err != nil {
		t.Fatalf("data heston: %v\n%s", err, stderr)
	}
	model := filepath.Join(dir, "m.onnx")
	if _, stderr, err := runSobolev(ctx, "train", "--data", filepath.Join(data, "train.npz"), "--hidden", "6", "--epochs", "2", "--out", model); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	net, err := onnx.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	test, err := dataset.Load(filepath.Join(data, "test.npz"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		dir  []float64
	}{
		{nil, []float64{1, 0, 0, 0}},
		{[]string{"--direction", "0,1,0,0"}, []float64{0, 1, 0, 0}},
	} {
		stdout, stderr, err := runSobolev(ctx, append([]string{"eval", "--model", model, "--data", filepath.Join(data, "test.npz"), "--json"}, tc.args...)...)
		if err != nil {
			t.Fatalf("eval %v: %v\n%s", tc.args, err, stderr)
		}
		var rep struct {
			R2Gamma        float64   `json:"r2_gamma"`
			GammaDirection []float64 `json:"gamma_direction"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		want := pipeline.EvaluateAlong(net, test, tc.dir)
		if !reflect.DeepEqual(rep.GammaDirection, tc.dir) || rep.R2Gamma != float64(want.R2Gamma) {
			t.Errorf("eval %v: gamma direction %v R² %v, want %v and %v", tc.args, rep.GammaDirection, rep.R2Gamma, tc.dir, want.R2Gamma)
		}
	}
}
