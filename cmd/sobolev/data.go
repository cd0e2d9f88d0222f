package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/internal/memlimit"
	"github.com/sobolev-pruning/sobolev/pipeline"
)

// blockBytes is the memory of one block of samples while data are generated.
const blockBytes = 4 << 20

// newDataCmd returns the "data" command, whose subcommands generate data sets.
func newDataCmd() *cobra.Command {
	data := &cobra.Command{
		Use:   "data MODEL",
		Short: "Generate training and test data sets of a reference pricer",
		Long: `data writes a training set (Monte Carlo samples with pathwise derivative
labels), an analytic test set and the model's specification into a directory.
The one model so far is bachelier, the Bachelier basket option of method.md §2.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New(`data: name a model, e.g. "sobolev data bachelier" (see "sobolev data --help")`)
		},
	}
	data.AddCommand(newDataBachelierCmd(time.Second))
	return data
}

// bachelierFlags are the options of "sobolev data bachelier".
type bachelierFlags struct {
	dims, train, test int
	seed              uint64
	out               string
	smoothing         float64
	hessian           bool
	maxMemory         memlimit.Size
}

// newDataBachelierCmd returns "data bachelier"; progress lines are printed at
// most once per progressEvery.
func newDataBachelierCmd(progressEvery time.Duration) *cobra.Command {
	var f bachelierFlags
	def := pipeline.Default()
	cmd := &cobra.Command{
		Use:   "bachelier --out DIR",
		Short: "Bachelier basket option: training and test sets (method.md §2)",
		Long: `bachelier draws a Bachelier basket model of --dims assets from --seed and writes
into --out:

  train.npz  --train samples: spots x at T1 (N×n), payoff labels y (N) and
             pathwise gradient labels dydx (N×n) of one antithetic path each;
             with --smoothing also gamma (N), the pathwise 1ᵀH1, and with
             --hessian as well the full pathwise Hessians (N×n×n)
  test.npz   --test points drawn uniformly from the test box, with the exact
             price y, deltas dydx and gamma (1ᵀH1); with --hessian also the
             exact Hessians (N×n×n)
  spec.json  the model (weights, volatilities, correlation and Cholesky
             matrices, strike, T1, T2, seed), the test box and the options

The arrays are float64 .npz archives that numpy.load reads. The same flags give
the same files, bit for bit. Samples are generated and written block by block,
so any size fits in memory; the files appear only once all are complete, and an
interruption (Ctrl-C) leaves none behind.`,
		Example: `  sobolev data bachelier --out data
  sobolev data bachelier --dims 7 --train 8192 --test 4096 --seed 0 --out data
  sobolev data bachelier --dims 30 --train 10000000 --smoothing 0.01 --out big`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDataBachelier(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr(), progressEvery)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.dims, "dims", def.Dims, "number of assets n (at least 1)")
	fl.IntVar(&f.train, "train", def.Train, "number of training samples (Monte Carlo paths)")
	fl.IntVar(&f.test, "test", def.Test, "number of analytic test points")
	fl.Uint64Var(&f.seed, "seed", def.Seed, "seed of the model and of both data sets")
	fl.StringVar(&f.out, "out", "", "output directory, created if missing (required)")
	fl.Float64Var(&f.smoothing, "smoothing", 0, "width h of the smoothed payoff h·log(1+exp((B−K)/h)) of the training labels;\n0 keeps the call payoff (B−K)⁺ and writes no second-order training labels")
	fl.BoolVar(&f.hessian, "hessian", false, "also write full Hessians: exact ones in test.npz, and pathwise ones\nin train.npz if --smoothing is set (N×n×n values each: mind the size)")
	addMaxMemoryFlag(cmd, &f.maxMemory)
	if err := cmd.MarkFlagRequired("out"); err != nil {
		panic(err)
	}
	return cmd
}

// memory estimates the memory of "data bachelier": the model while it is
// built and one block of samples. The samples are streamed to the files, so
// their number does not matter.
func (f bachelierFlags) memory() pipeline.MemoryEstimate {
	perRow := 2*float64(f.dims) + 2
	if f.hessian {
		perRow += float64(f.dims) * float64(f.dims)
	}
	return pipeline.MemoryEstimate{pipeline.BachelierMemory(f.dims),
		{What: "a block of samples", Key: "dims", Value: f.dims, Bytes: max(blockBytes, 8*perRow)}}
}

func (f bachelierFlags) check() error {
	switch {
	case f.dims < 1:
		return fmt.Errorf("data bachelier: --dims %d: want at least 1 asset", f.dims)
	case f.train < 0:
		return fmt.Errorf("data bachelier: --train %d: want a number of samples ≥ 0", f.train)
	case f.test < 0:
		return fmt.Errorf("data bachelier: --test %d: want a number of points ≥ 0", f.test)
	case !(f.smoothing >= 0) || math.IsInf(f.smoothing, 1):
		return fmt.Errorf("data bachelier: --smoothing %v: want a finite width ≥ 0 (0 keeps the call payoff)", f.smoothing)
	}
	return nil
}

func runDataBachelier(ctx context.Context, f bachelierFlags, stdout, stderr io.Writer, progressEvery time.Duration) (err error) {
	if err := f.check(); err != nil {
		return err
	}
	mem := memoryCheck{name: "data bachelier", max: f.maxMemory, setting: flagSetting(nil, map[string]string{"dims": "dims"}, false)}
	if err := mem.check(f.memory(), 0); err != nil {
		return err
	}
	model, err := bachelier.New(f.dims, f.seed)
	if err != nil {
		return err
	}

	// The three files are written into staging folders (normally one, in
	// --out) and renamed into place together at the end, so that a failure
	// or an interruption leaves neither partial nor mismatched files.
	fi, statErr := os.Stat(f.out)
	if statErr == nil && !fi.IsDir() {
		return fmt.Errorf("data bachelier: --out %s is a file, not a folder; choose a folder (a missing one is created)", f.out)
	}
	if err := os.MkdirAll(f.out, 0o777); err != nil {
		return fmt.Errorf("data bachelier: cannot create the output directory: %w", err)
	}
	defer func() {
		if err != nil && errors.Is(statErr, os.ErrNotExist) {
			os.Remove(f.out) // only if we created it and it is empty
		}
	}()
	stage, err := newStaging(filepath.Join(f.out, "train.npz"), filepath.Join(f.out, "test.npz"), filepath.Join(f.out, "spec.json"))
	if err != nil {
		return fmt.Errorf("data bachelier: --out: %w", err)
	}
	defer stage.remove()

	opts := bachelier.TrainOptions{Smoothing: f.smoothing, Hessian: f.hessian && f.smoothing > 0}
	train := model.TrainingSampler(opts)
	test := model.TestSampler(f.hessian)
	files := []struct {
		name    string
		sampler *bachelier.Sampler
		rows    int
	}{
		{"train.npz", train, f.train},
		{"test.npz", test, f.test},
	}
	for i, file := range files { // staged[i] is file's
		p := progress{w: stderr, name: file.name, total: file.rows, every: progressEvery, last: time.Now()}
		if err := writeSet(ctx, stage.staged[i], file.sampler, f.dims, file.rows, &p); err != nil {
			return err
		}
	}

	if err := model.Spec(f.train, f.test, opts, f.hessian).Write(stage.staged[2]); err != nil {
		return fmt.Errorf("data bachelier: %w", err)
	}
	// Once all are complete, the files are renamed into place even if a
	// signal comes now: that takes milliseconds.
	if err := stage.commit(); err != nil {
		return fmt.Errorf("data bachelier: %w", err)
	}
	fmt.Fprintf(stdout, "sobolev data: wrote %s (%d samples), %s (%d points) and %s\n",
		filepath.Join(f.out, "train.npz"), f.train, filepath.Join(f.out, "test.npz"), f.test, filepath.Join(f.out, "spec.json"))
	return nil
}

// writeSet streams rows samples of s, which have n inputs, into the .npz
// archive at path, in blocks of about blockBytes.
func writeSet(ctx context.Context, path string, s *bachelier.Sampler, n, rows int, p *progress) error {
	perRow := 2*n + 2
	if s.Arrays()&dataset.WithHessian != 0 {
		perRow += n * n
	}
	block := max(1, blockBytes/(8*perRow))
	w, err := dataset.CreateNPZ(path, n, s.Arrays())
	if err != nil {
		return err
	}
	defer w.Abort()
	err = s.Stream(ctx, rows, block, func(b *dataset.Set) error {
		if err := w.Write(b); err != nil {
			return err
		}
		p.update(w.Rows())
		return nil
	})
	if err != nil {
		return err
	}
	if p.printed {
		fmt.Fprintf(p.w, "sobolev data: %s: all samples drawn, writing the archive\n", p.name)
	}
	return w.CloseContext(ctx)
}

// progress prints a line on w at most once per every while a set is written.
type progress struct {
	w     io.Writer
	name  string
	total int
	every time.Duration
	last  time.Time
	// printed is set once a line has been printed.
	printed bool
}

func (p *progress) update(done int) {
	if now := time.Now(); now.Sub(p.last) >= p.every {
		p.last, p.printed = now, true
		fmt.Fprintf(p.w, "sobolev data: %s: %d of %d samples (%.0f%%)\n", p.name, done, p.total, 100*float64(done)/float64(p.total))
	}
}

// arrayNames lists the arrays of a set with the optional arrays a, as in the archive.
