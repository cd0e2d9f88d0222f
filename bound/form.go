package bound

import (
	"math"

	"github.com/sobolev-pruning/sobolev/interval"
)

// This file holds the affine forms the passes of pass.go carry through the
// network: over a piece of the input box, a quantity q (a pre-activation, an
// adjoint, a tangent, …) is enclosed as
//
//	q(x) ∈ C + Σ_k a_k·σ_k(x)   for every x in the piece,
//
// with C an interval, a_k float64 coefficients (exact: they are what the form
// asserts, whatever rounding made them) and σ_k the symbols of the piece,
// functions of x with |σ_k(x)| ≤ 1 shared by every quantity of the piece: the
// first n are the inputs, σ_j(x) = (x_j − c_j)/r_j with c the piece's centre
// and r its radii, the others the remainders that the forward pass gives a
// symbol of their own (pass.symbolize). C holds the rest: the remainders of
// the nonlinear steps and every rounding error of the coefficients, so each
// operation below is sound whatever the coefficients' rounding.
//
// A form with no symbols is a plain interval, and every operation then is the
// plain interval operation (Mul, Sqr, MulVec, …): the passes with m = 0 are
// the plain interval recursions, bit for bit.
//
// Rounding: a float64 operation in round-to-nearest errs by at most u = 2⁻⁵³
// relative, plus, for a product that underflows, 2⁻¹⁰⁷⁵ absolute; so a sum of
// t products, in any order, with or without fused multiply-adds, errs by at
// most γ_t·Σ|products| + t·2⁻¹⁰⁷⁵, γ_t = t·u/(1 − t·u) ≤ (t+1)·u (Higham,
// Accuracy and Stability of Numerical Algorithms, §3.1). The error bounds are
// sums and products of nonnegative numbers: addUp and mulUp round each such
// step up (the exact result of one rounded operation is at most the next
// float64 above the rounded one), norm1 and upper bound longer sums.

// gammaUp returns an upper bound of γ_t for t ≤ 2²⁶ terms, exactly
// representable.
func gammaUp(t int) float64 { return float64(t+1) * 0x1p-53 }

// addUp and mulUp return upper bounds of x + y and x·y for x, y ≥ 0, +Inf
// if the result overflows or x or y is +Inf or NaN. (The conversion keeps
// the product from being fused with an addition.)
func addUp(x, y float64) float64 { return up(x + y) }
func mulUp(x, y float64) float64 { return up(float64(x * y)) }

// up returns the float64 after x, or +Inf if x is +Inf or NaN.
func up(x float64) float64 {
	if !(x < math.Inf(1)) {
		return math.Inf(1)
	}
	return math.Nextafter(x, math.Inf(1))
}

// upper returns an upper bound of the exact value of a nonnegative quantity
// whose float64 evaluation s went through at most k roundings, each of a sum
// or product of nonnegative numbers, of which at most k products may have
// underflowed. Each rounding loses at most a factor (1 − u) and 2⁻¹⁰⁷⁵, so
// the exact value is at most (s + k·2⁻¹⁰⁷⁵)/(1 − u)ᵏ ≤ s·(1 + 2ku) + k·2⁻¹⁰⁷⁴;
// the factor 1 + (k+2)·2⁻⁵² is exact. It is +Inf for a non-finite s.
func upper(s float64, k int) float64 {
	return addUp(mulUp(s, 1+float64(k+2)*0x1p-52), float64(k)*0x1p-1074)
}

// errUp returns an upper bound of g·s + k·2⁻¹⁰⁷⁴ for g, s ≥ 0: the rounding
// error of coefficients whose exact sizes sum to at most s, g bounding the
// relative error of each and k the number of its products.
func errUp(g, s float64, k int) float64 {
	return addUp(mulUp(g, s), float64(k)*0x1p-1074)
}

// dev returns an upper bound of max |x − m| over x ∈ c, for m ∈ c.
func dev(c interval.Interval, m float64) float64 { return max(up(c.Hi-m), up(m-c.Lo)) }

// norm1 returns an upper bound of Σ_k |a_k| (len(a) − 1 roundings of sums
// of nonnegative numbers, exact below 2⁻¹⁰²²).
func norm1(a []float64) float64 {
	s := 0.0
	for _, x := range a {
		s += math.Abs(x)
	}
	if len(a) <= 1 {
		return s
	}
	return upper(s, len(a))
}

// ball returns [−r, r] for r ≥ 0 (Entire for r = +Inf or NaN).
func ball(r float64) interval.Interval {
	if !(r <= math.MaxFloat64) {
		return interval.Entire()
	}
	return interval.Interval{Lo: -r, Hi: r}
}

// widen returns c + [−e, e], or c itself if e = 0.
func widen(c interval.Interval, e float64) interval.Interval {
	if e == 0 {
		return c
	}
	return interval.Add(c, ball(e))
}

// fvec is a vector of affine forms over the m symbols of a pass: node i is
// C = c[i] and a_k = a[i·m + k], with nrm[i] ≥ Σ_k |a_k|. Coefficients
// k ≥ act are zero and not stored (the symbols a form can depend on are the
// inputs and those of the layers before it); rows of act entries are read
// and written.
type fvec struct {
	m, act int
	c      []interval.Interval
	a      []float64
	// nrm[i] ≥ Σ_k |a_ik|, set by every operation.
	nrm []float64
}

// newFvec returns h forms over m symbols, zero.
func newFvec(h, m int) *fvec {
	return &fvec{m: m, c: make([]interval.Interval, h), a: make([]float64, h*m), nrm: make([]float64, h)}
}

// row returns the stored coefficients of node i.
func (f *fvec) row(i int) []float64 { return f.a[i*f.m : i*f.m+f.act] }

// constant makes the forms of f constants: no coefficients.
func (f *fvec) constant() {
	f.act = 0
	clear(f.nrm)
}

// setAct sets the number of stored coefficients to act, zeroing the new ones.
func (f *fvec) setAct(act int) {
	if act > f.act {
		for i := range f.c {
			clear(f.a[i*f.m+f.act : i*f.m+act])
		}
	}
	f.act = act
}

// rng returns an enclosure of node i's values on the piece, C + Σ|a_k|·[−1, 1]
// (Entire if a bound is not finite).
func (f *fvec) rng(i int) interval.Interval {
	r := widen(f.c[i], f.nrm[i])
	if r.IsEmpty() || math.IsInf(r.Lo, 0) || math.IsInf(r.Hi, 0) {
		return interval.Entire()
	}
	return r
}

// mulNode sets (dc, da) to an enclosure of the product of the forms
// (c1, a1) and (c2, a2), n1 and n2 the bounds of their Σ|a_k|, and returns
// that of da; len(da) ≥ max(len(a1), len(a2)) (the rest is zeroed), and da
// must not overlap a1 or a2. With e_i ∈ c_i the constants, L_i = Σ a_ik·σ_k, |L_i| ≤ n_i, and
// m_i = mid(c_i):
//
//	q₁q₂ = e₁e₂ + m₁L₂ + m₂L₁ + (e₁ − m₁)L₂ + (e₂ − m₂)L₁ + L₁L₂
//	     ∈ c₁c₂ + (c₁ − m₁)·[−n₂, n₂] + (c₂ − m₂)·[−n₁, n₁] + [−n₁n₂, n₁n₂] + Σ (m₁a₂k + m₂a₁k)·σ_k,
//
// the coefficients m₁a₂k + m₂a₁k rounded, their error (at most γ₂ of their
// terms, and 2·2⁻¹⁰⁷⁵ each) added to the constant. Without coefficients it is
// c₁·c₂.
func mulNode(dc *interval.Interval, da []float64, c1 interval.Interval, a1 []float64, n1 float64, c2 interval.Interval, a2 []float64, n2 float64) float64 {
	r := interval.Mul(c1, c2)
	if len(da) == 0 {
		*dc = r
		return 0
	}
	m1, m2 := c1.Mid(), c2.Mid()
	if !finite(m1) || !finite(m2) {
		clear(da)
		*dc = interval.Entire()
		return 0
	}
	k := min(len(a1), len(a2))
	s := 0.0
	for j := range k {
		x := m1*a2[j] + m2*a1[j]
		da[j] = x
		s += math.Abs(x)
	}
	for j := k; j < len(a1); j++ {
		x := m2 * a1[j]
		da[j] = x
		s += math.Abs(x)
	}
	for j := k; j < len(a2); j++ {
		x := m1 * a2[j]
		da[j] = x
		s += math.Abs(x)
	}
	clear(da[max(len(a1), len(a2)):])
	// The constant's radius: |e₁ − m₁|·n₂ + |e₂ − m₂|·n₁ + n₁n₂ + the error.
	e := addUp(mulUp(abs(m1), n2), mulUp(abs(m2), n1))
	rad := addUp(addUp(mulUp(dev(c1, m1), n2), mulUp(dev(c2, m2), n1)), mulUp(n1, n2))
	*dc = widen(r, addUp(rad, errUp(gammaUp(2), e, 2*len(da))))
	return upper(s, len(da))
}

// sqrNode sets (dc, da) to an enclosure of the square of the form (c, a),
// n the bound of its Σ|a_k|, and returns that of da; len(da) ≥ len(a) (the
// rest is zeroed), da must not overlap a. With e ∈ c, L = Σ a_k·σ_k, |L| ≤ n and m = mid(c):
//
//	q² = e² + 2mL + 2(e − m)L + L² ∈ c² + 2(c − m)·[−n, n] + [0, n²] + Σ 2m·a_k·σ_k.
//
// Without coefficients it is Sqr(c).
func sqrNode(dc *interval.Interval, da []float64, c interval.Interval, a []float64, n float64) float64 {
	r := interval.Sqr(c)
	if len(da) == 0 {
		*dc = r
		return 0
	}
	m := c.Mid()
	if !finite(m) {
		clear(da)
		*dc = interval.Entire()
		return 0
	}
	s := 0.0
	for j, x := range a {
		y := 2 * m * x
		da[j] = y
		s += math.Abs(y)
	}
	clear(da[len(a):])
	// 2(e − m)L ∈ [−t, t] with t = 2|e − m|·n, L² ∈ [0, n²], and the error.
	t := addUp(mulUp(2*dev(c, m), n), errUp(gammaUp(1), mulUp(2*abs(m), n), len(da)))
	*dc = interval.Add(r, interval.Interval{Lo: -t, Hi: addUp(t, mulUp(n, n))})
	return upper(s, len(da))
}

// addNode adds the form (c, a) to (dc, da), len(da) ≥ len(a), nd and n the
// bounds of their Σ|a_k|, and returns that of the sum: the constants as
// intervals, the coefficients in float64 with their error, at most u of each
// sum (sums do not underflow), added to the constant.
func addNode(dc *interval.Interval, da []float64, nd float64, c interval.Interval, a []float64, n float64) float64 {
	*dc = interval.Add(*dc, c)
	if len(a) == 0 {
		return nd
	}
	for k, x := range a {
		da[k] += x
	}
	s := addUp(nd, n)
	*dc = widen(*dc, errUp(gammaUp(1), s, 0))
	return upper(s, 1)
}

// sum accumulates forms of one node: their constants as intervals, their
// coefficients in float64. The error of T recursive sums of each
// coefficient is at most γ_T times the sum of the terms' sizes (sums do not
// underflow), so it is added once, by finish.
type sum struct {
	f     *fvec
	terms int
	size  float64 // Σ of the terms' nrm, as a float64 sum
}

// reset sets the sum to 0, with no coefficients.
func (s *sum) reset(f *fvec) {
	*s = sum{f: f}
	f.act = 0
	f.c[0] = interval.Point(0)
}

// add adds the form (c, a), n the bound of its Σ|a_k|.
func (s *sum) add(c interval.Interval, a []float64, n float64) {
	f := s.f
	f.c[0] = interval.Add(f.c[0], c)
	if len(a) == 0 {
		return
	}
	if len(a) > f.act {
		f.setAct(len(a))
	}
	row := f.row(0)
	for k, x := range a {
		row[k] += x
	}
	s.terms++
	s.size += n
}

// finish adds the rounding error of the coefficients to the constant and
// sets the bound of Σ|a_k|.
func (s *sum) finish() {
	f := s.f
	if s.terms > 0 {
		f.c[0] = widen(f.c[0], errUp(gammaUp(s.terms), upper(s.size, s.terms), 0))
	}
	f.nrm[0] = norm1(f.row(0))
}

// linear sets dst to the forms of W·src + b: W row-major with len(dst.c)
// rows and len(src.c) columns, b nil or one per row. The constants are
// interval.MulVec of src's; coefficient k of row i is Σ_j W_ij·a_jk rounded,
// whose error over all k is at most γ_J·Σ_j |W_ij|·Σ_k|a_jk| + act·J·2⁻¹⁰⁷⁵
// for J columns, added to the constant.
func linear(dst, src *fvec, w, b []float64) {
	rows, cols := len(dst.c), len(src.c)
	interval.MulVec(dst.c, w, rows, cols, src.c, b)
	if src.act == 0 {
		dst.constant()
		return
	}
	dst.act = src.act
	m, act := src.m, src.act
	for i := range rows {
		out := dst.a[i*m : i*m+act]
		clear(out)
		for j, wij := range w[i*cols : (i+1)*cols] {
			if wij == 0 {
				continue
			}
			for k, x := range src.a[j*m : j*m+act] {
				out[k] += wij * x
			}
		}
	}
	linearError(dst, src, w, rows, cols, false)
}

// linearT sets dst to the forms of Wᵀ·src, W row-major with len(src.c) rows
// and len(dst.c) columns, like linear.
func linearT(dst, src *fvec, w []float64) {
	rows, cols := len(src.c), len(dst.c)
	interval.MulVecTrans(dst.c, w, rows, cols, src.c)
	if src.act == 0 {
		dst.constant()
		return
	}
	dst.act = src.act
	m, act := src.m, src.act
	for j := range cols {
		clear(dst.a[j*m : j*m+act])
	}
	for i := range rows {
		in := src.a[i*m : i*m+act]
		for j, wij := range w[i*cols : (i+1)*cols] {
			if wij == 0 {
				continue
			}
			out := dst.a[j*m : j*m+act]
			for k, x := range in {
				out[k] += wij * x
			}
		}
	}
	linearError(dst, src, w, rows, cols, true)
}

// linearError adds the rounding error of the coefficients of linear (or
// linearT, if trans) to dst's constants, and sets dst.nrm.
func linearError(dst, src *fvec, w []float64, rows, cols int, trans bool) {
	terms := cols
	if trans {
		terms = rows
	}
	g := gammaUp(terms)
	for i := range dst.c {
		s := 0.0
		for j, nj := range src.nrm {
			k := i*cols + j
			if trans {
				k = j*cols + i
			}
			s += math.Abs(w[k]) * nj
		}
		dst.c[i] = widen(dst.c[i], errUp(g, upper(s, 2*terms), src.act*terms+terms))
		dst.nrm[i] = norm1(dst.row(i))
	}
}

// symbolize gives the remainder of node i of f the symbol k (< f.act, its
// coefficient zero): C = [lo, hi] becomes mid + r·σ_k with r ≥ the half-width
// rounded up. A remainder that is not finite keeps its interval.
func (f *fvec) symbolize(i, k int) {
	c := f.c[i]
	mid := c.Mid()
	if !finite(c.Lo) || !finite(c.Hi) || !finite(mid) {
		return
	}
	r := dev(c, mid)
	f.a[i*f.m+k] = r
	f.c[i] = interval.Point(mid)
	f.nrm[i] = addUp(f.nrm[i], r)
}

// abs returns |x|.
func abs(x float64) float64 { return max(x, -x) }

// finite reports whether x is neither infinite nor NaN.
func finite(x float64) bool { return x-x == 0 }
