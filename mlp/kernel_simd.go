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

// group evaluates the m ≤ lanes samples in the lanes of the scratch; see
// groupGo and rawGo.
func (e *Evaluator) group(m int, zd1 []float64, mode evalMode) {
	if e.simd {
		e.groupSIMD(zd1, mode)
		e.rawSIMD(mode)
		return
	}
	e.groupGo(m, zd1, mode)
	e.rawGo(m, mode)
}

// point evaluates the one sample in lane 0 of the scratch in modeHVP; see
// groupGo and rawGo.
func (e *Evaluator) point(zd1 []float64) {
	if e.simd {
		e.pointSIMD(zd1)
	} else {
		e.groupGo(1, zd1, modeHVP)
	}
	e.rawGo(1, modeHVP)
}

// rawSIMD is rawGo for all lanes, with the same operations, unfused.
func (e *Evaluator) rawSIMD(mode evalMode) {
	splat(e.yMean).Add(splat(e.yScale).Mul(ld(&e.y))).Store(&e.y)
	if mode == modeValue {
		return
	}
	var s vec
	for j, c := range e.gScale {
		cv := splat(c)
		cv.Mul(ld(&e.g0[j])).Store(&e.g0[j])
		h := cv.Mul(ld(&e.h0[j]))
		h.Store(&e.h0[j])
		s = s.Add(h)
	}
	s.Store(&e.gam)
}

// groupSIMD is groupGo for m = lanes, one sample per vector lane, with fused
// multiply-adds. All lanes are evaluated; unused ones hold zeros. The matrix
// products run on tiles of 4 nodes whose accumulators stay in registers (fwd4,
// fwdTan4, back4, backTan4); the padding nodes of the last tile of a layer have
// zero weights and biases, and are evaluated and ignored.
func (e *Evaluator) groupSIMD(zd1 []float64, mode evalMode) {
	for j := range e.x0 {
		ld(&e.x0[j]).Sub(splat(e.xMean[j])).Div(splat(e.xScale[j])).Store(&e.x0[j])
	}
	prev, prevDot := e.x0, [][lanes]float64(nil)
	for l := range e.layers {
		ly := &e.layers[l]
		for p := range ly.outPad4 / 4 {
			wt := ly.wt4[p*ly.in : (p+1)*ly.in]
			b := (*[4]float64)(ly.b[4*p:])
			z := ly.a[4*p : 4*p+4]
			if mode == modeHVP && l > 0 {
				fwdTan4(z, ly.ad[4*p:4*p+4], wt, prev, prevDot, b)
			} else {
				fwd4(z, wt, prev, b)
			}
		}
		if mode == modeHVP && l == 0 {
			for i := range ly.out {
				splat(zd1[i]).Store(&ly.ad[i])
			}
		}
		activateLayer(e.act, mode, ly.a[:ly.out], ly.ad, ly.d1, ly.t)
		prev, prevDot = ly.a, ly.ad
	}

	y := splat(e.bOut)
	for j, wj := range e.wOut[:e.last] {
		y = splat(wj).MulAdd(ld(&prev[j]), y)
	}
	y.Store(&e.y)
	if mode == modeValue {
		return
	}

	L := len(e.layers)
	if L == 0 {
		for j, wj := range e.wOut[:e.n] {
			splat(wj).Store(&e.g0[j])
			vec{}.Store(&e.h0[j])
		}
		return
	}
	top := &e.layers[L-1]
	for i, wo := range e.wOut[:top.out] {
		ld(&top.d1[i]).Mul(splat(wo)).Store(&top.d1[i])
		ld(&top.t[i]).Mul(splat(wo)).Store(&top.t[i])
	}
	for l := L - 1; l >= 0; l-- {
		ly := &e.layers[l]
		g, h := e.g0, e.h0
		if l > 0 {
			g, h = e.gs, e.hs
		}
		for q := range ly.inPad4 / 4 {
			w := ly.w4[q*ly.out : (q+1)*ly.out]
			if mode == modeHVP {
				backTan4(g[4*q:4*q+4], h[4*q:4*q+4], w, ly.d1, ly.t)
			} else {
				back4(g[4*q:4*q+4], w, ly.d1)
			}
		}
		if l == 0 {
			break
		}
		pl := &e.layers[l-1]
		for j := range pl.out {
			d1, gj := ld(&pl.d1[j]), ld(&g[j])
			if mode == modeHVP {
				ld(&pl.t[j]).MulAdd(gj, d1.Mul(ld(&h[j]))).Store(&pl.t[j])
			}
			d1.Mul(gj).Store(&pl.d1[j])
		}
	}
}

// The tile kernels keep at most 14 vectors live, as the Go compiler allocates
// 16 vector registers.

// fwd4 sets z[k] = b[k] + Σ_j wt[j][k]·a[j] for the 4 nodes k of a tile,
// summing in order of j with fused multiply-adds, each lane of a a sample.
func fwd4(z [][lanes]float64, wt [][4]float64, a [][lanes]float64, b *[4]float64) {
	z, a = z[:4], a[:len(wt)]
	z0 := splat(b[0])
	z1 := splat(b[1])
	z2 := splat(b[2])
	z3 := splat(b[3])
	for j := range wt {
		x := ld(&a[j])
		z0 = splat(wt[j][0]).MulAdd(x, z0)
		z1 = splat(wt[j][1]).MulAdd(x, z1)
		z2 = splat(wt[j][2]).MulAdd(x, z2)
		z3 = splat(wt[j][3]).MulAdd(x, z3)
	}
	z0.Store(&z[0])
	z1.Store(&z[1])
	z2.Store(&z[2])
	z3.Store(&z[3])
}

// fwdTan4 is fwd4 that also sets the tangents zd[k] = Σ_j wt[j][k]·ad[j],
// summed from zero.
func fwdTan4(z, zd [][lanes]float64, wt [][4]float64, a, ad [][lanes]float64, b *[4]float64) {
	z, zd, a, ad = z[:4], zd[:4], a[:len(wt)], ad[:len(wt)]
	z0 := splat(b[0])
	z1 := splat(b[1])
	z2 := splat(b[2])
	z3 := splat(b[3])
	var t0, t1, t2, t3 vec
	for j := range wt {
		x, xd := ld(&a[j]), ld(&ad[j])
		w0 := splat(wt[j][0])
		w1 := splat(wt[j][1])
		w2 := splat(wt[j][2])
		w3 := splat(wt[j][3])
		z0 = w0.MulAdd(x, z0)
		z1 = w1.MulAdd(x, z1)
		z2 = w2.MulAdd(x, z2)
		z3 = w3.MulAdd(x, z3)
		t0 = w0.MulAdd(xd, t0)
		t1 = w1.MulAdd(xd, t1)
		t2 = w2.MulAdd(xd, t2)
		t3 = w3.MulAdd(xd, t3)
	}
	z0.Store(&z[0])
	z1.Store(&z[1])
	z2.Store(&z[2])
	z3.Store(&z[3])
	t0.Store(&zd[0])
	t1.Store(&zd[1])
	t2.Store(&zd[2])
	t3.Store(&zd[3])
}

// back4 sets g[k] = Σ_i w[i][k]·d[i] for the 4 nodes k of a tile, summing in
// order of i from zero with fused multiply-adds, each lane of d a sample.
func back4(g [][lanes]float64, w [][4]float64, d [][lanes]float64) {
	g, d = g[:4], d[:len(w)]
	var g0, g1, g2, g3 vec
	for i := range w {
		x := ld(&d[i])
		g0 = splat(w[i][0]).MulAdd(x, g0)
		g1 = splat(w[i][1]).MulAdd(x, g1)
		g2 = splat(w[i][2]).MulAdd(x, g2)
		g3 = splat(w[i][3]).MulAdd(x, g3)
	}
	g0.Store(&g[0])
	g1.Store(&g[1])
	g2.Store(&g[2])
	g3.Store(&g[3])
}

// backTan4 is back4 that also sets h[k] = Σ_i w[i][k]·dd[i].
func backTan4(g, h [][lanes]float64, w [][4]float64, d, dd [][lanes]float64) {
	g, h, d, dd = g[:4], h[:4], d[:len(w)], dd[:len(w)]
	var g0, g1, g2, g3 vec
	var h0, h1, h2, h3 vec
	for i := range w {
		x, xd := ld(&d[i]), ld(&dd[i])
		w0 := splat(w[i][0])
		w1 := splat(w[i][1])
		w2 := splat(w[i][2])
		w3 := splat(w[i][3])
		g0 = w0.MulAdd(x, g0)
		g1 = w1.MulAdd(x, g1)
		g2 = w2.MulAdd(x, g2)
		g3 = w3.MulAdd(x, g3)
		h0 = w0.MulAdd(xd, h0)
		h1 = w1.MulAdd(xd, h1)
		h2 = w2.MulAdd(xd, h2)
		h3 = w3.MulAdd(xd, h3)
	}
	g0.Store(&g[0])
	g1.Store(&g[1])
	g2.Store(&g[2])
	g3.Store(&g[3])
	h0.Store(&h[0])
	h1.Store(&h[1])
	h2.Store(&h[2])
	h3.Store(&h[3])
}

// pointSIMD is groupGo for one sample (m = 1), with the vector lanes running
// over the nodes of a layer instead of over samples: node i of a hidden layer
// at [i/lanes][i%lanes] of its state. It performs the same fused multiply-adds
// in the same order for every node as groupSIMD does for every lane, so the two
// give the same bits.
func (e *Evaluator) pointSIMD(zd1 []float64) {
	for j := range e.x0 {
		e.x0[j][0] = (e.x0[j][0] - e.xMean[j]) / e.xScale[j]
	}
	for l := range e.layers {
		ly := &e.layers[l]
		for p := range ly.outPad / lanes {
			wt := ly.wt8[p*ly.in : (p+1)*ly.in]
			z := ld((*[lanes]float64)(ly.b[p*lanes:]))
			var zd vec
			if l == 0 {
				zd = ld((*[lanes]float64)(zd1[p*lanes:]))
				x := e.x0[:len(wt)]
				for j := range wt {
					z = ld(&wt[j]).MulAdd(splat(x[j][0]), z)
				}
			} else {
				pl := &e.layers[l-1]
				for j := range wt {
					w := ld(&wt[j])
					z = w.MulAdd(splat(pl.a[j/lanes][j%lanes]), z)
					zd = w.MulAdd(splat(pl.ad[j/lanes][j%lanes]), zd)
				}
			}
			z.Store(&ly.a[p])
			zd.Store(&ly.ad[p])
		}
		activateLayer(e.act, modeHVP, ly.a[:ly.outPad/lanes], ly.ad, ly.d1, ly.t)
	}

	L := len(e.layers)
	y := e.bOut
	if L == 0 {
		for j, wj := range e.wOut[:e.n] {
			y = math.FMA(wj, e.x0[j][0], y)
			e.g0[j][0], e.h0[j][0] = wj, 0
		}
		e.y[0] = y
		return
	}
	top := &e.layers[L-1]
	for j, wj := range e.wOut[:e.last] {
		y = math.FMA(wj, top.a[j/lanes][j%lanes], y)
	}
	e.y[0] = y

	for p := range top.outPad / lanes {
		wo := ld((*[lanes]float64)(e.wOut[p*lanes:]))
		ld(&top.d1[p]).Mul(wo).Store(&top.d1[p])
		ld(&top.t[p]).Mul(wo).Store(&top.t[p])
	}
	for l := L - 1; l >= 0; l-- {
		ly := &e.layers[l]
		for q := range ly.inPad / lanes {
			w := ly.w8[q*ly.out : (q+1)*ly.out]
			var g, h vec
			for i := range w {
				wv := ld(&w[i])
				g = wv.MulAdd(splat(ly.d1[i/lanes][i%lanes]), g)
				h = wv.MulAdd(splat(ly.t[i/lanes][i%lanes]), h)
			}
			if l == 0 {
				var gb, hb [lanes]float64
				g.Store(&gb)
				h.Store(&hb)
				for k := range min(lanes, e.n-q*lanes) {
					e.g0[q*lanes+k][0], e.h0[q*lanes+k][0] = gb[k], hb[k]
				}
				continue
			}
			pl := &e.layers[l-1]
			d1 := ld(&pl.d1[q])
			ld(&pl.t[q]).MulAdd(g, d1.Mul(h)).Store(&pl.t[q])
			d1.Mul(g).Store(&pl.d1[q])
		}
	}
}

// activateLayer applies the activation act to the nodes a[i], each a vector
// of pre-activations z on entry, with ż in ad[i] in modeHVP, and sets
//
//	a[i] = σ(z),  d1[i] = σ′(z),  ad[i] = σ′(z)·ż,  t[i] = σ″(z)·ż
//
// as far as mode needs them (modeValue: a only; modeGrad: a and d1). The
// exponentials come first, in a loop of their own that keeps them in t: the
// call to exp8 then has no vectors live across it, and the formulas of the
// second loop are inlined.
func activateLayer(act Activation, mode evalMode, a, ad, d1, t [][lanes]float64) {
	ad, d1, t = ad[:len(a)], d1[:len(a)], t[:len(a)]
	switch act {
	case SiLU, Softplus:
		for i := range a {
			exp8(negAbs(ld(&a[i]))).Store(&t[i])
		}
	case Tanh:
		for i := range a {
			exp8(negAbs(ld(&a[i])).Mul(splat(2))).Store(&t[i])
		}
	}
	switch act {
	case SiLU:
		for i := range a {
			z := ld(&a[i])
			s, c := sigmoid8(z, ld(&t[i]))
			f, g1, g2 := silu8(z, s, c)
			putAct(mode, &a[i], &ad[i], &d1[i], &t[i], f, g1, g2)
		}
	case Softplus:
		for i := range a {
			f, g1, g2 := softplus8(ld(&a[i]), ld(&t[i]))
			putAct(mode, &a[i], &ad[i], &d1[i], &t[i], f, g1, g2)
		}
	case Tanh:
		for i := range a {
			f, g1, g2 := tanh8(ld(&a[i]), ld(&t[i]))
			putAct(mode, &a[i], &ad[i], &d1[i], &t[i], f, g1, g2)
		}
	case ReLU:
		for i := range a {
			f, g1, g2 := relu8(ld(&a[i]))
			putAct(mode, &a[i], &ad[i], &d1[i], &t[i], f, g1, g2)
		}
	}
}

// negAbs returns −|z| in each lane.
func negAbs(z vec) vec { return z.Min(vec{}.Sub(z)) }

// putAct stores σ = f, σ′ = g1 and σ″ = g2 of one node for activateLayer.
func putAct(mode evalMode, a, ad, d1, t *[lanes]float64, f, g1, g2 vec) {
	f.Store(a)
	if mode == modeValue {
		return
	}
	g1.Store(d1)
	if mode == modeHVP {
		zd := ld(ad)
		g1.Mul(zd).Store(ad)
		g2.Mul(zd).Store(t)
	}
}

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

// at returns the lanes of s from i on.
func at(s []float64, i int) *[lanes]float64 { return (*[lanes]float64)(s[i:]) }

// activate is activateGo, with SiLU on AVX-512 if simd: σ, σ′ and σ″ as in
// the Evaluator (exp8, sigmoid8, silu8), σ‴ by silu3rd8. Activation.eval,
// which gives the limits at ±Inf and NaN, evaluates the last len(bias) mod 8
// elements of each row, and redoes every row in which one of the others is
// ±Inf or NaN once the bias is added.
func activate(simd bool, act Activation, f, d1, d2, d3, z, bias []float64) {
	if !simd || act != SiLU {
		activateGo(act, f, d1, d2, d3, z, bias)
		return
	}
	w := len(bias)
	w8 := w / lanes * lanes
	for lo := 0; lo+w <= len(z); lo += w {
		zr, fr, g1, g2 := z[lo:lo+w], f[lo:lo+w], d1[lo:lo+w], d2[lo:lo+w]
		var g3 []float64
		if d3 != nil {
			g3 = d3[lo : lo+w]
		}
		bad := vec{}.IsNaN()
		for i := 0; i < w8; i += lanes {
			zp := at(zr, i)
			zv := ld(zp).Add(ld(at(bias, i)))
			zv.Store(zp)
			bad = bad.Or(zv.Sub(zv).IsNaN())
			s, c := sigmoid8(zv, exp8(negAbs(zv)))
			fv, v1, v2 := silu8(zv, s, c)
			fv.Store(at(fr, i))
			v1.Store(at(g1, i))
			v2.Store(at(g2, i))
			if g3 != nil {
				silu3rd8(zv, s, c).Store(at(g3, i))
			}
		}
		for i := w8; i < w; i++ {
			zr[i] += bias[i]
		}
		from := w8
		if bad.ToBits() != 0 {
			from = 0
		}
		if from < w {
			var t3 []float64
			if g3 != nil {
				t3 = g3[from:]
			}
			act.eval(fr[from:], g1[from:], g2[from:], t3, zr[from:])
		}
	}
}

// mulTo is mulToGo, on AVX-512 if simd.
func mulTo(simd bool, dst, x, y []float64, add bool) {
	n := 0
	if simd {
		n = len(dst) / lanes * lanes
		x, y = x[:len(dst)], y[:len(dst)]
		for i := 0; i < n; i += lanes {
			p := ld(at(x, i)).Mul(ld(at(y, i)))
			d := at(dst, i)
			if add {
				p = ld(d).Add(p)
			}
			p.Store(d)
		}
	}
	mulToGo(dst[n:], x[n:], y[n:], add)
}

// upwardTo is upwardToGo, on AVX-512 if simd.
func upwardTo(simd bool, zbar, gbar, d1, d2, g, dbar []float64) {
	n := 0
	if simd {
		n = len(zbar) / lanes * lanes
		gbar, d1, d2, g, dbar = gbar[:len(zbar)], d1[:len(zbar)], d2[:len(zbar)], g[:len(zbar)], dbar[:len(zbar)]
		for i := 0; i < n; i += lanes {
			e := ld(at(dbar, i))
			ld(at(d2, i)).Mul(ld(at(g, i))).Mul(e).Store(at(zbar, i))
			ld(at(d1, i)).Mul(e).Store(at(gbar, i))
		}
	}
	upwardToGo(zbar[n:], gbar[n:], d1[n:], d2[n:], g[n:], dbar[n:])
}

// backTan is backTanGo, on AVX-512 if simd.
func backTan(simd bool, dd, d1, d2, zd, g, gd []float64) {
	n := 0
	if simd {
		n = len(dd) / lanes * lanes
		d1, d2, zd, g = d1[:len(dd)], d2[:len(dd)], zd[:len(dd)], g[:len(dd)]
		for i := 0; i < n; i += lanes {
			v := ld(at(d2, i)).Mul(ld(at(zd, i))).Mul(ld(at(g, i)))
			if gd != nil {
				v = v.Add(ld(at(d1, i)).Mul(ld(at(gd, i))))
			}
			v.Store(at(dd, i))
		}
	}
	var gdt []float64
	if gd != nil {
		gdt = gd[n:]
	}
	backTanGo(dd[n:], d1[n:], d2[n:], zd[n:], g[n:], gdt)
}

// upTan is upTanGo, on AVX-512 if simd.
func upTan(simd bool, zbar, zdbar, gbar, gdbar, d1, d2, d3, zd, g, gd, ddbar []float64) {
	n := 0
	if simd {
		n = len(zbar) / lanes * lanes
		m := len(zbar)
		zdbar, gbar, d1, d2, d3, zd, g, ddbar = zdbar[:m], gbar[:m], d1[:m], d2[:m], d3[:m], zd[:m], g[:m], ddbar[:m]
		for i := 0; i < n; i += lanes {
			e, s2, sz, sg := ld(at(ddbar, i)), ld(at(d2, i)), ld(at(zd, i)), ld(at(g, i))
			u := ld(at(d3, i)).Mul(sz).Mul(sg)
			if gd != nil {
				u = u.Add(s2.Mul(ld(at(gd, i))))
				ld(at(d1, i)).Mul(e).Store(at(gdbar, i))
			}
			ld(at(zbar, i)).Add(u.Mul(e)).Store(at(zbar, i))
			s2.Mul(sg).Mul(e).Store(at(zdbar, i))
			ld(at(gbar, i)).Add(s2.Mul(sz).Mul(e)).Store(at(gbar, i))
		}
	}
	var gdt, gdbart []float64
	if gd != nil {
		gdt, gdbart = gd[n:], gdbar[n:]
	}
	upTanGo(zbar[n:], zdbar[n:], gbar[n:], gdbart, d1[n:], d2[n:], d3[n:], zd[n:], g[n:], gdt, ddbar[n:])
}

// downTan is downTanGo, on AVX-512 if simd.
func downTan(simd bool, zbar, zdbar, d1, d2, zd, ad []float64) {
	n := 0
	if simd {
		n = len(zbar) / lanes * lanes
		m := len(zbar)
		zdbar, d1, d2, zd, ad = zdbar[:m], d1[:m], d2[:m], zd[:m], ad[:m]
		for i := 0; i < n; i += lanes {
			a := ld(at(ad, i))
			ld(at(zbar, i)).Add(ld(at(d2, i)).Mul(ld(at(zd, i))).Mul(a)).Store(at(zbar, i))
			ld(at(zdbar, i)).Add(ld(at(d1, i)).Mul(a)).Store(at(zdbar, i))
		}
	}
	downTanGo(zbar[n:], zdbar[n:], d1[n:], d2[n:], zd[n:], ad[n:])
}

// colSums is colSumsGo, on AVX-512 if simd.
func colSums(simd bool, dst, x []float64) {
	if !simd {
		colSumsGo(dst, x)
		return
	}
	w := len(dst)
	rows := len(x) / w
	w8 := w / lanes * lanes
	for i := 0; i < w8; i += lanes {
		s := ld(at(dst, i))
		for r := range rows {
			s = s.Add(ld(at(x, r*w+i)))
		}
		s.Store(at(dst, i))
	}
	for i := w8; i < w; i++ {
		for r := range rows {
			dst[i] += x[r*w+i]
		}
	}
}

// addTo is addToGo, on AVX-512 if simd.
func addTo(simd bool, dst, x []float64) {
	n := 0
	if simd {
		n = len(dst) / lanes * lanes
		x = x[:len(dst)]
		for i := 0; i < n; i += lanes {
			ld(at(dst, i)).Add(ld(at(x, i))).Store(at(dst, i))
		}
	}
	addToGo(dst[n:], x[n:])
}

// adamUpdate is adamUpdateGo, on AVX-512 if simd.
func adamUpdate(simd bool, p, g, m, v []float64, c *adamCoef) {
	n := 0
	if simd {
		n = len(p) / lanes * lanes
		g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
		b1, b2, cb1, cb2 := splat(c.b1), splat(c.b2), splat(c.cb1), splat(c.cb2)
		c1, c2, eps, lr, decay := splat(c.c1), splat(c.c2), splat(c.eps), splat(c.lr), splat(c.decay)
		for i := 0; i < n; i += lanes {
			gi := ld(at(g, i))
			mi := b1.Mul(ld(at(m, i))).Add(cb1.Mul(gi))
			vi := b2.Mul(ld(at(v, i))).Add(cb2.Mul(gi).Mul(gi))
			mi.Store(at(m, i))
			vi.Store(at(v, i))
			step := lr.Mul(mi.Mul(c1)).Div(vi.Mul(c2).Sqrt().Add(eps))
			ld(at(p, i)).Mul(decay).Sub(step).Store(at(p, i))
		}
	}
	adamUpdateGo(p[n:], g[n:], m[n:], v[n:], c)
}
