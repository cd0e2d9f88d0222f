// Package heston implements a second reference pricer: a European call
// under the Heston stochastic-volatility model at zero interest rate, its
// semi-analytic price and sensitivities, and the training and test sets
// the surrogates learn from.
//
// # Model
//
// Params holds the fixed parameters κ, θ, ξ, ρ of
//
//	dS = √v·S·dW₁,  dv = κ(θ − v)dt + ξ√v·dW₂,  d⟨W₁, W₂⟩ = ρ·dt;
//
// the surrogate's inputs are, in column order, the spot S₀, the initial
// variance v₀, the maturity T and the strike K, drawn from a Box. A Model
// is the parameters, the box and a seed.
//
// # Reference prices
//
// Pricer.Call computes the price by Lewis' single Fourier integral with the
// "little Heston trap" characteristic function (CharFunc), and from the same
// integral delta, gamma = ∂²V/∂S₀² and the derivatives in v₀, T and K.
//
// # Data
//
// A training sample (TrainingSampler) is one path from inputs drawn
// uniformly from the widened box, labelled in one of two ways (Labels).
// Mixing labels, the default, simulate the variance alone by a
// moment-matched scheme in volatility and take the call's expected payoff
// given the variance path, Black's formula, as value label. Pathwise
// labels simulate spot and variance by the full-truncation Euler scheme in
// log-spot and take the smoothed payoff. Either way the gradient label is
// the derivative of the value label with respect to all four inputs,
// propagated along the path in forward mode. A test point (TestSampler) is
// drawn uniformly from the box and labelled with Pricer.Call. WriteData
// streams both sets to .npz archives and writes spec.json (Spec).
//
// When the Feller condition 2κθ ≥ ξ² fails, as with the default parameters,
// the pathwise derivatives of the Euler scheme in v₀ and T have heavy
// tails: the tangent of √(v·dt) is ∂v·dt/(2√(v·dt)), and E[1/v] is infinite
// then. Those labels stay unbiased for the scheme, but single labels reach
// thousands of times their mean. The moment-matched scheme's coefficients
// are smooth in v down to 0, and its labels' spread is 30 to 100 times
// smaller; see TrainingSampler.
//
// # Random streams and reproducibility
//
// All randomness comes from the model's seed, through two independent
// math/rand/v2 PCG generators rand.NewPCG(seed, word), where word is the
// ASCII code of the stream's name:
//
//	"train" 0x747261696e  sample k: Float64 for U[0…3], then NormFloat64 for
//	                      Z of step 0, 1, … (Mixing), or Z₁, Z₂ of step 0,
//	                      Z₁, Z₂ of step 1, … (Pathwise), path after path
//	                      with TrainOptions.Paths > 1
//	"test"  0x74657374    point k: Float64 for U[0…3]
//
// Samples are drawn strictly in order, each from its own random numbers with
// a fixed order of operations, so sample k is the same, bit for bit,
// whatever block it is drawn in. The same seed gives the same data on every
// run with the same Go release and architecture.
//
// # Units
//
// Spots, strikes and prices are in one currency unit, maturities in years,
// variances per year. Deltas and ∂V/∂K are dimensionless, gammas per
// currency unit, ∂V/∂v₀ in currency units per unit of variance and ∂V/∂T
// per year.
package heston
