package mlp

// groupGo is the plain-Go kernel of the Evaluator, and the reference for the
// AVX-512 one: it evaluates m ≤ lanes samples stored lane by lane, node j of
// lane k at index j·stride + k of x0, the layers' scratch, g0 and h0. Eval
// calls it with stride = lanes, Point with m = stride = 1; each lane's
// arithmetic is the same either way, so both give the same bits.
//
// From the normalised inputs a_0 in x0 it sets y to y_n and, depending on mode,
// g0 to g_0 = ∇y_n and h0 to ġ_0 = H_n·ȧ_0, where the direction ȧ_0 enters
// through zd1 = ż_1 = W_1·ȧ_0 (method.md §3):
//
//	forward   z_l = W_l·a_{l−1} + b_l,  a_l = σ(z_l),  ż_l = W_l·ȧ_{l−1},  ȧ_l = σ′(z_l)⊙ż_l
//	reverse   g_L = W_outᵀ, ġ_L = 0,  δ_l = σ′(z_l)⊙g_l,  δ̇_l = σ″(z_l)⊙ż_l⊙g_l + σ′(z_l)⊙ġ_l,
//	          g_{l−1} = W_lᵀ·δ_l,  ġ_{l−1} = W_lᵀ·δ̇_l
//
// Every sum runs in index order from zero (from b_l in the forward pass), as
// the AVX-512 kernels' sums do.
func (e *Evaluator) groupGo(m, stride int, zd1 []float64, mode evalMode) {
	var z, zd [lanes]float64
	prev, prevDot := e.x0, []float64(nil)
	for l := range e.layers {
		ly := &e.layers[l]
		for i := range ly.out {
			w := ly.w[i*ly.inPad : i*ly.inPad+ly.in]
			for k := range m {
				z[k], zd[k] = ly.b[i], 0
			}
			for j, wj := range w {
				for k, v := range prev[j*stride : j*stride+m] {
					z[k] += wj * v
				}
			}
			if mode == modeHVP {
				if l == 0 {
					for k := range m {
						zd[k] = zd1[i]
					}
				} else {
					for j, wj := range w {
						for k, v := range prevDot[j*stride : j*stride+m] {
							zd[k] += wj * v
						}
					}
				}
			}
			o := i * stride
			for k := range m {
				a, d1, d2, _ := e.act.Eval(z[k])
				ly.a[o+k] = a
				if mode == modeValue {
					continue
				}
				ly.d1[o+k] = d1
				if mode == modeHVP {
					ly.ad[o+k] = d1 * zd[k]
					ly.t[o+k] = d2 * zd[k]
				}
			}
		}
		prev, prevDot = ly.a, ly.ad
	}

	for k := range m {
		z[k] = e.bOut
	}
	for j, wj := range e.wOut[:e.last] {
		for k, v := range prev[j*stride : j*stride+m] {
			z[k] += wj * v
		}
	}
	copy(e.y[:m], z[:m])
	if mode == modeValue {
		return
	}

	L := len(e.layers)
	if L == 0 {
		for j, wj := range e.wOut[:e.n] {
			for k := range m {
				e.g0[j*stride+k], e.h0[j*stride+k] = wj, 0
			}
		}
		return
	}
	top := &e.layers[L-1]
	for i, wo := range e.wOut[:top.out] {
		o := i * stride
		for k := range m {
			top.d1[o+k] *= wo
			top.t[o+k] *= wo
		}
	}
	for l := L - 1; l >= 0; l-- {
		ly := &e.layers[l]
		for j := range ly.in {
			var g, h [lanes]float64
			wt := ly.wt[j*ly.outPad : j*ly.outPad+ly.out]
			for i, w := range wt {
				for k, v := range ly.d1[i*stride : i*stride+m] {
					g[k] += w * v
				}
			}
			if mode == modeHVP {
				for i, w := range wt {
					for k, v := range ly.t[i*stride : i*stride+m] {
						h[k] += w * v
					}
				}
			}
			o := j * stride
			if l == 0 {
				copy(e.g0[o:o+m], g[:m])
				copy(e.h0[o:o+m], h[:m])
				continue
			}
			pl := &e.layers[l-1]
			for k := range m {
				d1 := pl.d1[o+k]
				pl.t[o+k] = pl.t[o+k]*g[k] + d1*h[k]
				pl.d1[o+k] = d1 * g[k]
			}
		}
	}
}
