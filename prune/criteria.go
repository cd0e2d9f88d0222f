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
