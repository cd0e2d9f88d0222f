package bachelier

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

const (
	panicSpots   = "bachelier: len(spots) != b.Dims()"
	panicDst     = "bachelier: len(dst) != b.Dims()"
	panicV       = "bachelier: len(v) != b.Dims()"
	panicHessian = "bachelier: dst is not b.Dims()×b.Dims()"
)

// Basket prices a European call on the basket B = w·S of a Bachelier
// (Gaussian) model in closed form (method.md §2). At expiry, a time Tau
// after the spots S are observed, the basket is normal with mean w·S and
// standard deviation s = Vol·√Tau, so the call on B with strike K is worth
//
//	price = s·(d·Φ(d) + φ(d)),  d = (w·S − K)/s,
//
// with Φ and φ the standard normal distribution and density (no discounting).
// Prices are in the units of the spots; Vol is in spot units per √time and
// Tau in the same time unit.
//
// Vol and Tau must be positive: with s = 0 the results are NaN. The methods
// panic if a slice's length differs from b.Dims().
type Basket struct {
	// Weights are the basket weights w; the model's sum to 1.
	Weights []float64 `json:"weights"`
	// Strike is the strike K.
	Strike float64 `json:"strike"`
	// Vol is the basket volatility sqrt(wᵀΣw) per √time.
	Vol float64 `json:"basket_vol"`
	// Tau is the time to expiry τ.
	Tau float64 `json:"tau"`
}

// Dims returns the number of assets n, len(b.Weights).
func (b Basket) Dims() int { return len(b.Weights) }

// eval returns the price, Φ(d) and φ(d)/s at the given spots.
func (b Basket) eval(spots []float64) (price, cdf, curv float64) {
	if len(spots) != len(b.Weights) {
		panic(panicSpots)
	}
	s := b.Vol * math.Sqrt(b.Tau)
	d := (floats.Dot(b.Weights, spots) - b.Strike) / s
	cdf = 0.5 * math.Erfc(-d/math.Sqrt2)
	pdf := math.Exp(-0.5*d*d) / math.Sqrt(2*math.Pi)
	return s * (d*cdf + pdf), cdf, pdf / s
}

// Price returns the call's price s·(d·Φ(d) + φ(d)). For d ≪ 0 the sum
// cancels, so the absolute error stays about 1e-16·s while the relative error
// grows like d².
func (b Basket) Price(spots []float64) float64 {
	p, _, _ := b.eval(spots)
	return p
}

// Delta sets dst to the gradient of the price with respect to the spots,
//
//	dst[i] = Φ(d)·w[i],
//
// and returns dst. If dst is nil, a slice of length b.Dims() is allocated.
// Delta panics if len(spots) or a non-nil len(dst) differs from b.Dims().
func (b Basket) Delta(dst, spots []float64) []float64 {
	_, cdf, _ := b.eval(spots)
	if dst == nil {
		dst = make([]float64, len(b.Weights))
	}
	if len(dst) != len(b.Weights) {
		panic(panicDst)
	}
	floats.ScaleTo(dst, cdf, b.Weights)
	return dst
}

// Gamma returns 1ᵀH1, the sum of all second derivatives of the price with
// respect to the spots (the gamma metric of method.md §2):
//
//	1ᵀH1 = (φ(d)/s)·(Σ w[i])²,
//
// which is the basket gamma φ(d)/s when the weights sum to 1.
func (b Basket) Gamma(spots []float64) float64 {
	_, _, c := b.eval(spots)
	sw := floats.Sum(b.Weights)
	return c * sw * sw
}

// Hessian sets dst to the Hessian of the price with respect to the spots,
//
//	dst[i][j] = (φ(d)/s)·w[i]·w[j],
//
// and returns dst. If dst is nil, an n×n matrix is allocated; if it is empty
// (IsEmpty), it is resized to n×n. Hessian panics if len(spots) differs from
// b.Dims() or dst is neither empty nor n×n.
func (b Basket) Hessian(dst *mat.SymDense, spots []float64) *mat.SymDense {
	_, _, c := b.eval(spots)
	n := len(b.Weights)
	switch {
	case dst == nil:
		dst = mat.NewSymDense(n, nil)
	case dst.IsEmpty():
		dst.ReuseAsSym(n)
	case dst.SymmetricDim() != n:
		panic(panicHessian)
	}
	for i, wi := range b.Weights {
		for j := i; j < n; j++ {
			dst.SetSym(i, j, c*wi*b.Weights[j])
		}
	}
	return dst
}

// HessVec sets dst to the product H·v of v with the Hessian H = c·w·wᵀ whose
// gamma metric 1ᵀH1 is gamma, that is
//
//	dst = c·(w·v)·w,  c = gamma/(Σ w[i])²,
//
// and returns dst. Every Hessian of a model of one basket (New) has this
// form: the closed form's, with gamma = b.Gamma(spots), and the pathwise
// labels' of a smoothed training sample, with gamma its Gamma label; so
// HessVec turns gamma labels into Hessian-vector labels along any direction
// v. The Hessian of a portfolio of several baskets is a sum of such terms
// (Portfolio.HessVec). If dst is nil, a slice of
// length b.Dims() is allocated. HessVec panics if len(v) or a non-nil len(dst)
// differs from b.Dims().
func (b Basket) HessVec(dst, v []float64, gamma float64) []float64 {
	if len(v) != len(b.Weights) {
		panic(panicV)
	}
	if dst == nil {
		dst = make([]float64, len(b.Weights))
	}
	if len(dst) != len(b.Weights) {
		panic(panicDst)
	}
	sw := floats.Sum(b.Weights)
	floats.ScaleTo(dst, gamma/(sw*sw)*floats.Dot(b.Weights, v), b.Weights)
	return dst
}
