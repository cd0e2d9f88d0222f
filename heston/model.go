package heston

import (
	"fmt"
	"math"

	"github.com/sobolev-pruning/sobolev/setting"
)

// Indices of the inputs of a sample, in column order.
const (
	// Spot is the column of the spot S₀, in currency units.
	Spot = iota
	// V0 is the column of the initial variance v₀, per year.
	V0
	// Maturity is the column of the maturity T, in years.
	Maturity
	// Strike is the column of the strike K, in currency units.
	Strike
	// Inputs is the number of inputs n = 4.
	Inputs
)

// InputNames returns the names of the inputs in column order, as written to
// spec.json: spot, v0, maturity, strike.
func InputNames() []string { return []string{"spot", "v0", "maturity", "strike"} }

// Params are the fixed parameters of the Heston model
//
//	dS = √v·S·dW₁,  dv = κ(θ − v)dt + ξ√v·dW₂,  d⟨W₁, W₂⟩ = ρ·dt,
//
// with zero interest rate. Kappa is κ per year, Theta θ per year (a
// variance), Xi ξ per year (the volatility of the variance), Rho ρ.
type Params struct {
	Kappa float64 `json:"kappa"`
	Theta float64 `json:"theta"`
	Xi    float64 `json:"xi"`
	Rho   float64 `json:"rho"`
}

// DefaultParams returns κ = 1.5, θ = 0.04, ξ = 0.5, ρ = −0.7: a long-run
// volatility of 20% with the negative spot–volatility correlation of equity
// markets. They violate the Feller condition (2κθ = 0.12 < ξ² = 0.25), as
// calibrated equity parameters usually do.
func DefaultParams() Params { return Params{Kappa: 1.5, Theta: 0.04, Xi: 0.5, Rho: -0.7} }

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate reports the first impossible parameter as a *setting.Error keyed
// "kappa", "theta", "xi" or "rho": each must be finite, κ, θ and ξ > 0 and
// |ρ| < 1. A violated Feller condition is allowed (see Feller).
func (p Params) Validate() error {
	bad := func(key string, v float64, want string) error { return &setting.Error{Key: key, Value: v, Want: want} }
	switch {
	case !(p.Kappa > 0) || !finite(p.Kappa):
		return bad("kappa", p.Kappa, "a finite mean-reversion speed κ > 0 per year")
	case !(p.Theta > 0) || !finite(p.Theta):
		return bad("theta", p.Theta, "a finite long-run variance θ > 0 per year")
	case !(p.Xi > 0) || !finite(p.Xi):
		return bad("xi", p.Xi, "a finite volatility of variance ξ > 0")
	case !(math.Abs(p.Rho) < 1):
		return bad("rho", p.Rho, "a correlation ρ with −1 < ρ < 1")
	}
	return nil
}

// Feller returns "" if p satisfies the Feller condition 2κθ ≥ ξ², under
// which the variance never reaches 0, and otherwise a sentence saying that
// it fails. A violation is allowed: the variance then touches 0 and is
// reflected, the semi-analytic prices stay exact, and the Monte Carlo scheme
// truncates negative variances (TrainingSampler).
func (p Params) Feller() string {
	if l, r := 2*p.Kappa*p.Theta, p.Xi*p.Xi; l < r {
		return fmt.Sprintf("the Feller condition 2κθ ≥ ξ² fails (2κθ = %.4g < ξ² = %.4g): the variance reaches 0 with positive probability; allowed, the Monte Carlo scheme truncates it at 0", l, r)
	}
	return ""
}

// Box is the domain of the inputs: Box[j] = [lo, hi] for input j in column
// order (Spot, V0, Maturity, Strike).
type Box [Inputs][2]float64

// DefaultBox returns the default domain of the inputs:
//
//	spot S₀ ∈ [0.7, 1.3], v₀ ∈ [0.01, 0.09], T ∈ [0.25, 2], K ∈ [0.8, 1.2].
//
// Spots and strikes are in units of a reference spot, so the moneyness S₀/K
// spans [0.58, 1.63], from deep out of to deep in the money; √v₀ spans
// 10%–30% around the default long-run volatility √θ = 20%; the maturities
// are the quoted ones from three months to two years. Shorter maturities or
// lower variances make the price a near-kink in S₀/K, whose gamma (up to
// about 8 at S₀ = K, T = 0.25, v₀ = 0.01) is already the hardest label.
func DefaultBox() Box {
	return Box{{0.7, 1.3}, {0.01, 0.09}, {0.25, 2}, {0.8, 1.2}}
}

// Validate reports, as a *setting.Error keyed by the input's name ("spot",
// "v0", "maturity", "strike"), the first interval that is not finite, has
// lo > hi, or leaves the model's domain S₀ > 0, v₀ > 0, T > 0, K > 0.
func (b Box) Validate() error {
	for j, name := range InputNames() {
		lo, hi := b[j][0], b[j][1]
		switch {
		case !finite(lo) || !finite(hi) || lo > hi:
			return &setting.Error{Key: name, Value: setting.Literal(fmt.Sprintf("[%g, %g]", lo, hi)), Want: "a finite interval [lo, hi] with lo ≤ hi"}
		case !(lo > 0):
			return &setting.Error{Key: name, Value: setting.Literal(fmt.Sprintf("[%g, %g]", lo, hi)), Want: "an interval of positive values (the model needs " + name + " > 0)"}
		}
	}
	return nil
}

// Widen returns b with each interval [lo, hi] extended by w·(hi − lo) on
// both sides. It does not check the result.
func (b Box) Widen(w float64) Box {
	for j := range b {
		d := w * (b[j][1] - b[j][0])
		b[j][0] -= d
		b[j][1] += d
	}
	return b
}

// Model is a Heston model with the box its inputs are drawn from, and the
// seed of its data sets: the plain data written to spec.json.
type Model struct {
	Params
	// Box is the test domain; training inputs are drawn from Box widened
	// (TrainOptions.Widening).
	Box Box `json:"box"`
	// Seed draws the training and test sets.
	Seed uint64 `json:"seed"`
}

// Validate reports the first impossible parameter or box interval of m
// (Params.Validate, Box.Validate).
func (m *Model) Validate() error {
	if err := m.Params.Validate(); err != nil {
		return err
	}
	return m.Box.Validate()
}
