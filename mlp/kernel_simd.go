//go:build goexperiment.simd && amd64

package mlp

import (
	"math"
	"simd/archsimd"
)

// vec is 8 float64 lanes of an AVX-512 register.
type vec = archsimd.Float64x8

// splat returns x in every lane.
func splat(x float64) vec { return archsimd.BroadcastFloat64x8(x) }

// ld returns the lanes *p.
func ld(p *[lanes]float64) vec { return archsimd.LoadFloat64x8(p) }

// useSIMD reports whether the CPU runs the AVX-512 kernels.
func useSIMD() bool { return archsimd.X86.AVX512() }

// negAbs returns −|z| in each lane.
func negAbs(z vec) vec { return z.Min(vec{}.Sub(z)) }

// silu8 returns σ = z·s, σ′ = s(1 + z(1−s)) and σ″ = s(1−s)(2 + z(1−2s)),
// given s = 1/(1 + e⁻ᶻ) and c = 1 − s (sigmoid8).
func silu8(z, s, c vec) (f, d1, d2 vec) {
	p := s.Mul(c)
	f = z.Mul(s)
	d1 = z.MulAdd(p, s)
	d2 = p.Mul(z.MulAdd(c.Sub(s), splat(2)))
	return f, d1, d2
}

// silu3rd8 returns σ‴ = s(1−s)(3(1−2s) + z(1 − 6s(1−s))) of SiLU, given
// s = 1/(1 + e⁻ᶻ) and c = 1 − s (sigmoid8).
func silu3rd8(z, s, c vec) vec {
	p := s.Mul(c)
	return p.Mul(z.MulAdd(p.MulAdd(splat(-6), splat(1)), c.Sub(s).Mul(splat(3))))
}

// sigmoid8 returns s = 1/(1 + e⁻ᶻ) and c = 1 − s in each lane, given
// e = e^−|z|. s and c are computed as 1/(1 + e) and e/(1 + e), never by a
// cancelling subtraction, so both keep their relative accuracy (a few ulp) for
// all z; neither overflows.
func sigmoid8(z, e vec) (s, c vec) {
	one := splat(1)
	r := one.Div(one.Add(e))
	// Select the factors, not the products, so that the compiler cannot turn
	// the selection into a second, masked division.
	neg := z.Less(vec{})
	return r.Mul(e.Merge(one, neg)), r.Mul(one.Merge(e, neg))
}

// Constants of exp8.
const (
	expMax = 710  // e^x overflows for x > 709.79
	expMin = -746 // e^x rounds to 0 for x < -745.14
	ln2Hi  = 6.93147180369123816490e-01
	ln2Lo  = 1.90821492927058770002e-10
)

// exp8 returns e^x in each lane.
//
// Special cases are:
//
//	exp8(+Inf) = +Inf
//	exp8(-Inf) = 0
//	exp8(NaN) = NaN
//	exp8(x) = +Inf for x > 709.79 (overflow); results below 2⁻¹⁰²² are
//	subnormal or 0
//
// Method: x = k·ln2 + r with k = round(x/ln2) and |r| ≤ ln2/2, r computed with
// ln2 split in two (Cody–Waite) by two fused multiply-adds; e^r from its Taylor
// polynomial of degree 13 by Horner's rule (truncation error below 2⁻⁵⁷
// relative; splitting it into even and odd parts halves the latency but gave
// errors of 2 ulp); then e^x = e^r·2^k by VSCALEFPD, which rounds once,
// overflows to +Inf and underflows gradually. Accuracy (TestExp8): at most 1 ulp
// from the correctly rounded e^x (1 unit of 2⁻¹⁰⁷⁴ for subnormal results), 95%
// of results correctly rounded.
func exp8(x vec) vec {
	xc := x.Max(splat(expMin)).Min(splat(expMax))
	k := xc.Mul(splat(math.Log2E)).RoundToEvenScaled(0)
	r := k.MulAdd(splat(-ln2Hi), xc)
	r = k.MulAdd(splat(-ln2Lo), r)
	p := splat(1.0 / 6227020800) // 1/13!
	p = p.MulAdd(r, splat(1.0/479001600))
	p = p.MulAdd(r, splat(1.0/39916800))
	p = p.MulAdd(r, splat(1.0/3628800))
	p = p.MulAdd(r, splat(1.0/362880))
	p = p.MulAdd(r, splat(1.0/40320))
	p = p.MulAdd(r, splat(1.0/5040))
	p = p.MulAdd(r, splat(1.0/720))
	p = p.MulAdd(r, splat(1.0/120))
	p = p.MulAdd(r, splat(1.0/24))
	p = p.MulAdd(r, splat(1.0/6))
	p = p.MulAdd(r, splat(0.5))
	p = p.MulAdd(r, splat(1))
	p = p.MulAdd(r, splat(1))
	return x.Merge(p.Scale(k), x.IsNaN())
}
