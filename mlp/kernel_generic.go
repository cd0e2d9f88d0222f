package mlp

import "math"

// The plain-Go kernel of the Evaluator performs, in every lane, the
// floating-point operations of the assembly kernels (eval_amd64.go, generated
// by _asm/main.go) in the same order: a fused multiply-add (math.FMA) exactly
// where they use VFMADD, every other operation rounded once, and the same
// polynomial exponential and logarithm (expGo, log1pGo). So all kernels give
// the same bits. The conversions float64(x·y) keep the compiler from fusing
// the other multiply-adds, as it does on arm64, ppc64, s390x and amd64 with
// GOAMD64=v3.

// rawGo converts the results of lanes 0…m−1 to raw units (method.md §3), as
// the assembly's evRaw does:
//
//	y = YMean + YScale·y_n,   ∇y_j = gScale_j·g_0,j,   (H·v)_j = gScale_j·ġ_0,j,   gam = Σ_j (H·v)_j
//
// with gScale_j = YScale/XScale_j, since H = YScale·D·H_n·D with D = diag(1/XScale)
// and ȧ_0 = D·v; for v = 1, gam is gamma = 1ᵀ·H·1. Nothing is fused; the sum
// starts from zero and runs in order of j.
func (e *Evaluator) rawGo(m int, mode evalMode) {
	for k := range m {
		e.y[k] = e.yMean + float64(e.yScale*e.y[k])
		if mode == modeValue {
			continue
		}
		s := 0.0
		for j, c := range e.gScale {
			e.g0[j][k] *= c
			e.h0[j][k] *= c
			s += e.h0[j][k]
		}
		e.gam[k] = s
	}
}

// groupGo is the plain-Go kernel of the Evaluator: it evaluates the samples in
// lanes 0…m−1 of the scratch (Eval passes m ≤ lanes rows, Point m = 1; each
// lane's arithmetic is the same either way, so both give the same bits), with
// the operations of groupAsm and pointAsm (eval_amd64.go) in the same order.
//
// It normalises the raw inputs in x0 in place, a_0 = (x − XMean)/XScale, and
// sets y to y_n and, depending on mode, g0 to g_0 = ∇y_n and h0 to
// ġ_0 = H_n·ȧ_0, where the direction ȧ_0 enters through zd1 = ż_1 = W_1·ȧ_0
// (method.md §3):
//
//	forward   z_l = W_l·a_{l−1} + b_l,  a_l = σ(z_l),  ż_l = W_l·ȧ_{l−1},  ȧ_l = σ′(z_l)⊙ż_l
//	reverse   g_L = W_outᵀ, ġ_L = 0,  δ_l = σ′(z_l)⊙g_l,  δ̇_l = σ″(z_l)⊙ż_l⊙g_l + σ′(z_l)⊙ġ_l,
//	          g_{l−1} = W_lᵀ·δ_l,  ġ_{l−1} = W_lᵀ·δ̇_l
//
// The products with the weights are sums of fused multiply-adds in index
// order (dots), starting from b_l in the forward pass and from zero in the
// reverse pass; σ, σ′ and σ″ are those of activateLanesGo. Between them, every
// operation rounds once, except the fused multiply-add of δ̇_l:
//
//	ȧ_l = σ′·ż_l,  t_l = σ″·ż_l,  (δ_L, δ̇_L) = (t_L·W_out, σ′_L·W_out) elementwise,
//	δ̇_{l−1} = fma(t_{l−1}, g_{l−1}, σ′_{l−1}·ġ_{l−1}),  δ_{l−1} = σ′_{l−1}·g_{l−1}
//
// with t_l = σ″(z_l)⊙ż_l, which the scratch keeps in layer.t.
func (e *Evaluator) groupGo(m int, zd1 []float64, mode evalMode) {
	for j := range e.x0 {
		mu, sc := e.xMean[j], e.xScale[j]
		for k, v := range e.x0[j][:m] {
			e.x0[j][k] = (v - mu) / sc
		}
	}
	var z, zd, d2 [lanes]float64
	prev, prevDot := e.x0, [][lanes]float64(nil)
	for l := range e.layers {
		ly := &e.layers[l]
		for i := range ly.out {
			w := ly.w[i*ly.in : (i+1)*ly.in]
			dots(&z, m, ly.b[i], w, prev) // z_l
			if mode == modeHVP {
				if l == 0 {
					for k := range m {
						zd[k] = zd1[i] // ż_1
					}
				} else {
					dots(&zd, m, 0, w, prevDot) // ż_l
				}
			}
			activateLanesGo(e.act, &ly.a[i], &ly.d1[i], &d2, &z, m)
			if mode == modeHVP {
				for k := range m {
					ly.ad[i][k] = ly.d1[i][k] * zd[k] // ȧ_l = σ′·ż_l
					ly.t[i][k] = d2[k] * zd[k]        // t_l = σ″·ż_l
				}
			}
		}
		prev, prevDot = ly.a, ly.ad
	}

	dots(&e.y, m, e.bOut, e.wOut[:e.last], prev) // y_n
	if mode == modeValue {
		return
	}

	L := len(e.layers)
	if L == 0 {
		for j, wj := range e.wOut[:e.n] {
			for k := range m {
				e.g0[j][k], e.h0[j][k] = wj, 0
			}
		}
		return
	}
	top := &e.layers[L-1]
	for i, wo := range e.wOut[:top.out] { // g_L = W_outᵀ, ġ_L = 0
		for k := range m {
			top.d1[i][k] *= wo // δ_L
			top.t[i][k] *= wo  // δ̇_L
		}
	}
	for l := L - 1; l >= 0; l-- {
		ly := &e.layers[l]
		for j := range ly.in {
			wt := ly.wt[j*ly.out : (j+1)*ly.out]
			var g, h [lanes]float64
			dots(&g, m, 0, wt, ly.d1) // g_{l−1}
			if mode == modeHVP {
				dots(&h, m, 0, wt, ly.t) // ġ_{l−1}
			}
			if l == 0 {
				e.g0[j], e.h0[j] = g, h
				continue
			}
			pl := &e.layers[l-1]
			for k := range m {
				d1 := pl.d1[j][k]
				if mode == modeHVP {
					pl.t[j][k] = math.FMA(pl.t[j][k], g[k], float64(d1*h[k])) // δ̇_{l−1}
				}
				pl.d1[j][k] = d1 * g[k] // δ_{l−1}
			}
		}
	}
}

// dots sets dst[k] = b + Σ_j w[j]·a[j][k] for the lanes k < m, as the
// assembly's evTiles and evPointTiles do: s = b, then s = fma(w[j], a[j][k], s)
// in order of j. For m > 1 it sums all lanes, in registers, and the lanes from
// m on hold garbage.
func dots(dst *[lanes]float64, m int, b float64, w []float64, a [][lanes]float64) {
	a = a[:len(w)]
	if m == 1 {
		s := b
		for j, wj := range w {
			s = math.FMA(wj, a[j][0], s)
		}
		dst[0] = s
		return
	}
	s0, s1, s2, s3, s4, s5, s6, s7 := b, b, b, b, b, b, b, b
	for j, wj := range w {
		x := &a[j]
		s0 = math.FMA(wj, x[0], s0)
		s1 = math.FMA(wj, x[1], s1)
		s2 = math.FMA(wj, x[2], s2)
		s3 = math.FMA(wj, x[3], s3)
		s4 = math.FMA(wj, x[4], s4)
		s5 = math.FMA(wj, x[5], s5)
		s6 = math.FMA(wj, x[6], s6)
		s7 = math.FMA(wj, x[7], s7)
	}
	*dst = [lanes]float64{s0, s1, s2, s3, s4, s5, s6, s7}
}

// activateLanesGo sets f[k] = σ(z[k]), d1[k] = σ′(z[k]) and d2[k] = σ″(z[k])
// of act for the lanes k < m with the training kernels' siluGo, softplusGo,
// tanhGo and reluGo (their σ‴ is discarded), whose formulas are those of the
// Evaluator's assembly activations (_asm/main.go, isa.act without its
// options): for finite z they give the same bits. (At z = ±Inf siluGo returns
// SiLU's limits where the assembly gives NaN; the Evaluator leaves such rows
// unspecified.) It panics if act is not declared.
func activateLanesGo(act Activation, f, d1, d2, z *[lanes]float64, m int) {
	switch act {
	case SiLU:
		for k, zk := range z[:m] {
			f[k], d1[k], d2[k], _ = siluGo(zk)
		}
	case Softplus:
		for k, zk := range z[:m] {
			f[k], d1[k], d2[k], _ = softplusGo(zk)
		}
	case Tanh:
		for k, zk := range z[:m] {
			f[k], d1[k], d2[k], _ = tanhGo(zk)
		}
	case ReLU:
		for k, zk := range z[:m] {
			f[k], d1[k], d2[k], _ = reluGo(zk)
		}
	default:
		panic(badActivation)
	}
}
