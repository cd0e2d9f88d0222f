package heston

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/integrate/quad"
)

// CharFunc returns the characteristic function of the log-return over a
// time t, E[exp(iu·log(S_t/S₀))], for the initial variance v0 and complex u
// where it is finite (for real u, and −1 ≤ Im u ≤ 0 among others). It is
// the "little Heston trap" form of Albrecher, Mayer, Schoutens & Tistaert
// (2007), which is continuous in u and t with the principal branches of the
// square root and the logarithm:
//
//	φ(u) = exp(A + B·v₀),  β = κ − ρξiu,  q = iu + u²,  d = √(β² + ξ²q),
//	g = (β − d)/(β + d),
//	A = κθ/ξ²·[(β − d)·t − 2·log((1 − g·e^{−dt})/(1 − g))],
//	B = (β − d)/ξ²·(1 − e^{−dt})/(1 − g·e^{−dt}).
func (p Params) CharFunc(u complex128, v0, t float64) complex128 {
	a, b := p.exponents(complex(p.Kappa, 0)-complex(p.Rho*p.Xi, 0)*1i*u, 1i*u+u*u, t)
	return cmplx.Exp(a + b*complex(v0, 0))
}

// exponents returns A and B of CharFunc for β = κ − ρξiu and q = iu + u².
// β − d is computed as −ξ²q/(β + d), 1 − e^{−dt} by expm1 and the logarithm
// by log1p, which keeps the relative accuracy where q or dt is small.
func (p Params) exponents(beta, q complex128, t float64) (a, b complex128) {
	xi2 := complex(p.Xi*p.Xi, 0)
	d := cmplx.Sqrt(beta*beta + xi2*q)
	bpd := beta + d
	bmd := -xi2 * q / bpd // β − d
	g := bmd / bpd
	em1 := cexpm1(-d * complex(t, 0)) // e^{−dt} − 1
	den := 1 - g*(1+em1)              // 1 − g·e^{−dt}
	b = -bmd / xi2 * em1 / den
	a = complex(p.Kappa*p.Theta, 0) / xi2 * (bmd*complex(t, 0) - 2*clog1p(-g*em1/(1-g)))
	return a, b
}

// cexpm1 returns e^z − 1, accurate also for small |z|.
func cexpm1(z complex128) complex128 {
	x, y := real(z), imag(z)
	s, c := math.Sincos(y)
	h := math.Sin(y / 2)
	return complex(math.Expm1(x)*c-2*h*h, math.Exp(x)*s)
}

// clog1p returns log(1 + z) (principal branch), accurate also for small |z|
// (Kahan's method: the rounding error of 1 + z is divided out).
func clog1p(z complex128) complex128 {
	w := 1 + z
	if w == 1 {
		return z
	}
	return cmplx.Log(w) * z / (w - 1)
}

// Greeks are a call's semi-analytic price and its sensitivities to the
// inputs, in currency units per unit of the input.
type Greeks struct {
	// Price is the call's price V.
	Price float64
	// Delta is ∂V/∂S₀, Gamma ∂²V/∂S₀².
	Delta, Gamma float64
	// DV0 is ∂V/∂v₀, DT ∂V/∂T (per year), DK ∂V/∂K.
	DV0, DT, DK float64
}

// Grad returns the gradient of the price in column order:
// (Delta, DV0, DT, DK).
func (g Greeks) Grad() [Inputs]float64 { return [Inputs]float64{g.Delta, g.DV0, g.DT, g.DK} }

// Quadrature of Call: panelNodes Gauss–Legendre nodes per panel; the panels
// double in width from 1 up to a width where the integrand turns by at most
// panelTurn radians; the integration stops after the first panel beyond
// u = 1 whose integral of |e^{ax}φ| is below panelTol; maxU is a safeguard
// against parameters for which it would not decay in reasonable time.
const (
	panelNodes = 16
	panelTurn  = 8.0
	panelTol   = 1e-14
	maxU       = 1e7
)

// Pricer prices European calls under a Heston model by Lewis' formula, one
// Fourier integral. A Pricer is safe for concurrent use.
type Pricer struct {
	p Params
	// x, w are the Gauss–Legendre nodes and weights on [0, 1].
	x, w []float64
}

// NewPricer returns a Pricer of the model with parameters p, or the
// *setting.Error of p.Validate.
func NewPricer(p Params) (*Pricer, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	pr := &Pricer{p: p, x: make([]float64, panelNodes), w: make([]float64, panelNodes)}
	quad.Legendre{}.FixedLocations(pr.x, pr.w, 0, 1)
	return pr, nil
}

// Params returns the model's parameters.
func (pr *Pricer) Params() Params { return pr.p }

// Call returns the price of a European call with strike k and maturity t
// (years) on a spot s with initial variance v0, at zero interest rate, and
// its sensitivities. The price is Lewis' (2000) formula
//
//	V = s − (k/π)·∫₀^∞ Re[e^{a·x}·φ(u − i/2)]/(u² + ¼) du,  a = ½ + iu,  x = log(s/k),
//
// with φ the characteristic function of CharFunc; the sensitivities are
// the same integral differentiated under the integral sign:
//
//	∂V/∂s  = 1 − (k/(π·s))·∫ Re[a·e^{ax}φ]/(u² + ¼) du
//	∂²V/∂s² = (k/(π·s²))·∫ Re[e^{ax}φ] du
//	∂V/∂v₀ = −(k/π)·∫ Re[B·e^{ax}φ]/(u² + ¼) du
//	∂V/∂t  = −(k/π)·∫ Re[(κθ·B + v₀·∂B/∂t)·e^{ax}φ]/(u² + ¼) du
//	∂V/∂k  = −(1/π)·∫ Re[(1 − a)·e^{ax}φ]/(u² + ¼) du
//
// where ∂B/∂t = ½ξ²B² − βB − ½(u² + ¼) is the Riccati equation B solves.
// The integral is computed by Gauss–Legendre panels of doubling width and
// stops when the integrand's magnitude has decayed below 1e-14; the prices
// agree with an independent method to about 1e-12 on DefaultBox (see the
// tests). Call returns NaN in every field unless s, t, k > 0 and v0 ≥ 0 are
// finite.
func (pr *Pricer) Call(s, v0, t, k float64) Greeks {
	if !(s > 0) || !(v0 >= 0) || !(t > 0) || !(k > 0) || !finite(s) || !finite(v0) || !finite(t) || !finite(k) {
		n := math.NaN()
		return Greeks{n, n, n, n, n, n}
	}
	p := pr.p
	x := math.Log(s / k)
	xi2 := p.Xi * p.Xi
	br, bi := p.Kappa-p.Rho*p.Xi/2, -p.Rho*p.Xi // β = br + i·bi·u
	kt := complex(p.Kappa*p.Theta, 0)
	// The phase of the integrand turns at most |x| + |ρ|·(v₀ + κθt)/ξ
	// radians per unit of u (its slope for large u).
	turn := math.Abs(x) + math.Abs(p.Rho)*(v0+p.Kappa*p.Theta*t)/p.Xi
	wmax := min(64, max(1, panelTurn/turn))
	var i0, i1, i2, iv, it float64
	for lo, width := 0.0, 1.0; lo < maxU; lo, width = lo+width, min(2*width, wmax) {
		var mag float64
		for j, xj := range pr.x {
			u := lo + width*xj
			w := width * pr.w[j]
			q := u*u + 0.25
			beta := complex(br, bi*u)
			a, b := p.exponents(beta, complex(q, 0), t)
			av := complex(0.5, u)
			e := cmplx.Exp(av*complex(x, 0) + a + b*complex(v0, 0))
			bt := complex(0.5*xi2, 0)*b*b - beta*b - complex(0.5*q, 0)
			i0 += w * real(e) / q
			i1 += w * real(av*e) / q
			i2 += w * real(e)
			iv += w * real(b*e) / q
			it += w * real((kt*b+complex(v0, 0)*bt)*e) / q
			mag += w * cmplx.Abs(e)
		}
		if lo >= 1 && mag < panelTol {
			break
		}
	}
	c := k / math.Pi
	return Greeks{
		Price: s - c*i0,
		Delta: 1 - c*i1/s,
		Gamma: c * i2 / (s * s),
		DV0:   -c * iv,
		DT:    -c * it,
		DK:    -(i0 - i1) / math.Pi,
	}
}
