package bachelier

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/sobolev-pruning/sobolev/dataset"
	"gonum.org/v1/gonum/floats"
)

const (
	panicSmoothing = "bachelier: Smoothing is negative or NaN"
	panicNoSmooth  = "bachelier: Hessian labels need Smoothing > 0"
	panicBlock     = "bachelier: dst does not have the sampler's dims and arrays"
	panicModel     = "bachelier: Model has inconsistent dimensions"
)

// TrainOptions chooses the labels of training samples.
type TrainOptions struct {
	// Smoothing is the width h > 0 of the smoothed payoff
	//
	//	p_h(B) = h·log(1 + exp((B − K)/h)),
	//
	// the integral of a logistic sigmoid of width h, in spot units. It
	// converges to the call payoff (B − K)⁺ as h → 0, uniformly:
	// 0 < p_h(B) − (B − K)⁺ ≤ h·log 2. With h > 0 the samples also get second-
	// order labels (Gamma, and Hessian if asked). The zero value keeps the call
	// payoff, whose pathwise second derivative is 0 almost surely, and gives
	// no second-order labels.
	Smoothing float64
	// Hessian asks for the full pathwise Hessian of every sample (N×n×n
	// values); it needs Smoothing > 0.
	Hessian bool
}

// A Sampler draws the samples of a training or a test set of a Model, in a
// fixed order from one random stream, and writes them into dataset.Sets;
// see the package documentation for the streams. Successive calls of Fill
// continue the stream, so the samples do not depend on how they are split
// into blocks. A Sampler is not safe for concurrent use.
type Sampler struct {
	baskets Portfolio
	chol    [][]float64
	// train is true for training samples; then scale = TrainWidening·√T1 and
	// u[j·n:(j+1)·n] = √τ_j·Lᵀw_j, so that the antithetic baskets are
	// w_j·S1 ± u_j·z₁.
	train  bool
	scale  float64
	u      []float64
	h      float64
	lo, hi float64
	// sumW[j] is Σ w_j[i]; c[j] is scratch space for the second derivative
	// of basket j's label.
	sumW []float64
	c    []float64
	with dataset.Arrays
	rng  *rand.Rand
	z    []float64
}

func (m *Model) sampler(stream uint64) *Sampler {
	n := m.Dims()
	if n < 1 || len(m.Vols) != n || len(m.Chol) != n {
		panic(panicModel)
	}
	for _, row := range m.Chol {
		if len(row) != n {
			panic(panicModel)
		}
	}
	for _, b := range m.ExtraBaskets {
		if len(b.Weights) != n {
			panic(panicModel)
		}
	}
	p := m.Portfolio()
	sumW := make([]float64, len(p))
	for j, b := range p {
		sumW[j] = floats.Sum(b.Weights)
	}
	return &Sampler{
		baskets: p,
		chol:    m.Chol,
		sumW:    sumW,
		c:       make([]float64, len(p)),
		rng:     rand.New(rand.NewPCG(m.Seed, stream)),
		z:       make([]float64, n),
	}
}

// TrainingSampler returns a Sampler of training samples (method.md §2).
// Sample k takes the next 2n standard normals z₀, z₁ of its stream and sets,
// for the k baskets j of m.Portfolio(),
//
//	x   = S1 = 1 + TrainWidening·√T1·L·z₀
//	B_j± = w_j·S1 ± √τ_j·(Lᵀw_j)·z₁            (= w_j·S2±, S2± = S1 ± √τ_j·L·z₁)
//	y   = Σ_j ½[p_j(B_j+) + p_j(B_j−)]          payoff label
//	dydx = Σ_j g_j·w_j,  g_j = ½[p_j′(B_j+) + p_j′(B_j−)]   pathwise dy/dS1
//	gamma = Σ_j c_j·(Σ_i w_j[i])²,  c_j = ½[p_j″(B_j+) + p_j″(B_j−)]
//	hessian = Σ_j c_j·w_j·w_jᵀ
//
// where p_j is the call payoff (B − K_j)⁺, whose derivative is taken as
// 1{B > K_j}, or the smoothed payoff of opts.Smoothing. The baskets share
// z₁, and each B_j± has the law of basket j at its expiry given S1, so the
// conditional mean of y given S1 is the portfolio's price (of the smoothed
// payoffs with smoothing). Gamma is set only with smoothing, Hessian only if
// opts.Hessian is set too. With one basket (New), along a direction v the
// pathwise Hessian label is m.Basket().HessVec(dst, v, gamma); with several,
// gamma no longer fixes the Hessian label.
//
// TrainingSampler panics if opts.Smoothing is negative or NaN, if
// opts.Hessian is set without smoothing, or if m's slices have inconsistent
// lengths.
func (m *Model) TrainingSampler(opts TrainOptions) *Sampler {
	if !(opts.Smoothing >= 0) {
		panic(panicSmoothing)
	}
	if opts.Hessian && opts.Smoothing == 0 {
		panic(panicNoSmooth)
	}
	s := m.sampler(streamTrain)
	s.train = true
	s.scale = TrainWidening * math.Sqrt(m.T1)
	s.h = opts.Smoothing
	n := m.Dims()
	s.u = make([]float64, len(s.baskets)*n)
	for j, b := range s.baskets {
		u := s.u[j*n : (j+1)*n]
		for i, row := range m.Chol { // u = Lᵀw
			floats.AddScaled(u[:i+1], b.Weights[i], row[:i+1])
		}
		floats.Scale(math.Sqrt(b.Tau), u)
	}
	if s.h > 0 {
		s.with |= dataset.WithGamma
	}
	if opts.Hessian {
		s.with |= dataset.WithHessian
	}
	return s
}

// TestSampler returns a Sampler of test points (method.md §2). Point k takes
// the next n uniforms U of its stream and sets x = lo + (hi − lo)·U, with
// [lo, hi] = m.TestBox(), and the exact labels of m.Portfolio() at x: y the
// price, dydx the deltas, gamma the gamma metric 1ᵀH1, and hessian the full
// Hessian if hessian is true. It panics if m's slices have inconsistent lengths.
func (m *Model) TestSampler(hessian bool) *Sampler {
	s := m.sampler(streamTest)
	s.lo, s.hi = m.TestBox()
	s.with = dataset.WithGamma
	if hessian {
		s.with |= dataset.WithHessian
	}
	return s
}

// TrainingSet returns the first rows samples of m.TrainingSampler(opts).
func (m *Model) TrainingSet(rows int, opts TrainOptions) *dataset.Set {
	s := m.TrainingSampler(opts)
	return s.Fill(s.NewSet(rows))
}

// TestSet returns the first rows points of m.TestSampler(hessian).
func (m *Model) TestSet(rows int, hessian bool) *dataset.Set {
	s := m.TestSampler(hessian)
	return s.Fill(s.NewSet(rows))
}

// Arrays returns the optional arrays of s's samples.
func (s *Sampler) Arrays() dataset.Arrays { return s.with }

// NewSet returns a zeroed Set of rows rows with the arrays of s's samples.
func (s *Sampler) NewSet(rows int) *dataset.Set {
	return dataset.New(rows, len(s.z), s.with)
}

// Fill sets the rows of dst to the next dst.N() samples and returns dst. It
// allocates nothing. Fill panics if dst's dims or arrays differ from those
// of s.NewSet.
func (s *Sampler) Fill(dst *dataset.Set) *dataset.Set {
	n := len(s.z)
	if dst.Dims() != n || dst.Arrays() != s.with {
		panic(panicBlock)
	}
	for r := range dst.N() {
		x := dst.X[r*n : (r+1)*n]
		if s.train {
			s.spots(x)
		} else {
			for i := range x {
				x[i] = s.lo + (s.hi-s.lo)*s.rng.Float64()
			}
		}
		var hr []float64
		if dst.Hessian != nil {
			hr = dst.Hessian[r*n*n : (r+1)*n*n]
		}
		y, gamma := s.label(x, dst.DYDX[r*n:(r+1)*n], hr)
		dst.Y[r] = y
		if dst.Gamma != nil {
			dst.Gamma[r] = gamma
		}
	}
	return dst
}

// spots draws z₀ and sets x = S1 = 1 + scale·L·z₀. Each entry is one dot
// product of a row of L with z₀, so a sample's bits do not depend on the
// samples drawn with it (a blocked matrix product could sum in an order that
// depends on the block's shape).
func (s *Sampler) spots(x []float64) {
	z := s.z
	for i := range z {
		z[i] = s.rng.NormFloat64()
	}
	for i, row := range s.chol {
		x[i] = 1 + s.scale*floats.Dot(row[:i+1], z[:i+1])
	}
}

// label sets the labels of the sample at x and returns its value label y
// and gamma label: dydx the gradient label, and hessian, unless nil, the
// n×n row-major Hessian label. For a training sample they are those of the
// antithetic pair from S1 = x, for which it draws z₁; for a test point the
// exact price, deltas, gamma and Hessian. The baskets' terms are summed in
// order, starting from basket 0's. gamma is 0 for unsmoothed training
// labels.
func (s *Sampler) label(x, dydx, hessian []float64) (y, gamma float64) {
	n := len(x)
	if s.train {
		for i := range s.z {
			s.z[i] = s.rng.NormFloat64()
		}
	}
	for j, b := range s.baskets {
		var yj, gj float64
		if s.train {
			yj, gj, s.c[j] = s.pair(b.Strike, floats.Dot(b.Weights, x), floats.Dot(s.u[j*n:(j+1)*n], s.z))
		} else {
			yj, gj, s.c[j] = b.eval(x)
		}
		if j == 0 {
			y = yj
			floats.ScaleTo(dydx, gj, b.Weights)
			gamma = s.c[0] * s.sumW[0] * s.sumW[0]
		} else {
			y += yj
			floats.AddScaled(dydx, gj, b.Weights)
			gamma += s.c[j] * s.sumW[j] * s.sumW[j]
		}
	}
	if hessian != nil {
		w0, c0 := s.baskets[0].Weights, s.c[0]
		for i, wi := range w0 {
			for l := i; l < n; l++ {
				h := c0 * wi * w0[l]
				for j := 1; j < len(s.baskets); j++ {
					w := s.baskets[j].Weights
					h += s.c[j] * w[i] * w[l]
				}
				hessian[i*n+l], hessian[l*n+i] = h, h
			}
		}
	}
	return y, gamma
}

// pair returns the labels of one basket with strike k for the antithetic
// baskets b0 ± db: the payoff label y = ½[p(b0 + db) + p(b0 − db)], its
// derivative g = ½[p′ + p′] and second derivative c = ½[p″ + p″].
func (s *Sampler) pair(k, b0, db float64) (y, g, c float64) {
	if s.h == 0 {
		for _, b := range [2]float64{b0 + db, b0 - db} {
			if b > k {
				y += 0.5 * (b - k)
				g += 0.5
			}
		}
		return y, g, 0
	}
	for _, b := range [2]float64{b0 + db, b0 - db} {
		t := (b - k) / s.h
		e := math.Exp(-math.Abs(t)) // in (0, 1]: no overflow for any t
		y += 0.5 * s.h * (math.Max(t, 0) + math.Log1p(e))
		if t >= 0 {
			g += 0.5 / (1 + e)
		} else {
			g += 0.5 * e / (1 + e)
		}
		c += 0.5 * e / ((1 + e) * (1 + e) * s.h)
	}
	return y, g, c
}

// Stream draws total samples from s in blocks of at most blockRows rows and
// passes each to sink (dataset.Stream); the samples are those of
// s.Fill(s.NewSet(total)), bit for bit, whatever blockRows. It panics if
// total < 0 or blockRows < 1.
func (s *Sampler) Stream(ctx context.Context, total, blockRows int, sink func(*dataset.Set) error) error {
	return dataset.Stream(ctx, s, total, blockRows, sink)
}
