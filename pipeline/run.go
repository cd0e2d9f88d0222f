package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/bound"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/heston"
	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/results"
)

// Stage names, in the order Run makes them.
const (
	StageLargeMSE       = "large-mse"
	StageLargeSobolev   = "large-sobolev"
	StagePruned         = "pruned"
	StagePrunedMSE      = "pruned-mse-ft"
	StagePrunedSobolev  = "pruned-sobolev-ft"
	StageScratchSobolev = "scratch-sobolev"
	stageCount          = 6
)

// Offsets of Config.Seed for the independent random streams of a run.
const (
	seedStreamInit       = 1
	seedStreamTrain      = 2
	seedStreamBoxes      = 3
	seedStreamDirections = 4
	seedStreamCertify    = 5
)

// Hooks lets a caller watch a run. Every field may be nil.
type Hooks struct {
	// Log receives one line per event (stage started, finished, scores);
	// the same lines go to OUT/run.log.
	Log io.Writer
	// Epoch is called after every training epoch of a stage.
	Epoch func(stage string, p mlp.Progress)
	// IASA is called while the pruning stage analyses its boxes, with the
	// number of boxes done and the total.
	IASA func(done, total int)
	// StageStart is called when a stage begins, with its number (1-based)
	// and the number of stages.
	StageStart func(stage string, i, total int)
}

// Run performs the experiment of cfg (method.md §1): it generates the data
// of cfg.Pricer (the Bachelier basket, or the Heston call), trains the large net with MSE and with the Sobolev loss,
// prunes the Sobolev net with IASA, fine-tunes the pruned net with MSE and
// with the Sobolev loss, trains the small control net from scratch, and
// evaluates every model on the analytic test set, gamma along
// cfg.GammaDirection(), and, unless cfg.Certify.Depth is 0, checks its
// shape over the test box (results.Certificate). It writes into out:
//
//	data/train.npz, data/test.npz, data/spec.json   the datasets
//	models/<stage>.onnx                            one model per stage
//	models/<stage>.greeks.onnx                     the same with its greeks as outputs (gamma along the gamma direction)
//	results.json                                   the returned results.Run
//	run.log                                        the log lines
//
// Every file is written atomically. If ctx is cancelled, Run stops within a
// second in every stage (at the next block of samples, training batch or step
// of the IASA analysis) and returns ctx.Err(); files already written are
// complete, and results.json and run.log are not written.
func Run(ctx context.Context, cfg Config, out string, h Hooks) (*results.Run, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %v", err)
	}
	for _, dir := range []string{out, filepath.Join(out, "data"), filepath.Join(out, "models")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("cannot create output directory: %w", err)
		}
	}
	start := time.Now()
	var logBuf strings.Builder
	logf := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...) + "\n"
		logBuf.WriteString(line)
		if h.Log != nil {
			io.WriteString(h.Log, line)
		}
	}
	r := &runner{cfg: cfg, out: out, hooks: h, logf: logf}
	res, err := r.all(ctx)
	if err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	logf("total %.1f s", res.Seconds)
	if err := res.Write(filepath.Join(out, "results.json")); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(out, "run.log"), func(w io.Writer) error {
		_, err := io.WriteString(w, logBuf.String())
		return err
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// runner holds the state shared by the stages of one Run.
type runner struct {
	cfg   Config
	out   string
	hooks Hooks
	logf  func(format string, args ...any)

	n           int
	dir         []float64           // the gamma direction, nil for 1ᵀH1
	box         []interval.Interval // the test box, raw units
	shape       bound.Shape         // what the certificates check
	check       string              // the shape's name in results and the log
	train, test *dataset.Set
	res         results.Run
	stageNo     int
}

func (r *runner) all(ctx context.Context) (*results.Run, error) {
	cfg := r.cfg
	rec := cfg.recorded()
	raw, err := json.Marshal(&rec)
	if err != nil {
		return nil, err
	}
	r.dir = cfg.GammaDirection()
	r.res = results.Run{Config: raw, Backend: results.Backend{BLAS: mlp.BLASBackend(), Eval: mlp.EvalKernel()}}
	if cfg.Pricer == PricerHeston {
		r.res.Inputs, r.res.GammaDirection = heston.InputNames(), r.dir
		h := cfg.Heston
		r.logf("sobolev run: Heston call κ = %g, θ = %g, ξ = %g, ρ = %g, %d steps, %d training samples, %d test points, seed %d",
			h.Kappa, h.Theta, h.Xi, h.Rho, h.Steps, cfg.Train, cfg.Test, cfg.Seed)
		if note := h.Params.Feller(); note != "" {
			r.logf("note: %s", note)
		}
	} else {
		r.logf("sobolev run: Bachelier basket n = %d, %d training samples, %d test points, seed %d",
			cfg.Dims, cfg.Train, cfg.Test, cfg.Seed)
	}
	r.logf("backend: BLAS %s, evaluation kernel %s", r.res.Backend.BLAS, r.res.Backend.Eval)
	if err := r.data(ctx); err != nil {
		return nil, err
	}

	act := cfg.Large.Activation
	newLarge := func() *mlp.Network {
		net := mlp.New(r.n, cfg.Large.Hidden, act)
		net.Init(mlp.XavierUniform, cfg.Seed+seedStreamInit)
		return net
	}
	large := newLarge()
	if err := r.trainStages(ctx,
		trainJob{name: StageLargeMSE, net: newLarge(), fresh: true, recipe: cfg.LargeMSE, loss: mlp.MSE},
		trainJob{name: StageLargeSobolev, net: large, fresh: true, recipe: cfg.Large.TrainRecipe, loss: mlp.Sobolev},
	); err != nil {
		return nil, err
	}

	pruned, err := r.prune(ctx, large)
	if err != nil {
		return nil, err
	}
	scratch := mlp.New(r.n, cfg.scratchHidden(pruned), act)
	scratch.Init(mlp.XavierUniform, cfg.Seed+seedStreamInit)
	if err := r.trainStages(ctx,
		trainJob{name: StagePrunedMSE, net: pruned.Clone(), recipe: cfg.Finetune, loss: mlp.MSE},
		trainJob{name: StagePrunedSobolev, net: pruned.Clone(), recipe: cfg.Finetune, loss: mlp.Sobolev, teacher: large},
		trainJob{name: StageScratchSobolev, net: scratch, fresh: true, recipe: cfg.Finetune, loss: mlp.Sobolev, teacher: large},
	); err != nil {
		return nil, err
	}
	return &r.res, nil
}

// data makes the model of the run's pricer, the training and the test set,
// and writes them to OUT/data.
func (r *runner) data(ctx context.Context) error {
	files := bachelier.FolderFiles(filepath.Join(r.out, "data"))
	if r.cfg.Pricer == PricerHeston {
		if err := heston.WriteData(ctx, files, r.cfg.hestonConfig(), nil); err != nil {
			return err
		}
		r.n = heston.Inputs
		for _, iv := range r.cfg.Heston.Box {
			r.box = append(r.box, interval.New(iv[0], iv[1]))
		}
		// A call's price increases and is convex in the spot; it decreases
		// in the strike.
		r.shape = bound.Shape{DeltaNonneg: true, DeltaInputs: []int{0}, GammaNonneg: true}
		r.check = "delta[" + heston.InputNames()[0] + "]>=0,gamma>=0"
	} else {
		m, err := bachelier.WriteData(ctx, files, r.cfg.dataConfig(), nil)
		if err != nil {
			return err
		}
		r.n = m.Dims()
		lo, hi := m.TestBox()
		for range r.n {
			r.box = append(r.box, interval.New(lo, hi))
		}
		// Calls on baskets of positive weights: increasing in every spot,
		// convex along every direction.
		r.shape = bound.Shape{DeltaNonneg: true, GammaNonneg: true}
		r.check = "delta>=0,gamma>=0"
	}
	var err error
	if r.train, err = dataset.Load(files.Train); err != nil {
		return err
	}
	r.test, err = dataset.Load(files.Test)
	return err
}

// trainJob is one training stage of a run.
type trainJob struct {
	name string
	net  *mlp.Network
	// fresh says that net is newly initialised, so its normalisation is
	// fitted to the data first.
	fresh   bool
	recipe  TrainRecipe
	loss    mlp.LossKind
	teacher *mlp.Network
}

// trainStages trains the jobs concurrently, at most GOMAXPROCS at a time,
// each on one thread, so that the results do not depend on the number of
// cores; then it records the stages in the order of jobs. If one job fails,
// the others are cancelled and the first error is returned.
func (r *runner) trainStages(ctx context.Context, jobs ...trainJob) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stages := make([]results.Stage, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	var hookMu sync.Mutex
	for i, job := range jobs {
		r.begin(job.name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			var progress func(mlp.Progress)
			if r.hooks.Epoch != nil {
				progress = func(p mlp.Progress) {
					hookMu.Lock()
					defer hookMu.Unlock()
					r.hooks.Epoch(job.name, p)
				}
			}
			opts := TrainOptions{Recipe: job.recipe, Loss: job.loss, Teacher: job.teacher,
				Seed: r.cfg.Seed, FitNorm: job.fresh, Threads: 1, Direction: r.dir}
			hist, err := TrainModel(ctx, job.net, r.train, opts, progress)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", job.name, err)
				cancel(errs[i])
				return
			}
			stages[i], err = r.finish(ctx, job.name, job.net, time.Since(start))
			if err != nil {
				errs[i] = fmt.Errorf("%s: shape certificate: %w", job.name, err)
				cancel(errs[i])
				return
			}
			stages[i].History = historyOf(hist)
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		for _, e := range errs {
			if e != nil {
				return e
			}
		}
		return err
	}
	for i, job := range jobs {
		if err := r.record(stages[i], job.net); err != nil {
			return err
		}
	}
	return nil
}

// prune prunes the large net with PruneModel and records the pruned stage.
func (r *runner) prune(ctx context.Context, large *mlp.Network) (*mlp.Network, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.begin(StagePruned)
	start := time.Now()
	pruned, rep, err := PruneModel(ctx, large, r.train.X, PruneOptions{Config: r.cfg.Prune, Y: r.train.Y, DYDX: r.train.DYDX,
		Seed: r.cfg.Seed, Progress: r.hooks.IASA})
	if err != nil {
		return nil, err
	}
	// over formats an over-estimation ratio, "–" where it is not defined
	// (NaN, as for the adjoints of the last hidden layer, which are constant).
	over := func(m results.Metric) string {
		if m != m {
			return "–"
		}
		return fmt.Sprintf("%.3g", float64(m))
	}
	for _, l := range rep.Layers {
		if rep.Method == "" { // a criterion without enclosures
			r.logf("  layer %d: kept %3d of %3d by %s", l.Layer, len(l.Kept), l.Width, rep.Criterion)
			continue
		}
		r.logf("  layer %d: kept %3d of %3d, over-estimation %s value %s adjoint %s (naive value %s)",
			l.Layer, len(l.Kept), l.Width, rep.Method, over(l.OverValue), over(l.OverAdjoint), over(l.NaiveOverValue))
	}
	r.res.IASA = rep
	st, err := r.finish(ctx, StagePruned, pruned, time.Since(start))
	if err != nil {
		return nil, fmt.Errorf("%s: shape certificate: %w", StagePruned, err)
	}
	return pruned, r.record(st, pruned)
}

func (r *runner) begin(name string) {
	r.stageNo++
	r.logf("[%d/%d] %s", r.stageNo, stageCount, name)
	if r.hooks.StageStart != nil {
		r.hooks.StageStart(name, r.stageNo, stageCount)
	}
}

// finish evaluates net on the test set, checks its shape and returns its
// stage record.
func (r *runner) finish(ctx context.Context, name string, net *mlp.Network, elapsed time.Duration) (results.Stage, error) {
	st := results.Stage{
		Stage:       name,
		HiddenNodes: net.HiddenNodes(),
		Parameters:  net.NumParams(),
		Hidden:      append([]int(nil), net.Hidden()...),
		Scores:      EvaluateAlong(net, r.test, r.dir),
		Seconds:     elapsed.Seconds(),
		Model:       filepath.Join("models", name+".onnx"),
		GreeksModel: filepath.Join("models", name+".greeks.onnx"),
	}
	var err error
	st.Certificate, err = r.certify(ctx, net)
	return st, err
}

// certify checks the shape of net over the test box with bound.Check, to
// depth cfg.Certify.Depth; it returns nil if the depth is 0.
func (r *runner) certify(ctx context.Context, net *mlp.Network) (*results.Certificate, error) {
	depth := r.cfg.Certify.Depth
	if depth == 0 {
		return nil, nil
	}
	start := time.Now()
	c, err := bound.Check(ctx, net, r.box, r.shape, depth, bound.Options{Direction: r.dir,
		Probes: r.cfg.Certify.Probes, Seed: r.cfg.Seed + seedStreamCertify})
	if err != nil {
		return nil, err
	}
	return &results.Certificate{Check: r.check, Proved: c.Proved, Refuted: c.Refuted,
		Undecided: max(0, 1-c.Proved-c.Refuted), Counterexamples: c.Refutations,
		Boxes: c.Boxes, Depth: depth, Probes: r.cfg.Certify.Probes, Seconds: time.Since(start).Seconds()}, nil
}

// record saves the stage's model and appends the stage to the results.
func (r *runner) record(st results.Stage, net *mlp.Network) error {
	if err := onnx.Save(filepath.Join(r.out, st.Model), net); err != nil {
		return err
	}
	if err := onnx.SaveGreeks(filepath.Join(r.out, st.GreeksModel), net, onnx.GreeksOptions{Direction: r.dir}); err != nil {
		return err
	}
	if r.res.Inputs == nil {
		r.logf("  %s: %d hidden nodes, %d parameters, R² value %.6f delta %.6f gamma %.6f, %.1f s",
			st.Stage, st.HiddenNodes, st.Parameters, st.R2Value, st.R2Delta, st.R2Gamma, st.Seconds)
	} else {
		var d strings.Builder
		for j, f := range st.Deltas {
			fmt.Fprintf(&d, " ∂%s %.6f", r.res.Inputs[j], f.R2)
		}
		r.logf("  %s: %d hidden nodes, %d parameters, R² value %.6f delta%s gamma %.6f, %.1f s",
			st.Stage, st.HiddenNodes, st.Parameters, st.R2Value, d.String(), st.R2Gamma, st.Seconds)
	}
	if c := st.Certificate; c != nil {
		r.logf("    shape %s over the test box: proved on %.1f%% of its volume, refuted on %.1f%% (%d counterexamples), undecided on %.1f%%; %d boxes to depth %d, %d probes, %.1f s",
			c.Check, 100*c.Proved, 100*c.Refuted, c.Counterexamples, 100*c.Undecided, c.Boxes, c.Depth, c.Probes, c.Seconds)
	}
	r.res.Stages = append(r.res.Stages, st)
	return nil
}
