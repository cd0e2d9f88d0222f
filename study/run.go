package study

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/heston"
	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/results"
	"github.com/sobolev-pruning/sobolev/setting"
)

// Phase selects the work of a call of Run.
type Phase int

const (
	// PhaseAll trains the shard's large nets and runs its cells, training
	// any other large net a cell needs first.
	PhaseAll Phase = iota
	// PhaseLarge trains the shard's large nets only.
	PhaseLarge
	// PhaseCells runs the shard's cells; the large nets they start from
	// must exist.
	PhaseCells
)

var phaseNames = [...]string{PhaseAll: "all", PhaseLarge: "large", PhaseCells: "cells"}

// String returns the phase's name: "all", "large" or "cells".
func (p Phase) String() string { return setting.String("Phase", phaseNames[:], int(p)) }

// MarshalText returns the phase's name.
func (p Phase) MarshalText() ([]byte, error) { return setting.Marshal("Phase", phaseNames[:], int(p)) }

// UnmarshalText reads "all", "large" or "cells".
func (p *Phase) UnmarshalText(text []byte) error {
	return setting.Unmarshal(p, "phase", phaseNames[:], text)
}

// Options are the inputs of Run besides the study and its folder.
type Options struct {
	Shard Shard
	Phase Phase
	// Workers is the number of cells (or large nets) run at once, each on
	// one thread; 0 means runtime.GOMAXPROCS(0). The results do not depend
	// on it.
	Workers int
	// Log, if not nil, receives one line per large net and cell done.
	Log io.Writer
}

// Folder layout of a study.
const (
	configFile = "config.json"
	largeDir   = "large"
	cellsDir   = "cells"
)

// Offsets of a seed for the random streams of a cell, as in a run of
// package pipeline (its initialisation stream is seed + 1).
const seedInit = 1

// CellResult is what a cell writes to DIR/cells/<id>.json.
type CellResult struct {
	Cell Cell `json:"cell"`
	// Hidden is the shape of the cell's net.
	Hidden []int `json:"hidden"`
	// Layers is the pruning report per hidden layer (kept nodes, scores,
	// IASA over-estimation); empty for the scratch control.
	Layers []results.LayerPrune `json:"layers,omitempty"`
	// Checkpoints are the scores on the analytic test set after each of
	// the study's checkpoint epochs of fine-tuning.
	Checkpoints []Checkpoint `json:"checkpoints"`
	// Seconds is the cell's wall time (pruning and fine-tuning).
	Seconds float64 `json:"seconds"`
}

// Checkpoint is a cell's accuracy after Epoch epochs of fine-tuning.
type Checkpoint struct {
	Epoch  int            `json:"epoch"`
	Scores results.Scores `json:"scores"`
}

// LargeResult is what a large net's phase writes next to its model, to
// DIR/large/<id>.json.
type LargeResult struct {
	Large   Large          `json:"large"`
	Hidden  []int          `json:"hidden"`
	Scores  results.Scores `json:"scores"`
	Seconds float64        `json:"seconds"`
}

// Run does the work of shard opts.Shard of study c in folder dir: the large
// nets (DIR/large/<id>.onnx and .json) and the cells (DIR/cells/<id>.json),
// each file written atomically. Work whose file exists is skipped, so a
// re-run after an interruption resumes. The first call writes the study to
// DIR/config.json; a later call with another study refuses to mix them.
//
// Every large net and cell draws its random numbers from its own seed and
// trains on one thread, so the files are the same, bit for bit, whatever the
// sharding and opts.Workers. If ctx is cancelled, Run returns ctx.Err() at the
// next training batch; finished files stay.
func Run(ctx context.Context, c Config, dir string, opts Options) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := claim(c, dir); err != nil {
		return err
	}
	r := &runner{cfg: c, dir: dir, opts: opts, data: map[Large]*problemData{}}
	if opts.Phase != PhaseCells {
		larges := c.ShardLarges(opts.Shard)
		if err := r.parallel(ctx, len(larges), func(ctx context.Context, i int) error {
			defer r.drop(larges[i])
			return r.train(ctx, larges[i])
		}); err != nil {
			return err
		}
	}
	if opts.Phase == PhaseLarge {
		return nil
	}
	cells := c.ShardCells(opts.Shard)
	if opts.Phase == PhaseCells {
		if err := r.checkLarges(cells); err != nil {
			return err
		}
	}
	for _, cell := range cells {
		if !exists(r.cellPath(cell)) {
			r.todo++
		}
	}
	if skipped := len(cells) - r.todo; skipped > 0 {
		r.logf("study: %d of the shard's %d cells are done already; running the other %d", skipped, len(cells), r.todo)
	}
	// Group the cells by large net, so that one problem's data and large
	// net are in memory at a time.
	for _, l := range c.Larges() {
		var group []Cell
		for _, cell := range cells {
			if cell.Large() == l && !exists(r.cellPath(cell)) {
				group = append(group, cell)
			}
		}
		if len(group) == 0 {
			continue
		}
		err := r.train(ctx, l)
		if err == nil {
			err = r.load(l)
		}
		if err == nil {
			err = r.parallel(ctx, len(group), func(ctx context.Context, i int) error {
				return r.cell(ctx, group[i])
			})
		}
		r.drop(l)
		if err != nil {
			return err
		}
	}
	return nil
}

// claim creates dir and records c in DIR/config.json, or checks that the
// study recorded there is c.
func claim(c Config, dir string) error {
	for _, d := range []string{dir, filepath.Join(dir, largeDir), filepath.Join(dir, cellsDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("study: cannot create the study folder: %w", err)
		}
	}
	want, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	want = append(want, '\n')
	path := filepath.Join(dir, configFile)
	have, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(want); return err })
	case err != nil:
		return fmt.Errorf("study: %w", err)
	case !bytes.Equal(have, want):
		return fmt.Errorf("study: %s holds a study with another configuration (%s); give a new --out folder, or the same configuration to resume it", dir, path)
	}
	return nil
}

// LoadStudy reads the study recorded in dir by Run.
func LoadStudy(dir string) (Config, error) {
	path := filepath.Join(dir, configFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("study: %s is not a study folder (%w); run \"sobolev study --out %s\" first", dir, err, dir)
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, fmt.Errorf("study: %s: %v", path, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("study: %s: %w", path, err)
	}
	return c, nil
}

// runner holds the state of one Run.
type runner struct {
	cfg  Config
	dir  string
	opts Options

	mu    sync.Mutex
	data  map[Large]*problemData
	logMu sync.Mutex
	// done counts the cells finished in this Run, todo those it runs.
	done, todo int
}

// problemData are the data sets and the large net of one problem and seed,
// made once per Run.
type problemData struct {
	once        sync.Once
	err         error
	train, test *dataset.Set
	// dir is the direction of the problem's gamma (nil: all ones).
	dir []float64
	net *mlp.Network
	// labels are the large net's labels of the training set for the
	// fine-tuning, which every cell of the large net shares.
	labels *pipeline.TeacherLabels
	// prune holds the scores and mean activations of the large net, which
	// every size of a criterion shares.
	prune pipeline.PruneCache
}

func (r *runner) largePath(l Large) string {
	return filepath.Join(r.dir, largeDir, l.ID()+".onnx")
}

func (r *runner) cellPath(c Cell) string {
	return filepath.Join(r.dir, cellsDir, c.ID()+".json")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (r *runner) logf(format string, args ...any) {
	if r.opts.Log == nil {
		return
	}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(r.opts.Log, format+"\n", args...)
}

// parallel runs do(0 … n−1) on opts.Workers goroutines and returns the first
// error, cancelling the others.
func (r *runner) parallel(ctx context.Context, n int, do func(context.Context, int) error) error {
	workers := r.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := do(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// sets returns the data of large net l's problem and seed, made on first use.
func (r *runner) sets(l Large) *problemData {
	r.mu.Lock()
	d := r.data[l]
	if d == nil {
		d = &problemData{}
		r.data[l] = d
	}
	r.mu.Unlock()
	d.once.Do(func() {
		rc := r.cfg.runConfig(l.Problem, l.Seed)
		d.train, d.test, d.err = problemSets(l.Problem, rc)
		d.dir = rc.GammaDirection()
	})
	return d
}

// drop forgets the data of l.
func (r *runner) drop(l Large) {
	r.mu.Lock()
	delete(r.data, l)
	r.mu.Unlock()
}

// problemSets draws the training and test sets of problem p as the run
// configuration rc says.
func problemSets(p Problem, rc pipeline.Config) (train, test *dataset.Set, err error) {
	if p == Heston {
		hc := rc.Heston
		m := heston.Model{Params: hc.Params, Box: hc.Box, Seed: rc.Seed}
		tr, err := m.TrainingSampler(hc.TrainOptions)
		if err != nil {
			return nil, nil, err
		}
		te, err := m.TestSampler()
		if err != nil {
			return nil, nil, err
		}
		return tr.Fill(tr.NewSet(rc.Train)), te.Fill(te.NewSet(rc.Test)), nil
	}
	m, err := bachelier.NewPortfolio(p.Dims, p.Baskets, rc.Seed)
	if err != nil {
		return nil, nil, err
	}
	train = m.TrainingSet(rc.Train, bachelier.TrainOptions{Smoothing: rc.Smoothing})
	test = m.TestSet(rc.Test, false)
	return train, test, nil
}

// train trains large net l unless its file exists.
func (r *runner) train(ctx context.Context, l Large) error {
	path := r.largePath(l)
	if exists(path) {
		return nil
	}
	d := r.sets(l)
	if d.err != nil {
		return d.err
	}
	start := time.Now()
	rc := r.cfg.runConfig(l.Problem, l.Seed)
	net := mlp.New(l.Problem.Dims, rc.Large.Hidden, rc.Large.Activation)
	net.Init(mlp.XavierUniform, l.Seed+seedInit)
	_, err := pipeline.TrainModel(ctx, net, d.train, pipeline.TrainOptions{Recipe: rc.Large.TrainRecipe, Loss: mlp.Sobolev,
		Seed: l.Seed, FitNorm: true, Threads: 1}, nil)
	if err != nil {
		return fmt.Errorf("study: large net %s: %w", l.ID(), err)
	}
	res := LargeResult{Large: l, Hidden: net.Hidden(), Scores: pipeline.EvaluateAlong(net, d.test, d.dir), Seconds: time.Since(start).Seconds()}
	if err := writeJSON(filepath.Join(r.dir, largeDir, l.ID()+".json"), res); err != nil {
		return err
	}
	if err := onnx.Save(path, net); err != nil {
		return err
	}
	r.logf("large %s: R² value %.6f delta %.6f gamma %.6f, %.1f s", l.ID(), res.Scores.R2Value, res.Scores.R2Delta, res.Scores.R2Gamma, res.Seconds)
	return nil
}

// load reads large net l from its file (so that a net trained in this run and
// one trained by another shard are the same bits), makes its data and its
// labels for the fine-tuning.
func (r *runner) load(l Large) error {
	d := r.sets(l)
	if d.err != nil {
		return d.err
	}
	net, err := onnx.Load(r.largePath(l))
	if err != nil {
		return err
	}
	d.net = net
	d.labels = pipeline.NewTeacherLabelsAlong(net, d.train, r.cfg.Finetune, l.Seed, d.dir)
	return nil
}

// checkLarges reports the large nets cells need that do not exist.
func (r *runner) checkLarges(cells []Cell) error {
	var missing []string
	for _, l := range r.cfg.Larges() {
		need := slices.ContainsFunc(cells, func(c Cell) bool { return c.Large() == l && !exists(r.cellPath(c)) })
		if need && !exists(r.largePath(l)) {
			missing = append(missing, l.ID())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("study: phase cells needs the large nets %v, missing in %s; run --phase large first (every shard)", missing, filepath.Join(r.dir, largeDir))
	}
	return nil
}

// cell prunes (or trains from scratch), fine-tunes and evaluates one cell and
// writes its result.
func (r *runner) cell(ctx context.Context, c Cell) error {
	start := time.Now()
	d := r.sets(c.Large())
	rc := r.cfg.runConfig(c.Problem, c.Seed)
	res := CellResult{Cell: c}
	var net *mlp.Network
	fresh := c.Method == Scratch
	if fresh {
		net = mlp.New(c.Problem.Dims, prune.EvenSplit(c.Size, d.net.Hidden()), rc.Large.Activation)
		net.Init(mlp.XavierUniform, c.Seed+seedInit)
	} else {
		var crit prune.Criterion
		if err := crit.UnmarshalText([]byte(c.Method)); err != nil {
			return err
		}
		pc := rc.Prune
		pc.Criterion, pc.Keep = crit, c.Size
		pruned, rep, err := pipeline.PruneModel(ctx, d.net, d.train.X, pipeline.PruneOptions{Config: pc, Seed: c.Seed,
			Y: d.train.Y, DYDX: d.train.DYDX, Cache: &d.prune})
		if err != nil {
			return fmt.Errorf("study: cell %s: %w", c.ID(), err)
		}
		net, res.Layers = pruned, rep.Layers
	}
	res.Hidden = net.Hidden()
	checkpoints := r.cfg.Checkpoints
	record := func(epoch int) {
		res.Checkpoints = append(res.Checkpoints, Checkpoint{Epoch: epoch, Scores: pipeline.EvaluateAlong(net, d.test, d.dir)})
	}
	if checkpoints[0] == 0 {
		record(0) // for the control: the untrained net
	}
	if last := checkpoints[len(checkpoints)-1]; last > 0 {
		_, err := pipeline.TrainModel(ctx, net, d.train, pipeline.TrainOptions{Recipe: rc.Finetune, Loss: mlp.Sobolev, Teacher: d.net,
			Labels: d.labels, Direction: d.dir, Seed: c.Seed, FitNorm: fresh, Threads: 1}, func(p mlp.Progress) {
			if p.Epoch < last && slices.Contains(checkpoints, p.Epoch) {
				record(p.Epoch)
			}
		})
		if err != nil {
			return fmt.Errorf("study: cell %s: %w", c.ID(), err)
		}
		record(last)
	}
	res.Seconds = time.Since(start).Seconds()
	if err := writeJSON(r.cellPath(c), res); err != nil {
		return err
	}
	f := res.Checkpoints[len(res.Checkpoints)-1].Scores
	r.logMu.Lock()
	r.done++
	count := fmt.Sprintf("%d/%d", r.done, r.todo)
	r.logMu.Unlock()
	r.logf("cell %s %s: R² value %.6f delta %.6f gamma %.6f, %.1f s", count, c.ID(), f.R2Value, f.R2Delta, f.R2Gamma, res.Seconds)
	return nil
}

// writeJSON writes v as indented JSON to path, atomically.
func writeJSON(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
