package bound

import (
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// panicActivation is the panic of sigma for an activation Greeks refuses.
const panicActivation = "bound: unknown activation"

// sigma returns enclosures of σ, σ′ and σ″ of act on z.
func sigma(act mlp.Activation, z interval.Interval) (f, d1, d2 interval.Interval) {
	switch act {
	case mlp.SiLU:
		return interval.SiLU(z), interval.SiLUPrime(z), interval.SiLUPrime2(z)
	case mlp.Softplus:
		return interval.Softplus(z), interval.SoftplusPrime(z), interval.SoftplusPrime2(z)
	case mlp.Tanh:
		return interval.Tanh(z), interval.TanhPrime(z), interval.TanhPrime2(z)
	}
	panic(panicActivation)
}

// pass holds the scratch of the interval recursions, reused box after box:
// run and tangent do not allocate.
type pass struct {
	net *mlp.Network
	// dirs are the normalised tangent directions: v_n first, then, if the
	// pass encloses the Hessian diagonal, the unit vectors e_j/x_scale_j.
	dirs [][]float64
	// z, d1, d2 are Z_l, σ′(Z_l), σ″(Z_l) per hidden layer; a are A_l,
	// g are G_l and zd the tangents Ż_l.
	z, d1, d2, a, g, zd [][]interval.Interval
	// x, g0 and gd0 are n inputs, G_0 and Ġ_0; t and u are scratch of the
	// widest layer.
	x, g0, gd0, t, u []interval.Interval
	// yn is W_out·A_L + b_out.
	yn []interval.Interval
	// res is the result of run, overwritten by the next call.
	res Result
}

// newPass returns the pass of net along dir, with the tangents of the
// Hessian diagonal if diag (Check needs only gamma's).
func newPass(net *mlp.Network, dir []float64, diag bool) *pass {
	n := net.Inputs()
	p := &pass{net: net}
	vn := make([]float64, n)
	for j := range n {
		vn[j] = dir[j] / net.Norm.XScale[j]
	}
	p.dirs = append(p.dirs, vn)
	if diag {
		for j := range n {
			e := make([]float64, n)
			e[j] = 1 / net.Norm.XScale[j]
			p.dirs = append(p.dirs, e)
		}
	}
	hmax := n
	for _, h := range net.Hidden() {
		for _, s := range []*[][]interval.Interval{&p.z, &p.d1, &p.d2, &p.a, &p.g, &p.zd} {
			*s = append(*s, make([]interval.Interval, h))
		}
		hmax = max(hmax, h)
	}
	p.x, p.g0, p.gd0 = make([]interval.Interval, n), make([]interval.Interval, n), make([]interval.Interval, n)
	p.t, p.u = make([]interval.Interval, hmax), make([]interval.Interval, hmax)
	p.yn = make([]interval.Interval, 1)
	p.res.Delta, p.res.HessianDiag = make([]interval.Interval, n), make([]interval.Interval, n)
	return p
}

// run encloses the greeks on one box of raw inputs (method.md §3 in interval
// arithmetic, normalised units, then scaled):
//
//	Z_l = W_l·A_{l−1} + b_l,  A_l = σ(Z_l),  y = y_mean + y_scale·(W_out·A_L + b_out)
//	G_L = W_outᵀ,  G_{l−1} = W_lᵀ·(σ′(Z_l) ⊙ G_l),  ∂y/∂x_j = y_scale·G_0,j/x_scale_j
//	Ż_1 = W_1·v_n,  Ż_{l+1} = W_{l+1}·(σ′(Z_l) ⊙ Ż_l)
//	Ġ_L = 0,  Ġ_{l−1} = W_lᵀ·(σ′(Z_l) ⊙ Ġ_l + σ″(Z_l) ⊙ Ż_l ⊙ G_l),  vᵀHv = y_scale·v_n·Ġ_0
func (p *pass) run(box []interval.Interval) *Result {
	net := p.net
	n, L := net.Inputs(), net.Layers()
	ys := interval.Point(net.Norm.YScale)
	for j, iv := range box {
		p.x[j] = interval.Div(interval.Sub(iv, interval.Point(net.Norm.XMean[j])), interval.Point(net.Norm.XScale[j]))
	}
	a := p.x
	for l := range L {
		interval.MulVec(p.z[l], net.Params.W[l], len(p.z[l]), len(a), a, net.Params.B[l])
		for i, zi := range p.z[l] {
			p.a[l][i], p.d1[l][i], p.d2[l][i] = sigma(net.Act, zi)
		}
		a = p.a[l]
	}
	interval.MulVec(p.yn, net.Params.W[L], 1, len(a), a, net.Params.B[L])
	res := &p.res
	res.Value = interval.Add(interval.Point(net.Norm.YMean), interval.Mul(ys, p.yn[0]))

	// The adjoints G_l, from the output layer down, and G_0.
	if L == 0 {
		for j := range n {
			p.g0[j] = interval.Point(net.Params.W[0][j])
		}
	} else {
		for i, w := range net.Params.W[L] {
			p.g[L-1][i] = interval.Point(w)
		}
		for l := L - 1; l >= 0; l-- {
			d := p.t[:len(p.z[l])]
			for i := range d {
				d[i] = interval.Mul(p.d1[l][i], p.g[l][i])
			}
			dst := p.g0
			if l > 0 {
				dst = p.g[l-1]
			}
			interval.MulVecTrans(dst, net.Params.W[l], len(d), len(dst), d)
		}
	}
	for j := range n {
		res.Delta[j] = interval.Div(interval.Mul(ys, p.g0[j]), interval.Point(net.Norm.XScale[j]))
	}

	// The tangents along v_n (gamma) and along each e_j (the diagonal).
	for k, dir := range p.dirs {
		gd := p.tangent(dir)
		if k == 0 {
			s := interval.Point(0)
			for j := range n {
				s = interval.Add(s, interval.Mul(interval.Point(dir[j]), gd[j]))
			}
			res.Gamma = interval.Mul(ys, s)
			continue
		}
		j := k - 1
		res.HessianDiag[j] = interval.Mul(ys, interval.Mul(interval.Point(dir[j]), gd[j]))
	}
	return res
}

// tangent returns Ġ_0 = H_n·v_n enclosed on the box whose forward and
// reverse passes are in p, for the normalised direction vn, in p.gd0.
func (p *pass) tangent(vn []float64) []interval.Interval {
	net := p.net
	n, L := net.Inputs(), net.Layers()
	if L == 0 {
		for j := range p.gd0 {
			p.gd0[j] = interval.Point(0)
		}
		return p.gd0
	}
	// Forward tangents Ż_l.
	x := p.t[:n]
	for j, v := range vn {
		x[j] = interval.Point(v)
	}
	for l := range L {
		interval.MulVec(p.zd[l], net.Params.W[l], len(p.z[l]), len(x), x, nil)
		x = p.t[:len(p.zd[l])]
		for i := range x {
			x[i] = interval.Mul(p.d1[l][i], p.zd[l][i])
		}
	}
	// Reverse tangents Ġ_l, Ġ_L = 0, alternating between p.t and p.u.
	var gd []interval.Interval
	buf, next := p.t, p.u
	for l := L - 1; l >= 0; l-- {
		d := buf[:len(p.z[l])]
		for i := range d {
			t := interval.Mul(interval.Mul(p.d2[l][i], p.zd[l][i]), p.g[l][i])
			if gd != nil {
				t = interval.Add(t, interval.Mul(p.d1[l][i], gd[i]))
			}
			d[i] = t
		}
		dst := p.gd0
		if l > 0 {
			dst = next[:len(p.z[l-1])]
		}
		interval.MulVecTrans(dst, net.Params.W[l], len(d), len(dst), d)
		gd = dst
		buf, next = next, buf
	}
	return p.gd0
}
