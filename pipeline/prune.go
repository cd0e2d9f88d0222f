package pipeline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
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
	// Seed drives the choice of boxes and the over-estimation samples.
	Seed uint64
	// Progress, if not nil, is called with the number of boxes analysed and
	// the total.
	Progress func(done, total int)
}

// overSampleBoxes and overSamples set how the over-estimation is measured, in
// the same IASA call as the significances: on the first overSampleBoxes
// boxes, with overSamples points each.
const (
	overSampleBoxes = 32
	overSamples     = 64
)

// PruneModel prunes net with IASA (method.md §5): it covers the domain by
// small boxes (half-width Config.BoxRadius standard deviations of each input)
// around the rows of x (N × n, raw units) or around points of opts.Domain,
// encloses every hidden node's value and adjoint on each box with
// Config.Method, scores each node by its significance combined over the boxes,
// keeps the Config.Keep most significant nodes (global ranking, at least one
// per layer) and folds the constant of each removed node into the next
// layer's bias. The mean fold needs x; it is the mean activation over its rows.
//
// The report lists, per layer, the kept nodes, the significances and the
// over-estimation of the chosen enclosure and of plain intervals, measured on
// a subset of the boxes. PruneModel returns the *SettingError of
// opts.Config.Validate for an impossible setting. If ctx is cancelled,
// PruneModel returns ctx.Err() within milliseconds (iasa.AnalyzeContext).
func PruneModel(ctx context.Context, net *mlp.Network, x []float64, opts PruneOptions) (*mlp.Network, *results.PruneReport, error) {
	start := time.Now()
	p := opts.Config
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	n := net.Inputs()
	method, err := iasa.ParseMethod(p.Method)
	if err != nil {
		return nil, nil, err
	}
	combine, err := iasa.ParseCombine(p.Combine)
	if err != nil {
		return nil, nil, err
	}
	if x != nil && len(x)%n != 0 {
		return nil, nil, fmt.Errorf("the data have %d values, not rows of the model's %d inputs", len(x), n)
	}
	centres := x
	if opts.Domain != nil {
		if len(opts.Domain) != n {
			return nil, nil, fmt.Errorf("the domain has %d intervals, the model has %d inputs", len(opts.Domain), n)
		}
		centres = uniformPoints(opts.Domain, p.Boxes, opts.Seed+seedStreamBoxes)
	}
	if len(centres) == 0 {
		return nil, nil, fmt.Errorf("pruning needs data points or a domain box")
	}
	boxes, err := iasa.AroundPoints(centres, n, p.BoxRadius, p.Boxes, opts.Seed+seedStreamBoxes)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	ana, err := iasa.AnalyzeContext(ctx, net, boxes, iasa.Options{Method: method, Combine: combine, Progress: opts.Progress,
		Samples: overSamples, SampleBoxes: overSampleBoxes, CompareNaive: true, Seed: opts.Seed + seedStreamBoxes})
	if err != nil {
		return nil, nil, err
	}
	quota := prune.Quota{Total: p.Keep}
	switch p.Quota {
	case "even":
		quota = prune.Quota{PerLayer: evenSplit(p.Keep, net.Hidden())}
	case "global":
	default:
		return nil, nil, fmt.Errorf("unknown quota %q (want even or global)", p.Quota)
	}
	keep, err := prune.Select(ana.Significance, quota)
	if err != nil {
		return nil, nil, err
	}
	var fill [][]float64
	switch p.Fold {
	case "mean":
		if x == nil {
			return nil, nil, fmt.Errorf("the mean fold needs training data; use the midpoint or zero fold with a domain box alone")
		}
		if fill, err = prune.MeanActivations(net, x); err != nil {
			return nil, nil, err
		}
	case "midpoint":
		fill = prune.Midpoints(ana.Hull.A)
	case "zero":
	default:
		return nil, nil, fmt.Errorf("unknown fold %q (want mean, midpoint or zero)", p.Fold)
	}
	pruned, err := prune.Apply(net, keep, fill)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	rep := &results.PruneReport{Method: p.Method, Boxes: len(boxes), Fold: p.Fold, Layers: layerReports(net.Hidden(), keep, ana)}
	rep.Seconds = time.Since(start).Seconds()
	return pruned, rep, nil
}

// layerReports returns the report of every hidden layer of widths hidden:
// the kept nodes, the significances and the over-estimations of ana (NaN
// where ana has none).
func layerReports(hidden []int, keep [][]int, ana *iasa.Result) []results.LayerPrune {
	var layers []results.LayerPrune
	nan := results.Metric(math.NaN())
	for l, w := range hidden {
		lp := results.LayerPrune{Layer: l + 1, Width: w, Kept: keep[l], Significance: ana.Significance[l],
			OverValue: nan, OverAdjoint: nan, NaiveOverValue: nan}
		if o := ana.Over; o != nil {
			lp.OverValue, lp.OverAdjoint = results.Metric(o.Value[l]), results.Metric(o.Adjoint[l])
		}
		if o := ana.NaiveOver; o != nil {
			lp.NaiveOverValue = results.Metric(o.Value[l])
		}
		layers = append(layers, lp)
	}
	return layers
}

// uniformPoints returns count points drawn uniformly from the box dom,
// row-major (count × len(dom)).
func uniformPoints(dom []interval.Interval, count int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	pts := make([]float64, count*len(dom))
	for i := range pts {
		d := dom[i%len(dom)]
		pts[i] = d.Lo + rng.Float64()*(d.Hi-d.Lo)
	}
	return pts
}

// evenSplit splits keep nodes over layers of the given widths as evenly as
// possible, the first layers taking the remainder, each layer at most its
// width and at least one node.
func evenSplit(keep int, widths []int) []int {
	per := make([]int, len(widths))
	left := keep
	for l := range widths {
		share := left / (len(widths) - l)
		if left%(len(widths)-l) != 0 {
			share++
		}
		per[l] = max(1, min(share, widths[l]))
		left -= per[l]
	}
	return per
}
