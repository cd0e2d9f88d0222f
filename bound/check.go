package bound

import (
	"context"
	"fmt"
	"math"
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
// plain interval enclosures on it satisfy the condition; otherwise the
// network is evaluated at its midpoint in float64, and a violation there is
// a counterexample; otherwise it is proved if the enclosures of forms and
// centred forms (see the package documentation) satisfy the condition; these
// are tried unless they did worse than plain intervals, or far from proving,
// on a larger sub-box it belongs to, or have cost more than half the plain
// intervals' time beyond what their proofs saved. Otherwise the sub-box is
// halved along its widest input (in units of the input's scale), down to
// depth halvings. A sub-box at the depth limit is also evaluated at
// opts.Probes random points (drawn from opts.Seed), the first violation among
// them a counterexample; if there is none it is undecided. opts.Boxes is
// ignored: Check bisects where it needs to. For given arguments the
// certificate is the same on every run.
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
	e := newEncloser(net, directions(net, dir, shape.DeltaNonneg))
	ev := mlp.NewEvaluator(net)
	rows := max(1, opts.Probes)
	xs, grad, hv := make([]float64, rows*n), make([]float64, rows*n), make([]float64, rows*n)
	rng := rand.New(rand.NewPCG(opts.Seed, 0))
	// violation returns the first of the points x (rows of n) at which
	// the network violates the shape, nil if none.
	violation := func(x []float64) []float64 {
		m := len(x) / n
		ev.EvalHessVec(nil, grad[:m*n], hv[:m*n], x, dir)
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
	sc := &shapeCheck{e: e, delta: shape.DeltaNonneg, inputs: inputs, gamma: shape.GammaNonneg}

	type piece struct {
		box   []interval.Interval
		depth int
		share float64 // of the whole box's volume
		// forms is the size (sizeOf) at or below which the piece tries
		// forms.
		forms float64
	}
	cert := &Certificate{}
	stack := []piece{{box, 0, 1, math.Inf(1)}}
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
		if sc.plain(pc.box) {
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
		next := pc.forms
		if size := sizeOf(pc.box, net.Norm.XScale); size <= pc.forms && sc.affords(cert.Boxes) {
			proved, shrink := sc.forms(pc.box)
			if proved {
				cert.Proved += pc.share
				continue
			}
			next = size * shrink
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
		stack = append(stack, piece{halves[1], pc.depth + 1, pc.share / 2, next}, piece{halves[0], pc.depth + 1, pc.share / 2, next})
	}
	return cert, nil
}

// sizeOf returns the sum of the widths of b's inputs over their scales,
// which each bisection reduces.
func sizeOf(b []interval.Interval, scale []float64) float64 {
	w := 0.0
	for j, iv := range b {
		w += (iv.Hi - iv.Lo) / scale[j]
	}
	return w
}

// shapeCheck proves the conditions of a Shape on pieces with an encloser:
// every delta of inputs ≥ 0 if delta, gamma ≥ 0 if gamma.
type shapeCheck struct {
	e            *encloser
	delta, gamma bool
	inputs       []int
	// failed lists the inputs whose deltas are not proved yet.
	failed []int
	// spent is the cost of the forms tried so far and proofs the pieces
	// they proved, for affords.
	spent  float64
	proofs int
}

// formsCost is about what one try of the forms costs, in plain pieces (for
// 6 × 8 and 4 × 64 nets, 4–8).
const formsCost = 8

// affords reports whether the forms may be tried on the next piece, boxes
// pieces having been enclosed: their cost so far, with this try, must stay
// within half that of the plain intervals, plus one try for each piece they
// proved (which saves at least its two halves) and one to start with. It
// bounds the time Check loses where forms nearly prove but do not; being
// counted in pieces, not measured, it keeps the certificate deterministic.
func (s *shapeCheck) affords(boxes int) bool {
	return s.spent+formsCost <= formsCost*float64(1+s.proofs)+float64(boxes)/2
}

// plain reports whether plain intervals prove the conditions on the piece b:
// the deltas from the adjoint, gamma from the tangent along v and from the
// tangent of the adjoint.
func (s *shapeCheck) plain(b []interval.Interval) bool {
	e := s.e
	p := e.plain
	p.run(b)
	if s.delta {
		for _, j := range s.inputs {
			if e.delta(p.g0.c[j], j).Lo < 0 {
				return false
			}
		}
	}
	return !s.gamma || e.gamma(p).Lo >= 0
}

// forms reports whether forms prove the conditions on the piece b, plain
// having run on it and failed: gamma from its form, the deltas from the
// adjoint's forms and, for those left, their Taylor bounds on the centre.
// If not, it also returns by how much the piece should shrink (in sizeOf)
// before forms are tried again: 1/2 if they are wider than plain intervals
// (the piece is too wide for them), else, the excess of an enclosure
// [lo, hi] being about proportional to the size, mid/(mid − lo) for the
// first condition left unproved (between 1/8 and 1).
func (s *shapeCheck) forms(b []interval.Interval) (proved bool, shrink float64) {
	e := s.e
	pl, pf := e.plain, e.formsPass()
	if !pf.forward(b, true) {
		s.spent += formsCost / 4
		return false, 0.5
	}
	s.spent += formsCost
	defer func() {
		if proved {
			s.proofs++
		}
	}()
	pf.backward()
	if s.gamma {
		if g := meet(e.gamma(pl), e.gamma(pf)); g.Lo < 0 {
			return false, shrinkOf(g)
		}
	}
	if !s.delta {
		return true, 0
	}
	s.failed = s.failed[:0]
	for _, j := range s.inputs {
		if meet(e.delta(pl.g0.c[j], j), e.delta(pf.g0.rng(j), j)).Lo < 0 {
			s.failed = append(s.failed, j)
		}
	}
	n := e.net.Inputs()
	ys := interval.Point(e.net.Norm.YScale)
	if len(s.failed) > 0 {
		e.runCentre()
	}
	for _, i := range s.failed {
		for j := range n {
			pf.second(e.one, i+1, j+1)
			scale(e.hes[i][j], e.one, 0, ys)
		}
		d := meet(e.delta(pf.g0.rng(i), i), taylor(e.delta(e.centre.g0.c[i], i), e.hes[i], pf.rad))
		if d = meet(e.delta(pl.g0.c[i], i), d); d.Lo < 0 {
			return false, shrinkOf(d)
		}
	}
	return true, 0
}

// shrinkOf returns √(mid/(mid − lo)) for the enclosure [lo, hi], lo < 0,
// between 1/4 and 1.
func shrinkOf(d interval.Interval) float64 {
	m := d.Mid()
	if r := m / (m - d.Lo); r > 1.0/16 {
		return min(math.Sqrt(r), 1)
	}
	return 1.0 / 4
}
