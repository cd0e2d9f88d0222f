package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/results"
)

// PruneOptions are the inputs of PruneModel besides the net and the data.
type PruneOptions struct {
	Config PruneConfig
	// Domain, if not nil, is the input box the surrogate must serve, one
	// interval per input (raw units); the small boxes are then centred on
	// Config.Boxes points drawn uniformly from it instead of on data points.
	Domain []interval.Interval
	// Y and DYDX are the labels of the rows of x (raw units): the values,
	// shape (N), and the gradients ∂y/∂x, shape (N, n), the net was trained
	// on. Only the sobolev-taylor criterion reads them, and it needs both.
	Y, DYDX []float64
	// Seed drives the choice of boxes and the over-estimation samples.
	Seed uint64
	// Progress, if not nil, is called with the number of boxes analysed and
	// the total.
	Progress func(done, total int)
	// Cache, if not nil, keeps the node scores and the mean activations for
	// other prunings of the same net with the same x, labels, domain, seed
	// and Config apart from Keep, KeepPerLayer and Quota (say, to several
	// sizes): they are computed once per criterion. The pruned nets are the
	// same, bit for bit, as without a cache.
	Cache *PruneCache
}

// PruneCache holds the work PruneModel shares between prunings of one net
// (PruneOptions.Cache). Its zero value is empty and ready to use; it is safe
// for concurrent use, and a second pruning that needs scores being computed
// waits for them.
type PruneCache struct {
	mu     sync.Mutex
	scores map[prune.Criterion]*cached[nodeScores]
	mean   cached[[][]float64]
}

// cached is a value computed once.
type cached[T any] struct {
	once sync.Once
	v    T
	err  error
}

// get returns the cached value, computing it with f on first use.
func (c *cached[T]) get(f func() (T, error)) (T, error) {
	c.once.Do(func() { c.v, c.err = f() })
	return c.v, c.err
}

// nodeScores returns the scores of criterion c, computed by f once.
func (pc *PruneCache) nodeScores(c prune.Criterion, f func() (nodeScores, error)) (nodeScores, error) {
	if pc == nil {
		return f()
	}
	pc.mu.Lock()
	if pc.scores == nil {
		pc.scores = map[prune.Criterion]*cached[nodeScores]{}
	}
	e := pc.scores[c]
	if e == nil {
		e = &cached[nodeScores]{}
		pc.scores[c] = e
	}
	pc.mu.Unlock()
	sc, err := e.get(f)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		pc.mu.Lock()
		delete(pc.scores, c) // do not keep a cancellation for the next caller
		pc.mu.Unlock()
	}
	return sc, err
}

// constants returns the fold constants of prune.Constants, the mean
// activations computed once.
func (pc *PruneCache) constants(fold prune.Fold, net *mlp.Network, x []float64, enc [][]interval.Interval) ([][]float64, error) {
	if pc == nil || fold != prune.FoldMean || x == nil {
		return prune.Constants(fold, net, x, enc)
	}
	return pc.mean.get(func() ([][]float64, error) { return prune.Constants(fold, net, x, enc) })
}

// overSampleBoxes and overSamples set how the over-estimation is measured, in
// the same IASA call as the significances: on the first overSampleBoxes
// boxes, with overSamples points each.
const (
	overSampleBoxes = 32
	overSamples     = 64
)

// PruneModel prunes net (method.md §5): it scores every hidden node with
// Config.Criterion, keeps the best as Config.Quota says and folds the
// constant of each removed node into the next layer's bias.
//
// With the IASA criteria it covers the domain by small boxes (half-width
// Config.BoxRadius standard deviations of each input) around the rows of x
// (N × n, raw units) or around points of opts.Domain, encloses every hidden
// node's value and adjoint on each box with Config.Method (iasa) or plain
// intervals (iasa-plain), and scores each node by its significance combined
// over the boxes. The other criteria score from the weights (magnitude), at
// random (random), from first-order changes of the output (taylor) or the
// Optimal Brain Damage saliency (obd) over the rows of x or, without x, over
// Config.Boxes points of the domain, or from the first-order change of the
// Sobolev loss over the rows of x with the labels opts.Y and opts.DYDX
// (sobolev-taylor, prune.SobolevTaylor). The mean fold needs x; it is the
// mean activation over its rows.
//
// The report lists, per layer, the kept nodes and the scores; with IASA also
// the enclosure method used (naive for iasa-plain) and the over-estimation of
// its enclosures and of plain intervals, measured on a subset of the boxes
// (NaN otherwise). PruneModel returns the *setting.Error of
// opts.Config.Validate for an impossible setting, also for Keep or
// KeepPerLayer that do not fit the widths of net, and an error if
// sobolev-taylor has no data or labels. If ctx is cancelled, PruneModel
// returns ctx.Err() within milliseconds (iasa.AnalyzeContext).
func PruneModel(ctx context.Context, net *mlp.Network, x []float64, opts PruneOptions) (*mlp.Network, *results.PruneReport, error) {
	start := time.Now()
	p := opts.Config
	if len(net.Hidden()) == 0 {
		return nil, nil, fmt.Errorf("the model has no hidden layers to prune")
	}
	if err := p.ValidateFor(net); err != nil {
		return nil, nil, err
	}
	if err := checkPruneInputs(net, x, opts); err != nil {
		return nil, nil, err
	}
	sc, err := opts.Cache.nodeScores(p.Criterion, func() (nodeScores, error) { return scoreNodes(ctx, net, x, opts) })
	if err != nil {
		return nil, nil, err
	}
	keep, err := prune.Select(sc.scores, prune.Budget{Quota: p.Quota, Total: p.Keep, PerLayer: p.KeepPerLayer})
	if err != nil {
		return nil, nil, err
	}
	var hull [][]interval.Interval
	if sc.ana != nil {
		hull = sc.ana.Hull.A
	}
	fill, err := opts.Cache.constants(p.Fold, net, x, hull)
	if err != nil {
		return nil, nil, err
	}
	pruned, err := prune.Apply(net, keep, fill)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	rep := &results.PruneReport{Criterion: p.Criterion.String(), Boxes: sc.boxes, Fold: p.Fold.String(),
		Layers: layerReports(net.Hidden(), keep, sc)}
	if sc.ana != nil {
		rep.Method = iasaMethod(p).String()
	}
	rep.Seconds = time.Since(start).Seconds()
	return pruned, rep, nil
}

// checkPruneInputs reports data or a domain that do not fit net, or neither
// of them where the criterion needs points.
func checkPruneInputs(net *mlp.Network, x []float64, opts PruneOptions) error {
	n := net.Inputs()
	if x != nil && len(x)%n != 0 {
		return fmt.Errorf("the data have %d values, not rows of the model's %d inputs", len(x), n)
	}
	if opts.Domain != nil && len(opts.Domain) != n {
		return fmt.Errorf("the domain has %d intervals, the model has %d inputs", len(opts.Domain), n)
	}
	if err := iasa.Box(opts.Domain).Validate(); err != nil {
		return err
	}
	switch c := opts.Config.Criterion; {
	case c == prune.BySobolevTaylor && (len(x) == 0 || opts.Y == nil || opts.DYDX == nil):
		return fmt.Errorf("pruning by %s needs the training data with their value labels y and gradient labels dydx (the Sobolev loss)", c)
	case (c.IASA() || c == prune.ByTaylor || c == prune.ByOBD) && len(x) == 0 && opts.Domain == nil:
		return fmt.Errorf("pruning by %s needs data points or a domain box", c)
	}
	return nil
}

// iasaMethod returns the enclosure method of IASA pruning with p: plain
// intervals for the iasa-plain criterion, p.Method otherwise.
func iasaMethod(p PruneConfig) iasa.Method {
	if p.Criterion == prune.ByIASAPlain {
		return iasa.Naive
	}
	return p.Method
}

// nodeScores are the scores of every hidden node, with the IASA analysis
// they come from (nil for the other criteria) and its number of boxes.
type nodeScores struct {
	scores [][]float64
	ana    *iasa.Result
	boxes  int
}

// scoreNodes scores every hidden node of net with opts.Config.Criterion
// (method.md §5 steps 1–3 for IASA).
func scoreNodes(ctx context.Context, net *mlp.Network, x []float64, opts PruneOptions) (nodeScores, error) {
	p := opts.Config
	switch p.Criterion { // the criteria that score without drawing points
	case prune.ByMagnitude:
		return nodeScores{scores: prune.Magnitude(net)}, nil
	case prune.ByRandom:
		return nodeScores{scores: prune.Random(net, opts.Seed+seedStreamBoxes)}, nil
	case prune.BySobolevTaylor: // the loss is over the labelled data
		scores, err := prune.SobolevTaylor(net, x, opts.Y, opts.DYDX)
		return nodeScores{scores: scores}, err
	}
	points := x
	if opts.Domain != nil {
		points = make([]float64, p.Boxes*net.Inputs())
		iasa.Box(opts.Domain).Sample(points, rand.New(rand.NewPCG(opts.Seed+seedStreamBoxes, 0)))
	}
	switch p.Criterion {
	case prune.ByTaylor:
		scores, err := prune.Taylor(net, points)
		return nodeScores{scores: scores}, err
	case prune.ByOBD:
		scores, err := prune.OBD(net, points)
		return nodeScores{scores: scores}, err
	}
	boxes, err := iasa.AroundPoints(points, net.Inputs(), p.BoxRadius, p.Boxes, opts.Seed+seedStreamBoxes)
	if err != nil {
		return nodeScores{}, err
	}
	if err := ctx.Err(); err != nil {
		return nodeScores{}, err
	}
	ana, err := iasa.AnalyzeContext(ctx, net, boxes, iasa.Options{Method: iasaMethod(p), Combine: p.Combine, Progress: opts.Progress,
		Samples: overSamples, SampleBoxes: overSampleBoxes, CompareNaive: true, Seed: opts.Seed + seedStreamBoxes})
	if err != nil {
		return nodeScores{}, err
	}
	return nodeScores{scores: ana.Significance, ana: ana, boxes: len(boxes)}, nil
}

// layerReports returns the report of every hidden layer of widths hidden:
// the kept nodes, the scores and the over-estimations of the IASA analysis
// of sc (NaN where there is none).
func layerReports(hidden []int, keep [][]int, sc nodeScores) []results.LayerPrune {
	var layers []results.LayerPrune
	nan := results.Metric(math.NaN())
	for l, w := range hidden {
		lp := results.LayerPrune{Layer: l + 1, Width: w, Kept: keep[l], Significance: sc.scores[l],
			OverValue: nan, OverAdjoint: nan, NaiveOverValue: nan}
		if sc.ana != nil && sc.ana.Over != nil {
			lp.OverValue, lp.OverAdjoint = results.Metric(sc.ana.Over.Value[l]), results.Metric(sc.ana.Over.Adjoint[l])
		}
		if sc.ana != nil && sc.ana.NaiveOver != nil {
			lp.NaiveOverValue = results.Metric(sc.ana.NaiveOver.Value[l])
		}
		layers = append(layers, lp)
	}
	return layers
}
