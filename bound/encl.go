package bound

import (
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// encloser encloses the greeks of a net piece by piece with three passes:
// plain intervals on the piece, plain intervals at its centre, and forms
// with symbols on the piece; each enclosure is the intersection of what they
// give (intersections of sound enclosures are sound).
type encloser struct {
	net  *mlp.Network
	dirs [][]float64
	// plain and centre are the plain passes, forms the pass with symbols;
	// box is the centre as a box of points. formsPass allocates all but
	// plain.
	plain, centre, forms *pass
	box                  []interval.Interval
	// del[j] and hes[i][j] are scratch forms (raw units) of ∂y/∂x_j and
	// ∂²y/∂x_i∂x_j on the piece, hes[i][j] = hes[j][i]; one is scratch.
	del []*fvec
	hes [][]*fvec
	one *fvec
}

// maxSymbols bounds the remainder symbols of a pass: each form then has at
// most n + maxSymbols coefficients, which is what the passes cost.
const maxSymbols = 192

// directions returns the normalised directions of the tangents of a pass
// along the raw direction dir of gamma: v/x_scale first, then, if inputs,
// e_j/x_scale_j for each input j.
func directions(net *mlp.Network, dir []float64, inputs bool) [][]float64 {
	n := net.Inputs()
	vn := make([]float64, n)
	for j := range n {
		vn[j] = dir[j] / net.Norm.XScale[j]
	}
	dirs := [][]float64{vn}
	for j := range n {
		if !inputs {
			break
		}
		e := make([]float64, n)
		e[j] = 1 / net.Norm.XScale[j]
		dirs = append(dirs, e)
	}
	return dirs
}

// newEncloser returns the encloser of net with tangents along dirs
// (directions' result).
func newEncloser(net *mlp.Network, dirs [][]float64) *encloser {
	return &encloser{net: net, dirs: dirs, plain: newPass(net, dirs, 0, 0)}
}

// formsPass returns the pass with symbols, allocating it on first use. It
// gives each hidden layer of h nodes min(3h, maxSymbols/L) remainder
// symbols.
func (e *encloser) formsPass() *pass {
	if e.forms != nil {
		return e.forms
	}
	net := e.net
	n, hidden := net.Inputs(), net.Hidden()
	per := 0
	for _, h := range hidden {
		per = max(per, 3*h)
	}
	if len(hidden) > 0 {
		per = min(per, maxSymbols/len(hidden))
	}
	m := n + per*len(hidden)
	e.forms = newPass(net, e.dirs, m, per)
	e.forms.ref = e.plain
	e.centre, e.box = newPass(net, nil, 0, 0), make([]interval.Interval, n)
	e.one = newFvec(1, m)
	e.hes = make([][]*fvec, n)
	for i := range n {
		e.del = append(e.del, newFvec(1, m))
		e.hes[i] = make([]*fvec, n)
		for j := range i + 1 {
			e.hes[i][j] = newFvec(1, m)
			e.hes[j][i] = e.hes[i][j]
		}
	}
	return e.forms
}

// greeks sets r's enclosures to those on the piece b; e.dirs must be
// directions(…, true)'s.
func (e *encloser) greeks(r *Result, b []interval.Interval) {
	net := e.net
	n := net.Inputs()
	ys := interval.Point(net.Norm.YScale)
	pl, pf := e.plain, e.formsPass()

	// Plain intervals on the piece.
	pl.run(b)
	r.Value = e.value(pl.y.c[0])
	for j := range n {
		r.Delta[j] = meet(e.delta(pl.g0.c[j], j), e.tangentDelta(pl, j))
		r.HessianDiag[j] = e.hessian(pl, j)
	}
	r.Gamma = e.gamma(pl)

	// Forms on the piece, and the Taylor bounds from the centre.
	pf.run(b)
	e.runCentre()
	pc := e.centre
	r.Value = meet(r.Value, e.value(pf.y.rng(0)))
	for j := range n {
		r.Delta[j] = meet(r.Delta[j], e.delta(pf.g0.rng(j), j))
		r.Delta[j] = meet(r.Delta[j], e.tangentDelta(pf, j))
		e.deltaForm(e.del[j], j)
		for i := range j + 1 {
			pf.second(e.one, i+1, j+1)
			scale(e.hes[i][j], e.one, 0, ys)
		}
	}
	r.Value = meet(r.Value, taylor(e.value(pc.y.c[0]), e.del, pf.rad))
	for i := range n {
		r.Delta[i] = meet(r.Delta[i], taylor(e.delta(pc.g0.c[i], i), e.hes[i], pf.rad))
		r.HessianDiag[i] = meet(r.HessianDiag[i], e.hes[i][i].rng(0))
	}
	r.Gamma = meet(r.Gamma, e.gamma(pf))
}

// gamma returns the enclosure of gamma = y_scale·vᵀH_n·v (raw units) on
// p's piece: of the second derivative along v and, for plain intervals,
// also of vᵀ·Ġ_0 from the tangent of the adjoint (wider on most nets, but
// not on all).
func (e *encloser) gamma(p *pass) interval.Interval {
	ys := interval.Point(e.net.Norm.YScale)
	p.second(p.out, 0, 0)
	g := interval.Mul(ys, p.out.rng(0))
	if p.m == 0 {
		p.reverse(0)
		linear(p.out, p.gd0[0], p.dirs[0], nil)
		g = meet(g, interval.Mul(ys, p.out.c[0]))
	}
	return g
}

// hessian returns the enclosure of ∂²y/∂x_j² (raw units) on p's piece, like
// gamma along e_j.
func (e *encloser) hessian(p *pass, j int) interval.Interval {
	ys := interval.Point(e.net.Norm.YScale)
	p.second(p.out, j+1, j+1)
	h := interval.Mul(ys, p.out.rng(0))
	if p.m == 0 {
		p.reverse(j + 1)
		h = meet(h, interval.Mul(ys, interval.Div(p.gd0[j+1].c[j], interval.Point(e.net.Norm.XScale[j]))))
	}
	return h
}

// runCentre runs the centre pass at the centre of the forms pass's last
// piece (after formsPass).
func (e *encloser) runCentre() {
	for j, c := range e.forms.cen {
		e.box[j] = interval.Point(c)
	}
	e.centre.run(e.box)
}

// value returns y = y_mean + y_scale·y_n for y_n ∈ yn.
func (e *encloser) value(yn interval.Interval) interval.Interval {
	norm := e.net.Norm
	return interval.Add(interval.Point(norm.YMean), interval.Mul(interval.Point(norm.YScale), yn))
}

// delta returns ∂y/∂x_j = y_scale·G_0,j/x_scale_j for G_0,j ∈ g.
func (e *encloser) delta(g interval.Interval, j int) interval.Interval {
	norm := e.net.Norm
	return interval.Div(interval.Mul(interval.Point(norm.YScale), g), interval.Point(norm.XScale[j]))
}

// tangentDelta returns ∂y/∂x_j = y_scale·ẏ_n along e_j/x_scale_j from the
// tangent of p.
func (e *encloser) tangentDelta(p *pass, j int) interval.Interval {
	p.tangent(j + 1)
	return interval.Mul(interval.Point(e.net.Norm.YScale), p.yd[j+1].rng(0))
}

// deltaForm sets dst to the form of ∂y/∂x_j in raw units on the forms
// pass's piece: of the adjoint's and the tangent's, the narrower.
func (e *encloser) deltaForm(dst *fvec, j int) {
	pf := e.forms
	s := interval.Div(interval.Point(e.net.Norm.YScale), interval.Point(e.net.Norm.XScale[j]))
	scale(dst, pf.g0, j, s)
	pf.tangent(j + 1)
	scale(e.one, pf.yd[j+1], 0, interval.Point(e.net.Norm.YScale))
	if e.one.rng(0).Width() < dst.rng(0).Width() {
		dst.act = e.one.act
		dst.c[0], dst.nrm[0] = e.one.c[0], e.one.nrm[0]
		copy(dst.row(0), e.one.row(0))
	}
}

// scale sets dst (one node) to s times node i of f.
func scale(dst, f *fvec, i int, s interval.Interval) {
	dst.act = f.act
	dst.nrm[0] = mulNode(&dst.c[0], dst.row(0), f.c[i], f.row(i), f.nrm[i], s, nil, 0)
}

// taylor returns an enclosure of a function q on the piece of centre c and
// radii rad (raw units), from q0 ∋ q(c) and forms d[j] of ∂q/∂x_j on the
// piece (raw units, one node each). With x = c + rad⊙σ and d[j] =
// C_j + Σ_k a_jk·σ_k,
//
//	q(x) = q(c) + ∫₀¹ Σ_j ∂q/∂x_j(c + t·(x − c))·rad_j·σ_j dt
//	     ∈ q0 + Σ_j rad_j·σ_j·E_j + ½·Σ_j Σ_k rad_j·a_jk·σ_j·σ_k,
//
// k over the input symbols, which are t·σ_k at c + t·(x − c); E_j is C_j
// widened by the other symbols' Σ|a_jk| (they are not linear in x). Of the
// quadratic part, σ_j² ∈ [0, 1] on the diagonal and the pairs j < k are
// bounded together. It is the centred form of second order of q: its excess
// over q's range is of the order of the excess of the forms d[j] times the
// radii.
func taylor(q0 interval.Interval, d []*fvec, rad []float64) interval.Interval {
	n := len(rad)
	coef := func(j, k int) interval.Interval {
		if k < d[j].act {
			return interval.Point(d[j].a[k])
		}
		return interval.Point(0)
	}
	half := interval.Point(0.5)
	s := q0
	for j := range n {
		row := d[j].row(0)
		ej := d[j].c[0]
		if len(row) > n {
			ej = widen(ej, norm1(row[n:]))
		}
		rj := interval.Point(rad[j])
		s = interval.Add(s, interval.Mul(ball(rad[j]), ej))
		s = interval.Add(s, interval.Hull(interval.Point(0), interval.Mul(half, interval.Mul(rj, coef(j, j)))))
		for k := j + 1; k < n; k++ {
			o := interval.Add(interval.Mul(rj, coef(j, k)), interval.Mul(interval.Point(rad[k]), coef(k, j)))
			s = interval.Add(s, ball(interval.Mul(half, o).Mag()))
		}
	}
	if s.IsEmpty() {
		return interval.Entire()
	}
	return s
}

// meet returns a ∩ b, both enclosures of the same values; if they do not
// meet (which sound enclosures cannot), their hull.
func meet(a, b interval.Interval) interval.Interval {
	if c := interval.Intersection(a, b); !c.IsEmpty() {
		return c
	}
	return interval.Hull(a, b)
}
