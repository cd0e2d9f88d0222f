package bound

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/sobolev-pruning/sobolev/iasa"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// Shape is a condition on the greeks that a surrogate of a call price must
// meet everywhere: no arbitrage of the first order (increasing in every
// spot) and of the second (convex along the direction of gamma).
type Shape struct {
	// DeltaNonneg requires ∂y/∂x_j ≥ 0 for every input j of DeltaInputs.
	DeltaNonneg bool
	// DeltaInputs lists the inputs (0-based) whose deltas DeltaNonneg
	// requires to be ≥ 0, e.g. only the spot of a call whose other inputs
	// include the strike; nil means every input.
	DeltaInputs []int
	// GammaNonneg requires vᵀ·H·v ≥ 0 along Options.Direction.
	GammaNonneg bool
}

// Certificate is the outcome of Check.
type Certificate struct {
	// Proved is the fraction of the box's volume on which the condition is
	// proved: the sub-boxes whose enclosures satisfy it.
	Proved float64
	// Counterexamples are points, at most MaxCounterexamples, at which the
	// network violates the condition, checked in float64; Refuted is the
	// fraction of the volume of the sub-boxes that hold one (at their
	// midpoint or, at the depth limit, among Options.Probes random points).
	Counterexamples [][]float64
	Refuted         float64
	// Refutations is the number of refuted sub-boxes (each holds a
	// counterexample), of which
	// Counterexamples keeps the first midpoints.
	Refutations int
	// Undecided are the sub-boxes left at the depth limit, neither proved
	// nor refuted at their midpoint; their volume is 1 − Proved − Refuted.
	Undecided [][]interval.Interval
	// Boxes is the number of sub-boxes enclosed.
	Boxes int
}

// MaxCounterexamples is the number of counterexamples a Certificate keeps.
const MaxCounterexamples = 10

// Check proves or refutes shape on box by bisection: a sub-box is proved if
// the enclosures of Greeks on it satisfy the condition; otherwise the
// network is evaluated at its midpoint in float64, and a violation there is
// a counterexample; otherwise the sub-box is halved along its widest input
// (in units of the input's scale), down to depth halvings. A sub-box at the
// depth limit is also evaluated at opts.Probes random points (drawn from
// opts.Seed), the first violation among them a counterexample; if there is
// none it is undecided. opts.Boxes is ignored: Check bisects where it needs
// to. For given arguments the certificate is the same on every run.
//
// Check returns the errors of Greeks, an error if shape asks for nothing or
// depth is negative, and ctx.Err() if ctx is cancelled.
func Check(ctx context.Context, net *mlp.Network, box []interval.Interval, shape Shape, depth int, opts Options) (*Certificate, error) {
	dir, err := check(net, box, opts)
	if err != nil {
		return nil, err
	}
	switch {
	case !shape.DeltaNonneg && !shape.GammaNonneg:
		return nil, fmt.Errorf("bound: the shape check asks for nothing")
	case depth < 0:
		return nil, fmt.Errorf("bound: depth %d, want ≥ 0", depth)
	}
	n := net.Inputs()
	inputs := shape.DeltaInputs
	if inputs == nil {
		inputs = make([]int, n)
		for j := range inputs {
			inputs[j] = j
		}
	}
	for _, j := range inputs {
		if j < 0 || j >= n {
			return nil, fmt.Errorf("bound: the shape check names input %d, the model has inputs 0 to %d", j, n-1)
		}
	}
	p := newPass(net, dir, false) // no Hessian diagonal
	e := mlp.NewEvaluator(net)
	rows := max(1, opts.Probes)
	xs, grad, hv := make([]float64, rows*n), make([]float64, rows*n), make([]float64, rows*n)
	rng := rand.New(rand.NewPCG(opts.Seed, 0))
	// violation returns the first of the points x (rows of n) at which
	// the network violates the shape, nil if none.
	violation := func(x []float64) []float64 {
		m := len(x) / n
		e.EvalHessVec(nil, grad[:m*n], hv[:m*n], x, dir)
		for r := range m {
			bad := false
			if shape.DeltaNonneg {
				for _, j := range inputs {
					bad = bad || grad[r*n+j] < 0
				}
			}
			if shape.GammaNonneg {
				gamma := 0.0
				for j := range n {
					gamma += dir[j] * hv[r*n+j]
				}
				bad = bad || gamma < 0
			}
			if bad {
				return x[r*n : (r+1)*n]
			}
		}
		return nil
	}
	proved := func(r *Result) bool {
		if shape.DeltaNonneg {
			for _, j := range inputs {
				if r.Delta[j].Lo < 0 {
					return false
				}
			}
		}
		return !shape.GammaNonneg || r.Gamma.Lo >= 0
	}

	type piece struct {
		box   []interval.Interval
		depth int
		share float64 // of the whole box's volume
	}
	cert := &Certificate{}
	stack := []piece{{box, 0, 1}}
	refute := func(pc piece, x []float64) {
		cert.Refuted += pc.share
		cert.Refutations++
		if len(cert.Counterexamples) < MaxCounterexamples {
			cert.Counterexamples = append(cert.Counterexamples, append([]float64(nil), x...))
		}
	}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		cert.Boxes++
		if proved(p.run(pc.box)) {
			cert.Proved += pc.share
			continue
		}
		mid := xs[:n]
		for j, iv := range pc.box {
			mid[j] = iv.Lo + (iv.Hi-iv.Lo)/2
		}
		if x := violation(mid); x != nil {
			refute(pc, x)
			continue
		}
		if pc.depth == depth {
			if opts.Probes > 0 {
				iasa.Box(pc.box).Sample(xs, rng)
				if x := violation(xs); x != nil {
					refute(pc, x)
					continue
				}
			}
			cert.Undecided = append(cert.Undecided, pc.box)
			continue
		}
		halves := bisect(pc.box, net.Norm.XScale, 2)
		stack = append(stack, piece{halves[1], pc.depth + 1, pc.share / 2}, piece{halves[0], pc.depth + 1, pc.share / 2})
	}
	return cert, nil
}
