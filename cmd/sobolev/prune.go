package main

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/internal/memlimit"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/results"
)

// pruneFlags are the options of "sobolev prune".
type pruneFlags struct {
	model, data, out, box string
	cfg                   pipeline.PruneConfig
	seed                  uint64
	maxMemory             memlimit.Size
}

func newPruneCmd() *cobra.Command {
	f := pruneFlags{cfg: pipeline.Default().Prune}
	cmd := &cobra.Command{
		Use:   "prune --model MODEL.onnx (--data FILE | --box LO:HI) --keep N --out PRUNED.onnx",
		Short: "Prune a trained MLP with interval adjoint significance analysis (IASA)",
		Long: `prune removes all but --keep hidden nodes of the ONNX model --model with IASA
(method.md §5) and saves the smaller net to --out. Any ONNX MLP that "sobolev"
reads works: its own models and PyTorch or JAX exports.

The domain the surrogate must serve is covered by --boxes small boxes of
half-width --box-radius standard deviations of each input, centred on points of
the --data file (a .npz or .csv file; only its inputs x are used, except by
--criterion sobolev-taylor) or, with --box, on points drawn uniformly from that
box. --box is one lo:hi range for all inputs or a comma-separated list with one
range per input; with --box, --data is needed only by --fold mean (and
--criterion sobolev-taylor).

On every box --method encloses each hidden node's value and adjoint (quadratic
and affine forms, zonotopes or plain intervals); a node's significance is its
value range times its largest adjoint, combined over the boxes by --combine.
The --keep most significant nodes are kept (by default split evenly over the
layers, --quota even); every removed node is replaced by a constant folded
into the next layer's bias: its mean activation over --data, the midpoint of
its enclosure or zero (--fold).

--criterion chooses how the nodes are scored: iasa (the default, as above),
iasa-plain (the same with plain intervals, the paper's own method, whatever
--method says), or one of the baselines of method.md §7: magnitude (ℓ1 norms
of a node's incoming and outgoing weights), random (uniform scores drawn from
--seed), taylor (mean |adjoint × (activation − its mean)| over the --data
points, or over --boxes points of the --box domain), obd (Optimal Brain
Damage: half the mean of (adjoint × (activation − its mean))², over the same
points) or sobolev-taylor (mean over batches of 256 --data rows of the
first-order change of the Sobolev loss, value and gradient terms, when the node
is replaced by its mean; it needs --data with labels y and dydx). --quota
shares the kept nodes among the layers: global, even, or per-layer with
--keep-per-layer 24,12,…

The command prints, per hidden layer, the width, the nodes kept, and how much
the enclosures over-estimate the ranges of values and adjoints (enclosure width
÷ range sampled on the box, median over the layer's nodes) for --method and for
plain intervals. The model file appears only when complete; an interruption
(Ctrl-C) leaves no file behind.`,
		Example: `  sobolev prune --model large.onnx --data data/train.npz --keep 48 --out pruned.onnx
  sobolev prune --model large.onnx --data data/train.npz --keep 24 --method naive --fold midpoint --out naive.onnx
  sobolev prune --model torch.onnx --box 0.5:1.5 --fold zero --keep 32 --out pruned.onnx
  sobolev prune --model large.onnx --data data/train.npz --criterion sobolev-taylor --keep 48 --out sobolev-taylor.onnx
  sobolev prune --model large.onnx --data data/train.npz --criterion magnitude --quota per-layer --keep-per-layer 16,8,8,8,4,4 --out magnitude.onnx
  sobolev prune --model large.onnx --box 0.3:1.7,0.3:1.7,0.8:1.2 --data data/train.npz --boxes 1024 --box-radius 0.1 --out pruned.onnx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPrune(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "ONNX model to prune (required)")
	fl.StringVar(&f.data, "data", "", "data whose points centre the boxes and give the mean fold, .npz or .csv\n(--criterion sobolev-taylor also reads its labels y and dydx)")
	fl.StringVar(&f.out, "out", "", "ONNX file to write (required)")
	fl.IntVar(&f.cfg.Keep, "keep", f.cfg.Keep, "hidden nodes to keep, over all layers (--quota even or global)")
	fl.Var(widthsFlag{&f.cfg.KeepPerLayer}, "keep-per-layer", "hidden nodes to keep in each layer, comma-separated (--quota per-layer)")
	textVar(fl, &f.cfg.Criterion, "criterion", "how nodes are scored, IASA significance or a baseline of method.md §7")
	fl.StringVar(&f.box, "box", "", "domain box instead of the data's points: lo:hi for all inputs, or lo:hi,lo:hi,… one per input")
	textVar(fl, &f.cfg.Method, "method", "IASA's enclosure (naive: plain intervals)")
	fl.IntVar(&f.cfg.Boxes, "boxes", f.cfg.Boxes, "number of small boxes")
	fl.Float64Var(&f.cfg.BoxRadius, "box-radius", f.cfg.BoxRadius, "half-width of the small boxes, in standard deviations of each input")
	textVar(fl, &f.cfg.Fold, "fold", "constant replacing a removed node (mean: its mean activation over --data)")
	textVar(fl, &f.cfg.Combine, "combine", "how a node's IASA significances on the boxes combine")
	textVar(fl, &f.cfg.Quota, "quota", "global: the --keep most significant nodes over all layers (at least one per layer);\neven: --keep split evenly over the hidden layers; per-layer: --keep-per-layer")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the choice of boxes and of the over-estimation samples")
	addMaxMemoryFlag(cmd, &f.maxMemory)
	for _, name := range []string{"model", "out"} {
		if err := cmd.MarkFlagRequired(name); err != nil {
			panic(err)
		}
	}
	return cmd
}

func runPrune(cmd *cobra.Command, f pruneFlags) error {
	p := f.cfg
	if err := flagError(p.Validate(), pruneFlag); err != nil {
		return fmt.Errorf("prune: %v", err)
	}
	switch {
	case f.data == "" && p.Criterion == prune.BySobolevTaylor:
		return fmt.Errorf("prune: --criterion %s needs --data with dydx labels (the Sobolev loss is over the training data)", p.Criterion)
	case f.data == "" && f.box == "" && (p.Criterion.IASA() || p.Criterion == prune.ByTaylor || p.Criterion == prune.ByOBD):
		return fmt.Errorf("prune: give --data (points to score around) or --box (a domain box) to --criterion %s", p.Criterion)
	case f.data == "" && p.Fold == prune.FoldMean:
		return fmt.Errorf("prune: --fold mean needs --data (the mean activations over its points); use --fold midpoint or zero with --box alone")
	}
	if err := checkOut(f.out, inputFile{"--model", f.model}, inputFile{"--data", f.data}); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	net, err := loadModel("--model", f.model)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	if len(net.Hidden()) == 0 {
		return fmt.Errorf("prune: --model %s has no hidden layers to prune", f.model)
	}
	if err := flagError(p.ValidateFor(net), pruneFlag); err != nil {
		return fmt.Errorf("prune: %v (--model %s)", err, f.model)
	}
	opts := pipeline.PruneOptions{Config: p, Seed: f.seed}
	if f.box != "" {
		if opts.Domain, err = iasa.ParseBox(f.box, net.Inputs()); err != nil {
			return fmt.Errorf("prune: --box %q: %v", f.box, err)
		}
	}
	mem := memoryCheck{name: "prune", max: f.maxMemory, setting: flagSetting(cmd, map[string]string{
		"data": "data", "method": "method", "boxes": "boxes"}, false)}
	var x []float64
	var held pipeline.MemoryEstimate
	if f.data != "" {
		if err := mem.check(dataFileMemory(f.data), 0); err != nil {
			return err
		}
		data, err := loadData(cmd, f.data, net, f.model)
		if err != nil {
			return fmt.Errorf("prune: %w", err)
		}
		x, held = data.X, setMemory(data, f.data)
		opts.Y, opts.DYDX = data.Y, data.DYDX
	}
	if err := mem.check(append(held, pipeline.PruneMemory(net, len(x)/net.Inputs(), opts)...), held.Bytes()); err != nil {
		return err
	}
	pruned, rep, err := pipeline.PruneModel(cmd.Context(), net, x, opts)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	if err := saveModel(cmd.Context(), f.out, pruned); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	stdout := cmd.OutOrStdout()
	if err := writePruneTable(stdout, rep); err != nil {
		return err
	}
	where := "around points of " + f.data
	if f.box != "" {
		where = "in the --box domain"
	}
	fmt.Fprintf(stdout, "\nsobolev prune: wrote %s: %s\n", f.out, describe(pruned))
	if rep.Method != "" {
		fmt.Fprintf(stdout, "  criterion %s, %s on %d boxes %s, fold %s, %.2f s\n", rep.Criterion, rep.Method, rep.Boxes, where, rep.Fold, rep.Seconds)
	} else {
		fmt.Fprintf(stdout, "  criterion %s, fold %s, %.2f s\n", rep.Criterion, rep.Fold, rep.Seconds)
	}
	return nil
}

// writePruneTable prints the per-layer table of a pruning and its totals.
func writePruneTable(w io.Writer, rep *results.PruneReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	iasa := rep.Method != "" // the other criteria have no enclosures
	if iasa {
		fmt.Fprintf(tw, "layer\twidth\tkept\tvalue over-est. (%s)\tadjoint over-est. (%s)\tvalue over-est. (naive)\t\n", rep.Method, rep.Method)
	} else {
		fmt.Fprintf(tw, "layer\twidth\tkept\t\n")
	}
	width, kept := 0, 0
	for _, l := range rep.Layers {
		if iasa {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t\n", l.Layer, l.Width, len(l.Kept),
				overEst(l.OverValue), overEst(l.OverAdjoint), overEst(l.NaiveOverValue))
		} else {
			fmt.Fprintf(tw, "%d\t%d\t%d\t\n", l.Layer, l.Width, len(l.Kept))
		}
		width += l.Width
		kept += len(l.Kept)
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t\n", width, kept)
	return tw.Flush()
}

// overEst formats an over-estimation ratio, "–" where it is not defined (not
// measured, or NaN as for the adjoints of the last hidden layer, which are
// constant).
func overEst(m results.Metric) string {
	if math.IsNaN(float64(m)) {
		return "–"
	}
	return fmt.Sprintf("%.3g", float64(m))
}
