package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/internal/memlimit"
	"github.com/sobolev-pruning/sobolev/pipeline"
)

// newDataCmd returns the "data" command, whose subcommands generate data sets.
func newDataCmd() *cobra.Command {
	data := &cobra.Command{
		Use:   "data MODEL",
		Short: "Generate training and test data sets of a reference pricer",
		Long: `data writes a training set (Monte Carlo samples with pathwise derivative
labels), an analytic test set and the model's specification into a directory.
The models are bachelier, the Bachelier basket option of method.md §2 (or a
portfolio of basket calls with --baskets), and heston, a European call under
the Heston stochastic-volatility model.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New(`data: name a model, e.g. "sobolev data bachelier" (see "sobolev data --help")`)
		},
	}
	data.AddCommand(newDataBachelierCmd(time.Second))
	data.AddCommand(newDataHestonCmd(time.Second))
	return data
}

// bachelierFlags are the options of "sobolev data bachelier".
type bachelierFlags struct {
	cfg       bachelier.DataConfig
	out       string
	maxMemory memlimit.Size
}

// newDataBachelierCmd returns "data bachelier"; progress lines are printed at
// most once per progressEvery.
func newDataBachelierCmd(progressEvery time.Duration) *cobra.Command {
	def := pipeline.Default()
	f := bachelierFlags{cfg: bachelier.DataConfig{Dims: def.Dims, Baskets: 1, Train: def.Train, Test: def.Test, Seed: def.Seed}}
	cmd := &cobra.Command{
		Use:   "bachelier --out DIR",
		Short: "Bachelier basket option: training and test sets (method.md §2)",
		Long: `bachelier draws a Bachelier basket model of --dims assets from --seed and writes
into --out the data of the call on its basket, or with --baskets k of a
portfolio of k basket calls on the same assets (the first is that call, the
others have their own weights, strikes and expiries drawn from --seed; the
price depends on the spots through k directions):

  train.npz  --train samples: spots x at T1 (N×n), payoff labels y (N) and
             pathwise gradient labels dydx (N×n) of one antithetic path each;
             with --smoothing also gamma (N), the pathwise 1ᵀH1, and with
             --hessian as well the full pathwise Hessians (N×n×n)
  test.npz   --test points drawn uniformly from the test box, with the exact
             price y, deltas dydx and gamma (1ᵀH1); with --hessian also the
             exact Hessians (N×n×n)
  spec.json  the model (weights, volatilities, correlation and Cholesky
             matrices, strike, T1, T2, seed, and with --baskets the other
             baskets as extra_baskets), the test box and the options

The arrays are float64 .npz archives that numpy.load reads. The same flags give
the same files, bit for bit. Samples are generated and written block by block,
so any size fits in memory; the files appear only once all are complete, and an
interruption (Ctrl-C) leaves none behind.`,
		Example: `  sobolev data bachelier --out data
  sobolev data bachelier --dims 7 --train 8192 --test 4096 --seed 0 --out data
  sobolev data bachelier --dims 30 --train 10000000 --smoothing 0.01 --out big
  sobolev data bachelier --dims 7 --baskets 16 --smoothing 0.0075 --out portfolio`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDataBachelier(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr(), progressEvery)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.cfg.Dims, "dims", f.cfg.Dims, "number of assets n (at least 1)")
	fl.IntVar(&f.cfg.Baskets, "baskets", f.cfg.Baskets, "number k of basket calls on the assets; the data are those of their portfolio\n(1: the single basket call)")
	fl.IntVar(&f.cfg.Train, "train", f.cfg.Train, "number of training samples (Monte Carlo paths)")
	fl.IntVar(&f.cfg.Test, "test", f.cfg.Test, "number of analytic test points")
	fl.Uint64Var(&f.cfg.Seed, "seed", f.cfg.Seed, "seed of the model and of both data sets")
	fl.StringVar(&f.out, "out", "", "output directory, created if missing (required)")
	fl.Float64Var(&f.cfg.Smoothing, "smoothing", f.cfg.Smoothing, "width h of the smoothed payoff h·log(1+exp((B−K)/h)) of the training labels;\n0 keeps the call payoff (B−K)⁺ and writes no second-order training labels")
	fl.BoolVar(&f.cfg.Hessian, "hessian", f.cfg.Hessian, "also write full Hessians: exact ones in test.npz, and pathwise ones\nin train.npz if --smoothing is set (N×n×n values each: mind the size)")
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
	n := f.cfg.Dims
	return pipeline.MemoryEstimate{pipeline.BachelierMemory(n),
		{What: "a block of samples", Key: "dims", Value: n, Bytes: f.cfg.BlockBytes()}}
}

func runDataBachelier(ctx context.Context, f bachelierFlags, stdout, stderr io.Writer, progressEvery time.Duration) (err error) {
	if err := flagError(f.cfg.Validate(), dataFlag); err != nil {
		return fmt.Errorf("data bachelier: %v", err)
	}
	mem := memoryCheck{name: "data bachelier", max: f.maxMemory, setting: flagSetting(nil, map[string]string{"dims": "dims"}, false)}
	if err := mem.check(f.memory(), 0); err != nil {
		return err
	}

	files := bachelier.FolderFiles(f.out)
	err = writeDataFolder(f.out, func(staged bachelier.DataFiles) error {
		p := progress{w: stderr, every: progressEvery, last: time.Now()}
		_, err := bachelier.WriteData(ctx, staged, f.cfg, p.update)
		return err
	})
	if err != nil {
		return fmt.Errorf("data bachelier: %w", err)
	}
	fmt.Fprintf(stdout, "sobolev data: wrote %s (%d samples), %s (%d points) and %s\n",
		files.Train, f.cfg.Train, files.Test, f.cfg.Test, files.Spec)
	return nil
}

// writeDataFolder writes the files of the data folder out (created if
// missing) by write, which is given staging paths; they are renamed into
// place together once write succeeds, so that a failure or an interruption
// leaves neither partial nor mismatched files, and a folder it created is
// removed again if it stays empty.
func writeDataFolder(out string, write func(staged bachelier.DataFiles) error) (err error) {
	fi, statErr := os.Stat(out)
	if statErr == nil && !fi.IsDir() {
		return fmt.Errorf("--out %s is a file, not a folder; choose a folder (a missing one is created)", out)
	}
	if err := os.MkdirAll(out, 0o777); err != nil {
		return fmt.Errorf("cannot create the output directory: %w", err)
	}
	defer func() {
		if err != nil && errors.Is(statErr, os.ErrNotExist) {
			os.Remove(out) // only if we created it and it is empty
		}
	}()
	files := bachelier.FolderFiles(out)
	stage, err := newStaging(files.Train, files.Test, files.Spec)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer stage.remove()
	if err := write(bachelier.DataFiles{Train: stage.staged[0], Test: stage.staged[1], Spec: stage.staged[2]}); err != nil {
		return err
	}
	// Once all are complete, the files are renamed into place even if a
	// signal comes now: that takes milliseconds.
	return stage.commit()
}

// progress prints a line on w at most once per every while a data set is
// written, and a last one when its samples are drawn if it printed before.
type progress struct {
	w     io.Writer
	every time.Duration
	last  time.Time
	// printed is set once a line has been printed for the current file.
	printed bool
}

// update reports done of total samples of the file name written.
func (p *progress) update(name string, done, total int) {
	if now := time.Now(); now.Sub(p.last) >= p.every {
		p.last, p.printed = now, true
		fmt.Fprintf(p.w, "sobolev data: %s: %d of %d samples (%.0f%%)\n", name, done, total, 100*float64(done)/float64(total))
	}
	if done == total {
		if p.printed {
			fmt.Fprintf(p.w, "sobolev data: %s: all samples drawn, writing the archive\n", name)
		}
		p.printed = false
	}
}
