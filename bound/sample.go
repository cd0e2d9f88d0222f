package bound

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// Sample returns, in the form of Greeks' result, the ranges of the value,
// the deltas, gamma along opts.Direction and the Hessian diagonal of net
// sampled at points uniform random points of box (drawn from seed; the box's
// corners are not among them): the floor any enclosure must reach, to judge
// how much Greeks over-estimates. Result.Boxes is 0.
//
// Sample returns an error if points < 1 or for the box and direction that
// Greeks refuses.
func Sample(net *mlp.Network, box []interval.Interval, opts Options, points int, seed uint64) (*Result, error) {
	if points < 1 {
		return nil, fmt.Errorf("bound: %d sample points, want at least 1", points)
	}
	dir, err := check(net, box, opts)
	if err != nil {
		return nil, err
	}
	n := net.Inputs()
	x := make([]float64, points*n)
	iasa.Box(box).Sample(x, rand.New(rand.NewPCG(seed, 0)))
	e := mlp.NewEvaluator(net)
	value, grad, hv := make([]float64, points), make([]float64, len(x)), make([]float64, len(x))
	e.EvalHessVec(value, grad, hv, x, dir)
	empty := interval.Interval{Lo: math.Inf(1), Hi: math.Inf(-1)}
	widen := func(r *interval.Interval, v float64) { r.Lo, r.Hi = min(r.Lo, v), max(r.Hi, v) }
	res := &Result{Value: empty, Gamma: empty, Delta: make([]interval.Interval, n), HessianDiag: make([]interval.Interval, n)}
	for j := range n {
		res.Delta[j], res.HessianDiag[j] = empty, empty
	}
	for r := range points {
		widen(&res.Value, value[r])
		g := 0.0
		for j := range n {
			widen(&res.Delta[j], grad[r*n+j])
			g += dir[j] * hv[r*n+j]
		}
		widen(&res.Gamma, g)
	}
	ej := make([]float64, n)
	for j := range n {
		clear(ej)
		ej[j] = 1
		e.EvalHessVec(nil, nil, hv, x, ej)
		for r := range points {
			widen(&res.HessianDiag[j], hv[r*n+j])
		}
	}
	return res, nil
}
