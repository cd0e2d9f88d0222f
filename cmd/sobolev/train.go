package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
	"github.com/sobolev-pruning/sobolev/internal/memlimit"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/pipeline"
)

// trainFlags are the options of "sobolev train".
type trainFlags struct {
	data, out  string
	net        pipeline.NetConfig
	loss       mlp.LossKind
	seed       uint64
	noProgress bool
	maxMemory  memlimit.Size
}

func newTrainCmd() *cobra.Command {
	f := trainFlags{net: pipeline.Default().Large, loss: mlp.Sobolev}
	cmd := &cobra.Command{
		Use:   "train --data FILE --out MODEL.onnx",
		Short: "Train a new MLP surrogate on a data file",
		Long: `train fits a new dense MLP to the data in --data (a .npz or .csv file with x, y
and dydx, as "sobolev data" writes them) and saves it as an ONNX model that maps
raw inputs to the raw value.

The net has --hidden layers of the given widths with --activation, Xavier
uniform initial weights drawn from --seed, and input and output normalisations
fitted to the data. It is trained by Adam over shuffled mini-batches with the
Sobolev loss (value and gradient labels, method.md §4) or plain MSE (value
labels only), with the learning rate going from --lr-max to --lr-min along
--schedule. The defaults are those of the large net of "sobolev run".

A progress bar (a line per epoch when standard error is not a terminal) shows
the loss, in normalised units; at the end the command prints the final loss,
the time and the training speed. The model file appears only once training
is complete: an interruption (Ctrl-C) leaves no file behind.`,
		Example: `  sobolev data bachelier --out data
  sobolev train --data data/train.npz --out large.onnx
  sobolev train --data data/train.npz --hidden 128,128,128 --loss sobolev --out model.onnx
  sobolev train --data prices.csv --hidden 64,64 --activation softplus --epochs 300 --batch 128 --schedule exponential --seed 3 --out small.onnx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTrain(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "training data, .npz or .csv (required)")
	fl.StringVar(&f.out, "out", "", "ONNX file to write (required)")
	fl.Var(widthsFlag{&f.net.Hidden}, "hidden", "hidden layer widths, comma-separated")
	textVar(fl, &f.net.Activation, "activation", "activation of the hidden layers (not relu)")
	addLossFlag(fl, &f.loss)
	addRecipeFlags(cmd, &f.net.TrainRecipe)
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the initial weights and of the shuffling")
	fl.BoolVar(&f.noProgress, "no-progress", false, "print neither progress bar nor progress lines")
	addMaxMemoryFlag(cmd, &f.maxMemory)
	for _, name := range []string{"data", "out"} {
		if err := cmd.MarkFlagRequired(name); err != nil {
			panic(err)
		}
	}
	return cmd
}

func runTrain(cmd *cobra.Command, f trainFlags) error {
	if err := flagError(f.net.Validate(), recipeFlag); err != nil {
		return fmt.Errorf("train: %v", err)
	}
	if err := checkOut(f.out, inputFile{"--data", f.data}); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	mem := memoryCheck{name: "train", max: f.maxMemory, setting: flagSetting(cmd, map[string]string{"data": "data", "batch_size": "batch", "epochs": "epochs"}, false)}
	if err := mem.check(dataFileMemory(f.data), 0); err != nil {
		return err
	}
	data, err := readData(cmd, f.data)
	if err != nil {
		return fmt.Errorf("train: --data: %w", err)
	}
	if err := checkLabels(f.data, data, f.loss); err != nil {
		return fmt.Errorf("train: %v", err)
	}
	net := mlp.New(data.Dims(), f.net.Hidden, f.net.Activation)
	net.Init(mlp.XavierUniform, f.seed)
	opts := pipeline.TrainOptions{Recipe: f.net.TrainRecipe, Loss: f.loss, Seed: f.seed, FitNorm: true}
	held := setMemory(data, f.data)
	if err := mem.check(append(held, fromFile(pipeline.TrainMemory(net, data.N(), opts), f.data)...), held.Bytes()); err != nil {
		return err
	}
	return trainAndSave(cmd, "train", net, data, opts, f.out, f.noProgress)
}

// addRecipeFlags registers the optimiser and schedule flags of a training
// command, with r's values as defaults; parsing stores into r.
func addRecipeFlags(cmd *cobra.Command, r *pipeline.TrainRecipe) {
	fl := cmd.Flags()
	fl.IntVar(&r.Epochs, "epochs", r.Epochs, "passes over the training data")
	fl.IntVar(&r.BatchSize, "batch", r.BatchSize, "samples per optimiser step")
	fl.Float64Var(&r.LRMax, "lr-max", r.LRMax, "largest learning rate of the schedule")
	fl.Float64Var(&r.LRMin, "lr-min", r.LRMin, "smallest learning rate of the schedule")
	textVar(fl, &r.Schedule, "schedule", "learning-rate schedule")
}

// addLossFlag registers --loss of a training command, with *loss as default.
func addLossFlag(fl *pflag.FlagSet, loss *mlp.LossKind) {
	textVar(fl, loss, "loss", "training loss, sobolev (value and gradient labels) or mse (value labels only)")
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// inputFile is a file a command reads: its flag and its path ("" if the
// flag was not given).
type inputFile struct{ flag, path string }

// checkOut reports, before any work starts, why the file path named by --out
// cannot be written: its directory does not exist, it exists and is not a
// regular file (a device, FIFO, socket or directory, which renaming a new
// file over it would replace), or it is the same file as one of inputs.
func checkOut(path string, inputs ...inputFile) error {
	if err := atomicfile.CheckDest(path); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return checkNotInput("--out", path, inputs...)
}

// checkNotInput reports an error if the output path, named by flag, is the
// same file as one of inputs, also through a symbolic link, a hard link or
// another spelling of the path: writing it would destroy the input.
func checkNotInput(flag, path string, inputs ...inputFile) error {
	out, err := os.Stat(path)
	if err != nil {
		return nil // a file that does not exist yet is no input
	}
	for _, in := range inputs {
		if in.path == "" {
			continue
		}
		if st, err := os.Stat(in.path); err == nil && os.SameFile(out, st) {
			return fmt.Errorf("%s %s is the same file as %s %s, which writing it would destroy; choose another %s",
				flag, path, in.flag, in.path, flag)
		}
	}
	return nil
}

// loadModel reads the ONNX model named by flag.
func loadModel(flag, path string) (*mlp.Network, error) {
	net, err := onnx.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return net, nil
}

// readData reads the data file path for cmd and prints to cmd's standard
// error one line for each array that was converted to float64 on reading.
func readData(cmd *cobra.Command, path string) (*dataset.Set, error) {
	data, err := dataset.Load(path)
	if err != nil {
		return nil, err
	}
	for _, w := range data.Widened {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s: %s\n", cmd.CommandPath(), path, w)
	}
	return data, nil
}

// loadData reads the data file path for cmd, as readData does, and checks
// that its rows have as many columns as net, read from modelPath, has inputs.
func loadData(cmd *cobra.Command, path string, net *mlp.Network, modelPath string) (*dataset.Set, error) {
	data, err := readData(cmd, path)
	if err != nil {
		return nil, fmt.Errorf("--data: %w", err)
	}
	if data.Dims() != net.Inputs() {
		return nil, fmt.Errorf("--data %s has %d input columns, but --model %s has %d inputs",
			path, data.Dims(), modelPath, net.Inputs())
	}
	if data.N() == 0 {
		return nil, fmt.Errorf("--data %s has no rows", path)
	}
	return data, nil
}

// checkLabels reports whether data, read from path, have the labels that
// training with loss needs.
func checkLabels(path string, data *dataset.Set, loss mlp.LossKind) error {
	switch {
	case data.Y == nil:
		return fmt.Errorf("--data %s has no value labels y", path)
	case data.N() == 0:
		return fmt.Errorf("--data %s has no rows", path)
	case loss == mlp.Sobolev && data.DYDX == nil:
		return fmt.Errorf("--data %s has no gradient labels dydx, which --loss sobolev needs (or use --loss mse)", path)
	}
	return nil
}

// describe returns a one-line description of net's architecture.
func describe(net *mlp.Network) string {
	return fmt.Sprintf("%d inputs, hidden %s (%d nodes), %d parameters, %s",
		net.Inputs(), joinInts(net.Hidden()), net.HiddenNodes(), net.NumParams(), net.Act)
}

// trainAndSave trains net on data as opts says, with progress on the
// command's standard error, writes it to out and prints a summary on its
// standard output. name is the command's name.
func trainAndSave(cmd *cobra.Command, name string, net *mlp.Network, data *dataset.Set, opts pipeline.TrainOptions, out string, noProgress bool) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	progress, done := epochProgress(stderr, name, noProgress)
	start := time.Now()
	hist, err := pipeline.TrainModel(cmd.Context(), net, data, opts, progress)
	done()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	elapsed := time.Since(start)
	if err := saveModel(cmd.Context(), out, net); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	parts := fmt.Sprintf("value %.3e", last.Train.Value)
	if hist.Weights.Grad > 0 {
		parts += fmt.Sprintf(", gradient %.3e", last.Train.Grad)
	}
	if hist.Weights.HVP > 0 {
		parts += fmt.Sprintf(", second order %.3e", last.Train.HVP)
	}
	fmt.Fprintf(stdout, "sobolev %s: wrote %s: %s\n", name, out, describe(net))
	fmt.Fprintf(stdout, "  labels: %s\n", labels(opts))
	fmt.Fprintf(stdout, "  loss %.3e (%s) after %d epochs, normalised units\n", last.Train.Total, parts, len(hist.Epochs))
	fmt.Fprintf(stdout, "  %.2f s, %.0f samples/s\n", elapsed.Seconds(), float64(len(hist.Epochs)*data.N())/elapsed.Seconds())
	return nil
}

// labels describes the labels a training with opts fits.
func labels(opts pipeline.TrainOptions) string {
	switch {
	case opts.Loss == mlp.MSE:
		return "the data's values"
	case opts.Teacher == nil:
		return "the data's values and gradients"
	}
	s := "the data's values and gradients"
	if opts.Recipe.Teacher {
		s = "the teacher's values and gradients"
	}
	if r := opts.Recipe; r.HVPWeight > 0 {
		kind, k := r.HVPKind, r.HVPDirections
		if kind == mlp.PrincipalDirections {
			k = min(k, opts.Teacher.Inputs()) // as TrainModel uses them
		}
		s += fmt.Sprintf(", the teacher's Hessian-vector products along the all-ones and %d %s directions (weight %g)",
			k, kind, r.HVPWeight)
	}
	return s
}

// saveModel writes net to path unless ctx is cancelled.
func saveModel(ctx context.Context, path string, net *mlp.Network) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return onnx.Save(path, net)
}

// epochProgress returns the progress function of a training: a bar on w if
// it is a terminal, a line per epoch otherwise, nothing with quiet; done ends
// the bar.
func epochProgress(w io.Writer, name string, quiet bool) (progress func(mlp.Progress), done func()) {
	switch {
	case quiet:
		return nil, func() {}
	case isTerminal(w):
		var bar *progressbar.ProgressBar
		progress = func(p mlp.Progress) {
			if bar == nil {
				bar = newBar(w, p.Epochs, name)
			}
			bar.Describe(fmt.Sprintf("%s: loss %.3e", name, p.Train.Total))
			bar.Set(p.Epoch)
		}
		done = func() {
			if bar != nil {
				bar.Finish()
			}
		}
		return progress, done
	}
	progress = func(p mlp.Progress) {
		fmt.Fprintf(w, "sobolev %s: epoch %d/%d: loss %.3e, learning rate %.2e, %.1f s\n",
			name, p.Epoch, p.Epochs, p.Train.Total, p.LR, p.Elapsed.Seconds())
	}
	return progress, func() {}
}
