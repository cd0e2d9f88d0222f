package prune

import (
	"fmt"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// Apply returns a new network that keeps, in every hidden layer l+1, only the
// nodes keep[l] (indices in increasing order, as Select returns them). The
// output of every removed node i of hidden layer k is replaced by the constant
// c = fill[k−1][i], folded into the next layer's bias (method.md §5 step 4):
//
//	b_{k+1} += W_{k+1}[:, i] · c
//
// so that the pruned net computes exactly what the large net computes when
// every removed node outputs its constant. A nil fill means c = 0 for every
// node (plain deletion); otherwise fill[l] has one entry per node of hidden
// layer l+1 and the entries of kept nodes are ignored. The result has the same
// activation and normalisation as net, shares no memory with it and passes
// Validate. net is not modified.
//
// Apply returns an error if keep or fill do not match the shape of net, keep[l]
// is empty, not strictly increasing or out of range, or a used fill constant is
// not finite.
func Apply(net *mlp.Network, keep [][]int, fill [][]float64) (*mlp.Network, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	hidden := net.Hidden()
	if len(keep) != len(hidden) {
		return nil, fmt.Errorf("prune: keep lists %d layers, the net has %d hidden layers", len(keep), len(hidden))
	}
	if fill != nil && len(fill) != len(hidden) {
		return nil, fmt.Errorf("prune: fill lists %d layers, the net has %d hidden layers", len(fill), len(hidden))
	}
	widths := make([]int, len(hidden))
	for l, k := range keep {
		if len(k) == 0 {
			return nil, fmt.Errorf("prune: keep[%d] is empty, want at least one node per hidden layer", l)
		}
		for j, i := range k {
			if i < 0 || i >= hidden[l] || (j > 0 && i <= k[j-1]) {
				return nil, fmt.Errorf("prune: keep[%d] = %v, want increasing indices in [0, %d)", l, k, hidden[l])
			}
		}
		if fill != nil && len(fill[l]) != hidden[l] {
			return nil, fmt.Errorf("prune: fill[%d] has %d constants for %d nodes", l, len(fill[l]), hidden[l])
		}
		widths[l] = len(k)
	}

	// Fold the constants into full-size copies of the next layers' biases,
	// then copy the kept rows and columns.
	p := net.Params
	bias := make([][]float64, len(p.B))
	for l := range p.B {
		bias[l] = append([]float64(nil), p.B[l]...)
	}
	if fill != nil {
		for l, k := range keep {
			rows, cols := net.Sizes[l+2], net.Sizes[l+1]
			w := p.W[l+1]
			j := 0
			for i := 0; i < cols; i++ {
				if j < len(k) && k[j] == i {
					j++
					continue
				}
				c := fill[l][i]
				if c-c != 0 {
					return nil, fmt.Errorf("prune: fill[%d][%d] = %v, want a finite constant", l, i, c)
				}
				for r := 0; r < rows; r++ {
					bias[l+1][r] += w[r*cols+i] * c
				}
			}
		}
	}

	out := mlp.New(net.Inputs(), widths, net.Act)
	q := out.Params
	all := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	}
	for l := range p.W {
		rows, cols := all(net.Sizes[l+1]), all(net.Sizes[l])
		if l < len(keep) {
			rows = keep[l]
		}
		if l > 0 {
			cols = keep[l-1]
		}
		inCols := net.Sizes[l]
		for r, i := range rows {
			for c, j := range cols {
				q.W[l][r*len(cols)+c] = p.W[l][i*inCols+j]
			}
			q.B[l][r] = bias[l][i]
		}
	}
	copy(out.Norm.XMean, net.Norm.XMean)
	copy(out.Norm.XScale, net.Norm.XScale)
	out.Norm.YMean, out.Norm.YScale = net.Norm.YMean, net.Norm.YScale
	return out, nil
}
