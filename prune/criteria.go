package prune

import (
	"math"
	"math/rand/v2"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// Magnitude returns a weight-magnitude score for every hidden node, for
// comparison with IASA (method.md §7): the ℓ1 norm of the node's incoming
// weights times the ℓ1 norm of its outgoing weights,
//
//	score[k−1][i] = (Σ_j |W_k[i, j]|) · (Σ_r |W_{k+1}[r, i]|)
//
// in the layers' (normalised) units, so a node with either near-zero inputs or
// near-zero influence on the next layer ranks low. Biases are ignored.
// Magnitude panics if net's parameters do not match its Sizes; use Validate
// on networks that come from a user.
func Magnitude(net *mlp.Network) [][]float64 {
	hidden := net.Hidden()
	scores := make([][]float64, len(hidden))
	for l, h := range hidden {
		in, out := net.Params.W[l], net.Params.W[l+1]
		cols, rows := net.Sizes[l], net.Sizes[l+2]
		if len(in) != h*cols || len(out) != rows*h {
			panic("prune: parameters do not match Sizes")
		}
		scores[l] = make([]float64, h)
		for i := range h {
			var sin, sout float64
			for _, w := range in[i*cols : (i+1)*cols] {
				sin += math.Abs(w)
			}
			for r := range rows {
				sout += math.Abs(out[r*h+i])
			}
			scores[l][i] = sin * sout
		}
	}
	return scores
}

// Random returns independent uniform scores in [0, 1) for every hidden node of
// net, drawn from a PCG generator seeded with seed: the random-selection
// baseline of method.md §7. The same seed gives the same scores.
func Random(net *mlp.Network, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	hidden := net.Hidden()
	scores := make([][]float64, len(hidden))
	for l, h := range hidden {
		scores[l] = make([]float64, h)
		for i := range scores[l] {
			scores[l][i] = rng.Float64()
		}
	}
	return scores
}

// Taylor returns a first-order Taylor score for every hidden node over the
// rows of x, an N × n row-major matrix of raw inputs (method.md §7): the
// mean first-order change of the normalised output when the node's output is
// replaced by its data mean ā (the data-mean fold of Apply),
//
//	score[l][i] = (1/N)·Σ_r |g_{l+1,i}(x_r)·(a_{l+1,i}(x_r) − ā_{l+1,i})|,
//
// with g = ∂y_n/∂a the node's adjoint (Molchanov et al., 2017, with the output
// in place of a loss). It runs two batched passes over the data.
//
// Taylor returns an error if net is not well formed or len(x) is not a
// positive multiple of net.Inputs().
func Taylor(net *mlp.Network, x []float64) ([][]float64, error) {
	return gateScores(net, x, func(d float64) float64 { return math.Abs(d) }, 1)
}

// OBD returns the Optimal Brain Damage saliency (LeCun et al., 1990) of every
// hidden node over the rows of x, an N × n row-major matrix of raw inputs.
// A gate t moves the node's output from a(x) to its data mean ā (the
// data-mean fold of Apply) as (1−t)·a + t·ā, and the saliency of removing the
// node (t from 0 to 1) is ½·∂²L/∂t² for the value loss
// L = (1/2N)·Σ_r (y_n(x_r) − y_r)² in the net's normalised output units, with
// the Hessian in its Gauss–Newton form (exact when the labels y_r are the
// net's own outputs, the residual then being 0):
//
//	score[l][i] = ½·(1/N)·Σ_r (g_{l+1,i}(x_r)·(a_{l+1,i}(x_r) − ā_{l+1,i}))²,
//
// with g = ∂y_n/∂a the node's adjoint. It needs no labels and runs the same
// two batched passes over the data as Taylor.
//
// OBD returns an error if net is not well formed or len(x) is not a positive
// multiple of net.Inputs().
func OBD(net *mlp.Network, x []float64) ([][]float64, error) {
	return gateScores(net, x, func(d float64) float64 { return d * d }, 0.5)
}

// gateScores returns, for every hidden node, scale·(1/N)·Σ_r f(d_r) over the
// rows of x, where d_r = g(x_r)·(a(x_r) − ā) is the first-order change of the
// normalised output when the node's output a moves to its data mean ā.
func gateScores(net *mlp.Network, x []float64, f func(float64) float64, scale float64) ([][]float64, error) {
	mean, err := MeanActivations(net, x)
	if err != nil {
		return nil, err
	}
	n := net.Inputs()
	N := len(x) / n
	tr := mlp.NewTrace(net, min(N, meanBatch))
	hidden := net.Hidden()
	scores := make([][]float64, len(hidden))
	for l, h := range hidden {
		scores[l] = make([]float64, h)
	}
	for r := 0; r < N; r += meanBatch {
		rows := min(meanBatch, N-r)
		net.TraceForward(tr, x[r*n:(r+rows)*n])
		net.TraceReverse(tr)
		for l, h := range hidden {
			a, g := tr.A[l+1], tr.G[l+1]
			for k := range rows {
				for i := range h {
					scores[l][i] += f(g[k*h+i] * (a[k*h+i] - mean[l][i]))
				}
			}
		}
	}
	for l := range scores {
		for i := range scores[l] {
			scores[l][i] = scale * (scores[l][i] / float64(N))
		}
	}
	return scores, nil
}
