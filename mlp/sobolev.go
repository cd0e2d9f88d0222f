package mlp

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Batch is one mini-batch in normalised units (see Normalization): B samples
// of a network with n inputs and K Hessian-vector directions per sample. All
// slices are row-major and only read.
type Batch struct {
	// X holds the inputs x_n, shape (B, n). B = len(X)/n.
	X []float64
	// Y holds the value labels y_n, shape (B), or is nil if the loss has no
	// value term.
	Y []float64
	// DYDX holds the gradient labels ∂y_n/∂x_n, shape (B, n), or is nil if
	// the loss has no gradient term.
	DYDX []float64
	// Dirs holds the directions v, shape (B, K, n), and HV the labels of the
	// Hessian-vector products H_n·v, shape (B, K, n); both are nil if the
	// loss has no second-order term. K = len(Dirs)/(B·n).
	Dirs, HV []float64
}

// LossWeights are the weights of the Sobolev loss (method.md §4); see
// SobolevLoss for the formula.
type LossWeights struct {
	// Value is α, the weight of the value term.
	Value float64
	// Grad is β, the weight of the gradient term; 0 gives plain MSE.
	Grad float64
	// HVP is γ, the weight of the second-order term on Hessian-vector products.
	HVP float64
	// Lambda holds λ_j, the per-input weights of the gradient term. In
	// SobolevLoss nil means λ_j = 1; in Train nil means λ_j = 1/mean(dydx_j²)
	// over the normalised training labels (Huge & Savine).
	Lambda []float64
	// Mu holds μ_k, the per-direction weights of the second-order term; nil
	// means μ_k = 1.
	Mu []float64
}

// SobolevWeights returns the weights of Huge & Savine for n inputs,
// α = 1/(1+n), β = n/(1+n), no second-order term, and Lambda nil.
func SobolevWeights(n int) LossWeights {
	return LossWeights{Value: 1 / float64(1+n), Grad: float64(n) / float64(1+n)}
}

// FitSobolevWeights returns the weights of the Sobolev loss of Huge & Savine
// for training on the gradient labels dydx, shape (N, n), raw units, of a net
// with the normalisation norm (method.md §4):
//
//	α = 1/(1+n),  β = n/(1+n),  λ_j = 1/mean_r (dydx_n,rj)²,  γ = β·hvp·mean_j λ_j,
//
// where dydx_n = dydx·XScale/YScale are the labels in normalised units, as
// Train sees them, and Mu is nil. hvp is the weight of the second-order term
// relative to the mean gradient weight; with hvp = 0, γ = 0. The sums run
// over the rows in order, so the weights are the same bits as Train's
// default λ on the same labels without a validation split.
//
// FitSobolevWeights returns an error if dydx is empty or the labels of an
// input are all 0 (λ_j is then undefined). It panics if len(dydx) is not a
// multiple of n = len(norm.XScale).
func FitSobolevWeights(dydx []float64, norm Normalization, hvp float64) (LossWeights, error) {
	n := len(norm.XScale)
	if n == 0 || len(dydx)%n != 0 {
		panic(errFitSobolevLen)
	}
	if len(dydx) == 0 {
		return LossWeights{}, errors.New("mlp: no gradient labels to fit the Sobolev weights λ to")
	}
	w := SobolevWeights(n)
	var err error
	if w.Lambda, err = gradientWeights(dydx, norm, nil); err != nil {
		return LossWeights{}, fmt.Errorf("%w; train with the MSE loss or drop the input", err)
	}
	if hvp != 0 {
		var sum float64
		for _, l := range w.Lambda {
			sum += l
		}
		w.HVP = w.Grad * hvp * (sum / float64(n))
	}
	return w, nil
}

const errFitSobolevLen = "mlp: FitSobolevWeights: len(dydx) is not a multiple of len(norm.XScale)"

// gradientWeights returns λ_j = 1/mean_r (dydx_n,rj)² over the rows r of the
// raw gradient labels dydx (N, n), in the order of rows (all rows in order if
// rows is nil), where dydx_n,rj = dydx_rj·XScale_j/YScale (method.md §4). It
// returns an error naming the input (from 1) whose labels are all 0.
func gradientWeights(dydx []float64, norm Normalization, rows []int) ([]float64, error) {
	n := len(norm.XScale)
	ss := make([]float64, n)
	add := func(r int) {
		for j := range n {
			g := dydx[r*n+j] * norm.XScale[j] / norm.YScale
			ss[j] += float64(g * g)
		}
	}
	count := len(rows)
	if rows == nil {
		count = len(dydx) / n
		for r := range count {
			add(r)
		}
	}
	for _, r := range rows {
		add(r)
	}
	for j := range ss {
		if ss[j] == 0 {
			return nil, fmt.Errorf("mlp: the gradient labels of input %d are all 0, so its Sobolev weight λ = 1/mean(dydx²) is undefined", j+1)
		}
		ss[j] = float64(count) / ss[j]
	}
	return ss, nil
}

// Loss holds the parts of the Sobolev loss of one batch, in normalised units
// and unweighted by α, β, γ:
//
//	Value = mean_b (ŷ_b − y_b)²
//	Grad  = mean_b mean_j λ_j (∂ŷ_b/∂x_j − dydx_bj)²
//	HVP   = mean_b mean_k mean_j μ_k ((H_b v_bk)_j − hv_bkj)²
//	Total = α·Value + β·Grad + γ·HVP
//
// A part whose labels the batch does not have is 0.
type Loss struct {
	Value, Grad, HVP, Total float64
}

// SobolevLoss returns the Sobolev loss of the batch bt for the network net in
// normalised units (method.md §4),
//
//	α·mean_b (ŷ_b − y_b)² + β·mean_b mean_j λ_j (∂ŷ_b/∂x_j − dydx_bj)²
//	  + γ·mean_b mean_k mean_j μ_k ((H_b v_bk)_j − hv_bkj)²,
//
// where H_b is the Hessian of ŷ at x_b, and, if grad is not nil, adds its exact
// gradient with respect to every parameter into grad, laid out like
// net.Params.Flat. A part whose labels bt has is evaluated even if its weight
// is 0 (so Loss reports it), at the cost of the passes it needs.
//
// The parameter gradient differentiates the reverse pass and, with directions,
// the forward-over-reverse pass (see the package documentation for the
// recursions); it brings in σ″ and σ‴. SobolevLoss allocates nothing.
//
// SobolevLoss panics if ws was made for another shape or too small a batch or
// too few directions, if bt is empty or a slice of bt, w.Lambda, w.Mu or a
// non-nil grad has the wrong length, if exactly one of bt.Dirs and bt.HV is
// nil, or if a non-zero weight has no labels.
func (net *Network) SobolevLoss(grad []float64, ws *Workspace, bt Batch, w LossWeights) Loss {
	n := net.Sizes[0]
	b := len(bt.X) / n
	if b == 0 || len(bt.X) != b*n {
		panic(badLen)
	}
	k := 0
	if (bt.Dirs == nil) != (bt.HV == nil) {
		panic(badLabels)
	}
	if bt.Dirs != nil {
		k = len(bt.Dirs) / (b * n)
		if k == 0 || len(bt.Dirs) != b*k*n || len(bt.HV) != b*k*n {
			panic(badLen)
		}
	}
	if (bt.Y != nil && len(bt.Y) != b) || (bt.DYDX != nil && len(bt.DYDX) != b*n) ||
		(w.Lambda != nil && len(w.Lambda) != n) || (w.Mu != nil && len(w.Mu) != k) {
		panic(badLen)
	}
	if (w.Value != 0 && bt.Y == nil) || (w.Grad != 0 && bt.DYDX == nil) || (w.HVP != 0 && k == 0) {
		panic(badWeights)
	}
	if grad != nil && len(grad) != len(net.Params.Flat) {
		panic(badGradLen)
	}
	ws.check(net, b, k)

	// Part i takes samples [i·b/P, (i+1)·b/P).
	P := min(len(ws.parts), b)
	for i := 1; i < P; i++ {
		var g []float64
		if grad != nil {
			g = ws.grads[i]
		}
		ws.jobs[i] <- job{net: net, bt: bt.slice(i*b/P, (i+1)*b/P, n, k), w: w, grad: g, total: b}
	}
	loss := ws.parts[0].loss(grad, net, bt.slice(0, b/P, n, k), w, b)
	for i := 1; i < P; i++ {
		l := <-ws.done[i]
		loss.Value += l.Value
		loss.Grad += l.Grad
		loss.HVP += l.HVP
		if grad != nil {
			ws.parts[0].kern.addTo(grad, ws.grads[i])
		}
	}
	loss.Total = float64(w.Value*loss.Value) + float64(w.Grad*loss.Grad) + float64(w.HVP*loss.HVP)
	return loss
}

// slice returns the samples [lo, hi) of bt, which has n inputs and k
// directions per sample.
func (bt Batch) slice(lo, hi, n, k int) Batch {
	s := Batch{X: bt.X[lo*n : hi*n]}
	if bt.Y != nil {
		s.Y = bt.Y[lo:hi]
	}
	if bt.DYDX != nil {
		s.DYDX = bt.DYDX[lo*n : hi*n]
	}
	if bt.Dirs != nil {
		s.Dirs, s.HV = bt.Dirs[lo*k*n:hi*k*n], bt.HV[lo*k*n:hi*k*n]
	}
	return s
}

// loss runs the passes for the checked batch part bt of a batch of total
// samples, adds the parameter gradient of the whole batch's loss restricted
// to bt into grad if grad is not nil, and returns bt's share of the loss
// parts (its sums divided by the whole batch's counts); Total is left 0.
func (ws *part) loss(grad []float64, net *Network, bt Batch, w LossWeights, total int) Loss {
	n := ws.sizes[0]
	b := len(bt.X) / n
	k := 0
	if bt.Dirs != nil {
		k = len(bt.Dirs) / (b * n)
	}
	ws.forward(net, bt.X, bt.Dirs, b, k, k > 0 && grad != nil)
	full := bt.DYDX != nil || k > 0
	if full {
		ws.backward(net, b, k)
	}

	var loss Loss
	r := b * (1 + k)
	ybar := ws.ybar[:b]
	clear(ybar)
	if bt.Y != nil {
		c := 2 * w.Value / float64(total)
		for s, y := range ws.y[:b] {
			e := y - bt.Y[s]
			loss.Value += float64(e * e)
			ybar[s] = c * e
		}
		loss.Value /= float64(total)
	}
	if full {
		g0 := ws.g[0][:b*n]
		gbar := ws.q[0][r*n : (r+b)*n]
		clear(gbar)
		if bt.DYDX != nil {
			c := 2 * w.Grad / float64(total*n)
			for s := range b {
				for j := range n {
					lam := 1.0
					if w.Lambda != nil {
						lam = w.Lambda[j]
					}
					i := s*n + j
					e := g0[i] - bt.DYDX[i]
					loss.Grad += float64(lam * e * e)
					gbar[i] = c * lam * e
				}
			}
			loss.Grad /= float64(total * n)
		}
		if k > 0 {
			hv := ws.g[0][b*n : r*n]
			hbar := ws.q[0][(r+b)*n : 2*r*n]
			c := 2 * w.HVP / float64(total*k*n)
			for s := range b {
				for d := range k {
					mu := 1.0
					if w.Mu != nil {
						mu = w.Mu[d]
					}
					for j := range n {
						i := (s*k+d)*n + j
						e := hv[i] - bt.HV[i]
						loss.HVP += float64(mu * e * e)
						hbar[i] = c * mu * e
					}
				}
			}
			loss.HVP /= float64(total * k * n)
		}
	}
	if grad != nil {
		ws.paramGrad(grad, net, b, k, full)
	}
	return loss
}

// paramGrad adds into grad the parameter gradient of a loss whose adjoints
// are seeded as ȳ in ws.ybar and, when full, ḡ_0 and ġ̄_0 in the upper half of
// ws.q[0]. It needs the forward (and, when full, backward) pass of the same
// batch.
func (ws *part) paramGrad(grad []float64, net *Network, b, k int, full bool) {
	nl := len(ws.sizes) - 1
	nL := ws.sizes[nl-1]
	r := b * (1 + k)
	// Output layer, y = W_out a_L + b_out: W̄_out += Σ_b ȳ_b a_L,b, b̄_out += Σ_b ȳ_b.
	gw := grad[ws.wOff[nl-1] : ws.wOff[nl-1]+nL]
	blas64.Implementation().Dgemv(blas.Trans, b, nL, 1, ws.q[nl-1][:b*nL], nL, ws.ybar[:b], 1, 1, gw, 1)
	sum := 0.0
	for _, v := range ws.ybar[:b] {
		sum += v
	}
	grad[ws.bOff[nl-1]] += sum
	if full {
		ws.upward(net, b, k)
		// g_L = W_outᵀ: W̄_out += Σ_b ḡ_L,b.
		gL := ws.q[nl-1][r*nL : (r+b)*nL]
		for s := range b {
			for i, v := range gL[s*nL : (s+1)*nL] {
				gw[i] += v
			}
		}
	}
	ws.downward(grad, net, b, k, full)
}

// upward is the adjoint of backward, run from the input layer up. From the
// adjoints ḡ_{l−1}, ġ̄_{l−1} in the upper half of ws.q[l−1] it forms
//
//	δ̄_l = W_l ḡ_{l−1},  δ̇̄_l = W_l ġ̄_{l−1}
//	z̄_l  = σ″ ⊙ g_l ⊙ δ̄_l + Σ_k (σ‴ ⊙ ż_l ⊙ g_l + σ″ ⊙ ġ_l) ⊙ δ̇̄_l
//	ż̄_l  = σ″ ⊙ g_l ⊙ δ̇̄_l
//	ḡ_l  = σ′ ⊙ δ̄_l + Σ_k σ″ ⊙ ż_l ⊙ δ̇̄_l,  ġ̄_l = σ′ ⊙ δ̇̄_l
//
// leaving z̄_l, ż̄_l (partial sums, completed by downward) in the upper half of
// ws.p[l] and ḡ_l, ġ̄_l in the upper half of ws.q[l]. At l = L, g_L = W_outᵀ
// and ġ_L = 0, and ġ̄_L is not formed.
func (ws *part) upward(net *Network, b, k int) {
	nl := len(ws.sizes) - 1
	r := b * (1 + k)
	wout := net.Params.W[nl-1]
	for l := 1; l < nl; l++ {
		in, out := ws.sizes[l-1], ws.sizes[l]
		t := ws.t[:r*out]
		gemm(&ws.sc, blas.NoTrans, blas.Trans, r, out, in,
			1, ws.q[l-1][r*in:2*r*in], in, net.Params.W[l-1], in, 0, t, out)
		last := l == nl-1
		p, q, z := ws.p[l], ws.q[l], ws.z[l]
		if last {
			for s := range b {
				lo, hi := s*out, (s+1)*out
				ws.kern.upwardTo(p[lo:hi], q[r*out+lo:], ws.d1[l][lo:], ws.d2[l][lo:], wout, t[lo:])
			}
		} else {
			ws.kern.upwardTo(p[:b*out], q[r*out:], ws.d1[l], ws.d2[l], ws.g[l], t)
		}
		for s := range b { // the tangent rows
			lo := s * out
			g := wout
			if !last {
				g = ws.g[l][lo:]
			}
			for j := range k {
				o := (b + s*k + j) * out
				var gd, gdbar []float64 // ġ_L = 0, and ġ̄_L is not formed
				if !last {
					gd, gdbar = ws.g[l][o:], q[r*out+o:]
				}
				ws.kern.upTan(p[lo:lo+out], p[o:], q[(r+s)*out:], gdbar,
					ws.d1[l][lo:], ws.d2[l][lo:], ws.d3[l][lo:], z[o:], g, gd, t[o:])
			}
		}
	}
}

// downward is the adjoint of forward, run from the output layer down:
//
//	ā_L = W_outᵀ ȳ,  ǡ_L = 0;  ā_{l−1} = W_lᵀ z̄_l,  ǡ_{l−1} = W_lᵀ ż̄_l
//	z̄_l += σ′ ⊙ ā_l + Σ_k σ″ ⊙ ż_l ⊙ ǡ_l,  ż̄_l += σ′ ⊙ ǡ_l
//	b̄_l += Σ_b z̄_l,  W̄_l += [z̄_l; ż̄_l; δ_l; δ̇_l]ᵀ [a_{l−1}; ȧ_{l−1}; ḡ_{l−1}; ġ̄_{l−1}]
//
// When full is false (value term only) z̄_l is set rather than added to, and
// W̄_l += z̄_lᵀ a_{l−1}.
func (ws *part) downward(grad []float64, net *Network, b, k int, full bool) {
	nl := len(ws.sizes) - 1
	r := b * (1 + k)
	rows := b
	if full {
		rows = r
	}
	wout := net.Params.W[nl-1]
	for l := nl - 1; l >= 1; l-- {
		in, out := ws.sizes[l-1], ws.sizes[l]
		p, z := ws.p[l], ws.z[l]
		last := l == nl-1
		var abar []float64
		if !last {
			next := ws.sizes[l+1]
			abar = ws.t[:rows*out]
			gemm(&ws.sc, blas.NoTrans, blas.NoTrans, rows, out, next,
				1, ws.p[l+1][:rows*next], next, net.Params.W[l], out, 0, abar, out)
		}
		if last { // ā_L = W_outᵀ ȳ, ǡ_L = 0
			abar = ws.t[:out]
			for s, yb := range ws.ybar[:b] {
				for i, w := range wout {
					abar[i] = yb * w
				}
				ws.kern.mulTo(p[s*out:(s+1)*out], ws.d1[l][s*out:], abar, full)
			}
		} else {
			ws.kern.mulTo(p[:b*out], ws.d1[l], abar, full)
		}
		if full && !last {
			for s := range b { // the tangent rows
				lo := s * out
				for j := range k {
					o := (b + s*k + j) * out
					ws.kern.downTan(p[lo:lo+out], p[o:], ws.d1[l][lo:], ws.d2[l][lo:], z[o:], abar[o:])
				}
			}
		}
		ws.kern.colSums(grad[ws.bOff[l-1]:ws.bOff[l-1]+out], p[:b*out])
		pr := b
		if full {
			pr = 2 * r
		}
		gw := grad[ws.wOff[l-1] : ws.wOff[l-1]+out*in]
		gemm(&ws.sc, blas.Trans, blas.NoTrans, out, in, pr,
			1, p[:pr*out], out, ws.q[l-1][:pr*in], in, 1, gw, in)
	}
}
