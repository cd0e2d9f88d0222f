package mlp

// The elementwise passes of the batched Sobolev kernels (workspace.go,
// sobolev.go) run on blocks of rows × width, row-major. The …Go functions
// below are the plain-Go kernels and the reference; the functions of the same
// name without Go (activate, mulTo, …) call them, or, on amd64 builds with
// GOEXPERIMENT=simd on a CPU with AVX-512 and with their flag simd set, run 8
// elements at a time (kernel_simd.go). All but activate perform the same
// operations in the same order on AVX-512, unfused, and so give the same bits
// (the conversion in float64(x·y) + z keeps the compiler from fusing the
// plain-Go sum, as it does on amd64 with GOAMD64=v3); the AVX-512 SiLU of
// activate (exp8, fused multiply-adds) agrees with Activation.eval to a few
// ulp.

// activateGo adds bias to each row of the block z, (rows, w) with w = len(bias),
// and sets f, d1, d2 and, if d3 is not nil, d3 to σ, σ′, σ″ and σ‴ of the act
// at the result (see Activation.Eval):
//
//	z[r·w + i] += bias[i],  f[j] = σ(z[j]),  d1[j] = σ′(z[j]),  d2[j] = σ″(z[j]),  d3[j] = σ‴(z[j])
//
// The outputs are at least as long as z, which holds whole rows.
func activateGo(act Activation, f, d1, d2, d3, z, bias []float64) {
	w := len(bias)
	for lo := 0; lo+w <= len(z); lo += w {
		row := z[lo : lo+w]
		for i, b := range bias {
			row[i] += b
		}
	}
	act.eval(f, d1, d2, d3, z)
}

// mulToGo sets dst[i] = x[i]·y[i], or, if add, dst[i] += x[i]·y[i], for
// i < len(dst).
func mulToGo(dst, x, y []float64, add bool) {
	x, y = x[:len(dst)], y[:len(dst)]
	if add {
		for i, v := range x {
			dst[i] += float64(v * y[i])
		}
		return
	}
	for i, v := range x {
		dst[i] = v * y[i]
	}
}

// upwardToGo sets, for i < len(zbar), the value rows of the adjoint of the
// reverse pass (see part.upward):
//
//	zbar[i] = d2[i]·g[i]·dbar[i],  gbar[i] = d1[i]·dbar[i]
func upwardToGo(zbar, gbar, d1, d2, g, dbar []float64) {
	gbar, d1, d2, g, dbar = gbar[:len(zbar)], d1[:len(zbar)], d2[:len(zbar)], g[:len(zbar)], dbar[:len(zbar)]
	for i, e := range dbar {
		zbar[i] = d2[i] * g[i] * e
		gbar[i] = d1[i] * e
	}
}

// backTanGo sets a tangent row of the reverse pass (see part.backward),
//
//	dd[i] = d2[i]·zd[i]·g[i] + d1[i]·gd[i],  i < len(dd),
//
// that is δ̇ = σ″ ⊙ ż ⊙ g + σ′ ⊙ ġ; gd nil stands for ġ_L = 0.
func backTanGo(dd, d1, d2, zd, g, gd []float64) {
	d1, d2, zd, g = d1[:len(dd)], d2[:len(dd)], zd[:len(dd)], g[:len(dd)]
	if gd == nil {
		for i, v := range d2 {
			dd[i] = v * zd[i] * g[i]
		}
		return
	}
	gd = gd[:len(dd)]
	for i, v := range d2 {
		dd[i] = float64(v*zd[i]*g[i]) + float64(d1[i]*gd[i])
	}
}

// upTanGo adds the share of one tangent row to the adjoints of the reverse
// pass (see part.upward): with e = ddbar[i], for i < len(zbar),
//
//	zbar[i] += (d3[i]·zd[i]·g[i] + d2[i]·gd[i])·e,  zdbar[i] = d2[i]·g[i]·e,
//	gbar[i] += d2[i]·zd[i]·e,  gdbar[i] = d1[i]·e.
//
// gd nil stands for ġ_L = 0: the term d2·gd is left out and gdbar is not set.
func upTanGo(zbar, zdbar, gbar, gdbar, d1, d2, d3, zd, g, gd, ddbar []float64) {
	n := len(zbar)
	zdbar, gbar, d1, d2, d3, zd, g, ddbar = zdbar[:n], gbar[:n], d1[:n], d2[:n], d3[:n], zd[:n], g[:n], ddbar[:n]
	if gd == nil {
		for i, e := range ddbar {
			zbar[i] += float64(d3[i] * zd[i] * g[i] * e)
			zdbar[i] = d2[i] * g[i] * e
			gbar[i] += float64(d2[i] * zd[i] * e)
		}
		return
	}
	gd, gdbar = gd[:n], gdbar[:n]
	for i, e := range ddbar {
		zbar[i] += float64((float64(d3[i]*zd[i]*g[i]) + float64(d2[i]*gd[i])) * e)
		zdbar[i] = d2[i] * g[i] * e
		gbar[i] += float64(d2[i] * zd[i] * e)
		gdbar[i] = d1[i] * e
	}
}

// downTanGo adds the share of one tangent row to the adjoints of the forward
// pass (see part.downward), for i < len(zbar):
//
//	zbar[i] += d2[i]·zd[i]·ad[i],  zdbar[i] += d1[i]·ad[i]
func downTanGo(zbar, zdbar, d1, d2, zd, ad []float64) {
	n := len(zbar)
	zdbar, d1, d2, zd, ad = zdbar[:n], d1[:n], d2[:n], zd[:n], ad[:n]
	for i, a := range ad {
		zbar[i] += float64(d2[i] * zd[i] * a)
		zdbar[i] += float64(d1[i] * a)
	}
}

// colSumsGo adds the rows of the block x, (rows, len(dst)), to dst in row
// order: dst[i] += x[0·w + i] + x[1·w + i] + …, summed left to right.
func colSumsGo(dst, x []float64) {
	w := len(dst)
	for lo := 0; lo+w <= len(x); lo += w {
		for i, v := range x[lo : lo+w] {
			dst[i] += v
		}
	}
}

// addToGo sets dst[i] += x[i] for i < len(dst).
func addToGo(dst, x []float64) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] += v
	}
}
