package iasa

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// Overestimation compares enclosures with the ranges the net actually takes:
// for hidden node i of layer l+1 on box b, the ratio
//
//	width(A_b[l][i]) / (max − min of a_{l+1,i} over the sample points of box b)
//
// and the same for the adjoints G. Value[l] and Adjoint[l] are the medians of
// these ratios over all nodes of layer l+1 and all boxes (pairs whose sampled
// range is zero are left out; NaN if none is left, as for the adjoints of the
// last hidden layer, which are constants). A ratio near 1 means the enclosure
// is nearly exact; a finite sample under-covers the range, so even an exact
// enclosure shows ratios somewhat above 1 (about 1.7 for 64 points in 7
// dimensions, method.md §5).
type Overestimation struct {
	// Samples is the number of uniformly random points per box.
	Samples int
	// Value and Adjoint hold one median ratio per hidden layer.
	Value, Adjoint []float64
	// Significance holds, per hidden layer, the median ratio of a node's
	// significance on a box, width(A)·max|G|, to the same product of its
	// sampled range and sampled maximum of |g|: the over-estimation of the
	// scores themselves. It is smaller than Value·Adjoint because max|G| is
	// dominated by the adjoint's centre when the adjoint varies little.
	Significance []float64
	// Outside counts sampled values and adjoints that fell outside their
	// enclosure. It is zero unless the enclosures are unsound.
	Outside int
}

// measure samples opt.Samples uniform points in every box, traces them
// through net and compares the sampled ranges with the enclosures per and, if
// naive is not nil, with the plain-interval enclosures naive of the same
// boxes (same points). If ctx is cancelled, it skips the boxes not yet
// started and returns ctx.Err().
func measure(ctx context.Context, net *mlp.Network, boxes []Box, per, naive []Enclosure, opt Options) (over, naiveOver *Overestimation, err error) {
	n := net.Inputs()
	ratios := make([]boxRatios, len(boxes))
	var naiveRatios []boxRatios
	if naive != nil {
		naiveRatios = make([]boxRatios, len(boxes))
	}
	err = parallel(ctx, opt.Workers, len(boxes), func() func(int) {
		tr := mlp.NewTrace(net, opt.Samples)
		x := make([]float64, opt.Samples*n)
		return func(b int) {
			boxes[b].Sample(x, rand.New(rand.NewPCG(opt.Seed, uint64(b))))
			net.TraceForward(tr, x)
			net.TraceReverse(tr)
			ratios[b] = compare(tr, per[b])
			if naive != nil {
				naiveRatios[b] = compare(tr, naive[b])
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	over = summarize(ratios, len(net.Hidden()), opt.Samples)
	if naive != nil {
		naiveOver = summarize(naiveRatios, len(net.Hidden()), opt.Samples)
	}
	return over, naiveOver, nil
}

// boxRatios holds the ratios of one box, per hidden layer, for the nodes
// whose sampled range is not zero, and the count of samples outside their
// enclosures.
type boxRatios struct {
	a, g, s [][]float64
	outside int
}

// compare returns the ratios of the enclosures enc of one box to the ranges
// of the points traced in tr.
func compare(tr *mlp.Trace, enc Enclosure) boxRatios {
	L := len(enc.A)
	br := boxRatios{a: make([][]float64, L), g: make([][]float64, L), s: make([][]float64, L)}
	for l := range L {
		a, g := tr.A[l+1], tr.G[l+1]
		h := len(enc.A[l])
		for i := range h {
			A, G := enc.A[l][i], enc.G[l][i]
			loA, hiA, outA := sampledRange(a, i, h, A.Lo, A.Hi)
			loG, hiG, outG := sampledRange(g, i, h, G.Lo, G.Hi)
			br.outside += outA + outG
			if hiA > loA {
				br.a[l] = append(br.a[l], A.Width()/(hiA-loA))
			}
			if hiG > loG {
				br.g[l] = append(br.g[l], G.Width()/(hiG-loG))
			}
			if sig := (hiA - loA) * max(-loG, hiG); sig > 0 {
				br.s[l] = append(br.s[l], A.Width()*G.Mag()/sig)
			}
		}
	}
	return br
}

// summarize returns the medians per hidden layer of the ratios of all boxes.
func summarize(ratios []boxRatios, L, samples int) *Overestimation {
	o := &Overestimation{Samples: samples, Value: make([]float64, L), Adjoint: make([]float64, L), Significance: make([]float64, L)}
	for l := range L {
		var a, g, s []float64
		for _, br := range ratios {
			a, g, s = append(a, br.a[l]...), append(g, br.g[l]...), append(s, br.s[l]...)
		}
		o.Value[l], o.Adjoint[l], o.Significance[l] = median(a), median(g), median(s)
	}
	for _, br := range ratios {
		o.Outside += br.outside
	}
	return o
}

// sampledRange returns the minimum and maximum of column i of the N × h
// matrix v, and how many of its entries lie outside [lo, hi].
func sampledRange(v []float64, i, h int, lo, hi float64) (mn, mx float64, outside int) {
	mn, mx = math.Inf(1), math.Inf(-1)
	for r := i; r < len(v); r += h {
		x := v[r]
		mn, mx = min(mn, x), max(mx, x)
		if !(lo <= x && x <= hi) {
			outside++
		}
	}
	return mn, mx, outside
}

// median returns the median of x (the mean of the middle two for an even
// count), NaN for an empty x. It sorts x.
func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	slices.Sort(x)
	m := len(x) / 2
	if len(x)%2 == 1 {
		return x[m]
	}
	return (x[m-1] + x[m]) / 2
}
