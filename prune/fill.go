package prune

import (
	"fmt"

	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// meanBatch is the number of rows MeanActivations traces at once.
const meanBatch = 256

// MeanActivations returns the mean activation of every hidden node over the
// rows of x, an N × n row-major matrix of raw inputs:
//
//	fill[l][i] = (1/N)·Σ_r a_{l+1,i}(x_r)
//
// the data-mean constants for Apply (method.md §5 step 4). The rows are traced
// in batches with matrix products and summed in row order, so the result is
// reproducible bit for bit.
//
// MeanActivations returns an error if net is not well formed or len(x) is not
// a positive multiple of net.Inputs().
func MeanActivations(net *mlp.Network, x []float64) ([][]float64, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	n := net.Inputs()
	if len(x) == 0 || len(x)%n != 0 {
		return nil, fmt.Errorf("prune: %d values do not form rows of %d inputs", len(x), n)
	}
	N := len(x) / n
	tr := mlp.NewTrace(net, min(N, meanBatch))
	hidden := net.Hidden()
	sum := make([][]float64, len(hidden))
	for l, h := range hidden {
		sum[l] = make([]float64, h)
	}
	for r := 0; r < N; r += meanBatch {
		rows := min(meanBatch, N-r)
		net.TraceForward(tr, x[r*n:(r+rows)*n])
		for l, h := range hidden {
			for k := range rows {
				for i, v := range tr.A[l+1][k*h : (k+1)*h] {
					sum[l][i] += v
				}
			}
		}
	}
	for l := range sum {
		for i := range sum[l] {
			sum[l][i] /= float64(N)
		}
	}
	return sum, nil
}

// Midpoints returns the midpoint of every enclosure, enc[l][i] the value
// interval of node i of hidden layer l+1 (for example iasa.Result.Hull.A): the
// interval-midpoint constants for Apply. method.md §5 warns that with loose
// (naive) enclosures these midpoints can be far outside the values a node
// takes; with tight enclosures they are close to the middle of its range.
func Midpoints(enc [][]interval.Interval) [][]float64 {
	fill := make([][]float64, len(enc))
	for l, e := range enc {
		fill[l] = make([]float64, len(e))
		for i, iv := range e {
			fill[l][i] = iv.Mid()
		}
	}
	return fill
}

// Constants returns the constants that replace the removed nodes of net for
// Apply, as fold says: the mean activations over the rows of x (FoldMean,
// MeanActivations), the midpoints of the value enclosures enc (FoldMidpoint,
// Midpoints) or nil, the constant 0 (FoldZero). x is only used by FoldMean,
// enc only by FoldMidpoint.
//
// Constants returns an error for an unknown fold, FoldMean without x
// (suggesting the folds that need none), FoldMidpoint without enc, or an
// error of MeanActivations.
func Constants(fold Fold, net *mlp.Network, x []float64, enc [][]interval.Interval) ([][]float64, error) {
	switch fold {
	case FoldMean:
		if x == nil {
			return nil, fmt.Errorf("prune: the mean fold needs training data; use the midpoint or zero fold with a domain box alone")
		}
		return MeanActivations(net, x)
	case FoldMidpoint:
		if enc == nil {
			return nil, fmt.Errorf("prune: the midpoint fold needs the nodes' value enclosures (IASA); use the mean or zero fold")
		}
		return Midpoints(enc), nil
	case FoldZero:
		return nil, nil
	}
	return nil, fmt.Errorf("prune: unknown fold %v", fold)
}
