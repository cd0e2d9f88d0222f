package iasa

import (
	"math"

	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// linear is a sound linear relaxation of a function f on an interval [l, u]:
//
//	f(z) ∈ a·z + b + [−mu, mu]   for every real z ∈ [l, u].
type linear struct{ a, b, mu float64 }

// kit gives the interval enclosures of an activation and its derivatives, and
// the linear relaxations built from them.
type kit struct{ act mlp.Activation }

// pieceWidth is the widest piece on which relax bounds the interpolation
// remainder with one enclosure of f″; maxPieces caps the number of pieces.
const (
	pieceWidth = 1.0
	maxPieces  = 16
)

// value returns a linear relaxation of σ on [lo, hi] and an enclosure of
// σ([lo, hi]).
func (k kit) value(lo, hi float64) (linear, interval.Interval) {
	z := interval.Interval{Lo: lo, Hi: hi}
	switch k.act {
	case mlp.SiLU:
		return relax(interval.SiLU, interval.SiLUPrime2, lo, hi), interval.SiLU(z)
	case mlp.Softplus:
		return relax(interval.Softplus, interval.SoftplusPrime2, lo, hi), interval.Softplus(z)
	case mlp.Tanh:
		return relax(interval.Tanh, interval.TanhPrime2, lo, hi), interval.Tanh(z)
	case mlp.ReLU:
		return reluValue(lo, hi), interval.Interval{Lo: max(lo, 0), Hi: max(hi, 0)}
	}
	panic(panicActivation)
}

// slope returns a linear relaxation of σ′ on [lo, hi].
func (k kit) slope(lo, hi float64) linear {
	switch k.act {
	case mlp.SiLU:
		return relax(interval.SiLUPrime, interval.SiLUPrime3, lo, hi)
	case mlp.Softplus:
		return relax(interval.SoftplusPrime, interval.SoftplusPrime3, lo, hi)
	case mlp.Tanh:
		return relax(interval.TanhPrime, interval.TanhPrime3, lo, hi)
	case mlp.ReLU:
		return reluSlope(lo, hi)
	}
	panic(panicActivation)
}

// deriv returns an enclosure of σ′(z).
func (k kit) deriv(z interval.Interval) interval.Interval {
	switch k.act {
	case mlp.SiLU:
		return interval.SiLUPrime(z)
	case mlp.Softplus:
		return interval.SoftplusPrime(z)
	case mlp.Tanh:
		return interval.TanhPrime(z)
	case mlp.ReLU:
		s := reluSlope(z.Lo, z.Hi)
		return interval.Interval{Lo: s.b - s.mu, Hi: s.b + s.mu}
	}
	panic(panicActivation)
}

// smooth reports whether σ is twice continuously differentiable, which the
// second-order forms need.
func (k kit) smooth() bool { return k.act != mlp.ReLU }

// deriv3 returns an enclosure of σ‴(z); σ must be smooth.
func (k kit) deriv3(z interval.Interval) interval.Interval {
	switch k.act {
	case mlp.SiLU:
		return interval.SiLUPrime3(z)
	case mlp.Softplus:
		return interval.SoftplusPrime3(z)
	case mlp.Tanh:
		return interval.TanhPrime3(z)
	}
	panic(panicActivation)
}

// deriv4 returns an enclosure of σ⁗(z); σ must be smooth.
func (k kit) deriv4(z interval.Interval) interval.Interval {
	switch k.act {
	case mlp.SiLU:
		return interval.SiLUPrime4(z)
	case mlp.Softplus:
		return interval.SoftplusPrime4(z)
	case mlp.Tanh:
		return interval.TanhPrime4(z)
	}
	panic(panicActivation)
}

// point returns enclosures of σ(c), σ′(c), σ″(c) and σ‴(c) at the point c
// (package interval's jets, a few ulp wide); σ must be smooth.
func (k kit) point(c float64) [4]interval.Interval {
	switch k.act {
	case mlp.SiLU:
		return interval.SiLUJet(c)
	case mlp.Softplus:
		return interval.SoftplusJet(c)
	case mlp.Tanh:
		return interval.TanhJet(c)
	}
	panic(panicActivation)
}

// eval returns an enclosure of σ(z).
func (k kit) eval(z interval.Interval) interval.Interval {
	switch k.act {
	case mlp.SiLU:
		return interval.SiLU(z)
	case mlp.Softplus:
		return interval.Softplus(z)
	case mlp.Tanh:
		return interval.Tanh(z)
	case mlp.ReLU:
		return interval.Interval{Lo: max(z.Lo, 0), Hi: max(z.Hi, 0)}
	}
	panic(panicActivation)
}

// relax returns a linear relaxation of f on [lo, hi], given enclosures f of
// the function and f2 of its second derivative (f must be twice continuously
// differentiable). The slope a is the secant slope (any value would be sound);
// the offset b and radius mu come from an enclosure D of d(z) = f(z) − a·z.
// [lo, hi] is cut into K pieces; on a piece [t_k, t_{k+1}] of width w, with
// s = (z − t_k)/w ∈ [0, 1], d is its linear interpolant p plus the
// interpolation remainder:
//
//	d(z) = (1 − s)·d(t_k) + s·d(t_{k+1}) − f″(ξ)·w²/2 · s(1 − s),  ξ ∈ [t_k, t_{k+1}].
//
// With f″ ≤ M on the piece, d(z) ≥ (1 − s)·L₀ + s·L₁ − c·s(1 − s), c = M·w²/2,
// L₀ ≤ d(t_k), L₁ ≤ d(t_{k+1}); the minimum of that quadratic over [0, 1] is
// a lower bound of d on the piece (lowerBound), and the upper bound follows
// the same way from f″ ≥ m. Every quantity is evaluated in interval
// arithmetic or rounded in the safe direction, so D contains the exact range
// of d; then b = mid D and mu ≥ rad D. The bound is exact when f″ is constant
// on a piece, so the relaxation is tight to second order in the width.
func relax(f, f2 func(interval.Interval) interval.Interval, lo, hi float64) linear {
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return fromInterval(0, f(interval.Interval{Lo: lo, Hi: hi}))
	}
	w := hi - lo
	pieces := 1
	if w > pieceWidth {
		pieces = min(maxPieces, int(math.Ceil(w/pieceWidth)))
	}
	fl, fh := f(interval.Point(lo)), f(interval.Point(hi))
	var a float64
	if w > 0 {
		a = (fh.Mid() - fl.Mid()) / w
	}
	pa := interval.Point(a)
	d := func(t float64, ft interval.Interval) interval.Interval {
		return interval.Sub(ft, interval.Mul(pa, interval.Point(t)))
	}
	Dlo, Dhi := math.Inf(1), math.Inf(-1)
	t0, d0 := lo, d(lo, fl)
	for k := 1; k <= pieces; k++ {
		t1, f1 := hi, fh
		if k < pieces {
			t1 = min(hi, lo+w*float64(k)/float64(pieces))
			f1 = f(interval.Point(t1))
		}
		d1 := d(t1, f1)
		// w²/2 as an interval, times the range of f″ on the piece.
		wk := interval.Sub(interval.Point(t1), interval.Point(t0))
		curv := interval.Mul(f2(interval.Interval{Lo: t0, Hi: t1}), interval.Div(interval.Sqr(wk), interval.Point(2)))
		Dlo = min(Dlo, lowerBound(d0.Lo, d1.Lo, max(0, curv.Hi)))
		Dhi = max(Dhi, -lowerBound(-d0.Hi, -d1.Hi, max(0, -curv.Lo)))
		t0, d0 = t1, d1
	}
	return fromInterval(a, interval.Interval{Lo: Dlo, Hi: Dhi})
}

// lowerBound returns a lower bound of min over s ∈ [0, 1] of
//
//	q(s) = (1 − s)·l0 + s·l1 − c·s(1 − s),   c ≥ 0.
//
// q is convex; if its stationary point s* = 1/2 − (l1 − l0)/(2c) lies in
// [0, 1], i.e. |l1 − l0| ≤ c, the minimum is q(s*) = (l0 + l1)/2 − c/4 −
// (l1 − l0)²/(4c), evaluated in interval arithmetic; otherwise it is
// min(l0, l1). q(s*) is the minimum over all s, so using it when s* is
// barely outside [0, 1] is still sound, and the test leaves a margin for that.
func lowerBound(l0, l1, c float64) float64 {
	if !(c > 0) || math.Abs(l1-l0) > c*(1+1e-9) {
		return min(l0, l1)
	}
	p0, p1, pc := interval.Point(l0), interval.Point(l1), interval.Point(c)
	half := interval.Div(interval.Add(p0, p1), interval.Point(2))
	diff := interval.Sub(p1, p0)
	q := interval.Sub(interval.Sub(half, interval.Div(pc, interval.Point(4))),
		interval.Div(interval.Sqr(diff), interval.Mul(interval.Point(4), pc)))
	return min(q.Lo, l0, l1)
}

// fromInterval returns the relaxation a·z + mid D ± rad D, with the radius
// rounded up so that [b − mu, b + mu] ⊇ D.
func fromInterval(a float64, D interval.Interval) linear {
	b := D.Mid()
	return linear{a: a, b: b, mu: max(above(D.Hi, -b), above(b, -D.Lo))}
}

// reluValue returns a relaxation of max(z, 0) on [lo, hi]: exact off zero,
// the secant with the exact range of the piecewise-linear remainder across it.
func reluValue(lo, hi float64) linear {
	switch {
	case lo >= 0:
		return linear{a: 1}
	case hi <= 0:
		return linear{}
	}
	a := hi / (hi - lo)
	pa := interval.Point(a)
	dl := interval.Sub(interval.Point(0), interval.Mul(pa, interval.Point(lo)))
	dh := interval.Sub(interval.Point(hi), interval.Mul(pa, interval.Point(hi)))
	return fromInterval(a, interval.Hull(interval.Hull(dl, dh), interval.Point(0)))
}

// reluSlope returns a relaxation of ReLU′ (taken as 0 at 0, like mlp) on [lo, hi].
func reluSlope(lo, hi float64) linear {
	switch {
	case lo > 0:
		return linear{b: 1}
	case hi <= 0:
		return linear{}
	}
	return linear{b: 0.5, mu: 0.5}
}
