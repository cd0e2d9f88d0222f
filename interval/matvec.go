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
// [(c − E)/2, (c + E)/2], rounded outward.
//
// Tightness. Each bound of the result is outside the exact one by at most
// X/2, X = |c − 2C| + (E − 2R), plus the outward roundings of c ± E and of
// the halving. Write A = Σ|wⱼ(loⱼ+hiⱼ)|, D = Σ|wⱼ|(hiⱼ−loⱼ) = 2R and
// M = Σ|wⱼ|·mag(xⱼ); then A + D = 2M, because |lo+hi| + (hi−lo) = 2·mag.
//
// Relative errors (results in the normal range), to first order in u: the
// terms of c carry n+1 roundings (sⱼ, pⱼ, n−1 additions), so
// |c − 2C| ≤ (n+1)u·A; the terms of ρ′ carry n+2 (dⱼ, the product, the
// addition of fl(g·|pⱼ|), n−1 additions) and ρ′ adds g·A; E adds g·ρ′ and
// its last upward rounding 2u·ρ′. So X ≤ (2n+3)u·A + (2n+6)u·D, and the
// upward rounding of c ± E adds u·(A+D) to each half: each bound is outside
// by at most (n+2.5)u·A + (n+4)u·D ≤ (2n+8)u·M. The factor 1 + 2⁻⁸ of g and
// the terms of second order add less than 1% of that for n·u ≤ 2⁻¹⁰.
//
// Absolute errors (underflow). A sum or difference whose exact value is
// subnormal is exact, so only the products lose: rounded to nearest, each of
// the 3n products pⱼ, fl(|wⱼ|·dⱼ) and fl(g·|pⱼ|) is off by at most η/2,
// which adds at most 3nη/2 to X; mulUp(g, ρ′) adds less than η, E holds 2nη,
// and halving c ± E rounds away at most η/2. Each bound is therefore outside
// by at most (3nη/2 + η + 2nη)/2 + η/2 = (7n+4)η/4. (A later rounding of a
// result in the normal range, ≥ 2⁻¹⁰²² = 2⁵²η, applied to these terms gives
// a term of second order, inside the 1% above.) fl(g·|pⱼ|) exceeds g·|pⱼ|
// only for |pⱼ| > η/(2g) (below, it is 0); for smaller products the bound is
// (3n+2)η/2, and it is attained: for n = 1, w = 0.75 and x = [36η, 350η], p = fl(289.5η) = 290η,
// ρ′ = fl(235.5η) = 236η, E = 236η + η + 2η, and (c + E)/2 = 264.5η is
// rounded up to 265η, 2.5η above the exact 262.5η.
//
// Altogether, each bound exceeds the exact one by at most
//
//	1.01·(2n+8)u·M + (7n+4)η/4,
//
// plus one rounding when a bias is added.
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
//
//	1.01·(2·cols+8)·2⁻⁵³·Σⱼ|W[i,j]|·mag(x[j]) + (7·cols+4)·2⁻¹⁰⁷⁶,
//
// plus one rounding for b[i]: about 2·cols ulp of the largest term, and at
// most 1.75·cols+1 times the smallest subnormal 2⁻¹⁰⁷⁴ where the products
// underflow. Rows with an infinite bound,
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
