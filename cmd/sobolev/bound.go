package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/bound"
	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// boundFlags are the options of "sobolev bound".
type boundFlags struct {
	model, box, direction string
	check                 string
	boxes, samples, depth int
	probes                int
	seed                  uint64
	json                  bool
}

// boundReport is what "sobolev bound --json" prints: enclosures as [lo, hi]
// and the ranges sampled at random points of the box.
type boundReport struct {
	Value       [2]float64   `json:"value"`
	Delta       [][2]float64 `json:"delta"`
	Gamma       [2]float64   `json:"gamma"`
	HessianDiag [][2]float64 `json:"hessian_diag"`
	Sampled     struct {
		Points      int          `json:"points"`
		Value       [2]float64   `json:"value"`
		Delta       [][2]float64 `json:"delta"`
		Gamma       [2]float64   `json:"gamma"`
		HessianDiag [][2]float64 `json:"hessian_diag"`
	} `json:"sampled"`
	Boxes int `json:"boxes"`
}

func newBoundCmd() *cobra.Command {
	f := boundFlags{boxes: 64, samples: 10000, depth: 12, probes: 64}
	cmd := &cobra.Command{
		Use:   "bound --model MODEL.onnx --box LO:HI[,LO:HI…]",
		Short: "Certified enclosures of a model's value, deltas, gamma and Hessian diagonal over a box",
		Long: `bound encloses, with outward rounding, every value, every delta ∂y/∂x_j, gamma
= vᵀ·H·v (v = --direction, or all ones) and every diagonal entry of the Hessian
that the ONNX model --model takes anywhere in --box: the recursions of
method.md §3 in interval arithmetic, on --subdivide pieces of the box
(bisected along their widest input) joined. The enclosures are guaranteed; beside them
the command prints the ranges sampled at --samples random points of the box
and the over-estimation (enclosure width ÷ sampled width), which shrinks as
--subdivide grows. --box is one lo:hi range for all inputs or one per input.
Activations: SiLU, Softplus and tanh (ReLU has no second derivative).

With --check delta>=0,gamma>=0 (either or both) it proves the shape of a call
price instead — increasing in every input, convex along --direction — by
bisecting the box until each piece is proved by its enclosures, or the model
violates the condition at the piece's midpoint (a counterexample, checked in
float64), or --depth halvings are reached; there it tries --probes random
points (drawn from --seed) for a counterexample before it calls the piece
undecided. It prints the proved and
refuted fractions of the box's volume, the counterexamples and the number of
undecided pieces: where a surrogate can produce arbitrage. delta[j]>=0 asks
it of input j (from 0) alone, e.g. the spot of a model whose inputs include
the strike. "sobolev run" checks every stage this way over its test box.`,
		Example: `  sobolev bound --model pruned.onnx --box 0.95:1.05
  sobolev bound --model pruned.onnx --box 0.9:1.1,0.9:1.1,1:1.2 --subdivide 1024 --json
  sobolev bound --model pruned.onnx --box 0.5:1.5 --check delta>=0,gamma>=0 --depth 16
  sobolev bound --model heston.onnx --box 0.7:1.3,0.01:0.09,0.25:2,0.8:1.2 \
      --direction 1,0,0,0 --check 'delta[0]>=0,gamma>=0'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBound(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "ONNX model (required)")
	fl.StringVar(&f.box, "box", "", "input box: lo:hi for all inputs, or lo:hi,lo:hi,… one per input (required)")
	fl.StringVar(&f.direction, "direction", "", "direction v of gamma = vᵀ·H·v, comma-separated, one entry per input; empty means all ones")
	fl.IntVar(&f.boxes, "subdivide", f.boxes, "pieces K the box is bisected into")
	fl.IntVar(&f.boxes, "boxes", f.boxes, "the same as --subdivide")
	if err := fl.MarkDeprecated("boxes", "use --subdivide"); err != nil {
		panic(err)
	}
	fl.IntVar(&f.samples, "samples", f.samples, "random points at which the ranges are sampled")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the sampled points and of the probes")
	fl.BoolVar(&f.json, "json", false, "print one JSON object instead of the table")
	fl.StringVar(&f.check, "check", "", "prove a shape instead: delta>=0 (or delta[j]>=0 for input j), gamma>=0, comma-separated")
	fl.IntVar(&f.depth, "depth", f.depth, "halvings of the box --check may make before it leaves a piece undecided")
	fl.IntVar(&f.probes, "probes", f.probes, "random points --check tries in each piece at the depth limit")
	for _, name := range []string{"model", "box"} {
		if err := cmd.MarkFlagRequired(name); err != nil {
			panic(err)
		}
	}
	return cmd
}

func runBound(cmd *cobra.Command, f boundFlags) error {
	net, err := loadModel("--model", f.model)
	if err != nil {
		return fmt.Errorf("bound: %w", err)
	}
	box, err := iasa.ParseBox(f.box, net.Inputs())
	if err != nil {
		return fmt.Errorf("bound: --box %q: %v", f.box, err)
	}
	if f.boxes < 1 {
		return fmt.Errorf("bound: --subdivide %d, want at least 1 piece", f.boxes)
	}
	opts := bound.Options{Boxes: f.boxes}
	if f.direction != "" {
		if opts.Direction, err = parseDirection(f.direction, net.Inputs()); err != nil {
			return fmt.Errorf("bound: --direction %q: %v", f.direction, err)
		}
	}
	if f.check != "" {
		return runCheck(cmd, f, net, box, opts)
	}
	smp, err := bound.Sample(net, box, opts, f.samples, f.seed)
	if err != nil {
		return boundError(err)
	}
	res, err := bound.Greeks(cmd.Context(), net, box, opts)
	if err != nil {
		return boundError(err)
	}
	rep := boundReportOf(res)
	s := boundReportOf(smp)
	rep.Sampled.Points, rep.Sampled.Value, rep.Sampled.Delta = f.samples, s.Value, s.Delta
	rep.Sampled.Gamma, rep.Sampled.HessianDiag = s.Gamma, s.HessianDiag
	if f.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeBoundTable(cmd.OutOrStdout(), rep)
}

// boundError names the command in err unless package bound did.
func boundError(err error) error {
	if strings.HasPrefix(err.Error(), "bound: ") {
		return err
	}
	return fmt.Errorf("bound: %w", err)
}

// boundReportOf converts the enclosures of res.
func boundReportOf(res *bound.Result) boundReport {
	pair := func(iv interval.Interval) [2]float64 { return [2]float64{iv.Lo, iv.Hi} }
	rep := boundReport{Value: pair(res.Value), Gamma: pair(res.Gamma), Boxes: res.Boxes}
	for j := range res.Delta {
		rep.Delta = append(rep.Delta, pair(res.Delta[j]))
		rep.HessianDiag = append(rep.HessianDiag, pair(res.HessianDiag[j]))
	}
	return rep
}

// writeBoundTable prints one row per enclosed quantity.
func writeBoundTable(w io.Writer, rep boundReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "quantity\tenclosure (certified)\tsampled at %d points\tover-estimation\n", rep.Sampled.Points)
	row := func(name string, enc, smp [2]float64) {
		ratio := "–"
		if d := smp[1] - smp[0]; d > 0 {
			ratio = fmt.Sprintf("%.3g", (enc[1]-enc[0])/d)
		}
		fmt.Fprintf(tw, "%s\t[%.9g, %.9g]\t[%.9g, %.9g]\t%s\n", name, enc[0], enc[1], smp[0], smp[1], ratio)
	}
	row("value", rep.Value, rep.Sampled.Value)
	for j := range rep.Delta {
		row(fmt.Sprintf("delta %d", j), rep.Delta[j], rep.Sampled.Delta[j])
	}
	row("gamma", rep.Gamma, rep.Sampled.Gamma)
	for j := range rep.HessianDiag {
		row(fmt.Sprintf("H[%d][%d]", j, j), rep.HessianDiag[j], rep.Sampled.HessianDiag[j])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d boxes; every enclosure contains the exact value at every point of the box\n", rep.Boxes)
	return err
}

// runCheck runs "bound --check" and prints its certificate.
func runCheck(cmd *cobra.Command, f boundFlags, net *mlp.Network, box []interval.Interval, opts bound.Options) error {
	var shape bound.Shape
	all := false
	for _, c := range strings.Split(f.check, ",") {
		cond := strings.ReplaceAll(strings.TrimSpace(c), " ", "")
		switch {
		case cond == "delta>=0":
			shape.DeltaNonneg, all = true, true
		case cond == "gamma>=0":
			shape.GammaNonneg = true
		case strings.HasPrefix(cond, "delta[") && strings.HasSuffix(cond, "]>=0"):
			j, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(cond, "delta["), "]>=0"))
			if err != nil || j < 0 || j >= net.Inputs() {
				return fmt.Errorf("bound: --check %q: condition %q names no input, want delta[j]>=0 with j from 0 to %d", f.check, c, net.Inputs()-1)
			}
			shape.DeltaNonneg = true
			shape.DeltaInputs = append(shape.DeltaInputs, j)
		default:
			return fmt.Errorf("bound: --check %q: condition %q, want delta>=0, delta[j]>=0 or gamma>=0", f.check, c)
		}
	}
	if all {
		shape.DeltaInputs = nil
	}
	opts.Probes, opts.Seed = f.probes, f.seed
	cert, err := bound.Check(cmd.Context(), net, box, shape, f.depth, opts)
	if err != nil {
		return boundError(err)
	}
	w := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Check           string      `json:"check"`
			Proved          float64     `json:"proved"`
			Refuted         float64     `json:"refuted"`
			RefutedBoxes    int         `json:"refuted_boxes"`
			Undecided       int         `json:"undecided_boxes"`
			Counterexamples [][]float64 `json:"counterexamples"`
			Boxes           int         `json:"boxes"`
		}{f.check, cert.Proved, cert.Refuted, cert.Refutations, len(cert.Undecided), cert.Counterexamples, cert.Boxes})
	}
	fmt.Fprintf(w, "sobolev bound --check %s: proved on %.4g%% of the box's volume, refuted on %.4g%% (%d pieces), %d pieces undecided at depth %d (%d pieces enclosed, %d probes at the depth limit)\n",
		f.check, 100*cert.Proved, 100*cert.Refuted, cert.Refutations, len(cert.Undecided), f.depth, cert.Boxes, f.probes)
	if len(cert.Counterexamples) < cert.Refutations {
		fmt.Fprintf(w, "  the first %d counterexamples, one per refuted piece:\n", len(cert.Counterexamples))
	}
	for _, x := range cert.Counterexamples {
		fmt.Fprintf(w, "  counterexample x = %v\n", x)
	}
	return nil
}
