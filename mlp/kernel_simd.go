//go:build goexperiment.simd && amd64

package mlp

import (
	"math"
	"simd/archsimd"
)

// vec is 8 float64 lanes of an AVX-512 register.
type vec = archsimd.Float64x8

func splat(x float64) vec  { return archsimd.BroadcastFloat64x8(x) }
func load(s []float64) vec { return archsimd.LoadFloat64x8Slice(s) }

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

// group evaluates the m ≤ lanes samples in the lanes of x0; see groupGo.
func (e *Evaluator) group(m int, zd1 []float64, mode evalMode) {
	if e.simd {
		e.groupSIMD(zd1, mode)
		return
	}
	e.groupGo(m, lanes, zd1, mode)
}

// point evaluates the one sample in x0[:n] in modeHVP; see groupGo.
func (e *Evaluator) point(zd1 []float64) {
	if e.simd {
		e.pointSIMD(zd1)
		return
	}
	e.groupGo(1, 1, zd1, modeHVP)
}

// groupSIMD is groupGo for m = lanes and stride = lanes, one sample per vector
// lane, with fused multiply-adds. All lanes are evaluated; unused ones hold
// zeros.
func (e *Evaluator) groupSIMD(zd1 []float64, mode evalMode) {
	prev, prevDot := e.x0, []float64(nil)
	for l := range e.layers {
		ly := &e.layers[l]
		for i := range ly.out {
			w := ly.w[i*ly.inPad : i*ly.inPad+ly.in]
			z := splat(ly.b[i])
			var zd vec
			if mode == modeHVP && l > 0 {
				for j, wj := range w {
					wv := splat(wj)
					z = wv.MulAdd(load(prev[j*lanes:]), z)
					zd = wv.MulAdd(load(prevDot[j*lanes:]), zd)
				}
			} else {
				for j, wj := range w {
					z = splat(wj).MulAdd(load(prev[j*lanes:]), z)
				}
				if mode == modeHVP {
					zd = splat(zd1[i])
				}
			}
			a, d1, d2 := activate8(e.act, z)
			o := i * lanes
			a.StoreSlice(ly.a[o:])
			if mode == modeValue {
				continue
			}
			d1.StoreSlice(ly.d1[o:])
			if mode == modeHVP {
				d1.Mul(zd).StoreSlice(ly.ad[o:])
				d2.Mul(zd).StoreSlice(ly.t[o:])
			}
		}
		prev, prevDot = ly.a, ly.ad
	}

	y := splat(e.bOut)
	for j, wj := range e.wOut[:e.last] {
		y = splat(wj).MulAdd(load(prev[j*lanes:]), y)
	}
	y.StoreSlice(e.y)
	if mode == modeValue {
		return
	}

	L := len(e.layers)
	if L == 0 {
		for j, wj := range e.wOut[:e.n] {
			splat(wj).StoreSlice(e.g0[j*lanes:])
			vec{}.StoreSlice(e.h0[j*lanes:])
		}
		return
	}
	top := &e.layers[L-1]
	for i, wo := range e.wOut[:top.out] {
		o := i * lanes
		load(top.d1[o:]).Mul(splat(wo)).StoreSlice(top.d1[o:])
		load(top.t[o:]).Mul(splat(wo)).StoreSlice(top.t[o:])
	}
	for l := L - 1; l >= 0; l-- {
		ly := &e.layers[l]
		for j := range ly.in {
			var g, h vec
			wt := ly.wt[j*ly.outPad : j*ly.outPad+ly.out]
			if mode == modeHVP {
				for i, w := range wt {
					wv := splat(w)
					g = wv.MulAdd(load(ly.d1[i*lanes:]), g)
					h = wv.MulAdd(load(ly.t[i*lanes:]), h)
				}
			} else {
				for i, w := range wt {
					g = splat(w).MulAdd(load(ly.d1[i*lanes:]), g)
				}
			}
			o := j * lanes
			if l == 0 {
				g.StoreSlice(e.g0[o:])
				h.StoreSlice(e.h0[o:])
				continue
			}
			pl := &e.layers[l-1]
			d1 := load(pl.d1[o:])
			load(pl.t[o:]).MulAdd(g, d1.Mul(h)).StoreSlice(pl.t[o:])
			d1.Mul(g).StoreSlice(pl.d1[o:])
		}
	}
}

// pointSIMD is groupGo for one sample (m = stride = 1), with the vector lanes
// running over the nodes of a layer instead of over samples. It performs the
// same fused multiply-adds in the same order for every node as groupSIMD does
// for every lane, so the two give the same bits. The padding nodes of a layer
// have zero weights and biases, and are evaluated and ignored.
func (e *Evaluator) pointSIMD(zd1 []float64) {
	prev, prevDot := e.x0, []float64(nil)
	for l := range e.layers {
		ly := &e.layers[l]
		for p := 0; p < ly.outPad; p += lanes {
			z := load(ly.b[p:])
			var zd vec
			if l == 0 {
				zd = load(zd1[p:])
				for j, x := range prev[:ly.in] {
					z = load(ly.wt[j*ly.outPad+p:]).MulAdd(splat(x), z)
				}
			} else {
				for j, x := range prev[:ly.in] {
					w := load(ly.wt[j*ly.outPad+p:])
					z = w.MulAdd(splat(x), z)
					zd = w.MulAdd(splat(prevDot[j]), zd)
				}
			}
			a, d1, d2 := activate8(e.act, z)
			a.StoreSlice(ly.a[p:])
			d1.StoreSlice(ly.d1[p:])
			d1.Mul(zd).StoreSlice(ly.ad[p:])
			d2.Mul(zd).StoreSlice(ly.t[p:])
		}
		prev, prevDot = ly.a, ly.ad
	}

	y := e.bOut
	for j, wj := range e.wOut[:e.last] {
		y = math.FMA(wj, prev[j], y)
	}
	e.y[0] = y

	L := len(e.layers)
	if L == 0 {
		copy(e.g0, e.wOut[:e.n])
		clear(e.h0[:e.n])
		return
	}
	top := &e.layers[L-1]
	for p := 0; p < top.outPad; p += lanes {
		wo := load(e.wOut[p:])
		load(top.d1[p:]).Mul(wo).StoreSlice(top.d1[p:])
		load(top.t[p:]).Mul(wo).StoreSlice(top.t[p:])
	}
	for l := L - 1; l >= 0; l-- {
		ly := &e.layers[l]
		for q := 0; q < ly.inPad; q += lanes {
			var g, h vec
			for i := range ly.out {
				w := load(ly.w[i*ly.inPad+q:])
				g = w.MulAdd(splat(ly.d1[i]), g)
				h = w.MulAdd(splat(ly.t[i]), h)
			}
			if l == 0 {
				g.StoreSlice(e.g0[q:])
				h.StoreSlice(e.h0[q:])
				continue
			}
			pl := &e.layers[l-1]
			d1 := load(pl.d1[q:])
			load(pl.t[q:]).MulAdd(g, d1.Mul(h)).StoreSlice(pl.t[q:])
			d1.Mul(g).StoreSlice(pl.d1[q:])
		}
	}
}

// activate8 returns σ(z), σ′(z) and σ″(z) in each lane for the activation act,
// with the formulas of Activation.Eval. The results for z = ±Inf are
// unspecified.
func activate8(act Activation, z vec) (f, d1, d2 vec) {
	switch act {
	case Softplus:
		return softplus8(z)
	case Tanh:
		return tanh8(z)
	case ReLU:
		return relu8(z)
	}
	return silu8(z)
}

// silu8 returns σ = z·s, σ′ = s(1 + z(1−s)) and σ″ = s(1−s)(2 + z(1−2s)),
// s = 1/(1 + e⁻ᶻ).
func silu8(z vec) (f, d1, d2 vec) {
	s, c, _ := sigmoid8(z)
	p := s.Mul(c)
	f = z.Mul(s)
	d1 = z.MulAdd(p, s)
	d2 = p.Mul(z.MulAdd(c.Sub(s), splat(2)))
	return f, d1, d2
}

// softplus8 returns σ = log(1 + eᶻ) = max(z, 0) + log1p(e^−|z|), σ′ = s and
// σ″ = s(1−s), s = 1/(1 + e⁻ᶻ).
func softplus8(z vec) (f, d1, d2 vec) {
	s, c, e := sigmoid8(z)
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

// tanh8 returns σ = tanh z, σ′ = 1 − tanh²z and σ″ = −2σ·σ′. For |z| ≥ 0.625,
// σ = ±(1 − e)/(1 + e) and σ′ = 4e/(1 + e)² with e = e^−2|z|, so σ′ keeps its
// relative accuracy where σ rounds to ±1; below, σ is the rational
// approximation of math.Tanh, accurate to about 1 ulp.
func tanh8(z vec) (f, d1, d2 vec) {
	one := splat(1)
	neg := vec{}.Sub(z)
	az := z.Max(neg)
	e := exp8(az.Mul(splat(-2)))
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

// relu8 returns σ = max(z, 0), σ′ = 1 if z > 0 else 0, and σ″ = 0.
func relu8(z vec) (f, d1, d2 vec) {
	return z.Max(vec{}), splat(1).Masked(z.Greater(vec{})), vec{}
}

// sigmoid8 returns s = 1/(1 + e⁻ᶻ), c = 1 − s and e = e^−|z| in each lane.
// s and c are computed as 1/(1 + e) and e/(1 + e), never by a cancelling
// subtraction, so both keep their relative accuracy (a few ulp) for all z;
// neither overflows.
func sigmoid8(z vec) (s, c, e vec) {
	one := splat(1)
	e = exp8(z.Min(vec{}.Sub(z)))
	r := one.Div(one.Add(e))
	er := e.Mul(r)
	neg := z.Less(vec{})
	return er.Merge(r, neg), r.Merge(er, neg), e
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
// relative); then e^x = e^r·2^k by VSCALEFPD, which rounds once, overflows to
// +Inf and underflows gradually. Measured error (kernel_simd_test.go): below
// 1 ulp for normal results, against math.Exp.
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
	c := t.Sub(u.Sub(one)).Mul(u.Reciprocal()) // the correction is tiny: 14 bits suffice
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
