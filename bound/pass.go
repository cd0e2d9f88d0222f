package bound

import (
	"cmp"
	"slices"

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

// higher returns enclosures of σ″, σ‴ and σ⁗ of act on z.
func higher(act mlp.Activation, z interval.Interval) (d2, d3, d4 interval.Interval) {
	switch act {
	case mlp.SiLU:
		return interval.SiLUPrime2(z), interval.SiLUPrime3(z), interval.SiLUPrime4(z)
	case mlp.Softplus:
		return interval.SoftplusPrime2(z), interval.SoftplusPrime3(z), interval.SoftplusPrime4(z)
	case mlp.Tanh:
		return interval.TanhPrime2(z), interval.TanhPrime3(z), interval.TanhPrime4(z)
	}
	panic(panicActivation)
}

// jet returns enclosures of σ, σ′, σ″ and σ‴ of act at the point c.
func jet(act mlp.Activation, c float64) [4]interval.Interval {
	switch act {
	case mlp.SiLU:
		return interval.SiLUJet(c)
	case mlp.Softplus:
		return interval.SoftplusJet(c)
	case mlp.Tanh:
		return interval.TanhJet(c)
	}
	panic(panicActivation)
}

// pass holds the recursions of method.md §3 over one piece of the input box,
// in normalised units, on forms of m symbols (form.go): plain intervals if
// m = 0. Its buffers are reused piece after piece: run, tangent and second do
// not allocate. Slices indexed by layer count hidden layers from 0.
type pass struct {
	net *mlp.Network
	// m is the number of symbols, 0 or n + the remainder symbols; perLayer
	// is the number of remainder symbols each hidden layer may give.
	m, perLayer int
	// dirs are the normalised tangent directions u (raw directions divided
	// by x_scale).
	dirs [][]float64
	// z, a, s1 and s2 are Z_l, σ(Z_l), σ′(Z_l) and σ″(Z_l); g is
	// G_l = ∂y_n/∂A_l, w is G_l ⊙ σ″(Z_l) and d scratch of each layer.
	z, a, s1, s2, g, w, d []*fvec
	// zd[k][l] is the tangent Ż_l along dirs[k] and yd[k] ẏ_n along it,
	// computed if done[k]; gd0[k] is Ġ_0 = H_n·u along it, computed if
	// rdone[k] (the three allocated by tangent); gd is scratch of each
	// layer.
	zd          [][]*fvec
	yd, gd0, gd []*fvec
	done, rdone []bool
	// x holds the n inputs, y is y_n and g0 is G_0 = ∂y_n/∂x_n; uf holds a
	// direction as constant forms; t1, t2 and out are scratch of one node.
	x, y, g0, uf, t1, t2, out *fvec
	// ref, if not nil, is a plain pass run on the same piece: its
	// pre-activation ranges bound the remainders of σ's expansions.
	ref *pass
	// cen and rad are the piece's centre and radii (raw units) of the last
	// run: the input symbols are σ_j = (x_j − cen_j)/rad_j.
	cen, rad []float64
	// cand is scratch of symbolize.
	cand []candidate
}

// candidate is a remainder that may be given a symbol: node i of f, of
// width wid.
type candidate struct {
	f   *fvec
	i   int
	wid float64
}

// newPass returns a pass over net with tangents along dirs (normalised) and
// m symbols, at most perLayer of them given to the remainders of each
// hidden layer; m = 0 gives plain intervals.
func newPass(net *mlp.Network, dirs [][]float64, m, perLayer int) *pass {
	n, hidden := net.Inputs(), net.Hidden()
	p := &pass{net: net, m: m, perLayer: perLayer, dirs: dirs}
	hmax := n
	for _, h := range hidden {
		for _, s := range []*[]*fvec{&p.z, &p.a, &p.s1, &p.s2, &p.g, &p.w, &p.d} {
			*s = append(*s, newFvec(h, m))
		}
		hmax = max(hmax, h)
	}
	p.zd = make([][]*fvec, len(dirs))
	p.yd, p.gd0 = make([]*fvec, len(dirs)), make([]*fvec, len(dirs))
	for _, h := range hidden {
		p.gd = append(p.gd, newFvec(h, m))
	}
	p.done, p.rdone = make([]bool, len(dirs)), make([]bool, len(dirs))
	p.x, p.y, p.g0, p.uf = newFvec(n, m), newFvec(1, m), newFvec(n, m), newFvec(n, m)
	p.t1, p.t2, p.out = newFvec(1, m), newFvec(1, m), newFvec(1, m)
	p.cen, p.rad = make([]float64, n), make([]float64, n)
	p.cand = make([]candidate, 0, 3*hmax)
	return p
}

// run encloses the forward and the reverse pass on box (raw units), and
// forgets the tangents of the previous run:
//
//	Z_l = W_l·A_{l−1} + b_l,  A_l = σ(Z_l),  y_n = W_out·A_L + b_out,
//	G_L = W_outᵀ,  G_{l−1} = W_lᵀ·(σ′(Z_l) ⊙ G_l),  ∂y_n/∂x_n = G_0,
//
// with A_0 = x_n = (x − x_mean)/x_scale.
func (p *pass) run(box []interval.Interval) {
	p.forward(box, false)
	p.backward()
}

// forward is the forward pass of run. If worse (p.ref must have run on the
// same box), it stops and returns false as soon as the ranges of a layer's
// pre-activations (after the first, where they are the same) are wider in
// sum than p.ref's, or in the end the value's: the piece is too wide for
// forms, and the pass is then not to be used.
func (p *pass) forward(box []interval.Interval, worse bool) bool {
	net := p.net
	n, L := net.Inputs(), net.Layers()
	clear(p.done)
	clear(p.rdone)
	p.inputs(box)
	src, sym := p.x, n
	for l := range L {
		linear(p.z[l], src, net.Params.W[l], net.Params.B[l])
		if worse && l > 0 && p.wider(l) {
			return false
		}
		p.activate(l)
		sym = p.symbolize(l, sym)
		src = p.a[l]
	}
	linear(p.y, src, net.Params.W[L], net.Params.B[L])
	return !worse || p.y.rng(0).Width() <= p.ref.y.c[0].Width()
}

// wider reports whether the ranges of the forms of Z_l are wider in sum
// than p.ref's Z_l.
func (p *pass) wider(l int) bool {
	f, g := 0.0, 0.0
	for i, c := range p.ref.z[l].c {
		f += p.z[l].rng(i).Width()
		g += c.Width()
	}
	return f > g
}

// backward is the reverse pass of run, after forward.
func (p *pass) backward() {
	net := p.net
	L := net.Layers()
	if L == 0 {
		p.g0.constant()
		for j, w := range net.Params.W[0] {
			p.g0.c[j] = interval.Point(w)
		}
	} else {
		gL := p.g[L-1]
		gL.constant()
		for i, w := range net.Params.W[L] {
			gL.c[i] = interval.Point(w)
		}
		for l := L - 1; l >= 0; l-- {
			mulVec(p.w[l], p.g[l], p.s2[l])
			mulVec(p.d[l], p.s1[l], p.g[l])
			dst := p.g0
			if l > 0 {
				dst = p.g[l-1]
			}
			linearT(dst, p.d[l], net.Params.W[l])
		}
	}
}

// inputs sets the forms of the normalised inputs on box: plain intervals
// (x − x_mean)/x_scale, or, with symbols, (c − x_mean)/x_scale + (r/x_scale)·σ_j
// for x_j = c_j + r_j·σ_j, c the box's midpoint and r ≥ its half-widths.
func (p *pass) inputs(box []interval.Interval) {
	norm := p.net.Norm
	n := len(box)
	if p.m == 0 {
		p.x.constant()
		for j, iv := range box {
			p.x.c[j] = interval.Div(interval.Sub(iv, interval.Point(norm.XMean[j])), interval.Point(norm.XScale[j]))
		}
		return
	}
	p.x.act = n
	for j, iv := range box {
		c := iv.Mid()
		pc := interval.Point(c)
		r := dev(iv, c)
		p.cen[j], p.rad[j] = c, r
		xs := interval.Point(norm.XScale[j])
		q := interval.Div(interval.Point(r), xs)
		row := p.x.row(j)
		clear(row)
		row[j] = q.Mid()
		p.x.nrm[j] = abs(row[j])
		// (r/x_scale − row[j])·σ_j goes into the constant.
		p.x.c[j] = interval.Add(interval.Div(interval.Sub(pc, interval.Point(norm.XMean[j])), xs),
			interval.Mul(interval.Sub(q, interval.Point(row[j])), interval.New(-1, 1)))
	}
}

// activate sets the forms of σ(Z), σ′(Z) and σ″(Z) on hidden layer l. With
// symbols, each f of σ, σ′, σ″ is expanded around the midpoint c of the
// constant of Z's form, q = c + ρ:
//
//	f(q) = f(c) + f′(c)·ρ + ½·f″(ξ)·ρ²,  ξ ∈ Q = c + ρ,
//
// with f(c) and f′(c) from the jet at c and f″ enclosed on Q (σ″, σ‴, σ⁗;
// Q intersected with the hull of c and p.ref's range of Z if there is one).
// The linear part of ρ carries over to the new coefficients, multiplied by
// the midpoint of f′(c); the rest goes into the constant. Without symbols
// (plain intervals) the forms are σ, σ′ and σ″ enclosed on Z.
func (p *pass) activate(l int) {
	act := p.net.Act
	z, a, s1, s2 := p.z[l], p.a[l], p.s1[l], p.s2[l]
	if z.act == 0 {
		a.constant()
		s1.constant()
		s2.constant()
		for i, zi := range z.c {
			a.c[i], s1.c[i], s2.c[i] = sigma(act, zi)
		}
		return
	}
	a.setAct(z.act)
	s1.setAct(z.act)
	s2.setAct(z.act)
	for i, zc := range z.c {
		coef := z.row(i)
		c := zc.Mid()
		if !finite(c) {
			for _, f := range []*fvec{a, s1, s2} {
				f.c[i] = interval.Entire()
				clear(f.row(i))
				f.nrm[i] = 0
			}
			continue
		}
		nrm := z.nrm[i]
		r := interval.Sub(zc, interval.Point(c))
		rho := widen(r, nrm)
		q := interval.Add(interval.Point(c), rho)
		if p.ref != nil {
			// ξ lies between c and Z's value, in the plain range's hull
			// with c.
			if iq := interval.Intersection(q, interval.Hull(p.ref.z[l].c[i], interval.Point(c))); !iq.IsEmpty() {
				q = iq
			}
		}
		j := jet(act, c)
		d2, d3, d4 := higher(act, q)
		half := interval.Mul(interval.Point(0.5), interval.Sqr(rho))
		expand(a, i, j[0], j[1], d2, r, nrm, half, coef)
		expand(s1, i, j[1], j[2], d3, r, nrm, half, coef)
		expand(s2, i, j[2], j[3], d4, r, nrm, half, coef)
	}
}

// expand sets node i of f to f(c) + f′(c)·(R + L) + F2·half, the expansion
// of activate, where R ∋ the deviation of Z's constant from c, L = Σ coef_k·σ_k
// with |L| ≤ nrm, F0 ∋ f(c), F1 ∋ f′(c) and F2·half ∋ ½f″(ξ)ρ²:
// coefficients mid(F1)·coef_k rounded (error at most u of each and 2⁻¹⁰⁷⁵),
// and (F1 − mid(F1))·[−nrm, nrm] in the constant.
func expand(f *fvec, i int, f0, f1, f2, r interval.Interval, nrm float64, half interval.Interval, coef []float64) {
	m1 := f1.Mid()
	row := f.row(i)
	s := 0.0
	for k, x := range coef {
		y := m1 * x
		row[k] = y
		s += abs(y)
	}
	f.nrm[i] = upper(s, len(coef))
	c := interval.Add(interval.Add(f0, interval.Mul(f1, r)), interval.Mul(f2, half))
	// (f′(c) − m1)·L and the coefficients' rounding.
	e := addUp(mulUp(dev(f1, m1), nrm), errUp(gammaUp(1), mulUp(abs(m1), nrm), len(coef)))
	f.c[i] = widen(c, e)
}

// symbolize gives the widest remainders of σ(Z), σ′(Z) and σ″(Z) on layer l,
// at most p.perLayer of them, symbols of their own, numbered from sym; it
// returns the next free symbol. A remainder with a symbol is carried with
// its sign through the layers after it instead of being enclosed anew at
// each (the wrapping effect).
func (p *pass) symbolize(l, sym int) int {
	count := min(p.perLayer, p.m-sym)
	if count <= 0 || p.z[l].act == 0 {
		return sym
	}
	p.cand = p.cand[:0]
	for _, f := range []*fvec{p.a[l], p.s1[l], p.s2[l]} {
		for i, c := range f.c {
			if w := c.Width(); w > 0 && finite(w) {
				p.cand = append(p.cand, candidate{f, i, w})
			}
		}
	}
	// The order of equal widths is that of the appends: deterministic.
	slices.SortStableFunc(p.cand, func(x, y candidate) int { return cmp.Compare(y.wid, x.wid) })
	count = min(count, len(p.cand))
	for _, f := range []*fvec{p.a[l], p.s1[l], p.s2[l]} {
		f.setAct(sym + count)
	}
	for k, c := range p.cand[:count] {
		c.f.symbolize(c.i, sym+k)
	}
	return sym + count
}

// tangent encloses the tangent along dirs[k] on the piece of the last run,
// if it has not yet:
//
//	Ż_1 = W_1·u,  Ż_{l+1} = W_{l+1}·(σ′(Z_l) ⊙ Ż_l),  ẏ_n = W_out·(σ′(Z_L) ⊙ Ż_L).
func (p *pass) tangent(k int) {
	if p.done[k] {
		return
	}
	net := p.net
	L := net.Layers()
	if p.zd[k] == nil { // first use of the direction
		for _, h := range net.Hidden() {
			p.zd[k] = append(p.zd[k], newFvec(h, p.m))
		}
		p.yd[k], p.gd0[k] = newFvec(1, p.m), newFvec(net.Inputs(), p.m)
	}
	p.uf.constant()
	for j, v := range p.dirs[k] {
		p.uf.c[j] = interval.Point(v)
	}
	if L == 0 {
		linear(p.yd[k], p.uf, net.Params.W[0], nil)
		p.done[k] = true
		return
	}
	zd := p.zd[k]
	linear(zd[0], p.uf, net.Params.W[0], nil)
	for l := range L {
		mulVec(p.d[l], p.s1[l], zd[l])
		if l+1 < L {
			linear(zd[l+1], p.d[l], net.Params.W[l+1], nil)
		} else {
			linear(p.yd[k], p.d[l], net.Params.W[L], nil)
		}
	}
	p.done[k] = true
}

// reverse encloses the tangent of the adjoint along dirs[k] on the piece of
// the last run, if it has not yet, computing the tangent if need be:
//
//	Ġ_L = 0,  Ġ_{l−1} = W_lᵀ·(σ′(Z_l) ⊙ Ġ_l + σ″(Z_l) ⊙ Ż_l ⊙ G_l),  H_n·u = Ġ_0.
func (p *pass) reverse(k int) {
	if p.rdone[k] {
		return
	}
	p.tangent(k)
	net := p.net
	L := net.Layers()
	if L == 0 {
		p.gd0[k].constant()
		clear(p.gd0[k].c)
		p.rdone[k] = true
		return
	}
	zd := p.zd[k]
	for l := L - 1; l >= 0; l-- {
		d := p.d[l]
		if l == L-1 {
			mulVec(d, p.w[l], zd[l])
		} else {
			g := p.gd[l]
			d.act = max(p.s1[l].act, g.act, p.w[l].act, zd[l].act)
			t := p.t1
			t.act = max(p.w[l].act, zd[l].act)
			for i := range d.c {
				d.nrm[i] = mulNode(&d.c[i], d.row(i), p.s1[l].c[i], p.s1[l].row(i), p.s1[l].nrm[i], g.c[i], g.row(i), g.nrm[i])
				n := mulNode(&t.c[0], t.row(0), p.w[l].c[i], p.w[l].row(i), p.w[l].nrm[i], zd[l].c[i], zd[l].row(i), zd[l].nrm[i])
				d.nrm[i] = addNode(&d.c[i], d.row(i), d.nrm[i], t.c[0], t.row(0), n)
			}
		}
		dst := p.gd0[k]
		if l > 0 {
			dst = p.gd[l-1]
		}
		linearT(dst, d, net.Params.W[l])
	}
	p.rdone[k] = true
}

// second sets dst (one node) to the second derivative of y_n along
// dirs[ka] and dirs[kb] on the piece of the last run, computing their
// tangents if need be:
//
//	∂²y_n/∂u_a∂u_b = Σ_l ⟨G_l ⊙ σ″(Z_l), Ż_l(u_a) ⊙ Ż_l(u_b)⟩
//
// (method.md §3's tangent of the adjoint, summed layer by layer: σ″(Z_l)·Ż_l
// is the source that layer l adds to the second tangent, and G_l carries it
// to the output). With ka = kb it is uᵀ·H_n·u, the tangent squared.
func (p *pass) second(dst *fvec, ka, kb int) {
	p.tangent(ka)
	p.tangent(kb)
	t1, t2 := p.t1, p.t2
	var acc sum
	acc.reset(dst)
	for l, w := range p.w {
		za, zb := p.zd[ka][l], p.zd[kb][l]
		t1.act = max(za.act, zb.act)
		t2.act = max(w.act, t1.act)
		for i := range w.c {
			var n1 float64
			if ka == kb {
				n1 = sqrNode(&t1.c[0], t1.row(0), za.c[i], za.row(i), za.nrm[i])
			} else {
				n1 = mulNode(&t1.c[0], t1.row(0), za.c[i], za.row(i), za.nrm[i], zb.c[i], zb.row(i), zb.nrm[i])
			}
			n2 := mulNode(&t2.c[0], t2.row(0), w.c[i], w.row(i), w.nrm[i], t1.c[0], t1.row(0), n1)
			acc.add(t2.c[0], t2.row(0), n2)
		}
	}
	acc.finish()
}

// mulVec sets dst to the node-wise products of the forms f and g.
func mulVec(dst, f, g *fvec) {
	dst.act = max(f.act, g.act)
	for i := range dst.c {
		dst.nrm[i] = mulNode(&dst.c[i], dst.row(i), f.c[i], f.row(i), f.nrm[i], g.c[i], g.row(i), g.nrm[i])
	}
}
