package mlp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"
)

// TrainData is a training or validation set in raw units: N samples of a
// network with n inputs, row-major.
type TrainData struct {
	// X holds the inputs, shape (N, n).
	X []float64
	// Y holds the value labels, shape (N).
	Y []float64
	// DYDX holds the gradient labels ∂y/∂x, shape (N, n), or is nil.
	DYDX []float64
	// HV holds labels of Hessian-vector products H·v, shape (N, K, n), along
	// the directions Dirs: either K directions shared by all samples, shape
	// (K, n), or K per sample, shape (N, K, n). Both are nil without a
	// second-order term. K = len(HV)/(N·n).
	Dirs, HV []float64
}

// HessVecLabels returns the Hessian-vector products of net at the rows of x,
// shape (N, n), along the K directions dirs shared by all rows, shape (K, n),
// all in raw units, laid out as TrainData.HV, shape (N, K, n):
//
//	hv[(r·K + k)·n + i] = Σ_j ∂²y/∂x_i∂x_j (x_r) · dirs[k·n + j]
//
// With net a large teacher these are the second-order labels of distillation
// (method.md §4). HessVecLabels panics if len(x) or len(dirs) is not a
// multiple of n = net.Inputs().
func HessVecLabels(net *Network, x, dirs []float64) []float64 {
	n := net.Inputs()
	if len(dirs)%n != 0 {
		panic(errHessVecDirs)
	}
	rows, k := len(x)/n, len(dirs)/n
	hv := make([]float64, rows*k*n)
	tmp := make([]float64, len(x))
	e := NewEvaluator(net)
	for d := 0; d < k; d++ {
		e.EvalHessVec(nil, nil, tmp, x, dirs[d*n:(d+1)*n])
		for row := 0; row < rows; row++ {
			copy(hv[(row*k+d)*n:(row*k+d+1)*n], tmp[row*n:(row+1)*n])
		}
	}
	return hv
}

const errHessVecDirs = "mlp: HessVecLabels: len(dirs) is not a multiple of net.Inputs()"

// TrainConfig configures Train.
type TrainConfig struct {
	// Epochs is the number of passes over the training samples, ≥ 1.
	Epochs int
	// BatchSize is the number of samples per optimiser step, ≥ 1; the last
	// batch of an epoch may be smaller. A BatchSize above the number of
	// training samples means full-batch training.
	BatchSize int
	// LR is the learning-rate schedule over all optimiser steps of the run.
	LR Schedule
	// Loss holds the loss weights. The zero value means SobolevWeights(n)
	// if the data have gradient labels and LossWeights{Value: 1} (plain MSE)
	// otherwise. A nil Lambda with gradient labels means λ_j = 1/mean(dydx_n,j²)
	// over the normalised training labels (after the validation split), as
	// FitSobolevWeights computes it.
	Loss LossWeights
	// Adam configures the optimiser.
	Adam AdamConfig
	// Seed seeds the PCG generator of the validation split and the per-epoch
	// shuffles; the initial weights are the caller's (see Network.Init).
	Seed uint64
	// ValFraction, in [0, 1), is the fraction of the data held out (chosen at
	// random by Seed) for validation when Val is nil.
	ValFraction float64
	// Val is a held-out validation set; if not nil, ValFraction must be 0.
	Val *TrainData
	// RestoreBest restores, at the end of the run, the parameters of the
	// epoch with the lowest validation loss. It needs validation data.
	RestoreBest bool
	// Patience, if > 0, stops training after Patience epochs without a new
	// lowest validation loss. It needs validation data.
	Patience int
	// Threads is the number of goroutines each batch is split over (see
	// Workspace); 0 means runtime.GOMAXPROCS(0). Results are bit-for-bit
	// reproducible for a given Threads, so set it to reproduce a run on a
	// machine with another core count.
	Threads int
}

// EpochStats are the losses of one epoch (see Loss for the parts).
type EpochStats struct {
	// Epoch counts from 1.
	Epoch int
	// Train is the mean over the epoch's batches (weighted by batch size) of
	// the batch losses, each taken before its optimiser step. Its Grad part
	// is 0 when the gradient weight is 0 (that pass is skipped in training),
	// and likewise HVP.
	Train Loss
	// Val is the loss over the validation set after the epoch, with every
	// part whose labels the set has; HasVal reports whether there is one.
	Val    Loss
	HasVal bool
	// LR is the learning rate of the epoch's last step.
	LR float64
}

// History records a training run.
type History struct {
	Epochs []EpochStats
	// Best indexes Epochs at the lowest validation loss, or is −1 without
	// validation.
	Best int
	// Restored reports whether the parameters were restored to Best's.
	Restored bool
	// EarlyStopped reports whether Patience ended the run.
	EarlyStopped bool
	// Weights are the loss weights used, with Lambda filled in from the data.
	Weights LossWeights
	// Threads is the number of goroutines each batch was split over.
	Threads int
}

// Progress is passed to Train's progress function after each epoch.
type Progress struct {
	EpochStats
	// Epochs is the configured number of epochs.
	Epochs int
	// Elapsed is the wall time since Train started.
	Elapsed time.Duration
}

// ErrDiverged is returned, wrapped, by Train when the loss or a parameter
// became NaN or infinite.
var ErrDiverged = errors.New("mlp: training diverged")

// Train fits net's parameters to data with the Sobolev loss (method.md §4) by
// Adam over shuffled mini-batches, starting from net's current parameters and
// keeping its normalisation (see FitNormalization and Init for a run from
// scratch). Labels are converted to normalised units once:
//
//	y_n = (y − YMean)/YScale,  dydx_n = dydx·XScale/YScale,
//	v_n = v/XScale,  hv_n = hv·XScale/YScale.
//
// The run is deterministic: the same net, data, config, thread count and
// build give bit-identical parameters. progress, if not nil, is called after
// each epoch.
//
// Train returns an error, leaving net unchanged, for malformed data (no
// samples, shape mismatches, non-finite values), an invalid config, or a loss
// weight without labels. If ctx is cancelled, Train stops before the next
// batch and returns the epochs completed so far with ctx.Err(); net then holds
// the parameters after the last completed step. If training diverges, Train
// restores the parameters of the start of that epoch and returns an error
// wrapping ErrDiverged.
func Train(ctx context.Context, net *Network, data TrainData, cfg TrainConfig, progress func(Progress)) (History, error) {
	hist := History{Best: -1}
	start := time.Now()
	if err := net.Validate(); err != nil {
		return hist, err
	}
	all, err := normalizeData(net, data, "training data")
	if err != nil {
		return hist, err
	}
	threads, err := cfg.check()
	if err != nil {
		return hist, err
	}
	adam, err := NewAdam(net.NumParams(), cfg.Adam)
	if err != nil {
		return hist, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7a11))
	trainIdx, val, valIdx, err := splitValidation(net, all, cfg, rng)
	if err != nil {
		return hist, err
	}
	hasVal := valIdx != nil
	if (cfg.RestoreBest || cfg.Patience > 0) && !hasVal {
		return hist, errors.New("mlp: RestoreBest and Patience need validation data (Val or ValFraction)")
	}
	w, err := resolveWeights(cfg.Loss, all, data.DYDX, net.Norm, trainIdx)
	if err != nil {
		return hist, err
	}
	if hasVal && ((w.Grad != 0 && val.d == nil) || (w.HVP != 0 && val.hv == nil)) {
		return hist, errors.New("mlp: validation data lack the labels of a loss term with non-zero weight")
	}
	hist.Weights, hist.Threads = w, threads

	tr := newTrainer(net, all, trainIdx, w, cfg, adam, max(all.k, val.k), threads)
	params := net.Params.Flat
	var best []float64
	if cfg.RestoreBest {
		best = make([]float64, len(params))
	}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		rng.Shuffle(len(trainIdx), func(i, j int) { trainIdx[i], trainIdx[j] = trainIdx[j], trainIdx[i] })
		st, err := tr.epoch(ctx, epoch)
		if err != nil {
			return hist, err
		}
		st.HasVal = hasVal
		if hasVal {
			st.Val = evalLoss(net, tr.ws, tr.buf, val, valIdx, tr.bs, w)
			if hist.Best < 0 || st.Val.Total < hist.Epochs[hist.Best].Val.Total {
				hist.Best = len(hist.Epochs)
				copy(best, params)
			}
		}
		hist.Epochs = append(hist.Epochs, st)
		if progress != nil {
			progress(Progress{EpochStats: st, Epochs: cfg.Epochs, Elapsed: time.Since(start)})
		}
		if cfg.Patience > 0 && len(hist.Epochs)-1-hist.Best >= cfg.Patience {
			hist.EarlyStopped = true
			break
		}
	}
	if cfg.RestoreBest {
		copy(params, best)
		hist.Restored = true
	}
	return hist, nil
}

// check returns an error if c is invalid, and otherwise the number of
// threads c means (Threads, or GOMAXPROCS for 0).
func (c TrainConfig) check() (int, error) {
	switch {
	case c.Epochs < 1:
		return 0, fmt.Errorf("mlp: %d epochs, want ≥ 1", c.Epochs)
	case c.BatchSize < 1:
		return 0, fmt.Errorf("mlp: batch size %d, want ≥ 1", c.BatchSize)
	case !(c.ValFraction >= 0 && c.ValFraction < 1):
		return 0, fmt.Errorf("mlp: validation fraction %v, want in [0, 1)", c.ValFraction)
	case c.Val != nil && c.ValFraction != 0:
		return 0, errors.New("mlp: both a validation set and a validation fraction given")
	case c.Patience < 0:
		return 0, fmt.Errorf("mlp: patience %d, want ≥ 0", c.Patience)
	case c.Threads < 0:
		return 0, fmt.Errorf("mlp: %d threads, want ≥ 0", c.Threads)
	}
	threads := c.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if err := c.LR.Validate(); err != nil {
		return 0, err
	}
	return threads, nil
}

// splitValidation returns the training samples of all (their indices) and
// the validation set with its samples: a random fraction cfg.ValFraction of
// all, drawn with rng, or all of cfg.Val. Without validation valIdx is nil
// (and val is all).
func splitValidation(net *Network, all *normSet, cfg TrainConfig, rng *rand.Rand) (trainIdx []int, val *normSet, valIdx []int, err error) {
	trainIdx, val = seq(all.size), all
	if cfg.ValFraction > 0 {
		nv := int(math.Round(cfg.ValFraction * float64(all.size)))
		if nv < 1 || nv >= all.size {
			return nil, nil, nil, fmt.Errorf("mlp: validation fraction %v of %d samples leaves %d for validation and %d for training, want ≥ 1 each",
				cfg.ValFraction, all.size, nv, all.size-nv)
		}
		perm := rng.Perm(all.size)
		valIdx, trainIdx = perm[:nv], perm[nv:]
	}
	if cfg.Val != nil {
		if val, err = normalizeData(net, *cfg.Val, "validation data"); err != nil {
			return nil, nil, nil, err
		}
		if val.k != all.k && val.hv != nil && all.hv != nil {
			return nil, nil, nil, fmt.Errorf("mlp: validation data have %d directions per sample, training data %d", val.k, all.k)
		}
		valIdx = seq(val.size)
	}
	return trainIdx, val, valIdx, nil
}

// trainer holds the state of the optimiser steps of one Train run.
type trainer struct {
	net      *Network
	all      *normSet
	trainIdx []int // the training samples of all, in this epoch's order
	w        LossWeights
	lr       Schedule
	adam     *Adam
	// ws and buf are the scratch of batches of at most bs samples.
	ws  *Workspace
	buf *batchBuf
	bs  int
	// grad is the parameter gradient of a batch, epochStart the parameters
	// at the start of the current epoch.
	grad, epochStart []float64
	// step counts the optimiser steps taken, of steps in all.
	step, steps int
}

// newTrainer returns the trainer of net on the samples trainIdx of all, with
// scratch for k directions per sample and threads goroutines per batch.
func newTrainer(net *Network, all *normSet, trainIdx []int, w LossWeights, cfg TrainConfig, adam *Adam, k, threads int) *trainer {
	bs := min(cfg.BatchSize, len(trainIdx))
	return &trainer{
		net: net, all: all, trainIdx: trainIdx, w: w, lr: cfg.LR, adam: adam,
		ws: NewWorkspace(net, bs, k, threads), buf: newBatchBuf(bs, all.n, k), bs: bs,
		grad: make([]float64, net.NumParams()), epochStart: make([]float64, net.NumParams()),
		steps: cfg.Epochs * ((len(trainIdx) + bs - 1) / bs),
	}
}

// epoch takes one optimiser step per batch of the training samples, in the
// order of t.trainIdx, and returns the epoch's Epoch, Train and LR. If the
// loss or a parameter becomes non-finite, it restores the parameters of the
// start of the epoch and returns an error wrapping ErrDiverged; if ctx is
// cancelled, it returns ctx.Err() before the next batch.
func (t *trainer) epoch(ctx context.Context, epoch int) (EpochStats, error) {
	params := t.net.Params.Flat
	copy(t.epochStart, params)
	st := EpochStats{Epoch: epoch}
	for lo := 0; lo < len(t.trainIdx); lo += t.bs {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		idx := t.trainIdx[lo:min(lo+t.bs, len(t.trainIdx))]
		bt := t.all.gather(t.buf, idx, t.w.Grad != 0, t.w.HVP != 0)
		clear(t.grad)
		loss := t.net.SobolevLoss(t.grad, t.ws, bt, t.w)
		if !finite(loss.Total) {
			copy(params, t.epochStart)
			return st, fmt.Errorf("%w in epoch %d (batch loss %v); parameters restored to the start of the epoch",
				ErrDiverged, epoch, loss.Total)
		}
		st.LR = t.lr.Rate(t.step, t.steps)
		t.adam.Step(params, t.grad, st.LR)
		t.step++
		st.Train = addLoss(st.Train, loss, float64(len(idx))/float64(len(t.trainIdx)))
	}
	if i := firstNonFinite(params); i >= 0 {
		copy(params, t.epochStart)
		return st, fmt.Errorf("%w in epoch %d (parameter %d is %v); parameters restored to the start of the epoch",
			ErrDiverged, epoch, i, params[i])
	}
	return st, nil
}

// addLoss returns acc + f·l, part by part.
func addLoss(acc, l Loss, f float64) Loss {
	return Loss{
		Value: acc.Value + f*l.Value,
		Grad:  acc.Grad + f*l.Grad,
		HVP:   acc.HVP + f*l.HVP,
		Total: acc.Total + f*l.Total,
	}
}

// evalLoss returns the loss of net over the samples idx of set, in batches of
// at most bs, with every part whose labels set has.
func evalLoss(net *Network, ws *Workspace, buf *batchBuf, set *normSet, idx []int, bs int, w LossWeights) Loss {
	var sum Loss
	for lo := 0; lo < len(idx); lo += bs {
		part := idx[lo:min(lo+bs, len(idx))]
		l := net.SobolevLoss(nil, ws, set.gather(buf, part, set.d != nil, set.hv != nil), w)
		sum = addLoss(sum, l, float64(len(part))/float64(len(idx)))
	}
	return sum
}

// seq returns [0, 1, …, n−1].
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// normSet is a data set converted to normalised units.
type normSet struct {
	size, n, k int
	x, y, d    []float64 // (N, n), (N), (N, n) or nil
	dirs, hv   []float64 // (K, n) if shared else (N, K, n); (N, K, n); or nil
	shared     bool
}

// normalizeData checks data against net and converts it to normalised units.
func normalizeData(net *Network, data TrainData, name string) (*normSet, error) {
	n := net.Inputs()
	N := len(data.Y)
	s := &normSet{size: N, n: n}
	switch {
	case N == 0:
		return nil, fmt.Errorf("mlp: %s: no samples (Y is empty)", name)
	case len(data.X) != N*n:
		return nil, fmt.Errorf("mlp: %s: X has %d values, want %d (%d samples × %d inputs)", name, len(data.X), N*n, N, n)
	case data.DYDX != nil && len(data.DYDX) != N*n:
		return nil, fmt.Errorf("mlp: %s: DYDX has %d values, want %d (%d samples × %d inputs)", name, len(data.DYDX), N*n, N, n)
	case (data.Dirs == nil) != (data.HV == nil):
		return nil, fmt.Errorf("mlp: %s: Dirs and HV must be given together", name)
	}
	if data.HV != nil {
		s.k = len(data.HV) / (N * n)
		switch {
		case s.k == 0 || len(data.HV) != N*s.k*n:
			return nil, fmt.Errorf("mlp: %s: HV has %d values, want a multiple ≥ 1 of %d (%d samples × %d inputs)",
				name, len(data.HV), N*n, N, n)
		case len(data.Dirs) == s.k*n:
			s.shared = true
		case len(data.Dirs) != N*s.k*n:
			return nil, fmt.Errorf("mlp: %s: Dirs has %d values, want %d (shared) or %d (per sample) for %d directions",
				name, len(data.Dirs), s.k*n, N*s.k*n, s.k)
		}
	}
	for _, f := range []struct {
		v    []float64
		name string
	}{{data.X, "X"}, {data.Y, "Y"}, {data.DYDX, "DYDX"}, {data.Dirs, "Dirs"}, {data.HV, "HV"}} {
		if i := firstNonFinite(f.v); i >= 0 {
			return nil, fmt.Errorf("mlp: %s: %s[%d] is %v", name, f.name, i, f.v[i])
		}
	}
	nm := net.Norm
	s.x = make([]float64, N*n)
	for i, v := range data.X {
		s.x[i] = (v - nm.XMean[i%n]) / nm.XScale[i%n]
	}
	s.y = make([]float64, N)
	for i, v := range data.Y {
		s.y[i] = (v - nm.YMean) / nm.YScale
	}
	// Gradient-like labels scale by XScale/YScale, directions by 1/XScale.
	gradLike := func(v []float64) []float64 {
		if v == nil {
			return nil
		}
		out := make([]float64, len(v))
		for i, g := range v {
			out[i] = g * nm.XScale[i%n] / nm.YScale
		}
		return out
	}
	s.d, s.hv = gradLike(data.DYDX), gradLike(data.HV)
	if data.Dirs != nil {
		s.dirs = make([]float64, len(data.Dirs))
		for i, v := range data.Dirs {
			s.dirs[i] = v / nm.XScale[i%n]
		}
	}
	for _, f := range []struct {
		v    []float64
		name string
	}{{s.x, "X"}, {s.y, "Y"}, {s.d, "DYDX"}, {s.dirs, "Dirs"}, {s.hv, "HV"}} {
		if i := firstNonFinite(f.v); i >= 0 {
			return nil, fmt.Errorf("mlp: %s: %s[%d] overflows when normalised", name, f.name, i)
		}
	}
	return s, nil
}

// batchBuf holds one batch's rows gathered from a normSet.
type batchBuf struct {
	x, y, d, dirs, hv []float64
}

func newBatchBuf(b, n, k int) *batchBuf {
	return &batchBuf{
		x: make([]float64, b*n), y: make([]float64, b), d: make([]float64, b*n),
		dirs: make([]float64, b*k*n), hv: make([]float64, b*k*n),
	}
}

// gather copies the samples idx of s into buf and returns them as a Batch,
// with gradient labels if grad and second-order labels if hvp (and s has
// them).
func (s *normSet) gather(buf *batchBuf, idx []int, grad, hvp bool) Batch {
	n, k, b := s.n, s.k, len(idx)
	bt := Batch{X: buf.x[:b*n], Y: buf.y[:b]}
	for r, i := range idx {
		copy(bt.X[r*n:(r+1)*n], s.x[i*n:(i+1)*n])
		bt.Y[r] = s.y[i]
	}
	if grad && s.d != nil {
		bt.DYDX = buf.d[:b*n]
		for r, i := range idx {
			copy(bt.DYDX[r*n:(r+1)*n], s.d[i*n:(i+1)*n])
		}
	}
	if hvp && s.hv != nil {
		m := k * n
		bt.Dirs, bt.HV = buf.dirs[:b*m], buf.hv[:b*m]
		for r, i := range idx {
			if s.shared {
				copy(bt.Dirs[r*m:(r+1)*m], s.dirs)
			} else {
				copy(bt.Dirs[r*m:(r+1)*m], s.dirs[i*m:(i+1)*m])
			}
			copy(bt.HV[r*m:(r+1)*m], s.hv[i*m:(i+1)*m])
		}
	}
	return bt
}

// resolveWeights fills in the defaults of w for the set s (see
// TrainConfig.Loss), with λ from the samples idx of its raw gradient labels
// dydx under the normalisation norm, and checks it.
func resolveWeights(w LossWeights, s *normSet, dydx []float64, norm Normalization, idx []int) (LossWeights, error) {
	n := s.n
	if w.Value == 0 && w.Grad == 0 && w.HVP == 0 && w.Lambda == nil && w.Mu == nil {
		if s.d != nil {
			w = SobolevWeights(n)
		} else {
			w = LossWeights{Value: 1}
		}
	}
	for _, c := range []struct {
		v    float64
		name string
	}{{w.Value, "value"}, {w.Grad, "gradient"}, {w.HVP, "HVP"}} {
		if !(c.v >= 0) || math.IsInf(c.v, 0) {
			return w, fmt.Errorf("mlp: %s loss weight %v, want finite and ≥ 0", c.name, c.v)
		}
	}
	switch {
	case w.Value == 0 && w.Grad == 0 && w.HVP == 0:
		return w, errors.New("mlp: all loss weights are 0")
	case w.Grad != 0 && s.d == nil:
		return w, errors.New("mlp: gradient loss weight without gradient labels (DYDX)")
	case w.HVP != 0 && s.hv == nil:
		return w, errors.New("mlp: HVP loss weight without Hessian-vector labels (Dirs, HV)")
	case w.Lambda != nil && len(w.Lambda) != n:
		return w, fmt.Errorf("mlp: %d gradient weights λ, want %d (one per input)", len(w.Lambda), n)
	case w.Mu != nil && len(w.Mu) != s.k:
		return w, fmt.Errorf("mlp: %d HVP weights μ, want %d (one per direction)", len(w.Mu), s.k)
	}
	for _, v := range append(append([]float64(nil), w.Lambda...), w.Mu...) {
		if !(v >= 0) || math.IsInf(v, 0) {
			return w, fmt.Errorf("mlp: loss weight λ or μ is %v, want finite and ≥ 0", v)
		}
	}
	w.Lambda = append([]float64(nil), w.Lambda...)
	w.Mu = append([]float64(nil), w.Mu...)
	if len(w.Mu) == 0 {
		w.Mu = nil
	}
	if len(w.Lambda) == 0 {
		w.Lambda = nil
		if s.d != nil {
			var err error
			if w.Lambda, err = gradientWeights(dydx, norm, idx); err != nil {
				return w, fmt.Errorf("%w; set LossWeights.Lambda", err)
			}
		}
	}
	return w, nil
}
