package interval

import "math"

// This file holds products of point matrices with interval vectors, in the
// midpoint–radius form of Rump ("Fast and parallel interval arithmetic", BIT
// 39, 1999), adapted to round-to-nearest arithmetic.
//
// For n terms wⱼ·xⱼ, xⱼ = [loⱼ, hiⱼ] finite, the exact set {Σ wⱼ·ξⱼ : ξⱼ ∈ xⱼ}
// is [C − R, C + R] with 2C = Σ wⱼ(loⱼ+hiⱼ) and 2R = Σ |wⱼ|(hiⱼ−loⱼ). With
// sⱼ = fl(loⱼ+hiⱼ) and dⱼ = fl(hiⱼ−loⱼ) the kernels accumulate, in
// round-to-nearest and in order,
//
//	c  = Σ pⱼ,                        pⱼ = fl(wⱼ·sⱼ)
//	ρ′ = Σ fl(fl(|wⱼ|·dⱼ) + fl(g·|pⱼ|)),  g = (1 + 2⁻⁸)(n+2)·2⁻⁵³.
//
// Writing u = 2⁻⁵³ and η = 2⁻¹⁰⁷⁴, every sum or product above satisfies
// fl(a∘b) = (a∘b)(1+δ) + ε with |δ| ≤ u, |ε| ≤ η/2 (ε = 0 for sums), and
// recursive summation gives Σ tⱼ(1+θⱼ) with |θⱼ| ≤ γₙ₋₁, γₖ = ku/(1−ku)
// (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §3.1 and
// Lemma 3.1). Then |c − 2C| ≤ γₙ₊₁·Σ|wⱼ(loⱼ+hiⱼ)| + 0.51nη and
// Σ|wⱼ(loⱼ+hiⱼ)| ≤ (Σ|pⱼ| + nη/2)/(1−u)², 2R ≤ (Σ fl(|wⱼ|dⱼ) + nη/2)/(1−u)².
// Since g(1−u) ≥ γₙ₊₁, both sums are covered by ρ′, and for n·u ≤ 2⁻¹⁰
// (n ≤ 2⁴³)
//
//	|c − 2C| + 2R ≤ ρ′·(1 + 1.001(n+2)u) + 1.6nη ≤ E = ρ′ + g·ρ′ + 2nη.
//
// E is evaluated with upward rounding and the result is
// [(c − E)/2, (c + E)/2], rounded outward. Since ρ′ ≈ 2R + g·Σ|pⱼ|,
// |c − 2C| ≤ γₙ₊₁·Σ|pⱼ| and |pⱼ|/2 + |wⱼ|dⱼ/2 ≈ |wⱼ|·mag(xⱼ), each bound
// exceeds the exact one by at most (2n+8)u·Σ|wⱼ|·mag(xⱼ) + nη (the 8 covers
// the few upward roundings of E and of c ± E, at the scale of that sum), plus
// one rounding when a bias is added.
//
// All of this assumes no overflow and finite inputs. Any infinite or NaN
// input, or an overflow, makes c or ρ′ infinite or NaN (infinities and NaNs
// are never absorbed by the operations used), and that row is redone by
// dotExact with one tightest interval operation per term.
//
// Products are converted with float64(…) before they are added, so that the
// compiler cannot fuse them into FMAs: results are bit-for-bit the same on
// every platform.

const (
	panicLength = "interval: slice length mismatch"
	panicShape  = "interval: negative dimension"
)

// dotTerm returns pⱼ and the jth summand of ρ′ (see the comment at the top of
// the file) from w = wⱼ, s = sⱼ = fl(loⱼ+hiⱼ) and d = dⱼ = fl(hiⱼ−loⱼ).
func dotTerm(w, s, d, g float64) (p, r float64) {
	p = float64(w * s)
	r = float64(math.Abs(w)*d) + float64(g*math.Abs(p))
	return p, r
}

// dotGamma returns g = (1 + 2⁻⁸)(n+2)·2⁻⁵³ for n terms (exact for n < 2⁴⁴).
func dotGamma(n int) float64 { return float64(257*(n+2)) * 0x1p-61 }

// dotSums returns c and ρ′ for the terms w[j]·x[j] (len(w) ≥ len(x)).
func dotSums(w []float64, x []Interval, g float64) (c, rho float64) {
	for j, xj := range x {
		p, r := dotTerm(w[j], xj.Lo+xj.Hi, xj.Hi-xj.Lo, g)
		c += p
		rho += r
	}
	return c, rho
}

// dotFinish returns the enclosure of the n-term dot product from c and ρ′,
// plus b, and whether it is valid (everything finite).
func dotFinish(c, rho, g float64, n int, b float64) (Interval, bool) {
	e := addUp(rho, addUp(mulUp(g, rho), float64(2*n)*math.SmallestNonzeroFloat64))
	r := Interval{addDown(mulDown(subDown(c, e), 0.5), b), addUp(mulUp(addUp(c, e), 0.5), b)}
	return r, isFinite(c) && isFinite(e) && isFinite(r.Lo) && isFinite(r.Hi)
}

// dotExact returns the enclosure of b + Σⱼ w[off+j·stride]·x[j] built from
// Add and Mul: Empty if some x[j] is empty, Entire if b or a used weight is
// not finite. It handles what the midpoint–radius kernels cannot (infinite
// bounds, with 0·∞ = 0; overflow).
func dotExact(w []float64, off, stride int, x []Interval, b float64) Interval {
	for _, xj := range x {
		if xj.IsEmpty() {
			return Empty()
		}
	}
	sum := Interval{0, 0}
	for j, xj := range x {
		wj := w[off+j*stride]
		if !isFinite(wj) {
			return Entire()
		}
		sum = Add(sum, Mul(Interval{wj, wj}, xj))
	}
	if !isFinite(b) {
		return Entire()
	}
	return Add(sum, Interval{b, b})
}

// Dot returns an enclosure of {Σⱼ w[j]·ξⱼ : ξⱼ ∈ x[j]}, the dot product of a
// point vector with an interval vector, with the accuracy of MulVec. It
// returns Empty() if some x[j] is empty and Entire() if a weight is not
// finite. Dot panics if len(w) != len(x).
func Dot(w []float64, x []Interval) Interval {
	if len(w) != len(x) {
		panic(panicLength)
	}
	g := dotGamma(len(x))
	c, rho := dotSums(w, x, g)
	if r, ok := dotFinish(c, rho, g, len(x), 0); ok {
		return r
	}
	return dotExact(w, 0, 1, x, 0)
}

// MulVec sets dst to an enclosure of W·x + b and returns dst: for each row i,
//
//	dst[i] ⊇ {b[i] + Σⱼ W[i,j]·ξⱼ : ξⱼ ∈ x[j]},  W[i,j] = w[i·cols + j],
//
// with W row-major of shape rows×cols, len(x) = cols and len(dst) = rows. A
// nil b means b = 0; a nil dst is allocated. MulVec does not allocate
// otherwise.
//
// Accuracy: rows with finite inputs use a midpoint–radius product in
// round-to-nearest with a rigorous error bound (see the comment in
// matvec.go). Each bound of dst[i] is outside the exact one by at most
// (2·cols+8)·2⁻⁵³·Σⱼ|W[i,j]|·mag(x[j]) + cols·2⁻¹⁰⁷⁴, plus one rounding for
// b[i]: about 2·cols ulp of the largest term. Rows with an infinite bound,
// an empty x[j], a non-finite weight or bias, or an overflow are summed
// term by term with Mul and Add instead (sound; tightest per operation, but
// partial sums that overflow lose tightness): dst[i] is Empty() if some x[j]
// is empty and Entire() if b[i] or a weight of row i is ±Inf or NaN.
//
// dst must not overlap x. MulVec panics if rows or cols is negative, if
// len(w) != rows·cols, len(x) != cols, or b or dst is non-nil and its length
// is not rows.
func MulVec(dst []Interval, w []float64, rows, cols int, x []Interval, b []float64) []Interval {
	if rows < 0 || cols < 0 {
		panic(panicShape)
	}
	if len(w) != rows*cols || len(x) != cols || (b != nil && len(b) != rows) || (dst != nil && len(dst) != rows) {
		panic(panicLength)
	}
	if dst == nil {
		dst = make([]Interval, rows)
	}
	g := dotGamma(cols)
	for i := range dst {
		c, rho := dotSums(w[i*cols:(i+1)*cols], x, g)
		var bi float64
		if b != nil {
			bi = b[i]
		}
		var ok bool
		if dst[i], ok = dotFinish(c, rho, g, cols, bi); !ok {
			dst[i] = dotExact(w, i*cols, 1, x, bi)
		}
	}
	return dst
}

// MulVecTrans sets dst to an enclosure of Wᵀ·x and returns dst: for each
// column j,
//
//	dst[j] ⊇ {Σᵢ W[i,j]·ξᵢ : ξᵢ ∈ x[i]},  W[i,j] = w[i·cols + j],
//
// with W row-major of shape rows×cols, len(x) = rows and len(dst) = cols. This
// is the adjoint step G_{l−1} = W_lᵀ·Δ_l of IASA (method.md §5). A nil dst is
// allocated; MulVecTrans does not allocate otherwise. It reads W row by row,
// accumulating into dst.
//
// The accuracy and special cases are those of MulVec with rows and cols
// exchanged, and dst[j] is bit-for-bit MulVec of the transposed matrix. dst
// must not overlap x. MulVecTrans panics if rows or cols is negative, if
// len(w) != rows·cols, len(x) != rows, or dst is non-nil and len(dst) != cols.
func MulVecTrans(dst []Interval, w []float64, rows, cols int, x []Interval) []Interval {
	if rows < 0 || cols < 0 {
		panic(panicShape)
	}
	if len(w) != rows*cols || len(x) != rows || (dst != nil && len(dst) != cols) {
		panic(panicLength)
	}
	if dst == nil {
		dst = make([]Interval, cols)
	}
	// dst[j] holds the running sums c (Lo) and ρ′ (Hi) of column j.
	clear(dst)
	g := dotGamma(rows)
	for i, xi := range x {
		row := w[i*cols : (i+1)*cols]
		s, d := xi.Lo+xi.Hi, xi.Hi-xi.Lo
		for j, wij := range row {
			p, r := dotTerm(wij, s, d, g)
			dst[j].Lo += p
			dst[j].Hi += r
		}
	}
	for j := range dst {
		var ok bool
		if dst[j], ok = dotFinish(dst[j].Lo, dst[j].Hi, g, rows, 0); !ok {
			dst[j] = dotExact(w, j, cols, x, 0)
		}
	}
	return dst
}
