package mlp

// rawGo converts the results of lanes 0…m−1 to raw units (method.md §3):
//
//	y = YMean + YScale·y_n,   ∇y_j = gScale_j·g_0,j,   (H·v)_j = gScale_j·ġ_0,j,   gam = Σ_j (H·v)_j
//
// with gScale_j = YScale/XScale_j, since H = YScale·D·H_n·D with D = diag(1/XScale)
// and ȧ_0 = D·v; for v = 1, gam is gamma = 1ᵀ·H·1.
func (e *Evaluator) rawGo(m int, mode evalMode) {
	for k := range m {
		e.y[k] = e.yMean + e.yScale*e.y[k]
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

// groupGo is the plain-Go kernel of the Evaluator, and the reference for the
// assembly ones (eval_amd64.go): it evaluates the samples in lanes 0…m−1 of the scratch (Eval
// passes m ≤ lanes rows, Point m = 1; each lane's arithmetic is the same either
// way, so both give the same bits).
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
// Every sum runs in index order, starting from b_l in the forward pass and from
// zero in the reverse pass, as the assembly kernels' sums do.
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
			dots(&z, m, ly.b[i], w, prev)
			if mode == modeHVP {
				if l == 0 {
					zd = [lanes]float64{}
					for k := range m {
						zd[k] = zd1[i]
					}
				} else {
					dots(&zd, m, 0, w, prevDot)
				}
			}
			e.act.eval(ly.a[i][:m], ly.d1[i][:m], d2[:m], nil, z[:m])
			if mode == modeHVP {
				for k := range m {
					ly.ad[i][k] = ly.d1[i][k] * zd[k]
					ly.t[i][k] = d2[k] * zd[k]
				}
			}
		}
		prev, prevDot = ly.a, ly.ad
	}

	dots(&e.y, m, e.bOut, e.wOut[:e.last], prev)
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
	for i, wo := range e.wOut[:top.out] {
		for k := range m {
			top.d1[i][k] *= wo
			top.t[i][k] *= wo
		}
	}
	for l := L - 1; l >= 0; l-- {
		ly := &e.layers[l]
		for j := range ly.in {
			wt := ly.wt[j*ly.out : (j+1)*ly.out]
			var g, h [lanes]float64
			dots(&g, m, 0, wt, ly.d1)
			if mode == modeHVP {
				dots(&h, m, 0, wt, ly.t)
			}
			if l == 0 {
				e.g0[j], e.h0[j] = g, h
				continue
			}
			pl := &e.layers[l-1]
			for k := range m {
				d1 := pl.d1[j][k]
				pl.t[j][k] = pl.t[j][k]*g[k] + d1*h[k]
				pl.d1[j][k] = d1 * g[k]
			}
		}
	}
}

// dots sets dst[k] = b + Σ_j w[j]·a[j][k] for the lanes k < m, summing in
// order of j. For m > 1 it sums all lanes, in registers, and the lanes from m
// on hold garbage. The conversions float64(·) keep the compiler from fusing
// the multiply-adds (as it may with GOAMD64=v3), so that m = 1 and m > 1 give
// the same bits on every build.
func dots(dst *[lanes]float64, m int, b float64, w []float64, a [][lanes]float64) {
	a = a[:len(w)]
	if m == 1 {
		s := b
		for j, wj := range w {
			s += float64(wj * a[j][0])
		}
		dst[0] = s
		return
	}
	s0, s1, s2, s3, s4, s5, s6, s7 := b, b, b, b, b, b, b, b
	for j, wj := range w {
		x := &a[j]
		s0 += float64(wj * x[0])
		s1 += float64(wj * x[1])
		s2 += float64(wj * x[2])
		s3 += float64(wj * x[3])
		s4 += float64(wj * x[4])
		s5 += float64(wj * x[5])
		s6 += float64(wj * x[6])
		s7 += float64(wj * x[7])
	}
	*dst = [lanes]float64{s0, s1, s2, s3, s4, s5, s6, s7}
}
