package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/heston"
	"github.com/sobolev-pruning/sobolev/pipeline"
)

// hestonFlags are the options of "sobolev data heston".
type hestonFlags struct {
	cfg heston.DataConfig
	out string
	// box holds --spot, --v0, --maturity and --strike, in column order.
	box [heston.Inputs][]float64
}

// newDataHestonCmd returns "data heston"; progress lines are printed at most
// once per progressEvery.
func newDataHestonCmd(progressEvery time.Duration) *cobra.Command {
	def := pipeline.Default()
	f := hestonFlags{cfg: heston.DefaultDataConfig()}
	f.cfg.Train, f.cfg.Test, f.cfg.Seed = def.Train, def.Test, def.Seed
	cmd := &cobra.Command{
		Use:   "heston --out DIR",
		Short: "Heston call: training and test sets of spot, v0, maturity and strike",
		Long: `heston writes data sets of a European call under the Heston model at zero
interest rate, dS = √v·S·dW₁, dv = κ(θ − v)dt + ξ√v·dW₂, d⟨W₁, W₂⟩ = ρdt, as a
function of four inputs in this column order: spot S₀, initial variance v₀,
maturity T (years) and strike K. Into --out it writes:

  train.npz  --train samples: inputs x drawn uniformly from the box widened by
             --widening (N×4), a label y of one path with --steps steps (the
             average of an antithetic pair with --antithetic), and its
             derivatives dydx with respect to all four inputs (N×4), carried
             along the path in forward mode, and gamma = ∂²y/∂S₀² (N).
             --labels mixing (default): the variance path of a moment-matched
             volatility scheme, and the call's expected payoff given that
             path (Black's formula); --labels pathwise: the full-truncation
             Euler scheme in log-spot and the payoff of the path, smoothed as
             h·log(1+exp((S_T−K)/h)) with --smoothing h > 0 (0 keeps the call
             payoff and writes no gamma)
  test.npz   --test points drawn uniformly from the box, with the semi-analytic
             price y (Lewis' Fourier integral), its gradient dydx (N×4) and
             gamma = ∂²V/∂S₀² (N)
  spec.json  the parameters, the boxes, the scheme and the options

With the default parameters the Feller condition 2κθ ≥ ξ² fails; this is
allowed and stated. Pathwise labels in v₀ and T then have heavy tails (single
labels thousands of times their mean); mixing labels do not.
The same flags give the same files, bit for bit. Samples are generated and
written block by block; the files appear only once all are complete, and an
interruption (Ctrl-C) leaves none behind.`,
		Example: `  sobolev data heston --out data
  sobolev data heston --train 131072 --test 4096 --seed 0 --out data
  sobolev data heston --xi 0.3 --maturity 0.5,1 --steps 128 --out data
  sobolev data heston --labels pathwise --steps 64 --out data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDataHeston(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr(), progressEvery)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.cfg.Train, "train", f.cfg.Train, "number of training samples (Monte Carlo paths)")
	fl.IntVar(&f.cfg.Test, "test", f.cfg.Test, "number of semi-analytic test points")
	fl.Uint64Var(&f.cfg.Seed, "seed", f.cfg.Seed, "seed of both data sets")
	fl.StringVar(&f.out, "out", "", "output directory, created if missing (required)")
	fl.Float64Var(&f.cfg.Kappa, "kappa", f.cfg.Kappa, "mean-reversion speed κ of the variance, per year (> 0)")
	fl.Float64Var(&f.cfg.Theta, "theta", f.cfg.Theta, "long-run variance θ, per year (> 0)")
	fl.Float64Var(&f.cfg.Xi, "xi", f.cfg.Xi, "volatility of the variance ξ (> 0)")
	fl.Float64Var(&f.cfg.Rho, "rho", f.cfg.Rho, "correlation ρ of spot and variance (−1 < ρ < 1)")
	usage := [heston.Inputs]string{"spots S₀", "initial variances v₀ (per year)", "maturities T (years)", "strikes K"}
	for j, name := range heston.InputNames() {
		f.box[j] = []float64{f.cfg.Box[j][0], f.cfg.Box[j][1]}
		fl.Float64SliceVar(&f.box[j], name, f.box[j], "interval lo,hi of the test "+usage[j])
	}
	textVar(fl, &f.cfg.Labels, "labels", "scheme and labels of the training samples (mixing: Black's price given a\nvariance path; pathwise: the smoothed payoff of a full-truncation Euler path)")
	fl.IntVar(&f.cfg.Steps, "steps", f.cfg.Steps, "time steps of each path, dt = T/steps")
	fl.Float64Var(&f.cfg.Smoothing, "smoothing", f.cfg.Smoothing, "width h of the smoothed payoff h·log(1+exp((S_T−K)/h)) of pathwise labels;\n0 keeps the call payoff (S_T−K)⁺ and writes no gamma in train.npz")
	fl.Float64Var(&f.cfg.Widening, "widening", f.cfg.Widening, "the training box extends each interval [lo, hi] by widening·(hi−lo) on both sides")
	fl.BoolVar(&f.cfg.Antithetic, "antithetic", f.cfg.Antithetic, "average each training sample over a path and its antithetic twin")
	fl.IntVar(&f.cfg.Paths, "paths", f.cfg.Paths, "average each training sample's labels over this many independent paths (pairs with --antithetic)")
	if err := cmd.MarkFlagRequired("out"); err != nil {
		panic(err)
	}
	return cmd
}

// runDataHeston validates f and writes the data folder.
func runDataHeston(ctx context.Context, f hestonFlags, stdout, stderr io.Writer, progressEvery time.Duration) error {
	for j, name := range heston.InputNames() {
		if len(f.box[j]) != 2 {
			return fmt.Errorf("data heston: --%s has %d values, want two: lo,hi", name, len(f.box[j]))
		}
		f.cfg.Box[j] = [2]float64(f.box[j])
	}
	if err := flagError(f.cfg.Validate(), func(key string) string { return key }); err != nil {
		return fmt.Errorf("data heston: %v", err)
	}
	if note := f.cfg.Params.Feller(); note != "" {
		fmt.Fprintf(stderr, "sobolev data: note: %s\n", note)
	}
	files := bachelier.FolderFiles(f.out)
	err := writeDataFolder(f.out, func(staged bachelier.DataFiles) error {
		p := progress{w: stderr, every: progressEvery, last: time.Now()}
		return heston.WriteData(ctx, staged, f.cfg, p.update)
	})
	if err != nil {
		return fmt.Errorf("data heston: %w", err)
	}
	fmt.Fprintf(stdout, "sobolev data: wrote %s (%d samples), %s (%d points) and %s\n",
		files.Train, f.cfg.Train, files.Test, f.cfg.Test, files.Spec)
	return nil
}
