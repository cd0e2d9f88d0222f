package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sobolev-pruning/sobolev/internal/memlimit"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/report"
	"github.com/sobolev-pruning/sobolev/results"
)

// runFlags are the options of "sobolev run".
type runFlags struct {
	out, config       string
	dims, baskets     int
	train, epochs     int
	keep              int
	seed              uint64
	preset            pipeline.Preset
	pricer            pipeline.Pricer
	quick, noProgress bool
	force             bool
	maxMemory         memlimit.Size
}

func newRunCmd() *cobra.Command {
	var f runFlags
	def, quick := pipeline.Default(), pipeline.Quick()
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the default experiment: data, large nets, IASA pruning, fine-tuning, evaluation",
		Long: fmt.Sprintf(`run performs the experiment of method.md on the Bachelier basket option: it
generates training data (one antithetic Monte Carlo path per sample, pathwise
gradient labels) and an analytic test set, trains a large %s %s net with
MSE and with the Sobolev loss, prunes the Sobolev net with IASA to %d hidden
nodes, fine-tunes the pruned net with MSE and with the Sobolev loss (with the
large net's Hessian-vector products as second-order labels), trains a net of
the pruned net's shape from scratch with the same loss as a control, and prints
R² of the value, the deltas and gamma (1ᵀH1) of every stage.

--pricer heston runs the same stages on a European call under the Heston
model (see "sobolev data heston"): four inputs spot, v0, maturity and strike,
mixing labels of a moment-matched variance scheme (heston.labels: pathwise for
the full-truncation Euler scheme's payoff), semi-analytic test set;
the table then gives R² of each input's delta, and gamma is ∂²V/∂S₀². Its
model and labels are the "heston" section of --config; --dims and --baskets
do not apply.`, layers(def.Large.Hidden), activationName(def.Large.Activation), def.Prune.Keep) + `

It writes into --out:

  results.json        the table below plus training curves, IASA per-layer
                      figures and the full configuration
  models/<stage>.onnx one ONNX model per stage (raw spots in, raw price out)
  data/               train.npz, test.npz and spec.json
  run.log             the log printed while running
  report/index.html   a web page with the table and plots (see "sobolev report")
  .sobolev-run.json   the list of these files, which marks a finished run

The run is built in a temporary folder and moved into --out only when it is
complete: an interrupted or failed run leaves --out as it was, and no
temporary folder. A missing --out is created; an empty one, or a finished
run, is replaced. Any other --out is refused unless --force: then the run
replaces only the files sobolev wrote there and never touches the others.

Every setting has a built-in default; --config names a YAML file whose keys
override them (see "pipeline.Config" for the keys), and the flags below
override both. Before it starts, run estimates the memory the job needs and
refuses it if more than is available (or than --max-memory). Ctrl-C
(SIGINT), SIGTERM and SIGHUP stop the run within a second, leave --out as it
was and exit with 130, 143 and 129.`,
		Example: `  sobolev run
  sobolev run --quick --out /tmp/try
  sobolev run --dims 10 --train 16384 --epochs 150 --keep 64 --seed 1
  sobolev run --baskets 4 --out portfolio
  sobolev run --pricer heston --out heston
  sobolev run --config experiment.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.resolve(cmd)
			if err != nil {
				return err
			}
			mem := memoryCheck{name: "run", max: f.maxMemory, setting: runSetting(cmd)}
			if err := mem.check(cfg.Memory(), 0); err != nil {
				return err
			}
			return runPipeline(cmd, cfg, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "sobolev-out", "output directory, created if missing")
	fl.StringVar(&f.config, "config", "", "YAML file overriding the built-in configuration")
	fl.BoolVar(&f.force, "force", false, "build the run in an --out folder that is neither empty nor a finished run,\nreplacing only the files sobolev wrote there and keeping the others")
	fl.IntVar(&f.dims, "dims", def.Dims, "number of assets n")
	fl.IntVar(&f.baskets, "baskets", max(def.Baskets, 1), "number k of basket calls on the assets whose portfolio is priced (1: the single basket call)")
	textVar(fl, &f.pricer, "pricer", "reference problem: the Bachelier basket, or the Heston call (inputs spot, v0,\nmaturity, strike)")
	fl.IntVar(&f.train, "train", def.Train, "number of training samples")
	fl.IntVar(&f.epochs, "epochs", def.Large.Epochs, fmt.Sprintf("passes over the training data of both large nets (without it: %d Sobolev, %d MSE)", def.Large.Epochs, def.LargeMSE.Epochs))
	fl.IntVar(&f.keep, "keep", def.Prune.Keep, "hidden nodes kept by pruning")
	fl.Uint64Var(&f.seed, "seed", def.Seed, "seed of every random choice")
	textVar(fl, &f.preset, "preset", "built-in configuration that --config and the flags change (quick: a smaller run\nfor trying the tool out; paper: the authors' published training settings, slower)")
	fl.BoolVar(&f.quick, "quick", false, fmt.Sprintf("--preset quick: %d samples, large nets %s trained %d epochs, %d nodes kept,\nfine-tuning %d epochs",
		quick.Train, layers(quick.Large.Hidden), quick.Large.Epochs, quick.Prune.Keep, quick.Finetune.Epochs))
	fl.BoolVar(&f.noProgress, "no-progress", false, "do not draw progress bars")
	addMaxMemoryFlag(cmd, &f.maxMemory)
	return cmd
}

// layers describes hidden widths as "6 × 128" if they are all equal, as
// "64,32" otherwise.
func layers(hidden []int) string {
	for _, w := range hidden {
		if w != hidden[0] {
			return joinInts(hidden)
		}
	}
	return fmt.Sprintf("%d × %d", len(hidden), hidden[0])
}

// activationName returns the usual spelling of an activation's name.
func activationName(a mlp.Activation) string {
	if a == mlp.SiLU {
		return "SiLU"
	}
	return a.String()
}

// runSetting names the settings of run's memory estimate by the flag that
// set them, or else by their key in the configuration.
func runSetting(cmd *cobra.Command) func(pipeline.MemoryPart) (string, string) {
	flags := map[string]string{}
	for _, key := range []string{"dims", "train", "large.epochs", "prune.keep"} {
		flags[key] = runFlag(key)
	}
	return flagSetting(cmd, flags, true)
}

// resolve builds the configuration: the preset, then the YAML file,
// then the flags that were set.
func (f runFlags) resolve(cmd *cobra.Command) (pipeline.Config, error) {
	preset := f.preset
	if f.quick {
		if cmd.Flags().Changed("preset") && preset != pipeline.PresetQuick {
			return pipeline.Config{}, fmt.Errorf("run: --quick is --preset quick, but --preset is %s; give one of them", preset)
		}
		preset = pipeline.PresetQuick
	}
	cfg := preset.Config()
	if f.config != "" {
		var err error
		if cfg, err = pipeline.LoadConfig(f.config, cfg); err != nil {
			return cfg, err
		}
	}
	set := cmd.Flags().Changed
	if set("pricer") {
		cfg.Pricer = f.pricer
	}
	if cfg.Pricer == pipeline.PricerHeston {
		for _, name := range []string{"dims", "baskets"} {
			if set(name) {
				return cfg, fmt.Errorf("run: --%s is a setting of the Bachelier basket; the Heston pricer has 4 inputs (spot, v0, maturity, strike): drop --%s", name, name)
			}
		}
	}
	if set("dims") {
		cfg.Dims = f.dims
	}
	if set("baskets") {
		cfg.Baskets = f.baskets
	}
	if set("train") {
		cfg.Train = f.train
	}
	if set("epochs") {
		cfg.Large.Epochs, cfg.LargeMSE.Epochs = f.epochs, f.epochs
	}
	if set("keep") {
		cfg.Prune.Keep = f.keep
	}
	if set("seed") {
		cfg.Seed = f.seed
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("run: %v", flagError(err, func(key string) string {
			if fl := runFlag(key); fl != "" && set(fl) {
				return fl
			}
			return ""
		}))
	}
	return cfg, nil
}

func runPipeline(cmd *cobra.Command, cfg pipeline.Config, f runFlags) error {
	out, err := openRunOut(f.out, f.force, f.config)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer out.discard()
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	hooks := pipeline.Hooks{Log: stdout}
	if !f.noProgress && isTerminal(stderr) {
		bar := newBar(stderr, cfg.TotalEpochs(), "training")
		// Stages train concurrently; the pipeline calls Epoch from one
		// goroutine at a time.
		hooks.Epoch = func(stage string, p mlp.Progress) {
			bar.Describe(fmt.Sprintf("%-18s epoch %3d/%d loss %.3e", stage, p.Epoch, p.Epochs, p.Train.Total))
			bar.Add(1)
		}
		var iasaBar *progressbar.ProgressBar
		hooks.IASA = func(done, total int) {
			if iasaBar == nil {
				iasaBar = newBar(stderr, total, "IASA boxes")
			}
			iasaBar.Set(done)
			if done == total {
				iasaBar.Finish()
			}
		}
		defer bar.Finish()
	}
	res, err := pipeline.Run(cmd.Context(), cfg, out.build, hooks)
	if err != nil {
		return err
	}
	if err := report.WriteAs(cmd.Context(), out.build, f.out); err != nil {
		return err
	}
	// Once the run is complete, it is moved into place even if a signal
	// comes now: that takes milliseconds and leaves no mix of two runs.
	if err := out.commit(); err != nil {
		return fmt.Errorf("run: --out %s: %w", f.out, err)
	}
	fmt.Fprintln(stdout)
	results.WriteTable(stdout, res)
	fmt.Fprintf(stdout, "\nwrote %s, %s, %s, %s and %s\n", filepath.Join(f.out, "results.json"),
		filepath.Join(f.out, "models"), filepath.Join(f.out, "data"), filepath.Join(f.out, "run.log"),
		report.IndexPath(f.out))
	return nil
}

// newBar returns a progress bar on w counting to max.
func newBar(w io.Writer, max int, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30))
}

// isTerminal reports whether w is a terminal, where progress bars make sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
