package bachelier

import (
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

const panicPortfolio = "bachelier: empty Portfolio or baskets with weights of different lengths"

// Portfolio is a long position in one of each of its basket calls, all on
// the same n assets: its price and sensitivities are the sums of its
// baskets' (Basket). Basket j is worth s_j·(d_j·Φ(d_j) + φ(d_j)) with
// s_j = Vol_j·√Tau_j and d_j = (w_j·S − K_j)/s_j, so with c_j = φ(d_j)/s_j
//
//	price   = Σ_j s_j·(d_j·Φ(d_j) + φ(d_j))
//	delta   = Σ_j Φ(d_j)·w_j
//	Hessian = Σ_j c_j·w_j·w_jᵀ
//	1ᵀH1    = Σ_j c_j·(Σ_i w_j[i])²
//
// in the units of Basket. The Hessian has rank at most len(p): the price
// depends on the spots only through the len(p) baskets w_j·S.
//
// The methods panic if p is empty, if its baskets' weights differ in length,
// or if a slice's length differs from p.Dims(); Vol and Tau of every basket
// must be positive, as for Basket.
type Portfolio []Basket

// Dims returns the number of assets n, the length of every basket's weights.
func (p Portfolio) Dims() int {
	if len(p) == 0 {
		panic(panicPortfolio)
	}
	n := len(p[0].Weights)
	for _, b := range p[1:] {
		if len(b.Weights) != n {
			panic(panicPortfolio)
		}
	}
	return n
}

// Price returns the portfolio's price, the sum of its baskets' prices.
func (p Portfolio) Price(spots []float64) float64 {
	p.Dims()
	var sum float64
	for _, b := range p {
		sum += b.Price(spots)
	}
	return sum
}

// Delta sets dst to the gradient of the price with respect to the spots,
//
//	dst = Σ_j Φ(d_j)·w_j,
//
// and returns dst. If dst is nil, a slice of length p.Dims() is allocated;
// dst must not overlap spots. Delta panics if len(spots) or a non-nil
// len(dst) differs from p.Dims().
func (p Portfolio) Delta(dst, spots []float64) []float64 {
	n := p.Dims()
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic(panicDst)
	}
	for j, b := range p {
		_, cdf, _ := b.eval(spots)
		if j == 0 {
			floats.ScaleTo(dst, cdf, b.Weights)
		} else {
			floats.AddScaled(dst, cdf, b.Weights)
		}
	}
	return dst
}

// Gamma returns 1ᵀH1, the sum of all second derivatives of the price with
// respect to the spots (the gamma metric of method.md §2):
//
//	1ᵀH1 = Σ_j (φ(d_j)/s_j)·(Σ_i w_j[i])².
func (p Portfolio) Gamma(spots []float64) float64 {
	p.Dims()
	var sum float64
	for _, b := range p {
		sum += b.Gamma(spots)
	}
	return sum
}

// Hessian sets dst to the Hessian of the price with respect to the spots,
//
//	dst[i][l] = Σ_j (φ(d_j)/s_j)·w_j[i]·w_j[l],
//
// and returns dst. If dst is nil, an n×n matrix is allocated; if it is empty
// (IsEmpty), it is resized to n×n. Hessian panics if len(spots) differs from
// p.Dims() or dst is neither empty nor n×n.
func (p Portfolio) Hessian(dst *mat.SymDense, spots []float64) *mat.SymDense {
	n := p.Dims()
	switch {
	case dst == nil:
		dst = mat.NewSymDense(n, nil)
	case dst.IsEmpty():
		dst.ReuseAsSym(n)
	case dst.SymmetricDim() != n:
		panic(panicHessian)
	}
	for j, b := range p {
		_, _, c := b.eval(spots)
		w := b.Weights
		for i, wi := range w {
			for l := i; l < n; l++ {
				if j == 0 {
					dst.SetSym(i, l, c*wi*w[l])
				} else {
					dst.SetSym(i, l, dst.At(i, l)+c*wi*w[l])
				}
			}
		}
	}
	return dst
}

// HessVec sets dst to the product H·v of the Hessian at spots with v,
//
//	dst = Σ_j (φ(d_j)/s_j)·(w_j·v)·w_j,
//
// in O(len(p)·n) time, and returns dst. Unlike Basket.HessVec it takes the
// spots, not a gamma: with several baskets the gamma metric no longer fixes
// the Hessian. If dst is nil, a slice of length p.Dims() is allocated; dst
// must not overlap spots or v. HessVec panics if len(spots), len(v) or a
// non-nil len(dst) differs from p.Dims().
func (p Portfolio) HessVec(dst, spots, v []float64) []float64 {
	n := p.Dims()
	if len(v) != n {
		panic(panicV)
	}
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic(panicDst)
	}
	for j, b := range p {
		_, _, c := b.eval(spots)
		if a := c * floats.Dot(b.Weights, v); j == 0 {
			floats.ScaleTo(dst, a, b.Weights)
		} else {
			floats.AddScaled(dst, a, b.Weights)
		}
	}
	return dst
}
