//go:build goexperiment.simd && amd64

package mlp

import "math"

// The AVX-512 passes of the Evaluator (eval_batch.go): the forward pass, the
// reverse pass of the greeks and the tangent pass of the Hessian-vector
// products, one sample per vector lane.

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
