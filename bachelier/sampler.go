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
	panicStream    = "bachelier: total < 0 or blockRows < 1"
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
	basket Basket
	chol   [][]float64
	// train is true for training samples; then scale = TrainWidening·√T1 and
	// u = √τ·Lᵀw, so that the antithetic baskets are w·S1 ± u·z₁.
	train  bool
	scale  float64
	u      []float64
	h      float64
	lo, hi float64
	sumW   float64
	with   dataset.Arrays
	rng    *rand.Rand
	z      []float64
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
	return &Sampler{
		basket: m.Basket(),
		chol:   m.Chol,
		sumW:   floats.Sum(m.Weights),
		rng:    rand.New(rand.NewPCG(m.Seed, stream)),
		z:      make([]float64, n),
	}
}

// TrainingSampler returns a Sampler of training samples (method.md §2).
// Sample k takes the next 2n standard normals z₀, z₁ of its stream and sets
//
//	x   = S1 = 1 + TrainWidening·√T1·L·z₀
//	B±  = w·S1 ± √τ·(Lᵀw)·z₁                 (= w·S2±, S2± = S1 ± √τ·L·z₁)
//	y   = ½[p(B+) + p(B−)]                    payoff label
//	dydx = ½[p′(B+) + p′(B−)]·w               pathwise gradient dy/dS1
//	gamma = ½[p″(B+) + p″(B−)]·(Σ w[i])²     1ᵀH1 of the pathwise Hessian
//	hessian = ½[p″(B+) + p″(B−)]·w·wᵀ
//
// where p is the call payoff (B − K)⁺, whose derivative is taken as
// 1{B > K}, or the smoothed payoff of opts.Smoothing. Gamma is set only with
// smoothing, Hessian only if opts.Hessian is set too. Along a direction v
// the pathwise Hessian label is m.Basket().HessVec(dst, v, gamma).
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
	s.u = make([]float64, m.Dims())
	for i, row := range m.Chol { // u = Lᵀw
		floats.AddScaled(s.u[:i+1], m.Weights[i], row[:i+1])
	}
	floats.Scale(math.Sqrt(m.T2-m.T1), s.u)
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
// [lo, hi] = m.TestBox(), and the exact labels of m.Basket() at x: y the
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
	w := s.basket.Weights
	for r := range dst.N() {
		x := dst.X[r*n : (r+1)*n]
		var c float64
		if s.train {
			s.spots(x)
			var g float64
			dst.Y[r], g, c = s.step(x)
			floats.ScaleTo(dst.DYDX[r*n:(r+1)*n], g, w)
		} else {
			for i := range x {
				x[i] = s.lo + (s.hi-s.lo)*s.rng.Float64()
			}
			var cdf float64
			dst.Y[r], cdf, c = s.basket.eval(x)
			floats.ScaleTo(dst.DYDX[r*n:(r+1)*n], cdf, w)
		}
		if dst.Gamma != nil {
			dst.Gamma[r] = c * s.sumW * s.sumW
		}
		if dst.Hessian != nil {
			hr := dst.Hessian[r*n*n : (r+1)*n*n]
			for i, wi := range w {
				for j := i; j < n; j++ {
					hr[i*n+j] = c * wi * w[j]
					hr[j*n+i] = hr[i*n+j]
				}
			}
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

// step draws z₁ and returns the labels of the antithetic pair from S1 = x:
// the payoff label y, the basket derivative g = ½[p′(B+) + p′(B−)] (so that
// dy/dS1 = g·w) and the second derivative c = ½[p″(B+) + p″(B−)].
func (s *Sampler) step(x []float64) (y, g, c float64) {
	z := s.z
	for i := range z {
		z[i] = s.rng.NormFloat64()
	}
	b0 := floats.Dot(s.basket.Weights, x)
	db := floats.Dot(s.u, z)
	return s.pair(b0, db)
}

// pair returns the labels y, g, c of step for the baskets b0 ± db.
func (s *Sampler) pair(b0, db float64) (y, g, c float64) {
	k := s.basket.Strike
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
// passes each block to sink, which must not keep it: the next block reuses
// its memory. Before each block Stream checks ctx, and it returns ctx.Err()
// if ctx is done, or the first error of sink. The samples are those of
// s.Fill(s.NewSet(total)), bit for bit, whatever blockRows.
// Stream panics if total < 0 or blockRows < 1.
func (s *Sampler) Stream(ctx context.Context, total, blockRows int, sink func(*dataset.Set) error) error {
	if total < 0 || blockRows < 1 {
		panic(panicStream)
	}
	block := s.NewSet(min(total, blockRows))
	for done := 0; done < total; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(blockRows, total-done)
		b := block
		if k < block.N() {
			b = block.Slice(0, k)
		}
		if err := sink(s.Fill(b)); err != nil {
			return err
		}
		done += k
	}
	return nil
}
