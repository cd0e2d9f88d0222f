package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/pipeline"
)

// testData writes a Bachelier training set of 512 samples and a test set of
// 200 points with n inputs into dir and returns their paths.
func testData(t *testing.T, dir string, n int) (train, test string) {
	t.Helper()
	m, err := bachelier.New(n, 1)
	if err != nil {
		t.Fatal(err)
	}
	train, test = filepath.Join(dir, "train.npz"), filepath.Join(dir, "test.npz")
	if err := dataset.WriteNPZ(train, m.TrainingSet(512, bachelier.TrainOptions{})); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteNPZ(test, m.TestSet(200, false)); err != nil {
		t.Fatal(err)
	}
	return train, test
}

// loadNet reads an ONNX model the test needs.
func loadNet(t *testing.T, path string) *mlp.Network {
	t.Helper()
	net, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// loadSet reads a data file the test needs.
func loadSet(t *testing.T, path string) *dataset.Set {
	t.Helper()
	s, err := dataset.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// trainLarge trains a 3-input net with hidden widths 12, 10 for two epochs
// into dir/large.onnx and returns its path.
func trainLarge(t *testing.T, dir, train string) string {
	t.Helper()
	out := filepath.Join(dir, "large.onnx")
	if _, stderr, err := runSobolev(context.Background(), "train", "--data", train, "--hidden", "12,10",
		"--epochs", "2", "--batch", "64", "--out", out, "--no-progress"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	return out
}

// TestTrain checks that the flags reach pipeline.TrainModel: the model file
// holds, bit for bit, the net that TrainModel makes from mlp.New and Init with
// the same settings.
func TestTrain(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	out := filepath.Join(dir, "m.onnx")
	stdout, stderr, err := runSobolev(context.Background(), "train", "--data", train, "--out", out,
		"--hidden", "6, 5,4", "--activation", "tanh", "--loss", "sobolev", "--epochs", "3", "--batch", "32",
		"--lr-max", "2e-3", "--lr-min", "1e-4", "--schedule", "exponential", "--seed", "5")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	got := loadNet(t, out)

	want := mlp.New(3, []int{6, 5, 4}, mlp.Tanh)
	want.Init(mlp.XavierUniform, 5)
	recipe := pipeline.TrainRecipe{Epochs: 3, BatchSize: 32, LRMax: 2e-3, LRMin: 1e-4, Schedule: mlp.Exponential}
	if _, err := pipeline.TrainModel(context.Background(), want, loadSet(t, train),
		pipeline.TrainOptions{Recipe: recipe, Loss: mlp.Sobolev, Seed: 5, FitNorm: true}, nil); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Sizes, want.Sizes) || got.Act != want.Act || !sameBits(got.Params.Flat, want.Params.Flat) ||
		!reflect.DeepEqual(got.Norm, want.Norm) {
		t.Errorf("the model file differs from pipeline.TrainModel's net with the same settings: sizes %v, %v; activation %v, %v",
			got.Sizes, want.Sizes, got.Act, want.Act)
	}

	for _, s := range []string{"wrote " + out, "3 inputs, hidden 6,5,4 (15 nodes)", "tanh", "after 3 epochs", "samples/s",
		"labels: the data's values and gradients", "gradient"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("summary does not contain %q:\n%s", s, stdout)
		}
	}
	// Standard error is no terminal here: one progress line per epoch.
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 3 ||
		!strings.HasPrefix(lines[0], "sobolev train: epoch 1/3: loss ") || !strings.HasPrefix(lines[2], "sobolev train: epoch 3/3: loss ") {
		t.Errorf("progress on standard error:\n%s\nwant three lines, epoch 1/3 to 3/3", stderr)
	}
}

func TestTrainMSEAndQuiet(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 2)
	out := filepath.Join(dir, "mse.onnx")
	stdout, stderr, err := runSobolev(context.Background(), "train", "--data", train, "--out", out,
		"--hidden", "4", "--loss", "mse", "--epochs", "2", "--no-progress")
	if err != nil {
		t.Fatal(err)
	}
	if stderr != "" {
		t.Errorf("--no-progress printed %q on standard error, want nothing", stderr)
	}
	if !strings.Contains(stdout, "labels: the data's values\n") || strings.Contains(stdout, "gradient") {
		t.Errorf("summary of an MSE training:\n%s\nwant value labels and no gradient loss", stdout)
	}
	if net := loadNet(t, out); net.Inputs() != 2 || !reflect.DeepEqual(net.Hidden(), []int{4}) || net.Act != mlp.SiLU {
		t.Errorf("model has %d inputs, hidden %v, %v; want 2, [4], silu (the default)", net.Inputs(), net.Hidden(), net.Act)
	}
}

func TestTrainErrors(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	empty := filepath.Join(dir, "empty.npz")
	if err := dataset.WriteNPZ(empty, dataset.New(0, 3, 0)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m.onnx")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", filepath.Join(dir, "nope.npz")}, "train: --data: dataset: stat " + filepath.Join(dir, "nope.npz")},
		{[]string{"--data", filepath.Join(dir, "train.txt")}, `unknown file type ".txt"`},
		{[]string{"--data", empty}, "train: --data " + empty + " has no rows"},
		{[]string{"--data", train, "--hidden", "8,0"}, "train: --hidden 0: want a width ≥ 1"},
		{[]string{"--data", train, "--hidden", "8,x,8"}, `--hidden "8,x,8": width 2 is "x"`},
		{[]string{"--data", train, "--hidden", "-3"}, "train: --hidden -3: want a width ≥ 1"},
		{[]string{"--data", train, "--hidden", ""}, `--hidden "": width 1 is ""`},
		{[]string{"--data", train, "--hidden", "8,,8"}, `width 2 is ""`},
		{[]string{"--data", train, "--activation", "relu"}, "train: --activation relu: want silu, softplus or tanh (relu's second derivative vanishes)"},
		{[]string{"--data", train, "--loss", "l1"}, `train: --loss "l1": want mse or sobolev`},
		{[]string{"--data", train, "--schedule", "one-cycle"}, `train: --schedule "one-cycle": want constant, cosine, exponential or onecycle`},
		{[]string{"--data", train, "--epochs", "0"}, "train: --epochs 0: want at least 1"},
		{[]string{"--data", train, "--batch", "-1"}, "train: --batch -1: want at least 1 sample"},
		{[]string{"--data", train, "--lr-max", "0"}, "train: --lr-max 0: want a finite learning rate > 0"},
		{[]string{"--data", train, "--lr-max", "Inf"}, "train: --lr-max +Inf"},
		{[]string{"--data", train, "--lr-min", "0.1"}, "train: --lr-min 0.1: want a learning rate > 0 and ≤ --lr-max 0.001"},
		{[]string{"--data", train, "--lr-min", "NaN"}, "train: --lr-min NaN"},
		{[]string{"--data", train, "--epochs", "ten"}, `train: --epochs "ten": want a whole number`},
		{[]string{"--data", train, "--out", filepath.Join(dir, "no", "m.onnx")}, "train: --out: cannot write " + filepath.Join(dir, "no", "m.onnx") + ": directory " + filepath.Join(dir, "no") + " does not exist"},
		{[]string{"--data", train, "--out", dir}, "train: --out: cannot write " + dir + ": it is a directory, not a regular file"},
		{[]string{"--data", train, "--out", train}, "train: --out " + train + " is the same file as --data " + train + ", which writing it would destroy; choose another --out"},
		{[]string{"--out", out}, `required flag(s) "data" not set`},
		{[]string{"--data", train, "--hidden", "4", "--epochs", "1", "extra"}, `unknown command "extra"`},
	} {
		args := append([]string{"train"}, tc.args...)
		if !hasFlag(args, "--out") {
			args = append(args, "--out", out)
		}
		_, _, err := runSobolev(context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sobolev %s: error %v, want one containing %q", strings.Join(args, " "), err, tc.want)
		}
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"empty.npz", "test.npz", "train.npz"}) {
		t.Errorf("after the failed runs the directory holds %q, want only the data files", got)
	}
}

// hasFlag reports whether args hold flag.
func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag {
			return true
		}
	}
	return false
}

// TestCheckLabels covers data without labels, which the data files cannot
// hold (their readers require y and dydx).
func TestCheckLabels(t *testing.T) {
	s := dataset.New(4, 2, 0)
	if err := checkLabels("d.npz", s, mlp.Sobolev); err != nil {
		t.Errorf("complete data: %v", err)
	}
	s.DYDX = nil
	if err := checkLabels("d.npz", s, mlp.MSE); err != nil {
		t.Errorf("data without dydx for MSE: %v, want no error", err)
	}
	if err := checkLabels("d.npz", s, mlp.Sobolev); err == nil ||
		err.Error() != "--data d.npz has no gradient labels dydx, which --loss sobolev needs (or use --loss mse)" {
		t.Errorf("data without dydx for the Sobolev loss: error %v", err)
	}
	s.Y = nil
	if err := checkLabels("d.npz", s, mlp.MSE); err == nil || err.Error() != "--data d.npz has no value labels y" {
		t.Errorf("data without y: error %v", err)
	}
}

// TestTrainInterrupted checks that a cancelled training returns the
// context's error promptly and leaves no file.
func TestTrainInterrupted(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	out := filepath.Join(dir, "m.onnx")

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := runSobolev(ctx, "train", "--data", train, "--out", out, "--hidden", "16,16", "--epochs", "1000000", "--no-progress")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("interrupted training: error %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("interrupted training stopped after %v, want well under 5 s", elapsed)
	}

	done, stop := context.WithCancel(context.Background())
	stop()
	if _, _, err := runSobolev(done, "train", "--data", train, "--out", out, "--hidden", "4", "--epochs", "1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled training: error %v, want context.Canceled", err)
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"test.npz", "train.npz"}) {
		t.Errorf("interrupted trainings left %q, want only the data files", got)
	}
}

func TestTrainDeterministic(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 2)
	var models [2][]byte
	for i := range models {
		out := filepath.Join(dir, "m.onnx")
		if _, _, err := runSobolev(context.Background(), "train", "--data", train, "--out", out,
			"--hidden", "5,5", "--epochs", "2", "--seed", "9", "--no-progress"); err != nil {
			t.Fatal(err)
		}
		var err error
		if models[i], err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(models[0], models[1]) {
		t.Error("the same flags wrote different model files")
	}
}

// TestCommandsHelp checks that every command's help has examples and names
// its flags.
func TestCommandsHelp(t *testing.T) {
	for cmd, want := range map[string][]string{
		"train": {"Examples:", "sobolev train --data data/train.npz --hidden 128,128,128 --loss sobolev --out model.onnx",
			"--hidden", "--activation", "--loss", "--epochs", "--batch", "--lr-max", "--lr-min", "--schedule", "--seed",
			`(default 128,128,128,128,128,128)`},
		"prune": {"Examples:", "sobolev prune --model large.onnx --data data/train.npz --keep 48 --out pruned.onnx",
			"--box", "--method", "--boxes", "--box-radius", "--fold", "--combine", "--seed", "--keep int"},
		"finetune": {"Examples:", "sobolev finetune --model pruned.onnx --teacher large.onnx --data data/train.npz --out tuned.onnx",
			"--teacher-labels", "--hvp-directions", "--hvp-weight", "--loss",
			fmt.Sprintf("(default %d)", pipeline.Default().Finetune.Epochs)},
		"eval": {"Examples:", "sobolev eval --model tuned.onnx --data data/test.npz", "--json"},
	} {
		stdout, _, err := runSobolev(context.Background(), cmd, "--help")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range want {
			if !strings.Contains(stdout, s) {
				t.Errorf("sobolev %s --help does not mention %q:\n%s", cmd, s, stdout)
			}
		}
	}
}
