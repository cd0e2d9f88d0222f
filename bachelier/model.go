package bachelier

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Parameters of the reference problem (method.md §2).
const (
	// Strike is the strike K of the basket call.
	Strike = 1.10
	// T1 is the evaluation date: the training spots are simulated up to T1.
	T1 = 1.0
	// T2 is the expiry.
	T2 = 2.0
	// BasketVol is the basket volatility sqrt(wᵀΣw) that New scales the
	// asset volatilities to.
	BasketVol = 0.2
	// TrainWidening widens the training domain: S1 = 1 + TrainWidening·√T1·L·z₀.
	TrainWidening = 1.5
)

// Second words of the PCG seeds of the four random streams: the ASCII codes
// of "model", "baskets", "train" and "test".
const (
	streamModel   = 0x6d6f64656c
	streamBaskets = 0x6261736b657473
	streamTrain   = 0x747261696e
	streamTest    = 0x74657374
)

// Ranges of the strikes and times to expiry of the extra baskets of
// NewPortfolio.
const (
	extraStrikeLo, extraStrikeHi = 0.9, 1.3
	extraTauLo, extraTauHi       = 0.5, 2.0
)

// Model is a Bachelier basket model of method.md §2: n assets whose spots
// move as S(t) = S(0) + L·W(t) with W an n-dimensional Brownian motion and
// L·Lᵀ = Σ = diag(Vols)·Corr·diag(Vols), and a call on the basket w·S(T2)
// with strike Strike, valued at T1 (basket 0); a model of NewPortfolio also
// holds the calls on ExtraBaskets, and the data are those of the portfolio
// of all of them (Portfolio).
//
// A Model is plain data, so that it can be saved as JSON (the field tags
// give the names); New makes one from a seed. Matrices are slices of rows.
type Model struct {
	// Weights are the basket weights w, positive and summing to 1.
	Weights []float64 `json:"weights"`
	// Vols are the asset volatilities v per √time, scaled so that the basket
	// volatility sqrt(wᵀΣw) is Vol.
	Vols []float64 `json:"volatilities"`
	// Corr is the n×n correlation matrix, with unit diagonal.
	Corr [][]float64 `json:"correlation"`
	// Chol is the lower-triangular Cholesky factor L of Σ = diag(Vols)·Corr·diag(Vols).
	Chol [][]float64 `json:"cholesky"`
	// Vol is the basket volatility sqrt(wᵀΣw) per √time.
	Vol float64 `json:"basket_vol"`
	// Strike is the strike K; T1 the evaluation date, T2 > T1 the expiry.
	Strike float64 `json:"strike"`
	T1     float64 `json:"t1"`
	T2     float64 `json:"t2"`
	// Seed is the seed New drew the model from; the samplers draw the data
	// from it too.
	Seed uint64 `json:"seed"`
	// ExtraBaskets are the calls 1…k−1 of a portfolio of k basket calls
	// (NewPortfolio), held besides the call on w (basket 0); empty for the
	// single call of New, and then left out of the JSON.
	ExtraBaskets []Basket `json:"extra_baskets,omitempty"`
}

// New returns the model of method.md §2 with n assets, drawn from seed:
//
//	w[i] ~ U(1, 10), then w /= Σ w[i]
//	D ~ U(−1, 1) of shape 2n×n, C = DᵀD, Corr[i][j] = C[i][j]/sqrt(C[i][i]·C[j][j])
//	v[i] ~ U(5, 50), then all scaled by one factor so that sqrt(wᵀΣw) = BasketVol
//	Σ = diag(v)·Corr·diag(v), L = cholesky(Σ)
//
// with Strike, T1 and T2 the package constants. The uniforms come from
// math/rand/v2's Float64 on rand.NewPCG(seed, 0x6d6f64656c), drawn in the
// order w[0…n−1], D row by row, v[0…n−1].
//
// New returns an error if n < 1, or if Σ is not numerically positive
// definite (for n ≥ 1 this happens with probability 0). It takes O(n³) time
// and O(n²) memory.
func New(n int, seed uint64) (*Model, error) {
	if n < 1 {
		return nil, fmt.Errorf("bachelier: %d assets, want at least 1", n)
	}
	rng := rand.New(rand.NewPCG(seed, streamModel))
	uniform := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

	w := make([]float64, n)
	for i := range w {
		w[i] = uniform(1, 10)
	}
	floats.Scale(1/floats.Sum(w), w)

	d := mat.NewDense(2*n, n, nil)
	for i := range 2 * n {
		for j := range n {
			d.Set(i, j, uniform(-1, 1))
		}
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = uniform(5, 50)
	}

	var c mat.SymDense
	c.SymOuterK(1, d.T()) // DᵀD
	corr := make([][]float64, n)
	for i := range corr {
		corr[i] = make([]float64, n)
	}
	for i := range n {
		corr[i][i] = 1
		for j := range i {
			r := c.At(i, j) / math.Sqrt(c.At(i, i)*c.At(j, j))
			corr[i][j], corr[j][i] = r, r
		}
	}

	cov := func() *mat.SymDense {
		s := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				s.SetSym(i, j, v[i]*corr[i][j]*v[j])
			}
		}
		return s
	}
	floats.Scale(BasketVol/math.Sqrt(mat.Inner(mat.NewVecDense(n, w), cov(), mat.NewVecDense(n, w))), v)

	var chol mat.Cholesky
	if !chol.Factorize(cov()) {
		return nil, fmt.Errorf("bachelier: covariance of the model with %d assets and seed %d is not positive definite", n, seed)
	}
	var l mat.TriDense
	chol.LTo(&l)
	lrows := make([][]float64, n)
	for i := range lrows {
		lrows[i] = make([]float64, n)
		for j := 0; j <= i; j++ {
			lrows[i][j] = l.At(i, j)
		}
	}
	return &Model{
		Weights: w,
		Vols:    v,
		Corr:    corr,
		Chol:    lrows,
		Vol:     BasketVol,
		Strike:  Strike,
		T1:      T1,
		T2:      T2,
		Seed:    seed,
	}, nil
}

// NewPortfolio returns the model of New(n, seed) with k − 1 extra basket
// calls on the same assets (ExtraBaskets), so that its data are those of a
// portfolio of k basket calls: the price depends on the spots through k
// directions w_j instead of one. For j = 1…k−1, in this order,
//
//	w_j[i] = U³, U ~ U(0, 1), i = 0…n−1, then w_j /= Σ w_j[i]
//	K_j ~ U(0.9, 1.3)                       strike
//	τ_j ~ U(0.5, 2)                         time to expiry from T1
//	Vol_j = sqrt(w_jᵀΣw_j)                  with the model's Σ, not rescaled
//
// The cubes make the weights positive but concentrated on a few assets
// that differ from basket to basket. The uniforms come from math/rand/v2's
// Float64 on rand.NewPCG(seed, 0x6261736b657473) ("baskets"), a stream of
// their own, so basket 0 and the rest of the model are New's whatever k;
// with k = 1 the model is New's, bit for bit.
//
// NewPortfolio returns New's errors, and an error if k < 1 or if all n
// uniforms of a basket's weights are 0 (probability 2^(−53n)). It takes
// O(n³ + k·n²) time.
func NewPortfolio(n, k int, seed uint64) (*Model, error) {
	if k < 1 {
		return nil, fmt.Errorf("bachelier: %d baskets, want at least 1", k)
	}
	m, err := New(n, seed)
	if err != nil {
		return nil, err
	}
	if k == 1 {
		return m, nil
	}
	rng := rand.New(rand.NewPCG(seed, streamBaskets))
	uniform := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	m.ExtraBaskets = make([]Basket, k-1)
	vw := make([]float64, n)
	for j := range m.ExtraBaskets {
		w := make([]float64, n)
		for i := range w {
			u := rng.Float64()
			w[i] = u * u * u
		}
		sum := floats.Sum(w)
		if sum == 0 {
			return nil, fmt.Errorf("bachelier: the weights of basket %d of the model with %d assets and seed %d are all 0", j+1, n, seed)
		}
		floats.Scale(1/sum, w)
		strike := uniform(extraStrikeLo, extraStrikeHi)
		tau := uniform(extraTauLo, extraTauHi)
		floats.MulTo(vw, m.Vols, w) // wᵀΣw = (v∘w)ᵀ·Corr·(v∘w)
		var variance float64
		for i, row := range m.Corr {
			variance += vw[i] * floats.Dot(row, vw)
		}
		m.ExtraBaskets[j] = Basket{Weights: w, Strike: strike, Vol: math.Sqrt(variance), Tau: tau}
	}
	return m, nil
}

// Dims returns the number of assets n.
func (m *Model) Dims() int { return len(m.Weights) }

// Basket returns the closed-form pricer of m's call at T1, basket 0 of the
// portfolio: its price at spots S is the call's value at T1 given
// S(T1) = S.
func (m *Model) Basket() Basket {
	return Basket{Weights: m.Weights, Strike: m.Strike, Vol: m.Vol, Tau: m.T2 - m.T1}
}

// Baskets returns the number k of basket calls of m's portfolio,
// 1 + len(m.ExtraBaskets).
func (m *Model) Baskets() int { return 1 + len(m.ExtraBaskets) }

// Portfolio returns the closed-form pricer of all of m's calls at T1: the
// call of Basket followed by ExtraBaskets. Its baskets share m's slices.
func (m *Model) Portfolio() Portfolio {
	return append(Portfolio{m.Basket()}, m.ExtraBaskets...)
}

// TestBox returns the bounds of the test domain [lo, hi]ⁿ of method.md §2,
//
//	lo, hi = 1 ∓ a/2,  a = 1 + 0.5·sqrt((n−1)/12),
//
// which for n = 7 is [0.3232, 1.6768] to 4 decimals.
func (m *Model) TestBox() (lo, hi float64) {
	a := 1 + 0.5*math.Sqrt(float64(m.Dims()-1)/12)
	return 1 - a/2, 1 + a/2
}
