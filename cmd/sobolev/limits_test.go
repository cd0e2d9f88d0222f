package main

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/study"
)

// TestMaxMemory checks that every command that allocates refuses, before it
// starts, a job whose estimate exceeds --max-memory, naming the setting that
// needs most, the estimate and the limit, and leaves no file behind.
func TestMaxMemory(t *testing.T) {
	dir := t.TempDir()
	train, test := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Replace(tinyConfig, "test: 128", "test: 1000000000000", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	model := filepath.Join(dir, "m.onnx")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--config", big, "--out", out, "--max-memory", "1GiB"}, []string{
			"run: test = 1000000000000 needs about ", " TiB for the evaluation on the test set (",
			" TiB in all; 1.00 GiB is allowed (--max-memory 1GiB); lower test or raise --max-memory"}},
		{[]string{"run", "--config", big, "--out", out, "--max-memory", "1GiB", "--train", "10000000"}, []string{
			"run: test = 1000000000000 needs about"}},
		{[]string{"run", "--train", "100000000", "--out", out, "--max-memory", "1GiB"}, []string{
			"run: --train 100000000 needs about ", " GiB for the teacher's Hessian-vector products (",
			"; lower --train or raise --max-memory"}},
		{[]string{"data", "bachelier", "--dims", "100000", "--out", out, "--max-memory", "1GiB"}, []string{
			"data bachelier: --dims 100000 needs about 671 GiB for the Bachelier model's matrices, 671 GiB in all; " +
				"1.00 GiB is allowed (--max-memory 1GiB); lower --dims or raise --max-memory"}},
		{[]string{"train", "--data", train, "--out", model, "--max-memory", "10KiB"}, []string{
			"train: --data " + train + " needs about 28.4 KiB for its arrays, 28.4 KiB in all; 10.0 KiB is allowed (--max-memory 10KiB); " +
				"use a smaller --data or raise --max-memory"}},
		{[]string{"train", "--data", train, "--out", model, "--max-memory", "100KiB", "--hidden", "12,10"}, []string{
			"train: --batch 256 needs about ", " KiB for the training workspaces and optimiser state, "}},
		{[]string{"finetune", "--model", large, "--teacher", large, "--data", train, "--out", model, "--max-memory", "200KiB"}, []string{
			"finetune: --batch 256 needs about"}},
		{[]string{"prune", "--model", large, "--data", train, "--keep", "6", "--out", model, "--max-memory", "200KiB"}, []string{
			`prune: --method "quadratic" needs about `, " KiB for the IASA work arrays (quadratic enclosures of 3 inputs, ",
			"; change --method or raise --max-memory"}},
		{[]string{"eval", "--model", large, "--data", test, "--max-memory", "1KiB"}, []string{
			"eval: --data " + test + " needs about "}},
	} {
		_, _, err := runSobolev(context.Background(), tc.args...)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("sobolev %s: error %v, want one containing %q", strings.Join(tc.args, " "), err, w)
			}
		}
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"big.yaml", "large.onnx", "test.npz", "train.npz"}) {
		t.Errorf("refused jobs left %q, want only the inputs", got)
	}
	if _, _, err := runSobolev(context.Background(), "prune", "--model", large, "--data", train, "--keep", "6", "--boxes", "8",
		"--out", model, "--max-memory", "64MiB"); err != nil {
		t.Errorf("prune within --max-memory 64MiB: %v", err)
	}
	for _, v := range []string{"8G", "0", "-1GiB", "lots"} {
		_, _, err := runSobolev(context.Background(), "eval", "--model", large, "--data", test, "--max-memory", v)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("eval: --max-memory %q: ", v)) {
			t.Errorf("--max-memory %s: error %v, want an invalid argument", v, err)
		}
	}
}

// TestDataBachelierMemory checks that data bachelier, which streams its
// samples to the files, does not count them.
func TestDataBachelierMemory(t *testing.T) {
	small := bachelierFlags{cfg: bachelier.DataConfig{Dims: 30, Train: 10, Test: 10}}.memory()
	huge := bachelierFlags{cfg: bachelier.DataConfig{Dims: 30, Train: 1 << 40, Test: 1 << 40}}.memory()
	if small.Bytes() != huge.Bytes() || small.Bytes() > 8<<20 {
		t.Errorf("30 assets: %g bytes for 10 samples, %g for 2⁴⁰; want the same few MB", small.Bytes(), huge.Bytes())
	}
	h := bachelierFlags{cfg: bachelier.DataConfig{Dims: 2000, Hessian: true}}.memory()
	if got, want := h.Bytes(), (9*2000*2000+2000*2000+2*2000+2)*8.0; got != want {
		t.Errorf("2000 assets with Hessians: %g bytes, want %g (the model and a block of one sample)", got, want)
	}
}

// npyFloat32 returns an .npy file of float32 values of the given shape.
func npyFloat32(shape []int, v []float32) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", sh)
	header += strings.Repeat(" ", 63-(10+len(header))%64) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), byte(len(header)>>8))
	b = append(b, header...)
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// TestDataFileMemory checks the estimate of a data file's arrays, made
// before reading it, against the arrays read.
func TestDataFileMemory(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	narrow := filepath.Join(dir, "narrow.npz")
	f, err := os.Create(narrow)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	const rows, n = 100, 4
	for _, a := range []struct {
		name  string
		shape []int
	}{{"x", []int{rows, n}}, {"y", []int{rows}}, {"dydx", []int{rows, n}}} {
		size := 1
		for _, d := range a.shape {
			size *= d
		}
		v := make([]float32, size)
		for i := range v {
			v[i] = float32(i%7) + 1
		}
		w, err := zw.Create(a.name + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(npyFloat32(a.shape, v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	csv := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(csv, []byte("x1,y,dydx1\n1.25,2.5,0.125\n1.5,2.75,0.25\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{train, narrow, csv} {
		est := dataFileMemory(path)
		data, err := dataset.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		got := setMemory(data, path).Bytes()
		if r := est.Bytes() / got; r < 0.8 || r > 2 {
			t.Errorf("%s: estimate %g bytes, the arrays read take %g (ratio %.2f)", filepath.Base(path), est.Bytes(), got, r)
		}
	}
	if est := dataFileMemory(filepath.Join(dir, "missing.npz")); est != nil {
		t.Errorf("missing file: estimate %v, want none (reading it reports the error)", est)
	}
}

// configFlags maps, per command, the flags that set a configuration field
// to that field's default, formatted as pflag shows it.
func configFlags() map[string]map[string]string {
	d := pipeline.Default()
	i, g, b := strconv.Itoa, func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }, strconv.FormatBool
	recipe := func(r pipeline.TrainRecipe) map[string]string {
		return map[string]string{"epochs": i(r.Epochs), "batch": i(r.BatchSize), "lr-max": g(r.LRMax), "lr-min": g(r.LRMin), "schedule": r.Schedule.String()}
	}
	train := recipe(d.Large.TrainRecipe)
	train["hidden"], train["activation"] = joinInts(d.Large.Hidden), d.Large.Activation.String()
	train["loss"] = "sobolev"
	finetune := recipe(d.Finetune)
	finetune["teacher-labels"], finetune["hvp-directions"] = b(d.Finetune.Teacher), i(d.Finetune.HVPDirections)
	finetune["hvp-kind"], finetune["hvp-weight"] = d.Finetune.HVPKind.String(), g(d.Finetune.HVPWeight)
	finetune["loss"] = "sobolev"
	p := d.Prune
	s := study.Default()
	ints := func(v []int) string { return "[" + joinInts(v) + "]" }
	return map[string]map[string]string{
		"run":            {"dims": i(d.Dims), "train": i(d.Train), "epochs": i(d.Large.Epochs), "keep": i(p.Keep), "seed": strconv.FormatUint(d.Seed, 10), "baskets": "1"},
		"data bachelier": {"dims": i(d.Dims), "train": i(d.Train), "test": i(d.Test), "seed": strconv.FormatUint(d.Seed, 10), "baskets": "1"},
		"study": {"seeds": i(s.Seeds), "sizes": ints(s.Sizes), "checkpoints": ints(s.Checkpoints), "scratch": b(s.Scratch),
			"train": i(s.Train), "test": i(s.Test), "smoothing": g(s.Smoothing), "large-hidden": joinInts(s.Large.Hidden),
			"large-epochs": i(s.Large.Epochs)},
		"study merge":     {},
		"data heston":     {},
		"train":           train,
		"finetune":        finetune,
		"prune":           {"keep": i(p.Keep), "quota": p.Quota.String(), "criterion": p.Criterion.String(), "method": p.Method.String(), "combine": p.Combine.String(), "boxes": i(p.Boxes), "box-radius": g(p.BoxRadius), "fold": p.Fold.String(), "keep-per-layer": ""},
		"eval":            {},
		"export":          {},
		"bound":           {},
		"sobolev":         {},
		"report":          {},
		"version":         {},
		"data":            {},
		"help":            {},
		"completion":      {},
		"completion bash": {}, "completion zsh": {}, "completion fish": {}, "completion powershell": {},
	}
}

// TestHelpDefaults walks every command and checks that the defaults --help
// shows are the flags' own default values, not numbers in the usage text,
// and that those of flags setting a configuration field are
// pipeline.Default()'s. (--smoothing of data bachelier is 0, the call
// payoff, on purpose: the data command writes the reference data.)
func TestHelpDefaults(t *testing.T) {
	want := configFlags()
	root := newRootCmd()
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), "sobolev ")
		fields, known := want[path]
		if !known {
			t.Errorf("command %q is not in configFlags: say which of its flags set configuration fields", path)
		}
		checked := 0
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "(default") {
				t.Errorf("%s --%s: usage %q writes a default in its text; give it to the flag instead", path, f.Name, f.Usage)
			}
			if v, ok := fields[f.Name]; ok {
				checked++
				if f.DefValue != v {
					t.Errorf("%s --%s: default %s, want %s as in pipeline.Default()", path, f.Name, f.DefValue, v)
				}
			}
		})
		if checked != len(fields) {
			t.Errorf("%s: %d of the %d configuration flags exist", path, checked, len(fields))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)

	stdout, _, err := runSobolev(context.Background(), "run", "--help")
	if err != nil {
		t.Fatal(err)
	}
	d, q := pipeline.Default(), pipeline.Quick()
	for _, s := range []string{
		fmt.Sprintf("trains a large %s SiLU net", layers(d.Large.Hidden)),
		fmt.Sprintf("IASA to %d hidden\nnodes", d.Prune.Keep),
		"the pruned net's shape from scratch",
		fmt.Sprintf("(default %d)", d.Large.Epochs),
		fmt.Sprintf("%d samples, large nets %s trained %d epochs", q.Train, layers(q.Large.Hidden), q.Large.Epochs),
	} {
		if !strings.Contains(stdout, s) {
			t.Errorf("run --help does not say %q:\n%s", s, stdout)
		}
	}
	for _, path := range [][]string{{"run"}, {"data", "bachelier"}, {"train"}, {"prune"}, {"finetune"}, {"eval"}} {
		c, _, err := newRootCmd().Find(path)
		if err != nil || c.Flags().Lookup("max-memory") == nil {
			t.Errorf("%s has no --max-memory (%v)", strings.Join(path, " "), err)
		}
	}
}

// TestTrainConstantColumn checks that train refuses data with a constant
// input, whose spread of zero cannot be normalised.
func TestTrainConstantColumn(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x1,x2,y,dydx1,dydx2\n")
	for r := range 50 {
		x := 0.5 + float64(r)/50
		fmt.Fprintf(&b, "%g,1.5,%g,%g,0.3\n", x, x*x, 2*x)
	}
	data := filepath.Join(dir, "const.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runSobolev(context.Background(), "train", "--data", data, "--hidden", "4", "--epochs", "1",
		"--out", filepath.Join(dir, "m.onnx"), "--no-progress")
	want := "train: x2 is constant (every sample 1.5): its spread is zero, so it cannot be normalised; drop the column or vary it"
	if err == nil || err.Error() != want {
		t.Errorf("training on a constant column: %v, want %q", err, want)
	}
}
