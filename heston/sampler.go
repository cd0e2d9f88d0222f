package heston

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/setting"
)

const (
	panicBlock = "heston: dst does not have the sampler's dims and arrays"
	panicZ     = "heston: len(z) is odd or 0"
)

// Second words of the PCG seeds of the two random streams: the ASCII codes
// of "train" and "test" (as in package bachelier).
const (
	streamTrain = 0x747261696e
	streamTest  = 0x74657374
)

// Labels names how a training sample's labels are formed from its path;
// TrainingSampler gives the formulas.
type Labels int

const (
	// Mixing simulates the variance alone, by the moment-matched volatility
	// scheme, and labels the sample with the call's expected payoff given
	// that variance path (Black's formula: the mixing solution of Romano &
	// Touzi) and its derivatives along the path. Its derivative labels in v₀
	// and T have finite variance for any parameters.
	Mixing Labels = iota
	// Pathwise simulates spot and variance by the full-truncation Euler
	// scheme and labels the sample with the smoothed payoff of the path and
	// its pathwise derivatives, whose variance in v₀ and T is infinite when
	// the Feller condition fails.
	Pathwise
)

var labelsNames = [...]string{Mixing: "mixing", Pathwise: "pathwise"}

// String returns the labels' name: "mixing" or "pathwise".
func (l Labels) String() string { return setting.String("Labels", labelsNames[:], int(l)) }

// MarshalText returns the labels' name; a value without a name is an error.
func (l Labels) MarshalText() ([]byte, error) {
	return setting.Marshal("Labels", labelsNames[:], int(l))
}

// UnmarshalText sets l to the labels named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (l *Labels) UnmarshalText(text []byte) error {
	return setting.Unmarshal(l, "labels", labelsNames[:], text)
}

// Valid reports whether l is one of the named kinds of labels.
func (l Labels) Valid() bool { return setting.Valid(labelsNames[:], int(l)) }

// Scheme describes the Monte Carlo scheme and labels of l, as spec.json
// states them.
func (l Labels) Scheme() string {
	if l == Pathwise {
		return "full-truncation Euler in log-spot; smoothed payoff and its pathwise derivatives in forward mode"
	}
	return "moment-matched volatility scheme for the variance; mixing label (Black price given the variance path) and its derivatives in forward mode"
}

// TrainOptions chooses the scheme and the labels of training samples.
type TrainOptions struct {
	// Labels chooses the scheme and the labels: Mixing or Pathwise.
	Labels Labels `json:"labels"`
	// Steps is the number of time steps of the scheme; the step is
	// dt = T/Steps, so that every path has the same number of steps.
	Steps int `json:"steps"`
	// Smoothing is the width h ≥ 0 of the smoothed payoff of Pathwise
	// labels,
	//
	//	p_h(S_T) = h·log(1 + exp((S_T − K)/h)),
	//
	// in currency units, which exceeds the call payoff (S_T − K)⁺ by at most
	// h·log 2. With h > 0 the samples also get the pathwise ∂²y/∂S₀² as a
	// gamma label; h = 0 keeps the call payoff (and no gamma label). Mixing
	// labels are smooth without it and always have a gamma label.
	Smoothing float64 `json:"smoothing"`
	// Widening widens the training box: each interval [lo, hi] of the
	// model's box grows by Widening·(hi − lo) on both sides (Box.Widen), so
	// that the surrogate also sees the edges of the test box from outside.
	Widening float64 `json:"widening"`
	// Antithetic makes each sample the average of a path and its antithetic
	// twin (all normals negated).
	Antithetic bool `json:"antithetic"`
	// Paths is the number of independent paths (antithetic pairs with
	// Antithetic) whose labels each sample averages; 0 means 1, the method's
	// one path per sample. More paths divide the labels' noise variance by
	// Paths at Paths times the cost of drawing the data (about 18 s of CPU
	// per million samples of 256-step Mixing pairs).
	Paths int `json:"paths"`
}

// DefaultTrainOptions returns Mixing labels with 256 steps, smoothing
// 0.0075 (the Bachelier default, used by Pathwise labels only), widening
// 0.05, antithetic pairs and one path per sample. The widening is half the
// Bachelier one: on DefaultBox, 0.1 would draw maturities down to 0.075,
// where the price is nearly a kink, and the nets' ∂V/∂T on the box is less
// accurate for it.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{Labels: Mixing, Steps: 256, Smoothing: 0.0075, Widening: 0.05, Antithetic: true, Paths: 1}
}

// Arrays returns the optional arrays of training samples drawn with o:
// dataset.WithGamma for Mixing labels and for Pathwise ones with
// Smoothing > 0, none otherwise.
func (o TrainOptions) Arrays() dataset.Arrays {
	if o.Labels == Mixing || o.Smoothing > 0 {
		return dataset.WithGamma
	}
	return 0
}

// normals returns the number of standard normals a training path takes.
func (o TrainOptions) normals() int {
	if o.Labels == Pathwise {
		return 2 * o.Steps
	}
	return o.Steps
}

// maxSteps bounds TrainOptions.Steps: a sample takes 2·Steps normals.
const maxSteps = 1 << 16

// maxPaths bounds TrainOptions.Paths.
const maxPaths = 1 << 10

// Validate reports the first impossible option as a *setting.Error keyed
// "labels", "steps", "smoothing", "widening" or "paths".
func (o TrainOptions) Validate() error {
	bad := func(key string, v any, want string) error { return &setting.Error{Key: key, Value: v, Want: want} }
	switch {
	case !o.Labels.Valid():
		return bad("labels", o.Labels, setting.Want(new(Labels)))
	case o.Steps < 1 || o.Steps > maxSteps:
		return bad("steps", o.Steps, "a number of time steps from 1 to 65536")
	case !(o.Smoothing >= 0) || math.IsInf(o.Smoothing, 0):
		return bad("smoothing", o.Smoothing, "a finite width ≥ 0 (0 keeps the call payoff)")
	case !(o.Widening >= 0) || math.IsInf(o.Widening, 0):
		return bad("widening", o.Widening, "a finite fraction ≥ 0 of each interval of the box")
	case o.Paths < 0 || o.Paths > maxPaths:
		return bad("paths", o.Paths, "a number of paths per sample from 1 to 1024 (0 means 1)")
	}
	return nil
}

// TrainBox returns the box the training inputs of m are drawn from:
// m.Box widened by opts.Widening. It returns a *setting.Error keyed by the
// input's name if the widened box leaves the model's domain.
func (m *Model) TrainBox(opts TrainOptions) (Box, error) {
	b := m.Box.Widen(opts.Widening)
	for j, name := range InputNames() {
		if !(b[j][0] > 0) {
			return b, &setting.Error{Key: "widening", Value: opts.Widening,
				Want: "a widening that keeps the training box of " + name + " positive: lower it or raise the lower bound of " + name}
		}
	}
	return b, nil
}

// A Sampler draws the samples of a training or a test set of a Model, in a
// fixed order from one random stream, and writes them into dataset.Sets of
// Inputs columns; see the package documentation for the streams.
// Successive calls of Fill continue the stream, so the samples do not depend
// on how they are split into blocks. A Sampler is not safe for concurrent
// use.
type Sampler struct {
	p     Params
	box   Box
	train bool
	opts  TrainOptions
	pr    *Pricer
	with  dataset.Arrays
	rng   *rand.Rand
	// z holds the normals of a training sample: Paths paths'.
	z []float64
	// ahead holds the normals of the rows of a chunk of fillParallel.
	ahead []float64
}

// TrainingSampler returns a Sampler of training samples. Sample k takes the
// next 4 uniforms U of its stream and sets the inputs
// x = lo + (hi − lo)·U in the training box (TrainBox), then takes the
// standard normals of its path, with dt = T/Steps, and labels it as
// opts.Labels says. Both kinds of labels are unbiased for their
// discretised scheme, and both are exact derivatives of the label of the
// same normals, propagated in forward mode along the path (T enters
// through dt); with opts.Antithetic they are averaged with those of the
// antithetic path (all normals negated). With opts.Paths > 1 the sample
// takes the normals of Paths paths in turn and its labels are the average
// of theirs.
//
// # Mixing labels
//
// The path takes Steps normals Zᵢ and simulates the volatility σ, whose
// square is the variance, by the moment-matched volatility scheme:
// σ₀ = √v₀ and, with vᵢ = σᵢ² and e = exp(−κ·dt),
//
//	m₁ = θ + (vᵢ − θ)·e                           (mean of v over the step)
//	m₂ = (ξ²/κ)·(vᵢ·e(1 − e) + ½θ(1 − e)²)        (its variance)
//	s² = m₂/(4m₁),  β = √(m₁ − s²)
//	σᵢ₊₁ = β + s·Zᵢ,
//
// a Gaussian step in volatility whose square has the exact mean m₁ of the
// CIR variance and whose mean β and variance s² are the delta-method
// approximations of those of √v (β = 0 and s² = m₁ when m₁ ≤ s², which
// needs ξ² ≥ 8κθ). The variance σ² stays ≥ 0 and the step's coefficients
// are smooth in vᵢ down to 0, so the tangents carry no 1/√v. Given the
// path, the log-spot of the Euler scheme driven by the same increments,
// ΔW₂ = √dt·Zᵢ for the variance and an independent W⊥, is Gaussian:
//
//	A = Σ σᵢ√dt·Zᵢ,  B = Σ σᵢ²·dt,
//	log S_T = log F − ½(1 − ρ²)B + √((1 − ρ²)B)·N(0, 1),  F = S₀·exp(ρA − ½ρ²B),
//
// and the label is the call's conditional expectation, Black's formula
// with zero rate, y = F·N(d₁) − K·N(d₂), d₁,₂ = (log(F/K) ± ½w)/√w,
// w = (1 − ρ²)B (the mixing solution of Romano & Touzi, 1997). Its
// derivatives are those of Black's formula chained with the tangents of A
// and B:
//
//	dydx = (N(d₁)·F/S₀,  ∂y/∂v₀,  ∂y/∂T,  −N(d₂)),
//	∂y/∂u = N(d₁)·F·(ρ∂A/∂u − ½ρ²∂B/∂u) + F·φ(d₁)/(2√w)·(1 − ρ²)∂B/∂u   (u = v₀, T),
//	gamma = φ(d₁)·F/(S₀²·√w).
//
// The scheme's weak error is of order dt: at 256 steps on DefaultBox below
// 3e-4 in price and 2e-3 in the derivatives (see the tests). With
// DefaultParams and 256 steps, the standard deviation of single ∂y/∂v₀
// labels is about 0.1, against 3 to 10 for Pathwise labels.
//
// # Pathwise labels
//
// The path takes 2·Steps normals Z₁, Z₂ (Z₁ of step i at 2i, Z₂ at 2i + 1)
// and simulates the full-truncation Euler scheme in log-spot of Lord,
// Koekkoek & van Dijk (2010), with v⁺ = max(v, 0):
//
//	X₀ = log S₀,  v₀ given,
//	X_{i+1} = X_i − ½v⁺dt + √(v⁺dt)·Z₁
//	v_{i+1} = v_i + κ(θ − v⁺)dt + ξ√(v⁺dt)·(ρZ₁ + √(1 − ρ²)Z₂),
//
// S_T = exp(X_Steps). The labels are the payoff y = p(S_T) (Smoothing) and
// its pathwise derivatives: the tangents ∂(X, v)/∂v₀ and ∂(X, v)/∂T follow
// the scheme's derivative (the derivative of v⁺ is 0 where v ≤ 0 is
// truncated), and
//
//	dydx = p′(S_T)·(S_T/S₀, S_T·∂X/∂v₀, S_T·∂X/∂T, −1),
//	gamma = p″(S_T)·(S_T/S₀)²   (∂²y/∂S₀², only with Smoothing > 0).
//
// The call payoff's derivative is taken as 1{S_T > K}. The scheme's weak
// error is below 2e-4 in price at 64 steps on DefaultBox.
//
// The tangents of √(v⁺dt) carry a factor 1/√v, so that when the Feller
// condition fails the derivative labels in v₀ and T have infinite variance
// in the limit dt → 0: with DefaultParams and 64 steps, single ∂y/∂v₀
// labels reach 1e3 while the price's ∂V/∂v₀ is about 0.3 (and their
// standard deviation grows with Steps); with ξ = 0.3 they stay below 10.
//
// TrainingSampler returns the *setting.Error of m.Validate, opts.Validate
// or m.TrainBox.
func (m *Model) TrainingSampler(opts TrainOptions) (*Sampler, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	box, err := m.TrainBox(opts)
	if err != nil {
		return nil, err
	}
	s := &Sampler{p: m.Params, box: box, train: true, opts: opts,
		with: opts.Arrays(), rng: rand.New(rand.NewPCG(m.Seed, streamTrain)), z: make([]float64, max(1, opts.Paths)*opts.normals())}
	return s, nil
}

// TestSampler returns a Sampler of test points. Point k takes the next 4
// uniforms U of its stream, sets x = lo + (hi − lo)·U in m.Box and labels it
// with Pricer.Call: y the price, dydx the gradient (Delta, DV0, DT, DK) and
// gamma = ∂²V/∂S₀². It returns the *setting.Error of m.Validate.
func (m *Model) TestSampler() (*Sampler, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	pr, err := NewPricer(m.Params)
	if err != nil {
		return nil, err
	}
	return &Sampler{p: m.Params, box: m.Box, pr: pr, with: dataset.WithGamma,
		rng: rand.New(rand.NewPCG(m.Seed, streamTest))}, nil
}

// Arrays returns the optional arrays of s's samples.
func (s *Sampler) Arrays() dataset.Arrays { return s.with }

// NewSet returns a zeroed Set of rows rows with the arrays of s's samples.
func (s *Sampler) NewSet(rows int) *dataset.Set { return dataset.New(rows, Inputs, s.with) }

// Fill sets the rows of dst to the next dst.N() samples and returns dst.
// A training block of 64 rows or more is labelled on GOMAXPROCS goroutines,
// which allocates a little per block of up to 4 MiB of normals (and that
// buffer once); the samples do not depend on it, nor on the number of
// goroutines. Smaller blocks, and test points, allocate nothing. Fill
// panics if dst's dims or arrays differ from those of s.NewSet.
func (s *Sampler) Fill(dst *dataset.Set) *dataset.Set {
	if dst.Dims() != Inputs || dst.Arrays() != s.with {
		panic(panicBlock)
	}
	if procs := runtime.GOMAXPROCS(0); s.train && procs > 1 && dst.N() >= parallelRows {
		s.fillParallel(dst, procs)
		return dst
	}
	for r := range dst.N() {
		x := s.inputs(dst, r)
		g := (*[Inputs]float64)(dst.DYDX[r*Inputs : (r+1)*Inputs])
		var gamma float64
		if s.train {
			for i := range s.z {
				s.z[i] = s.rng.NormFloat64()
			}
			dst.Y[r], gamma = s.p.trainLabels(s.opts, g, x, s.z)
		} else {
			c := s.pr.Call(x[Spot], x[V0], x[Maturity], x[Strike])
			dst.Y[r], *g, gamma = c.Price, c.Grad(), c.Gamma
		}
		if dst.Gamma != nil {
			dst.Gamma[r] = gamma
		}
	}
	return dst
}

// parallelRows is the smallest block whose training labels Fill computes
// on several goroutines.
const parallelRows = 64

// chunkFloats bounds the normals Fill draws ahead of labelling them, in
// float64s (4 MiB).
const chunkFloats = 1 << 19

// fillParallel is Fill of a training block on procs goroutines. It draws
// the inputs and normals of a chunk of rows from the stream in order, as the
// serial loop does, and then labels the chunk's rows on procs goroutines,
// each row by the same operations: the samples are the same, bit for bit.
func (s *Sampler) fillParallel(dst *dataset.Set, procs int) {
	per := len(s.z) // normals per sample
	chunk := max(parallelRows, chunkFloats/per)
	if len(s.ahead) < chunk*per {
		s.ahead = make([]float64, chunk*per)
	}
	n := dst.N()
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		for r := lo; r < hi; r++ {
			s.inputs(dst, r)
			z := s.ahead[(r-lo)*per : (r-lo+1)*per]
			for i := range z {
				z[i] = s.rng.NormFloat64()
			}
		}
		var wg sync.WaitGroup
		for w := range procs {
			wg.Go(func() {
				for r := lo + w; r < hi; r += procs {
					x := (*[Inputs]float64)(dst.X[r*Inputs : (r+1)*Inputs])
					g := (*[Inputs]float64)(dst.DYDX[r*Inputs : (r+1)*Inputs])
					var gamma float64
					dst.Y[r], gamma = s.p.trainLabels(s.opts, g, x, s.ahead[(r-lo)*per:(r-lo+1)*per])
					if dst.Gamma != nil {
						dst.Gamma[r] = gamma
					}
				}
			})
		}
		wg.Wait()
	}
}

// inputs draws the inputs of row r of dst from the next 4 uniforms of the
// stream and returns them.
func (s *Sampler) inputs(dst *dataset.Set, r int) *[Inputs]float64 {
	x := (*[Inputs]float64)(dst.X[r*Inputs : (r+1)*Inputs])
	for j := range x {
		x[j] = s.box[j][0] + (s.box[j][1]-s.box[j][0])*s.rng.Float64()
	}
	return x
}

// trainLabels sets grad to the gradient label of a training sample drawn
// with o at x and returns its value and gamma labels: the average over
// o.Paths paths, path k taking the normals z[k·normals : (k+1)·normals],
// each the average of the path and, with o.Antithetic, its antithetic twin
// (the normals negated).
func (p Params) trainLabels(o TrainOptions, grad, x *[Inputs]float64, z []float64) (y, gamma float64) {
	paths := max(1, o.Paths)
	per := len(z) / paths
	signs := []float64{1, -1}
	if !o.Antithetic {
		signs = signs[:1]
	}
	wt := 1 / float64(len(signs))
	var g [Inputs]float64
	for k := range paths {
		zk := z[k*per : (k+1)*per]
		// The path's labels: the average over its signs.
		var yk, gk float64
		var gradk [Inputs]float64
		for _, sign := range signs {
			var ys, gs float64
			if o.Labels == Pathwise {
				ys, gs = p.pathwiseLabels(&g, x, zk, o.Smoothing, sign)
			} else {
				ys, gs = p.mixingLabels(&g, x, zk, sign)
			}
			yk += wt * ys
			gk += wt * gs
			for j := range gradk {
				gradk[j] += wt * g[j]
			}
		}
		if k == 0 {
			*grad, y, gamma = gradk, yk, gk
			continue
		}
		y, gamma = y+yk, gamma+gk
		for j := range grad {
			grad[j] += gradk[j]
		}
	}
	if paths > 1 {
		w := 1 / float64(paths)
		y, gamma = w*y, w*gamma
		for j := range grad {
			grad[j] *= w
		}
	}
	return y, gamma
}

// pathwiseLabels sets grad to the pathwise gradient of the payoff label of
// the full-truncation Euler path of TrainingSampler (Pathwise labels) from
// x with the normals sign·z, and returns the label y and the pathwise
// ∂²y/∂S₀² (0 if h = 0).
func (p Params) pathwiseLabels(grad, x *[Inputs]float64, z []float64, h, sign float64) (y, gamma float64) {
	xT, dv0, dT := p.path(x[Spot], x[V0], x[Maturity], z, sign)
	sT := math.Exp(xT)
	py, pg, pc := payoff(sT-x[Strike], h)
	r := sT / x[Spot]
	*grad = [Inputs]float64{pg * r, pg * sT * dv0, pg * sT * dT, -pg}
	return py, pc * r * r
}

// path returns X_T = log S_T of the full-truncation Euler scheme of
// TrainingSampler from s0, v0 over t with the normals sign·z, and its
// tangents ∂X_T/∂v₀ and ∂X_T/∂T. It panics if len(z) is odd or 0.
func (p Params) path(s0, v0, t float64, z []float64, sign float64) (xT, dxdv0, dxdT float64) {
	if len(z)%2 != 0 || len(z) == 0 {
		panic(panicZ)
	}
	n := len(z) / 2
	dt := t / float64(n)
	ddt := 1 / float64(n) // ∂dt/∂T
	rhoBar := math.Sqrt(1 - p.Rho*p.Rho)
	x, v := math.Log(s0), v0
	// Tangents of x and v along v₀ (xa, va) and along T (xb, vb).
	var xa, xb, vb float64
	va := 1.0
	for i := range n {
		z1 := sign * z[2*i]
		z2 := sign * (p.Rho*z[2*i] + rhoBar*z[2*i+1])
		if v <= 0 {
			// v⁺ = 0: X stays, v grows by κθ·dt; ∂v⁺ = 0.
			v += p.Kappa * p.Theta * dt
			vb += p.Kappa * p.Theta * ddt
			continue
		}
		vdt := v * dt
		sq := math.Sqrt(vdt)
		dVa := va * dt       // ∂(v·dt)/∂v₀
		dVb := vb*dt + v*ddt // ∂(v·dt)/∂T
		sqa, sqb := dVa/(2*sq), dVb/(2*sq)
		x += -0.5*vdt + sq*z1
		xa += -0.5*dVa + sqa*z1
		xb += -0.5*dVb + sqb*z1
		vb += -p.Kappa*dVb + p.Kappa*p.Theta*ddt + p.Xi*sqb*z2
		va += -p.Kappa*dVa + p.Xi*sqa*z2
		v += p.Kappa*(p.Theta*dt-vdt) + p.Xi*sq*z2
	}
	return x, xa, xb
}

// payoff returns the payoff of d = S_T − K and its first and second
// derivatives in d: the call payoff d⁺ (derivatives 1{d > 0} and 0) if
// h = 0, otherwise the smoothed payoff h·log(1 + e^{d/h}), the logistic
// σ(d/h) and σ′(d/h)/h, computed without overflow for any d.
func payoff(d, h float64) (y, g, c float64) {
	if h == 0 {
		if d > 0 {
			return d, 1, 0
		}
		return 0, 0, 0
	}
	t := d / h
	e := math.Exp(-math.Abs(t)) // in (0, 1]
	y = h * (math.Max(t, 0) + math.Log1p(e))
	if t >= 0 {
		g = 1 / (1 + e)
	} else {
		g = e / (1 + e)
	}
	return y, g, e / ((1 + e) * (1 + e) * h)
}

// Stream draws total samples from s in blocks of at most blockRows rows and
// passes each to sink (dataset.Stream); the samples are those of
// s.Fill(s.NewSet(total)), bit for bit, whatever blockRows. It panics if
// total < 0 or blockRows < 1.
func (s *Sampler) Stream(ctx context.Context, total, blockRows int, sink func(*dataset.Set) error) error {
	return dataset.Stream(ctx, s, total, blockRows, sink)
}
