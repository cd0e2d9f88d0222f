package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/results"
)

// runSobolev runs the root command in-process with args and returns its
// standard output, standard error and error.
func runSobolev(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err = root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// files returns the names in dir, hidden ones included.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func sameSet(t *testing.T, name string, got, want *dataset.Set) {
	t.Helper()
	if got.N() != want.N() || got.Dims() != want.Dims() || got.Arrays() != want.Arrays() {
		t.Fatalf("%s: %d×%d arrays %b, want %d×%d arrays %b", name, got.N(), got.Dims(), got.Arrays(), want.N(), want.Dims(), want.Arrays())
	}
	if !sameBits(got.X, want.X) || !sameBits(got.Y, want.Y) || !sameBits(got.DYDX, want.DYDX) ||
		!sameBits(got.Gamma, want.Gamma) || !sameBits(got.Hessian, want.Hessian) {
		t.Errorf("%s differs from the bachelier package's set of the same seed", name)
	}
}

func TestDataBachelier(t *testing.T) {
	out := filepath.Join(t.TempDir(), "new", "dir")
	stdout, stderr, err := runSobolev(context.Background(), "data", "bachelier",
		"--dims", "3", "--train", "1000", "--test", "200", "--seed", "5", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "train.npz (1000 samples)") || stderr != "" {
		t.Errorf("stdout %q, stderr %q; want a summary line and no progress", stdout, stderr)
	}
	if got := files(t, out); !reflect.DeepEqual(got, []string{"spec.json", "test.npz", "train.npz"}) {
		t.Errorf("output directory holds %q, want spec.json, test.npz, train.npz and nothing else", got)
	}
	m, err := bachelier.New(3, 5)
	if err != nil {
		t.Fatal(err)
	}
	train, err := dataset.ReadNPZ(filepath.Join(out, "train.npz"))
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "train.npz", train, m.TrainingSet(1000, bachelier.TrainOptions{}))
	test, err := dataset.ReadNPZ(filepath.Join(out, "test.npz"))
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "test.npz", test, m.TestSet(200, false))

	js, err := os.ReadFile(filepath.Join(out, "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		bachelier.Model
		Pricer      string     `json:"model"`
		N           int        `json:"n"`
		TestBox     [2]float64 `json:"test_box"`
		Smoothing   float64    `json:"smoothing"`
		Train       int        `json:"train_samples"`
		Test        int        `json:"test_points"`
		TrainArrays []string   `json:"train_arrays"`
		TestArrays  []string   `json:"test_arrays"`
	}
	if err := json.Unmarshal(js, &spec); err != nil {
		t.Fatal(err)
	}
	lo, hi := m.TestBox()
	if !reflect.DeepEqual(&spec.Model, m) || spec.Pricer != "bachelier" || spec.N != 3 || spec.TestBox != [2]float64{lo, hi} ||
		spec.Smoothing != 0 || spec.Train != 1000 || spec.Test != 200 ||
		!reflect.DeepEqual(spec.TrainArrays, []string{"x", "y", "dydx"}) || !reflect.DeepEqual(spec.TestArrays, []string{"x", "y", "dydx", "gamma"}) {
		t.Errorf("spec.json does not describe the model and options:\n%s", js)
	}

	// Running again gives the same bytes.
	first, _ := os.ReadFile(filepath.Join(out, "train.npz"))
	if _, _, err := runSobolev(context.Background(), "data", "bachelier", "--dims", "3", "--train", "1000", "--test", "200", "--seed", "5", "--out", out); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(filepath.Join(out, "train.npz")); !bytes.Equal(first, second) {
		t.Error("the same flags wrote a different train.npz")
	}
}

func TestDataBachelierSmoothingHessian(t *testing.T) {
	out := t.TempDir()
	if _, stderr, err := runSobolev(context.Background(), "data", "bachelier",
		"--dims", "2", "--train", "300", "--test", "50", "--smoothing", "0.01", "--hessian", "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	m, err := bachelier.New(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	train, err := dataset.ReadNPZ(filepath.Join(out, "train.npz"))
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "train.npz", train, m.TrainingSet(300, bachelier.TrainOptions{Smoothing: 0.01, Hessian: true}))
	test, err := dataset.ReadNPZ(filepath.Join(out, "test.npz"))
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "test.npz", test, m.TestSet(50, true))

	// --hessian without --smoothing: exact Hessians in test.npz only.
	if _, _, err := runSobolev(context.Background(), "data", "bachelier", "--dims", "2", "--train", "10", "--test", "10", "--hessian", "--out", out); err != nil {
		t.Fatal(err)
	}
	train, _ = dataset.ReadNPZ(filepath.Join(out, "train.npz"))
	test, _ = dataset.ReadNPZ(filepath.Join(out, "test.npz"))
	if train.Arrays() != 0 || test.Arrays() != dataset.WithGamma|dataset.WithHessian {
		t.Errorf("--hessian without --smoothing: train arrays %b, test arrays %b; want none and gamma, hessian", train.Arrays(), test.Arrays())
	}
}

// TestDataBachelierBaskets checks --baskets: the data of the portfolio of
// bachelier.NewPortfolio, its extra baskets in spec.json, and --baskets 1 the
// files of the single basket, byte for byte.
func TestDataBachelierBaskets(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "k3")
	if _, stderr, err := runSobolev(context.Background(), "data", "bachelier",
		"--dims", "4", "--baskets", "3", "--train", "300", "--test", "50", "--smoothing", "0.01", "--hessian", "--seed", "2", "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	m, err := bachelier.NewPortfolio(4, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	train, err := dataset.ReadNPZ(filepath.Join(out, "train.npz"))
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "train.npz", train, m.TrainingSet(300, bachelier.TrainOptions{Smoothing: 0.01, Hessian: true}))
	test, err := dataset.ReadNPZ(filepath.Join(out, "test.npz"))
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "test.npz", test, m.TestSet(50, true))
	js, err := os.ReadFile(filepath.Join(out, "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec bachelier.Model
	if err := json.Unmarshal(js, &spec); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&spec, m) || spec.Baskets() != 3 {
		t.Errorf("spec.json does not describe the portfolio of 3 baskets:\n%s", js)
	}

	// --baskets 1 and no --baskets write the same bytes.
	one, def := filepath.Join(dir, "k1"), filepath.Join(dir, "default")
	for _, args := range [][]string{{"--baskets", "1", "--out", one}, {"--out", def}} {
		args = append([]string{"data", "bachelier", "--dims", "3", "--train", "100", "--test", "20"}, args...)
		if _, stderr, err := runSobolev(context.Background(), args...); err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
	}
	for _, name := range []string{"train.npz", "test.npz", "spec.json"} {
		a, _ := os.ReadFile(filepath.Join(one, name))
		b, _ := os.ReadFile(filepath.Join(def, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("--baskets 1 writes another %s than the default", name)
		}
	}
}

// TestRunBaskets checks that "run --baskets" prices a portfolio: the run's
// data folder holds it and results.json records the setting.
func TestRunBaskets(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(cfg, []byte(tinyConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if _, stderr, err := runSobolev(context.Background(), "run", "--config", cfg, "--baskets", "3", "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	res, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c pipeline.Config
	if err := json.Unmarshal(res.Config, &c); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(out, "data", "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m bachelier.Model
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	if c.Baskets != 3 || m.Baskets() != 3 {
		t.Errorf("run --baskets 3: results.json records %d baskets, data/spec.json has %d", c.Baskets, m.Baskets())
	}
}

func TestDataBachelierErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--dims", "0", "--out", out}, "data bachelier: --dims 0: want at least 1 asset"},
		{[]string{"--dims", "-2", "--out", out}, "--dims -2: want at least 1 asset"},
		{[]string{"--train", "-1", "--out", out}, "--train -1: want a number of samples ≥ 0"},
		{[]string{"--test", "-5", "--out", out}, "--test -5: want a number of points ≥ 0"},
		{[]string{"--smoothing", "-0.1", "--out", out}, "--smoothing -0.1: want a finite width ≥ 0"},
		{[]string{"--smoothing", "NaN", "--out", out}, "--smoothing NaN: want a finite width ≥ 0"},
		{[]string{"--smoothing", "Inf", "--out", out}, "--smoothing +Inf: want a finite width ≥ 0"},
		{[]string{"--dims", "seven", "--out", out}, `data bachelier: --dims "seven": want a whole number`},
		{[]string{"--baskets", "-1", "--out", out}, "data bachelier: --baskets -1: want a number of basket calls ≥ 1 (0 also means 1)"},
		{[]string{"--baskets", "2.5", "--out", out}, `data bachelier: --baskets "2.5": want a whole number`},
		{[]string{"--seed", "-1", "--out", out}, `data bachelier: --seed "-1": want a whole number ≥ 0`},
		{[]string{"--frobnicate", "--out", out}, "unknown flag: --frobnicate"},
		{[]string{"--dims", "3"}, `required flag(s) "out" not set`},
		{[]string{"--out", out, "extra"}, `unknown command "extra"`},
		{[]string{"--out", file}, "data bachelier: --out " + file + " is a file, not a folder; choose a folder (a missing one is created)"},
		{[]string{"--out", filepath.Join(file, "sub")}, "data bachelier: cannot create the output directory"},
	} {
		args := append([]string{"data", "bachelier"}, tc.args...)
		_, _, err := runSobolev(context.Background(), args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sobolev %s: error %v, want one containing %q", strings.Join(args, " "), err, tc.want)
		}
	}
	runOut := filepath.Join(dir, "run")
	if _, _, err := runSobolev(context.Background(), "run", "--baskets", "-3", "--out", runOut); err == nil ||
		err.Error() != "run: --baskets -3: want a number of basket calls ≥ 1 (0 also means 1)" {
		t.Errorf("sobolev run --baskets -3: error %v, want one naming --baskets", err)
	}
	if _, _, err := runSobolev(context.Background(), "data"); err == nil || !strings.Contains(err.Error(), `name a model, e.g. "sobolev data bachelier"`) {
		t.Errorf("sobolev data: error %v, want one asking for a model", err)
	}
	if _, _, err := runSobolev(context.Background(), "data", "sabr"); err == nil || !strings.Contains(err.Error(), `unknown command "sabr"`) {
		t.Errorf("sobolev data sabr: error %v, want unknown command", err)
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"file"}) {
		t.Errorf("after the failed runs the directory holds %q, want only the file the test made", got)
	}
}

// TestDataBachelierInterrupted cancels a run that would take many seconds and
// checks that it stops promptly and leaves no file behind.
func TestDataBachelierInterrupted(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := runSobolev(ctx, "data", "bachelier", "--dims", "2", "--train", "100000000", "--out", out)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("interrupted run: error %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("interrupted run stopped after %v, want well under 5 s", elapsed)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("interrupted run left %q, want nothing (not even the directory it created)", got)
	}

	// An existing directory is kept, with its content, and nothing is added.
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, _, err := runSobolev(done, "data", "bachelier", "--out", out); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: error %v, want context.Canceled", err)
	}
	if got := files(t, out); !reflect.DeepEqual(got, []string{"notes.txt"}) {
		t.Errorf("cancelled run into an existing directory left %q, want only notes.txt", got)
	}
}

func TestDataBachelierProgress(t *testing.T) {
	var stderr bytes.Buffer
	f := bachelierFlags{cfg: bachelier.DataConfig{Dims: 2, Train: 100_000, Test: 10}, out: t.TempDir()}
	if err := runDataBachelier(context.Background(), f, &bytes.Buffer{}, &stderr, 0); err != nil {
		t.Fatal(err)
	}
	// Blocks of 4 MiB / (6·8 bytes) = 87381 rows: two progress lines for train.npz.
	want := "sobolev data: train.npz: 87381 of 100000 samples (87%)\n" +
		"sobolev data: train.npz: 100000 of 100000 samples (100%)\n" +
		"sobolev data: train.npz: all samples drawn, writing the archive\n" +
		"sobolev data: test.npz: 10 of 10 samples (100%)\n" +
		"sobolev data: test.npz: all samples drawn, writing the archive\n"
	if stderr.String() != want {
		t.Errorf("progress lines\n%s\nwant\n%s", stderr.String(), want)
	}
}

func TestDataHelp(t *testing.T) {
	stdout, _, err := runSobolev(context.Background(), "data", "bachelier", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--dims", "--baskets", "--train", "--test", "--seed", "--out", "--smoothing", "--hessian",
		"sobolev data bachelier --dims 7 --train 8192 --test 4096 --seed 0 --out data", "spec.json"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help does not mention %q:\n%s", want, stdout)
		}
	}
}
