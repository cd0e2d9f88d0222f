//go:build goexperiment.simd && amd64

package mlp

// The AVX-512 elementwise passes of training (kernel_train.go): activations,
// products and sums of the batched Sobolev kernels and the Adam update.

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
