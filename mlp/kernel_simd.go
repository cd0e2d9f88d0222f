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

// EvalKernel returns the name of the kernel new Evaluators run: "avx512" (the
// build has GOEXPERIMENT=simd, amd64, and the CPU has AVX-512F, CD, BW, DQ and VL)
// or "go" (plain Go).
func EvalKernel() string {
	if useSIMD() {
		return "avx512"
	}
	return "go"
}

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

// softplus8 returns σ = log(1 + eᶻ) = max(z, 0) + log1p(e^−|z|), σ′ = s and
// σ″ = s(1−s), s = 1/(1 + e⁻ᶻ), given e = e^−|z|.
func softplus8(z, e vec) (f, d1, d2 vec) {
	s, c := sigmoid8(z, e)
	return z.Max(vec{}).Add(log1p8(e)), s, s.Mul(c)
}

// Coefficients of the rational approximation of tanh on |z| < 0.625 (Cephes,
// as in math.Tanh).
const (
	tanhP0 = -9.64399179425052238628e-1
	tanhP1 = -9.92877231001918586564e1
	tanhP2 = -1.61468768441708447952e3
	tanhQ0 = 1.12811678491632931402e2
	tanhQ1 = 2.23548839060100448583e3
	tanhQ2 = 4.84406305325125486048e3
)

// tanh8 returns σ = tanh z, σ′ = 1 − tanh²z and σ″ = −2σ·σ′, given
// e = e^−2|z|. For |z| ≥ 0.625, σ = ±(1 − e)/(1 + e) and σ′ = 4e/(1 + e)², so
// σ′ keeps its relative accuracy where σ rounds to ±1; below, σ is the
// rational approximation of math.Tanh, accurate to about 1 ulp.
func tanh8(z, e vec) (f, d1, d2 vec) {
	one := splat(1)
	az := z.Max(vec{}.Sub(z))
	r := one.Div(one.Add(e))
	tb := one.Sub(e).Mul(r)
	tb = vec{}.Sub(tb).Merge(tb, z.Less(vec{}))
	db := e.Mul(splat(4)).Mul(r).Mul(r)

	s := z.Mul(z)
	p := splat(tanhP0).MulAdd(s, splat(tanhP1)).MulAdd(s, splat(tanhP2))
	q := s.Add(splat(tanhQ0)).MulAdd(s, splat(tanhQ1)).MulAdd(s, splat(tanhQ2))
	ts := z.Mul(s).Mul(p).Div(q).Add(z)
	ds := vec{}.Sub(ts).MulAdd(ts, one)

	small := az.Less(splat(0.625))
	f = ts.Merge(tb, small)
	d1 = ds.Merge(db, small)
	return f, d1, f.Mul(d1).Mul(splat(-2))
}

// relu8 returns σ = max(z, 0), σ′ = 1 if z > 0 else 0, and σ″ = 0, with
// σ(NaN) = NaN and σ′(NaN) = 0 as in Activation.Eval.
func relu8(z vec) (f, d1, d2 vec) {
	return vec{}.Merge(z, z.LessEqual(vec{})), splat(1).Masked(z.Greater(vec{})), vec{}
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

// Coefficients of log1p8: the minimax polynomial of math.Log (FreeBSD's e_log.c).
const (
	logL1 = 6.666666666666735130e-01
	logL2 = 3.999999999940941908e-01
	logL3 = 2.857142874366239149e-01
	logL4 = 2.222219843214978396e-01
	logL5 = 1.818357216161805012e-01
	logL6 = 1.531383769920937332e-01
	logL7 = 1.479819860511658591e-01
)

// log1p8 returns log(1 + t) in each lane for 0 ≤ t ≤ 1, or NaN for t = NaN.
//
// Method: u = 1 + t rounded, then log(u) as in math.Log (u = 2^k·(1 + f),
// k ∈ {0, 1}, |f| < 0.42, log(1 + f) = 2·atanh(f/(2 + f)) by a minimax
// polynomial), plus the first-order correction (t − (u − 1))/u for the rounding
// of u, so that small t keep their relative accuracy. Error about 1 ulp.
func log1p8(t vec) vec {
	one := splat(1)
	u := one.Add(t)
	c := t.Sub(u.Sub(one)).Div(u) // all of log1p(t) when 1 + t rounds to 1
	big := u.GreaterEqual(splat(math.Sqrt2))
	f := u.Mul(splat(0.5)).Sub(one).Merge(u.Sub(one), big)
	k := one.Masked(big)
	s := f.Div(splat(2).Add(f))
	s2 := s.Mul(s)
	s4 := s2.Mul(s2)
	t1 := s2.Mul(s4.MulAdd(s4.MulAdd(s4.MulAdd(splat(logL7), splat(logL5)), splat(logL3)), splat(logL1)))
	t2 := s4.Mul(s4.MulAdd(s4.MulAdd(splat(logL6), splat(logL4)), splat(logL2)))
	hfsq := splat(0.5).Mul(f).Mul(f)
	// k·Ln2Hi − ((hfsq − (s·(hfsq + R) + k·Ln2Lo)) − f)
	in := s.MulAdd(hfsq.Add(t1.Add(t2)), k.Mul(splat(ln2Lo)))
	return k.MulAdd(splat(ln2Hi), f.Sub(hfsq.Sub(in))).Add(c)
}
