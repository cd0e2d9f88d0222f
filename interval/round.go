package interval

import "math"

// This file holds the directed-rounding primitives every operation is built
// on. Go has no control over the rounding mode, so each function computes the
// round-to-nearest result and an exact error term (an error-free
// transformation), and moves the result one ulp outward only when the error
// term shows that rounding went the wrong way. The results are therefore the
// correctly rounded values toward −∞ (…Down) or +∞ (…Up): the tightest float64
// bounds of the real result.
//
// Shared conventions: arguments are never NaN; a product 0·(±Inf) is 0 (set-based
// multiplication, IEEE 1788 §7.3); callers never form ∞−∞, ∞/∞ or x/0.

// nextUp returns the least float64 greater than x (+Inf for +Inf).
func nextUp(x float64) float64 { return math.Nextafter(x, math.Inf(1)) }

// nextDown returns the greatest float64 less than x (−Inf for −Inf).
func nextDown(x float64) float64 { return math.Nextafter(x, math.Inf(-1)) }

// isFinite reports whether x is neither infinite nor NaN.
func isFinite(x float64) bool { return x-x == 0 }

// addDown returns a+b rounded toward −∞.
//
// The error of s = fl(a+b) is computed exactly by Dekker's Fast2Sum on the
// operands ordered by magnitude: with |a| ≥ |b|, z = s − a and b − z are
// exact in round-to-nearest, and |z| ≤ |b| + ulp(s)/2 cannot overflow while s
// is finite. (Knuth's branch-free TwoSum is not used: its step s − b
// overflows for some finite sums near MaxFloat64.) A finite sum that rounds to
// ±Inf has |a+b| > MaxFloat64, so its downward rounding is MaxFloat64 or −Inf.
func addDown(a, b float64) float64 {
	s := a + b
	if !isFinite(s) {
		if s > 0 && isFinite(a) && isFinite(b) {
			return math.MaxFloat64
		}
		return s
	}
	if math.Abs(a) < math.Abs(b) {
		a, b = b, a
	}
	if b-(s-a) < 0 {
		return nextDown(s)
	}
	return s
}

// addUp returns a+b rounded toward +∞.
func addUp(a, b float64) float64 { return -addDown(-a, -b) }

// subDown returns a−b rounded toward −∞.
func subDown(a, b float64) float64 { return addDown(a, -b) }

// subUp returns a−b rounded toward +∞.
func subUp(a, b float64) float64 { return -addDown(-a, b) }

// tiny is the magnitude below which a product's FMA residual may be rounded
// to zero: for |x·y| ≥ 2⁻⁹⁶⁰ the least significant bits of x and y have
// exponents summing to at least −1066, so x·y − fl(x·y), a nonzero multiple
// of that weight, is exactly representable.
const tiny = 0x1p-960

// mulResidual returns a float64 with the sign of x·y − p, where p = fl(x·y) is
// finite and x, y are finite and nonzero.
//
// math.FMA computes x·y − p exactly and rounds once, so the sign survives
// unless the residual underflows, which needs |p| < tiny. Then the smaller
// factor and p are scaled by 2¹¹⁰⁰ (exact: the smaller factor is below 2⁻⁴⁸⁰
// and p below 2⁻⁹⁶⁰) so that the residual is a multiple of 2⁻¹⁰⁴⁸.
func mulResidual(x, y, p float64) float64 {
	if math.Abs(p) < tiny {
		if math.Abs(x) > math.Abs(y) {
			x, y = y, x
		}
		x = x * 0x1p550 * 0x1p550
		p = p * 0x1p550 * 0x1p550
	}
	return math.FMA(x, y, -p)
}

// mulDown returns x·y rounded toward −∞, with 0·(±Inf) = 0.
func mulDown(x, y float64) float64 {
	if x == 0 || y == 0 {
		return 0
	}
	// The conversion rounds the product: without it the compiler may fuse x·y
	// into a later subtraction (an FMA on arm64, ppc64, s390x), and isFinite(p)
	// would see the exact residual instead of 0.
	p := float64(x * y)
	if !isFinite(p) {
		if p > 0 && isFinite(x) && isFinite(y) {
			return math.MaxFloat64
		}
		return p
	}
	if mulResidual(x, y, p) < 0 {
		return nextDown(p)
	}
	return p
}

// mulUp returns x·y rounded toward +∞, with 0·(±Inf) = 0.
func mulUp(x, y float64) float64 { return -mulDown(-x, y) }

// divResidual returns a float64 with the sign of a − q·b, where q = fl(a/b)
// is finite and a, b are finite and nonzero. Then a/b − q has the sign of
// (a − q·b)·b.
//
// math.FMA computes a − q·b exactly and rounds once. The sign survives unless
// the residual underflows, which needs |a| < 2⁻⁹⁵⁸ or a subnormal q; then a
// and b are reduced to [½, 1) by math.Frexp and q is scaled by the same
// power of two (exact, because the scaled q lies near a/b ∈ (½, 2)).
func divResidual(a, b, q float64) float64 {
	if math.Abs(a) < 0x1p-958 || math.Abs(q) < 0x1p-1022 {
		fa, ea := math.Frexp(a)
		fb, eb := math.Frexp(b)
		return math.FMA(-math.Ldexp(q, eb-ea), fb, fa)
	}
	return math.FMA(-q, b, a)
}

// divDown returns a/b rounded toward −∞ for b ≠ 0, not both infinite.
func divDown(a, b float64) float64 {
	if a == 0 || !isFinite(b) {
		return 0
	}
	q := a / b
	if !isFinite(q) {
		if q > 0 && isFinite(a) {
			return math.MaxFloat64
		}
		return q
	}
	if r := divResidual(a, b, q); r != 0 && (r < 0) != (b < 0) {
		return nextDown(q)
	}
	return q
}

// divUp returns a/b rounded toward +∞ for b ≠ 0, not both infinite.
func divUp(a, b float64) float64 { return -divDown(-a, b) }

// sqrtResidual returns a float64 with the sign of s² − a, and so of s − √a,
// where s = fl(√a) and 0 < a < +Inf. Below 2⁻⁹⁶⁰ the residual could
// underflow; a is then scaled by 2¹¹⁰⁰ and s by 2⁵⁵⁰, both exactly.
func sqrtResidual(a, s float64) float64 {
	if a < tiny {
		a = a * 0x1p550 * 0x1p550
		s *= 0x1p550
	}
	return math.FMA(s, s, -a)
}

// sqrtDown returns √a rounded toward −∞ for a ≥ 0.
func sqrtDown(a float64) float64 {
	s := math.Sqrt(a)
	if a == 0 || !isFinite(a) {
		return s
	}
	if sqrtResidual(a, s) > 0 {
		return nextDown(s)
	}
	return s
}

// sqrtUp returns √a rounded toward +∞ for a ≥ 0.
func sqrtUp(a float64) float64 {
	s := math.Sqrt(a)
	if a == 0 || !isFinite(a) {
		return s
	}
	if sqrtResidual(a, s) < 0 {
		return nextUp(s)
	}
	return s
}
