package iasa

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"

	"github.com/sobolev-pruning/sobolev/internal/gemm"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// formPass runs the forward and adjoint passes of the form-based methods
// (Affine, Zonotope, Quadratic) on chunks of up to nb boxes at a time,
// batched as matrix products over the boxes. It holds the network and all
// scratch, so one formPass serves one goroutine.
//
// A form of a quantity q on a box is a block of 1+m numbers (c, a_1, …, a_m)
// of a row of a form matrix, plus a radius r in a separate radius matrix. It
// means that for every input x of the box there are ε ∈ [−1, 1]ⁿ (the
// normalised input is x_n,j = c_j + r_j·ε_j, shared by all quantities of the
// box), error symbols η ∈ [−1, 1] (shared) and e ∈ [−r, r] (this quantity's
// own) with
//
//	q(x) = c + Σ_k a_k·μ_k + e,
//
// where the monomials μ_k are, in this order: ε_1 … ε_n; for second order
// also t_j = 2ε_j² − 1 (j = 1..n) and ε_jε_k (j < k); then the error symbols
// η of Zonotope. Every monomial lies in [−1, 1], so q lies in c ± (‖a‖₁ + r).
//
// A form matrix has one row per node and the blocks of the nb boxes side by
// side, so that one layer's forms for all boxes are W times the matrix.
type formPass struct {
	net   *mlp.Network
	kit   kit
	order int // 1: affine forms; 2: quadratic forms in ε
	nb    int // boxes per chunk

	sizes      []int       // net.Sizes
	absW       [][]float64 // |W[l]|, elementwise
	n          int         // inputs
	pairs      [][2]int    // (j, k), j < k, in the order of the cross monomials
	formLayout             // the monomials of the forms
	rank       []int       // scratch of symbolize

	// done, if not nil, is a context's Done channel: once it is closed, run
	// stops within a few milliseconds, leaving its output incomplete.
	done <-chan struct{}
	// sc holds the packing buffers of the form products.
	sc gemm.Scratch
	// blockWork, if not 0, replaces the constant blockWork (for tests).
	blockWork int

	zf [][]float64 // zf[l]: forms of z^(l), sizes[l+1] × nb·(1+sym[l])
	zr [][]float64 // zr[l]: radii of z^(l), sizes[l+1] × nb

	af, ar []float64 // forms and radii of the current activations
	t      []float64 // radii augmented by rounding errors, the operand of |W|·t
	gf, gr []float64 // forms and radii of the current adjoints G^(l)
	df, dr []float64 // forms and radii of Δ^(l) = σ′(z^(l)) ⊙ G^(l)
	s      []float64 // the form of σ′(z) of one node
}

// formLayout is the monomial layout of a formPass: nm = n (first order) or
// n + n + n(n−1)/2 (second order) monomials in ε, then K = keep error symbols
// for the errors of σ in each hidden layer but the last, then K_A = keepA for
// the errors of the products Δ^(l), l = L−1, …, 2. sym[l] = nm + K·l is the
// number of monomials of z^(l), the pre-activation of hidden layer l; madj
// bounds that of the adjoints. K and K_A are capped by the widest layer.
type formLayout struct {
	nm, madj    int
	sym         []int
	keep, keepA int
}

// newFormLayout returns the layout newFormPass makes for a net of the given
// sizes.
func newFormLayout(sizes []int, order, keep, keepA int) formLayout {
	n, hidden := sizes[0], sizes[1:len(sizes)-1]
	hmax := slices.Max(hidden)
	lay := formLayout{nm: n, keep: min(keep, hmax), keepA: min(keepA, hmax)}
	if order == 2 {
		lay.nm = 2*n + n*(n-1)/2
	}
	L := len(hidden)
	lay.sym = make([]int, L)
	for l := range L {
		lay.sym[l] = lay.nm + lay.keep*l
	}
	lay.madj = lay.sym[L-1] + lay.keepA*(L-1)
	return lay
}

// chunk returns the number of boxes a form pass with layout lay takes at a
// time: as many as keep the adjoint form matrices near chunkColumns columns,
// at most 64.
func (lay formLayout) chunk() int { return min(64, max(1, chunkColumns/(1+lay.madj))) }

// newFormPass returns a formPass of the given order for chunks of up to nb
// boxes that gives the keep ≥ 0 largest errors of σ and the keepA ≥ 0
// largest errors of the adjoint products per layer and box symbols of their
// own (a count ≥ the widest layer: all of them). done, if not nil, is a
// context's Done channel: the pass stops once it is closed, and
// newFormPass itself returns nil if it is closed between two of its
// buffers (those of a net with a hundred inputs take hundreds of megabytes,
// whose first touch alone takes a fraction of a second).
func newFormPass(net *mlp.Network, order, keep, keepA, nb int, done <-chan struct{}) *formPass {
	L := net.Layers()
	n := net.Inputs()
	lay := newFormLayout(net.Sizes, order, keep, keepA)
	p := &formPass{net: net, kit: kit{net.Act}, order: order, nb: nb, sizes: net.Sizes, n: n,
		formLayout: lay, rank: make([]int, slices.Max(net.Hidden())), done: done}
	stopped := false
	alloc := func(k int) []float64 {
		if stopped = stopped || p.stopped(); stopped {
			return nil
		}
		return make([]float64, k)
	}
	p.absW = make([][]float64, len(net.Params.W))
	for l, w := range net.Params.W {
		p.absW[l] = make([]float64, len(w))
		for i, v := range w {
			p.absW[l][i] = math.Abs(v)
		}
	}
	if order == 2 {
		for j := range n {
			for k := j + 1; k < n; k++ {
				p.pairs = append(p.pairs, [2]int{j, k})
			}
		}
	}
	p.zf = make([][]float64, L)
	p.zr = make([][]float64, L)
	maxA, maxR := n*nb*(1+p.nm), n*nb
	for l := range L {
		h := p.sizes[l+1]
		p.zf[l] = alloc(h * nb * (1 + p.sym[l]))
		p.zr[l] = alloc(h * nb)
		maxA = max(maxA, h*nb*(1+p.symOut(l)))
		maxR = max(maxR, h*nb)
	}
	p.af, p.ar, p.t = alloc(maxA), alloc(maxR), alloc(maxR)
	maxG := 0
	for l := range L {
		maxG = max(maxG, p.sizes[l+1]*nb*(1+p.madj))
	}
	p.gf, p.df = alloc(maxG), alloc(maxG)
	p.gr, p.dr = alloc(maxR), alloc(maxR)
	p.s = alloc(1 + p.madj)
	if stopped {
		return nil
	}
	return p
}

// symOut returns the number of monomials of the activations of hidden layer
// l: those of z^(l), plus K error symbols unless l is the last layer, whose
// activations feed no further nonlinearity.
func (p *formPass) symOut(l int) int {
	if l+1 < len(p.sym) {
		return p.sym[l+1]
	}
	return p.sym[l]
}

// symbolize gives the K largest remainders of each box their own new error
// symbols: for the K nodes j of the rows × nb radius matrix r with the largest
// r[j·nb+b] (ties to the lower index), it moves r into column 1+first+k of
// node j's form block of box b in f (blocks of 1+m), k = 0, 1, … in
// increasing order of j, and sets r to 0. This is exact: e ∈ [−r, r] is
// e = r·η for a new η ∈ [−1, 1], which no other quantity shares yet.
func (p *formPass) symbolize(f, r []float64, rows, nb, m, first, K int) {
	K = min(K, rows)
	if K == 0 {
		return
	}
	cols := nb * (1 + m)
	rank := p.rank[:rows]
	for b := range nb {
		for j := range rank {
			rank[j] = j
		}
		top := rank
		if K < rows {
			slices.SortStableFunc(rank, func(i, j int) int { return cmp.Compare(r[j*nb+b], r[i*nb+b]) })
			top = rank[:K]
			slices.Sort(top)
		}
		for k, j := range top {
			f[j*cols+b*(1+m)+1+first+k] = r[j*nb+b]
			r[j*nb+b] = 0
		}
	}
}

// stopped reports whether p.done is closed.
func (p *formPass) stopped() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// run encloses the values and adjoints of every hidden node on the nb ≤ p.nb
// boxes whose normalised inputs are x_j ∈ [cen[b·n+j] − rad[b·n+j],
// cen[b·n+j] + rad[b·n+j]], and stores them in out[b].A and out[b].G. Once
// p.done is closed it returns early; out is then incomplete. It checks p.done
// after every row of the form matrices and every block of a product, so that
// it stops within milliseconds even when one box takes a minute (second-order
// forms of a net with a thousand inputs have half a million columns).
func (p *formPass) run(cen, rad []float64, nb int, out []Enclosure) {
	if !p.forward(cen, rad, nb, out) {
		return
	}
	p.adjoint(nb, out)
}

// forward is the forward pass (method.md §5, step 1) on the forms: for each
// hidden layer l, the forms of z^(l) = W[l]·a + b[l] in p.zf[l] and p.zr[l],
// and the enclosures of the activations σ(z^(l)) in out[b].A[l]. It returns
// false if p.done was closed before it finished.
func (p *formPass) forward(cen, rad []float64, nb int, out []Enclosure) bool {
	in, inR, ok := p.inputForms(cen, rad, nb)
	if !ok {
		return false
	}
	rows := p.n
	for l := range len(p.sym) {
		h, m := p.sizes[l+1], p.sym[l]
		cols := nb * (1 + m)
		zf, zr := p.zf[l][:h*cols], p.zr[l][:h*nb]
		if !p.linear(l, blas.NoTrans, h, rows, m, nb, in, inR, zf, zr, p.net.Params.B[l]) {
			return false
		}
		if in, inR, ok = p.activate(l, nb, out); !ok {
			return false
		}
		rows = h
	}
	return true
}

// inputForms returns the forms and radii of the nb boxes' normalised inputs,
// x_j = cen_j + rad_j·ε_j exactly, in p.af and p.ar (the radii are 0), and
// false if p.done was closed before it finished.
func (p *formPass) inputForms(cen, rad []float64, nb int) (in, inR []float64, ok bool) {
	n := p.n
	cols := nb * (1 + p.nm)
	in, inR = p.af[:n*cols], p.ar[:n*nb]
	clear(inR)
	for j := range n {
		if p.stopped() {
			return nil, nil, false
		}
		clear(in[j*cols : (j+1)*cols])
		for b := range nb {
			in[j*cols+b*(1+p.nm)] = cen[b*n+j]
			in[j*cols+b*(1+p.nm)+1+j] = rad[b*n+j]
		}
	}
	return in, inR, true
}

// activate returns the forms and radii, in p.af and p.ar, of the activations
// σ(z^(l)) of hidden layer l from the forms of z^(l) in p.zf[l] and p.zr[l],
// with the K largest errors of σ of each box as new error symbols unless l
// is the last layer, and stores their enclosures in out[b].A[l]. It returns
// false if p.done was closed before it finished.
func (p *formPass) activate(l, nb int, out []Enclosure) (af, ar []float64, ok bool) {
	h, m := p.sizes[l+1], p.sym[l]
	cols := nb * (1 + m)
	zf, zr := p.zf[l][:h*cols], p.zr[l][:h*nb]
	mo := p.symOut(l)
	colsA := nb * (1 + mo)
	af, ar = p.af[:h*colsA], p.ar[:h*nb]
	for j := range h {
		if p.stopped() {
			return nil, nil, false
		}
		for b := range nb {
			src := zf[j*cols+b*(1+m):][:1+m]
			dst := af[j*colsA+b*(1+mo):][:1+mo]
			clear(dst[1+m:])
			r := zr[j*nb+b]
			ra, rng := p.unary(dst[:1+m], src, r, false)
			rd := up(up(sumAbs(dst[1:]), mo)+ra, 1)
			out[b].A[l][j] = interval.Intersection(interval.Interval{Lo: below(dst[0], rd), Hi: above(dst[0], rd)}, rng)
			ar[j*nb+b] = ra
		}
	}
	if mo > m {
		p.symbolize(af, ar, h, nb, mo, m, p.keep)
	}
	return af, ar, true
}

// adjoint is the adjoint pass (method.md §5, step 2) on the forms, after
// forward: from G^(L−1) = W_outᵀ, for l = L−1, …, 0, the enclosures of the
// adjoints G^(l) in out[b].G[l], then Δ^(l) = σ′(z^(l)) ⊙ G^(l) and
// G^(l−1) = W[l]ᵀ·Δ^(l). The adjoint forms have the forward monomials, then
// the error symbols of the products made so far: ma grows by K at every
// product. It returns early if p.done is closed.
func (p *formPass) adjoint(nb int, out []Enclosure) {
	L := len(p.sym)
	ma := p.sym[L-1]
	gf, gr := p.outputAdjoint(nb, ma)
	for l := L - 1; l >= 0; l-- {
		h := p.sizes[l+1]
		// Monomials of Δ^(l): K error symbols more, except for Δ^(1), whose
		// errors pass through one product with W before the last range is
		// taken, which bounds them as tightly as symbols would.
		md := ma + min(p.keepA, h)
		if l <= 1 {
			md = ma
		}
		df, dr, ok := p.delta(l, nb, ma, md, gf, gr, out)
		if !ok || l == 0 {
			return
		}
		if md > ma {
			p.symbolize(df, dr, h, nb, md, ma, p.keepA)
		}
		// G^(l−1) = W[l]ᵀ·Δ^(l).
		hp, colsG := p.sizes[l], nb*(1+md)
		if !p.linear(l, blas.Trans, hp, h, md, nb, df, dr, p.gf[:hp*colsG], p.gr[:hp*nb], nil) {
			return
		}
		ma, gf, gr = md, p.gf[:hp*colsG], p.gr[:hp*nb]
	}
}

// outputAdjoint returns the forms and radii, in p.gf and p.gr, of the
// adjoints of the last hidden layer, G^(L−1) = W_outᵀ: a point, as forms with
// ma monomials.
func (p *formPass) outputAdjoint(nb, ma int) (gf, gr []float64) {
	L := len(p.sym)
	colsG, hL := nb*(1+ma), p.sizes[L]
	gf, gr = p.gf[:hL*colsG], p.gr[:hL*nb]
	clear(gf)
	clear(gr)
	wOut := p.net.Params.W[L]
	for i := range hL {
		for b := range nb {
			gf[i*colsG+b*(1+ma)] = wOut[i]
		}
	}
	return gf, gr
}

// delta stores in out[b].G[l] the enclosures of the adjoints G^(l) of hidden
// layer l, whose forms (ma monomials) and radii are gf and gr, and for l ≥ 1
// returns the forms (md ≥ ma monomials, those after the first ma zero, for
// symbolize) and radii of Δ^(l) = σ′(z^(l)) ⊙ G^(l) in p.df and p.dr, with
// σ′(z^(l)) as a form over the monomials of z^(l). It returns false if p.done
// was closed before it finished.
func (p *formPass) delta(l, nb, ma, md int, gf, gr []float64, out []Enclosure) (df, dr []float64, ok bool) {
	h, m := p.sizes[l+1], p.sym[l]
	cols, colsG, colsD := nb*(1+m), nb*(1+ma), nb*(1+md)
	zf, zr := p.zf[l], p.zr[l]
	df, dr = p.df[:h*colsD], p.dr[:h*nb]
	for j := range h {
		if p.stopped() {
			return nil, nil, false
		}
		for b := range nb {
			g := gf[j*colsG+b*(1+ma):][:1+ma]
			w := up(up(sumAbs(g[1:]), ma)+gr[j*nb+b], 1)
			out[b].G[l][j] = interval.Interval{Lo: below(g[0], w), Hi: above(g[0], w)}
			if l == 0 {
				continue
			}
			// S = σ′(z) as a form over z's monomials, then Δ = S·G.
			src := zf[j*cols+b*(1+m):][:1+m]
			s := p.s[:1+m]
			sr, _ := p.unary(s, src, zr[j*nb+b], true)
			d := df[j*colsD+b*(1+md):][:1+md]
			clear(d[1+ma:])
			dr[j*nb+b] = p.product(d[:1+ma], s, g, sr, gr[j*nb+b])
		}
	}
	return df, dr, true
}

// unary sets dst (same length as src) to a form of f(q) for the form
// q = (src, r), f = σ (deriv false) or σ′ (deriv true), and returns its
// radius and, for σ, an enclosure of σ on q's range [lo, hi] (Entire for σ′).
// It uses the linear relaxation of f on [lo, hi], f(z) ∈ α·z + β ± μ, or, for
// second-order forms and a smooth σ, the Taylor form at the centre c if that
// is tighter: with u = q − c,
//
//	f(q) ∈ f(c) + f′(c)·u + f″(c)/2·u² ± max|f‴([lo, hi])|/6·max|u|³,
//
// where u = ℓ + w, ℓ the part linear in ε (kept), w the rest; f″(c)/2·ℓ² is
// kept as quadratic monomials, the other terms of u² go into the radius. Every
// rounding of the new coefficients goes into the radius as well. The linear
// relaxation is only tried on ranges wider than pieceWidth (on narrower ones
// the third-order remainder is far below any linear relaxation's second-order
// error) and where the Taylor radius is above m·(hi − lo)²/16, m a lower
// bound of |f″| on [lo, hi], which no linear relaxation can beat.
func (p *formPass) unary(dst, src []float64, r float64, deriv bool) (float64, interval.Interval) {
	c := src[0]
	rho := up(sumAbs(src[1:]), len(src)-1)
	umax := up(rho+r, 1)
	lo, hi := below(c, umax), above(c, umax)
	z := interval.Interval{Lo: lo, Hi: hi}
	r2 := math.Inf(1)
	var s0, s1, m2 float64
	if p.order == 2 && p.kit.smooth() {
		d := p.kit.point(c)
		var f0, f1, f2, f3 interval.Interval
		if deriv {
			f0, f1, f2, f3 = d[1], d[2], d[3], p.kit.deriv4(z)
		} else {
			f0, f1, f2, f3 = d[0], d[1], d[2], p.kit.deriv3(z)
		}
		n := p.n
		rhoLin := up(sumAbs(src[1:1+n]), n)
		rhoW := up(up(sumAbs(src[1+n:]), len(src)-1-n)+r, 1)
		s0, s1, m2 = f0.Mid(), f1.Mid(), f2.Mid()
		rad0 := max(above(f0.Hi, -s0), above(s0, -f0.Lo))
		rad1 := max(above(f1.Hi, -s1), above(s1, -f1.Lo))
		rad2 := max(above(f2.Hi, -m2), above(m2, -f2.Lo))
		a1, a2, a3 := math.Abs(s1), math.Abs(m2), f3.Mag()
		// Truncation: f(c), f′(c), f″(c) known only to within rad0..rad2;
		// the cubic term; (m₂/2)(2ℓw + w²) dropped; f′(c)·e. Rounding:
		// every new coefficient is a sum of at most four products, so its
		// error is below γ_(n+4) times the sum of their magnitudes, and
		// those sum to at most |s0| + |s1|(|c| + ‖a‖₁) + |m₂|·‖ℓ‖₁²; plus a
		// subnormal per coefficient for products that underflow.
		r2 = up(rad0+rad1*umax+rad2/2*umax*umax+a3/6*umax*umax*umax+a1*r+a2/2*(2*rhoLin*rhoW+rhoW*rhoW)+
			gamma(n+4)*(math.Abs(s0)+a1*(math.Abs(c)+rho)+a2*rhoLin*rhoLin)+
			float64(len(src))*tiny, 16)
		if w, m := hi-lo, a2-a3*umax; w <= pieceWidth || (m > 0 && r2 <= m*w*w/16) {
			p.taylor(dst, src, s0, s1, m2)
			if deriv {
				return r2, interval.Entire()
			}
			return r2, p.kit.eval(z)
		}
	}
	var lin linear
	rng := interval.Entire()
	if deriv {
		lin = p.kit.slope(lo, hi)
	} else {
		lin, rng = p.kit.value(lo, hi)
	}
	r1 := up(math.Abs(lin.a)*(r+unit*(math.Abs(c)+rho))+lin.mu+unit*math.Abs(lin.b)+float64(len(src))*tiny, 6)
	if r2 < r1 {
		p.taylor(dst, src, s0, s1, m2)
		return r2, rng
	}
	dst[0] = math.FMA(lin.a, c, lin.b)
	for k, a := range src[1:] {
		dst[1+k] = lin.a * a
	}
	return r1, rng
}

// taylor sets dst to the kept part of the second-order Taylor form of unary:
// s0 + s1·q + (m2/2)·ℓ², ℓ the part of q linear in ε.
func (p *formPass) taylor(dst, src []float64, s0, s1, m2 float64) {
	n := p.n
	g := src[1 : 1+n]
	q := m2 / 4 // ε_j² = (1 + t_j)/2, so (m₂/2)·g_j²ε_j² = (m₂/4)g_j²(1 + t_j)
	var sq float64
	for j, gj := range g {
		sq += gj * gj
		dst[1+j] = s1 * gj
		dst[1+n+j] = math.FMA(s1, src[1+n+j], q*gj*gj)
	}
	for k, jk := range p.pairs {
		dst[1+2*n+k] = math.FMA(s1, src[1+2*n+k], m2*g[jk[0]]*g[jk[1]])
	}
	for k := 1 + p.nm; k < len(src); k++ {
		dst[k] = s1 * src[k]
	}
	dst[0] = math.FMA(q, sq, s0)
}

// product sets d to a form of S·G for the forms (s, sr) and (g, gr), s
// possibly shorter than g (missing monomials are zero), and returns its
// radius. With S = s₀ + ℓ_S + v_S + e_S (centre, linear part in ε, the rest,
// remainder) and likewise G, it keeps s₀g₀ + s₀(ℓ_G + v_G) + g₀(ℓ_S + v_S),
// and for second order also ℓ_S·ℓ_G as quadratic monomials; the other terms
// are bounded into the radius:
//
//	first order:  (‖a_S‖₁ + r_S)(‖a_G‖₁ + r_G) + |s₀|r_G + |g₀|r_S
//	second order: ‖ℓ_S‖₁‖v_G‖₁ + ‖v_S‖₁‖ℓ_G‖₁ + ‖v_S‖₁‖v_G‖₁ + |s₀|r_G + |g₀|r_S
//	              + r_S(‖a_G‖₁ + r_G) + r_G‖a_S‖₁
//
// plus the rounding of the kept coefficients.
func (p *formPass) product(d, s, g []float64, sr, gr float64) float64 {
	s0, g0 := s[0], g[0]
	ms, mg := len(s)-1, len(g)-1
	n := p.n
	linS, linG := up(sumAbs(s[1:1+n]), n), up(sumAbs(g[1:1+n]), n)
	vS, vG := up(sumAbs(s[1+n:]), ms-n), up(sumAbs(g[1+n:]), mg-n)
	rhoS, rhoG := up(linS+vS, 1), up(linG+vG, 1) // ‖a‖₁ of S and G
	as0, ag0 := math.Abs(s0), math.Abs(g0)
	d[0] = s0 * g0
	for k := 1; k < len(s); k++ {
		d[k] = math.FMA(s0, g[k], g0*s[k])
	}
	for k := len(s); k < len(g); k++ {
		d[k] = s0 * g[k]
	}
	// Rounding of the kept coefficients, with a subnormal per coefficient
	// for products that underflow.
	rounding := gamma(4)*(as0*ag0+as0*rhoG+ag0*rhoS) + float64(len(g))*tiny
	if p.order == 1 {
		return up(as0*gr+ag0*sr+(rhoS+sr)*(rhoG+gr)+rounding, 12)
	}
	ls, lg := s[1:1+n], g[1:1+n]
	// ℓ_S·ℓ_G = Σ_jk s_j g_k ε_j ε_k, with ε_j² = (1 + t_j)/2.
	var diag float64
	for j := range n {
		sg := ls[j] * lg[j]
		diag += sg
		d[1+n+j] += sg / 2
	}
	for k, jk := range p.pairs {
		a, b := jk[0], jk[1]
		d[1+2*n+k] += math.FMA(ls[a], lg[b], ls[b]*lg[a])
	}
	d[0] += diag / 2
	rounding += gamma(n+6) * (as0*ag0 + as0*rhoG + ag0*rhoS + linS*linG)
	return up(linS*vG+vS*linG+vS*vG+as0*gr+ag0*sr+sr*(rhoG+gr)+gr*rhoS+rounding, 16)
}

// linear sets the forms (dstF, dstR) of dst = op(W[l])·src + bias, where op(W)
// is W (rows × in) or Wᵀ, src has in rows of nb forms with m monomials, and
// bias may be nil. The rounding errors of the products are added to the
// radii: each entry of a dot product of length in (plus the bias) is within
// γ_{in+1}·Σ|terms| of its exact value, and Σ over the monomials of those
// bounds is γ_{in+1}·|W|·(|c| + ‖a‖₁), so
//
//	dstR = |op(W)|·(srcR + γ·(|c| + ‖a‖₁)) + γ·|bias|
//
// rounded upward, plus the absolute error of underflowing products.
//
// A product of more than blockWork multiply-adds is done in blocks of
// columns, with a check of p.done between them; each entry is the same dot
// product either way. linear returns false, leaving dst incomplete, if p.done
// was closed.
func (p *formPass) linear(l int, tr blas.Transpose, rows, in, m, nb int, src, srcR, dstF, dstR, bias []float64) bool {
	cols := nb * (1 + m)
	w, aw := p.net.Params.W[l], p.absW[l]
	ld := p.sizes[l] // leading dimension of W[l], as stored
	bw := blockWork
	if p.blockWork != 0 {
		bw = p.blockWork
	}
	step := cols
	if rows*in*cols > bw {
		step = max(64, bw/(rows*in))
	}
	for c := 0; c < cols; c += step {
		if p.stopped() {
			return false
		}
		k := min(step, cols-c)
		gemm.Dgemm(&p.sc, tr == blas.Trans, false, rows, k, in, 1, w, ld, src[c:in*cols], cols, 0, dstF[c:], cols)
	}
	g := gamma(in + 1)
	t := p.t[:in*nb]
	for i := range in {
		if p.stopped() {
			return false
		}
		for b := range nb {
			f := src[i*cols+b*(1+m):][:1+m]
			t[i*nb+b] = up(srcR[i*nb+b]+g*(math.Abs(f[0])+up(sumAbs(f[1:]), m)), 4)
		}
	}
	gemm.Dgemm(&p.sc, tr == blas.Trans, false, rows, nb, in, 1, aw, ld, t, nb, 0, dstR, nb)
	// A product that underflows is off by up to half a subnormal, which the
	// relative bound γ misses: at most (in+1)·tiny per entry, m+1 entries.
	under := float64((in+1)*(m+1)) * tiny
	for j := range rows {
		var bj float64
		if bias != nil {
			bj = bias[j]
			for b := range nb {
				dstF[j*cols+b*(1+m)] += bj
			}
		}
		for b := range nb {
			dstR[j*nb+b] = up(dstR[j*nb+b]+g*math.Abs(bj)+under, in+3)
		}
	}
	return true
}

// blockWork is the number of multiply-adds of a block of linear's product,
// a few tens of milliseconds: products of the nets of "sobolev run" (7
// inputs, 6 × 128 nodes) are smaller and done in one block.
const blockWork = 1 << 25

// sumAbs returns Σ|x_i| in binary64 (at most len(x) roundings).
func sumAbs(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += math.Abs(v)
	}
	return s
}
