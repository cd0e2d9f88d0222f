package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/pipeline"
)

// pruneLarge prunes dir/large.onnx to 6 hidden nodes into dir/pruned.onnx
// and returns its path.
func pruneLarge(t *testing.T, dir, large, train string) string {
	t.Helper()
	out := filepath.Join(dir, "pruned.onnx")
	if _, _, err := runSobolev(context.Background(), "prune", "--model", large, "--data", train,
		"--keep", "6", "--boxes", "8", "--out", out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFinetune checks that the flags reach pipeline.TrainModel, with and
// without a teacher: the model file is its net, bit for bit.
func TestFinetune(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	pruned := pruneLarge(t, dir, large, train)
	recipe := pipeline.TrainRecipe{Epochs: 2, BatchSize: 32, LRMax: 3e-3, LRMin: 1e-4, Schedule: mlp.Constant,
		Teacher: true, HVPDirections: 1, HVPWeight: 0.5}
	for _, tc := range []struct {
		name    string
		args    []string
		teacher bool
		recipe  pipeline.TrainRecipe
		labels  string
	}{
		{"teacher", []string{"--teacher", large, "--teacher-labels", "--hvp-directions", "1", "--hvp-weight", "0.5"}, true, recipe,
			"labels: the teacher's values and gradients, the teacher's Hessian-vector products along the all-ones and 1 random directions (weight 0.5)"},
		// The kind of directions is echoed as given, with as many as are
		// used: no more than the 3 inputs.
		{"principal", []string{"--teacher", large, "--hvp-kind", "principal", "--hvp-directions", "5", "--hvp-weight", "0.5"}, true,
			pipeline.TrainRecipe{Epochs: 2, BatchSize: 32, LRMax: 3e-3, LRMin: 1e-4, Schedule: mlp.Constant,
				HVPDirections: 5, HVPKind: mlp.PrincipalDirections, HVPWeight: 0.5},
			"labels: the data's values and gradients, the teacher's Hessian-vector products along the all-ones and 3 principal directions (weight 0.5)"},
		{"no teacher", nil, false, pipeline.TrainRecipe{Epochs: 2, BatchSize: 32, LRMax: 3e-3, LRMin: 1e-4, Schedule: mlp.Constant,
			HVPDirections: 2, HVPWeight: 0.1}, "labels: the data's values and gradients\n"},
	} {
		out := filepath.Join(dir, "tuned.onnx")
		args := append([]string{"finetune", "--model", pruned, "--data", train, "--out", out, "--epochs", "2", "--batch", "32",
			"--lr-max", "3e-3", "--lr-min", "1e-4", "--schedule", "constant", "--seed", "3"}, tc.args...)
		stdout, stderr, err := runSobolev(context.Background(), args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, stderr)
		}
		got := loadNet(t, out)
		want := loadNet(t, pruned)
		opts := pipeline.TrainOptions{Recipe: tc.recipe, Loss: mlp.Sobolev, Seed: 3}
		if tc.teacher {
			opts.Teacher = loadNet(t, large)
		}
		if _, err := pipeline.TrainModel(context.Background(), want, loadSet(t, train), opts, nil); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Sizes, want.Sizes) || !sameBits(got.Params.Flat, want.Params.Flat) || !reflect.DeepEqual(got.Norm, want.Norm) {
			t.Errorf("%s: the model file (sizes %v) differs from pipeline.TrainModel's net with the same settings", tc.name, got.Sizes)
		}
		if p := loadNet(t, pruned); sameBits(got.Params.Flat, p.Params.Flat) || !reflect.DeepEqual(p.Norm, got.Norm) {
			t.Errorf("%s: fine-tuning left the weights as they were, or changed the normalisation", tc.name)
		}
		if !strings.Contains(stdout, tc.labels) || !strings.Contains(stdout, "3 inputs, hidden") {
			t.Errorf("%s: summary does not say %q:\n%s", tc.name, tc.labels, stdout)
		}
		if tc.teacher != strings.Contains(stdout, "second order") {
			t.Errorf("%s: summary %s the second-order loss:\n%s", tc.name, map[bool]string{true: "lacks", false: "shows"}[tc.teacher], stdout)
		}
		if !strings.Contains(stderr, "sobolev finetune: epoch 2/2") {
			t.Errorf("%s: no progress lines on standard error:\n%s", tc.name, stderr)
		}
	}
}

// TestFinetuneHVPWithoutTeacher checks that an explicit --hvp-weight without
// a teacher is reported as having no effect, and the default is not.
func TestFinetuneHVPWithoutTeacher(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	pruned := pruneLarge(t, dir, large, train)
	out := filepath.Join(dir, "tuned.onnx")
	note := "sobolev finetune: no --teacher, so no second-order term: --hvp-weight and --hvp-directions have no effect"
	for _, tc := range []struct {
		args []string
		note bool
	}{
		{nil, false},
		{[]string{"--hvp-weight", "0.3"}, true},
		{[]string{"--hvp-directions", "4"}, true},
		{[]string{"--hvp-weight", "0"}, false},
	} {
		args := append([]string{"finetune", "--model", pruned, "--data", train, "--out", out, "--epochs", "1", "--no-progress"}, tc.args...)
		_, stderr, err := runSobolev(context.Background(), args...)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stderr, note) != tc.note {
			t.Errorf("sobolev %s: standard error %q, want the note %v", strings.Join(args, " "), stderr, tc.note)
		}
	}
}

func TestFinetuneErrors(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	pruned := pruneLarge(t, dir, large, train)
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	train2, _ := testData(t, other, 2)
	large2 := trainLarge(t, other, train2)
	out := filepath.Join(dir, "tuned.onnx")
	nope := filepath.Join(dir, "nope.onnx")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", nope, "--data", train}, "finetune: --model: onnx: open " + nope},
		{[]string{"--model", pruned, "--teacher", nope, "--data", train}, "finetune: --teacher: onnx: open " + nope},
		{[]string{"--model", pruned, "--teacher", large2, "--data", train}, "finetune: --teacher " + large2 + " has 2 inputs, but --model " + pruned + " has 3"},
		{[]string{"--model", pruned, "--data", train2}, "finetune: --data " + train2 + " has 2 input columns, but --model " + pruned + " has 3 inputs"},
		{[]string{"--model", pruned, "--data", filepath.Join(dir, "nope.csv")}, "finetune: --data: dataset: open " + filepath.Join(dir, "nope.csv")},
		{[]string{"--model", pruned, "--data", train, "--teacher-labels"}, "finetune: --teacher-labels needs --teacher"},
		{[]string{"--model", pruned, "--data", train, "--teacher", large, "--loss", "mse"}, "finetune: --teacher is used by --loss sobolev only, not by --loss mse"},
		{[]string{"--model", pruned, "--data", train, "--loss", "huber"}, `finetune: --loss "huber": want mse or sobolev`},
		{[]string{"--model", pruned, "--data", train, "--hvp-weight", "-1"}, "finetune: --hvp-weight -1: want a finite weight ≥ 0"},
		{[]string{"--model", pruned, "--data", train, "--hvp-directions", "-1"}, "finetune: --hvp-directions -1: want a number ≥ 0"},
		{[]string{"--model", pruned, "--data", train, "--schedule", "linear"}, `finetune: --schedule "linear"`},
		{[]string{"--model", pruned, "--data", train, "--epochs", "0"}, "finetune: --epochs 0"},
		{[]string{"--model", pruned, "--data", train, "--out", filepath.Join(nope, "x.onnx")}, "finetune: --out: cannot write " + filepath.Join(nope, "x.onnx") + ": directory " + nope + " does not exist"},
		{[]string{"--model", pruned}, `required flag(s) "data" not set`},
	} {
		args := append([]string{"finetune"}, tc.args...)
		if !hasFlag(args, "--out") {
			args = append(args, "--out", out)
		}
		_, _, err := runSobolev(context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sobolev %s: error %v, want one containing %q", strings.Join(args, " "), err, tc.want)
		}
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"large.onnx", "other", "pruned.onnx", "test.npz", "train.npz"}) {
		t.Errorf("after the failed runs the directory holds %q, want only the inputs", got)
	}
}

func TestFinetuneInterrupted(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	pruned := pruneLarge(t, dir, large, train)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := runSobolev(ctx, "finetune", "--model", pruned, "--teacher", large, "--data", train, "--epochs", "1",
		"--out", filepath.Join(dir, "tuned.onnx"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fine-tuning: error %v, want context.Canceled", err)
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"large.onnx", "pruned.onnx", "test.npz", "train.npz"}) {
		t.Errorf("cancelled fine-tuning left %q, want only the inputs", got)
	}
}
