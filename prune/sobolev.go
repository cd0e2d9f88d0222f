package prune

import (
	"fmt"
	"math"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// sobolevBatch is the number of consecutive rows of each batch of
// SobolevTaylor, and sobolevThreads the number of goroutines each batch is
// split over; both are fixed, so the scores are the same bits on every
// machine (mlp.Workspace).
const (
	sobolevBatch   = 256
	sobolevThreads = 4
)

// SobolevTaylor returns a first-order score for every hidden node from the
// Sobolev loss the net was trained with (method.md §4), over the rows of x,
// an N × n row-major matrix of raw inputs, with the raw value labels y (N)
// and gradient labels dydx (N × n).
//
// A gate t moves the node's output a_i to its data mean ā_i over x (the
// data-mean fold of Apply), so that the next layer receives
// W[:, i]·((1−t)·a_i + t·ā_i), in its value and, through it, in the input
// tangents. The gated net is the net with W[:, i] scaled by 1−t and t·ā_i·W[:, i]
// added to the next layer's bias, so for a loss L
//
//	dL/dt = ā_i·Σ_k W[k, i]·∂L/∂b_k − Σ_k W[k, i]·∂L/∂W[k, i]
//
// exactly, with the parameter gradient of mlp.Network.SobolevLoss. L is the
// value and gradient terms of the Sobolev loss in normalised units, with the
// weights mlp.FitSobolevWeights(dydx, net.Norm, 0) and the labels normalised
// as mlp.Train does (y_n = (y − YMean)/YScale, dydx_n = dydx·XScale/YScale).
// The Hessian-vector term is omitted: when its teacher is the net being
// pruned its residual is zero, so its first-order change in t vanishes.
//
// The gradient of the loss over all the data vanishes at a minimum, so, as
// Molchanov et al. (2017), the score is the mean over fixed consecutive
// batches of 256 rows of the magnitude of the batch loss's slope,
//
//	score[l][i] = Σ_b (N_b/N)·|dL_b/dt|
//
// with each batch weighted by its number of rows N_b (all but the last
// have 256). It runs MeanActivations and one loss gradient per batch.
//
// SobolevTaylor returns an error if net is not well formed, len(x) is not a
// positive multiple of n = net.Inputs(), y or dydx do not have one row per
// row of x, a label is not finite, or the gradient labels of an input are
// all 0 (mlp.FitSobolevWeights).
func SobolevTaylor(net *mlp.Network, x, y, dydx []float64) ([][]float64, error) {
	mean, err := MeanActivations(net, x)
	if err != nil {
		return nil, err
	}
	n := net.Inputs()
	N := len(x) / n
	switch {
	case len(y) != N:
		return nil, fmt.Errorf("prune: %d value labels for %d rows of inputs", len(y), N)
	case len(dydx) != N*n:
		return nil, fmt.Errorf("prune: %d gradient labels for %d rows of %d inputs, want %d", len(dydx), N, n, N*n)
	}
	for _, v := range [...]struct {
		name   string
		labels []float64
	}{{"value", y}, {"gradient", dydx}} {
		for i, l := range v.labels {
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return nil, fmt.Errorf("prune: %s label %d is %v", v.name, i, l)
			}
		}
	}
	w, err := mlp.FitSobolevWeights(dydx, net.Norm, 0)
	if err != nil {
		return nil, err
	}

	hidden := net.Hidden()
	scores := make([][]float64, len(hidden))
	slopes := make([][]float64, len(hidden))
	for l, h := range hidden {
		scores[l], slopes[l] = make([]float64, h), make([]float64, h)
	}
	B := min(N, sobolevBatch)
	ws := mlp.NewWorkspace(net, B, 0, sobolevThreads)
	grad := make([]float64, net.NumParams())
	bx, by, bd := make([]float64, B*n), make([]float64, B), make([]float64, B*n)
	nm := net.Norm
	for r := 0; r < N; r += sobolevBatch {
		rows := min(sobolevBatch, N-r)
		bt := mlp.Batch{X: bx[:rows*n], Y: by[:rows], DYDX: bd[:rows*n]}
		for k := range rows {
			bt.Y[k] = (y[r+k] - nm.YMean) / nm.YScale
			for j := range n {
				i := (r+k)*n + j
				bt.X[k*n+j] = (x[i] - nm.XMean[j]) / nm.XScale[j]
				bt.DYDX[k*n+j] = dydx[i] * nm.XScale[j] / nm.YScale
			}
		}
		clear(grad)
		net.SobolevLoss(grad, ws, bt, w)
		gateSlopes(slopes, net, grad, mean)
		for l := range slopes {
			for i, d := range slopes[l] {
				scores[l][i] += float64(rows) * math.Abs(d)
			}
		}
	}
	for l := range scores {
		for i := range scores[l] {
			scores[l][i] /= float64(N)
		}
	}
	return scores, nil
}

// gateSlopes sets dst[l][i] to the slope dL/dt of a loss L in the gate t that
// moves node i of hidden layer l+1 to the constant fill[l][i], from the
// parameter gradient grad of L, laid out like net.Params.Flat:
//
//	dst[l][i] = fill[l][i]·Σ_k W[k, i]·∂L/∂b_k − Σ_k W[k, i]·∂L/∂W[k, i]
//
// where W and b are the weights and bias of layer l+2 (the output layer after
// the last hidden layer).
func gateSlopes(dst [][]float64, net *mlp.Network, grad []float64, fill [][]float64) {
	off := 0
	for l := range net.Params.W {
		nw, nb := len(net.Params.W[l]), len(net.Params.B[l])
		if l > 0 { // the layer after hidden layer l
			W := net.Params.W[l]
			gW, gb := grad[off:off+nw], grad[off+nw:off+nw+nb]
			cols := net.Sizes[l]
			for i := range cols {
				var sb, sw float64
				for k := range nb {
					sb += W[k*cols+i] * gb[k]
					sw += W[k*cols+i] * gW[k*cols+i]
				}
				dst[l-1][i] = fill[l-1][i]*sb - sw
			}
		}
		off += nw + nb
	}
}
