// Package bachelier implements the reference problem of method.md §2: a call
// on a basket of n assets in a Bachelier (Gaussian) model, its closed-form
// price and sensitivities, and the training and test sets the surrogates
// learn from; and a harder variant, a portfolio of k basket calls on the
// same assets, whose price depends on k directions of the spots.
//
// # Model
//
// New draws a Model from a seed: basket weights w, a correlation matrix, and
// asset volatilities scaled so that the basket volatility sqrt(wᵀΣw) is
// BasketVol = 0.2. Between the evaluation date T1 = 1 and the expiry T2 = 2 the
// basket moves by a normal increment of standard deviation s = 0.2·sqrt(τ),
// τ = T2 − T1, so its call with strike K = 1.10 has a closed form (Basket):
// price, deltas, the gamma metric 1ᵀH1 and the full Hessian.
//
// NewPortfolio adds k − 1 basket calls to that model, each with its own
// weights, strike and time to expiry drawn from the seed; the data are then
// those of the portfolio of all k calls (Portfolio), whose closed forms are
// the sums of the baskets'. With k = 1 it is New's model and data, bit for
// bit.
//
// # Data
//
// A training sample (TrainingSampler) is one antithetic Monte Carlo path:
// spots S1 drawn around 1 at T1, the baskets B± at expiry of the two
// antithetic paths, the averaged payoff as the value label and its pathwise
// derivative with respect to S1 as the gradient label; a smoothed payoff
// (TrainOptions.Smoothing) also gives pathwise second-order labels. A test
// point (TestSampler) is drawn uniformly from the box TestBox and labelled
// with the exact price, deltas, gamma and optionally Hessian.
//
// Samplers fill dataset.Sets block by block without allocating, so a set of
// any size can be streamed to a file (Sampler.Stream with a
// dataset.Writer) holding one block in memory.
//
// # Random streams and reproducibility
//
// All randomness comes from the model's seed, through four independent
// math/rand/v2 PCG generators rand.NewPCG(seed, word), where word is the
// ASCII code of the stream's name:
//
//	"model"   0x6d6f64656c      New: Float64 for w[0…n−1], D (2n×n, row by row), v[0…n−1]
//	"baskets" 0x6261736b657473  NewPortfolio, baskets j = 1…k−1: Float64 for U[0…n−1], K_j, τ_j
//	"train"   0x747261696e      sample k: NormFloat64 for z₀[0…n−1], then z₁[0…n−1]
//	"test"    0x74657374        point k: Float64 for U[0…n−1]
//
// Samples are drawn strictly in order, and each is computed from its own
// random numbers with a fixed order of operations, so sample k is the same,
// bit for bit, whatever block it is drawn in and whatever the block size. The
// same seed gives the same model and data on every run with the same Go
// release and architecture (gonum's assembly kernels and FMA use may differ
// between architectures in the last bits).
//
// # Units
//
// Spots, prices and the strikes are in one currency unit, times in years
// (T1 = 1, T2 = 2; the extra baskets of a portfolio expire at T1 + τ_j),
// volatilities in currency units per √year. Deltas are
// dimensionless and gammas are per currency unit.
package bachelier
