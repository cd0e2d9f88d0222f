package heston

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
)

// cosPut returns the price of a put by the COS method of Fang & Oosterlee
// (2008), an expansion of the density of y = log(S_T/K) in n cosines on
// [a, b] = x + c₁ ± 30·√c₂, with c₁, c₂ the cumulants of the log-return
// (by central differences of log E[e^{sX}] in s). It shares only CharFunc
// with Call. The usual ±12·√c₂ leaves out ~1e-7 of the Heston density's
// exponential left tail, and 4e-5 of the price at S = K = 100 below.
func cosPut(p Params, s, v0, t, k float64, n int) float64 {
	m := func(z float64) float64 { return real(cmplx.Log(p.CharFunc(complex(0, -z), v0, t))) }
	const h = 1e-3
	c1 := (m(h) - m(-h)) / (2 * h)
	c2 := (m(h) + m(-h)) / (h * h) // m(0) = 0
	x := math.Log(s / k)
	a, b := x+c1-30*math.Sqrt(c2), x+c1+30*math.Sqrt(c2)
	// Put payoff K·(1 − e^y)⁺ on [a, 0]: V_k = 2/(b − a)·K·(ψ_k(a, 0) − χ_k(a, 0)).
	chi := func(w, c, d float64) float64 {
		return 1 / (1 + w*w) * (math.Cos(w*(d-a))*math.Exp(d) - math.Cos(w*(c-a))*math.Exp(c) +
			w*math.Sin(w*(d-a))*math.Exp(d) - w*math.Sin(w*(c-a))*math.Exp(c))
	}
	psi := func(w, c, d float64) float64 {
		if w == 0 {
			return d - c
		}
		return (math.Sin(w*(d-a)) - math.Sin(w*(c-a))) / w
	}
	var sum float64
	for j := range n {
		w := float64(j) * math.Pi / (b - a)
		f := p.CharFunc(complex(w, 0), v0, t) * cmplx.Exp(complex(0, w*(x-a)))
		term := real(f) * 2 / (b - a) * k * (psi(w, a, 0) - chi(w, a, 0))
		if j == 0 {
			term /= 2
		}
		sum += term
	}
	return sum
}

// contourPrice returns −(k/π)·∫₀^∞ Re[e^{iz·log(k/s)}·φ(−z)/(z² − iz)] du
// along z = u + iα: the call's price for α > 1, the call's minus s for
// 0 < α < 1 and the put's for α < 0 (the contour crosses the poles z = i and
// z = 0 of the payoff's transform). It integrates by 32-point Gauss–Legendre
// panels of width 1/2 up to u = 4000.
func contourPrice(p Params, s, v0, t, k, alpha float64) float64 {
	x, w := make([]float64, 32), make([]float64, 32)
	quad.Legendre{}.FixedLocations(x, w, 0, 0.5)
	logKS := math.Log(k / s)
	var sum float64
	for lo := 0.0; lo < 4000; lo += 0.5 {
		for j := range x {
			z := complex(lo+x[j], alpha)
			f := cmplx.Exp(1i*z*complex(logKS, 0)) * p.CharFunc(-z, v0, t) / (z*z - 1i*z)
			sum += w[j] * real(f)
		}
	}
	return -k / math.Pi * sum
}

// riccatiCF returns φ(u) = exp(A + B·v₀) by integrating the Riccati
// equations A′ = κθB, B′ = −½(u² + iu) − (κ − ρξiu)B + ½ξ²B² from A = B = 0
// with n classical Runge–Kutta steps up to t.
func riccatiCF(p Params, u complex128, v0, t float64, n int) complex128 {
	beta := complex(p.Kappa, 0) - complex(p.Rho*p.Xi, 0)*1i*u
	q := u*u + 1i*u
	xi2 := complex(p.Xi*p.Xi, 0)
	f := func(b complex128) complex128 { return -q/2 - beta*b + xi2/2*b*b }
	var a, b complex128
	h := complex(t/float64(n), 0)
	kt := complex(p.Kappa*p.Theta, 0)
	for range n {
		k1 := f(b)
		k2 := f(b + h/2*k1)
		k3 := f(b + h/2*k2)
		k4 := f(b + h*k3)
		a += h / 6 * kt * (b + 2*(b+h/2*k1) + 2*(b+h/2*k2) + (b + h*k3))
		b += h / 6 * (k1 + 2*k2 + 2*k3 + k4)
	}
	return cmplx.Exp(a + b*complex(v0, 0))
}

func TestCharFuncRiccati(t *testing.T) {
	for _, p := range []Params{DefaultParams(), {Kappa: 1.5768, Theta: 0.0398, Xi: 0.5751, Rho: -0.5711}, {Kappa: 0.3, Theta: 0.09, Xi: 1.2, Rho: 0.4}} {
		for _, u := range []complex128{0, 0.3, 1 - 0.5i, 5, 20 - 0.5i, 60, -7 + 0.3i, 2 - 1i} {
			for _, tt := range []float64{0.05, 1, 3} {
				got := p.CharFunc(u, 0.05, tt)
				want := riccatiCF(p, u, 0.05, tt, 20000)
				if cmplx.Abs(got-want) > 1e-11 {
					t.Errorf("%+v: φ(%v) at t = %g = %v, Riccati ODE gives %v", p, u, tt, got, want)
				}
			}
		}
	}
	// φ(0) = 1 and the martingale property φ(−i) = E[S_T/S₀] = 1.
	for _, u := range []complex128{0, -1i} {
		if got := DefaultParams().CharFunc(u, 0.04, 1.3); cmplx.Abs(got-1) > 1e-14 {
			t.Errorf("φ(%v) = %v, want 1", u, got)
		}
	}
}

// TestCallFangOosterlee checks the reference value of Fang & Oosterlee
// (2008), §5.2: S = K = 100, T = 1, κ = 1.5768, θ = 0.0398, ξ = 0.5751,
// ρ = −0.5711, v₀ = 0.0175, r = 0: call 5.785155450. Call gives
// 5.7851554344, and so do cosPut (L = 30) and contourPrice at α = 0.5 and
// 1.5 to 1e-11; the published digits differ by 1.6e-8 (3e-9 relative), so
// the tolerance is 3e-8. Call must also match the independent methods.
func TestCallFangOosterlee(t *testing.T) {
	pr, err := NewPricer(Params{Kappa: 1.5768, Theta: 0.0398, Xi: 0.5751, Rho: -0.5711})
	if err != nil {
		t.Fatal(err)
	}
	got := pr.Call(100, 0.0175, 1, 100).Price
	if math.Abs(got-5.785155450) > 3e-8 {
		t.Errorf("call = %.10f, want 5.785155450", got)
	}
	if cos := cosPut(pr.Params(), 100, 0.0175, 1, 100, 4096); math.Abs(got-cos) > 1e-9 {
		t.Errorf("call = %.12f, COS put + S − K = %.12f", got, cos)
	}
}

// boxPoints returns n points drawn uniformly from b.
func boxPoints(b Box, n int, seed uint64) [][Inputs]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	pts := make([][Inputs]float64, n)
	for i := range pts {
		for j := range Inputs {
			pts[i][j] = b[j][0] + (b[j][1]-b[j][0])*rng.Float64()
		}
	}
	return pts
}

func TestCallCOS(t *testing.T) {
	p := DefaultParams()
	pr, err := NewPricer(p)
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	pts := boxPoints(DefaultBox(), 200, 1)
	// The corners of the box too, where the integrand decays slowest.
	for _, v0 := range []float64{0.01, 0.09} {
		for _, tt := range []float64{0.25, 2} {
			for _, sk := range [][2]float64{{0.7, 1.2}, {1.3, 0.8}, {1, 1}} {
				pts = append(pts, [Inputs]float64{sk[0], v0, tt, sk[1]})
			}
		}
	}
	for _, x := range pts {
		got := pr.Call(x[Spot], x[V0], x[Maturity], x[Strike]).Price
		want := cosPut(p, x[Spot], x[V0], x[Maturity], x[Strike], 4096) + x[Spot] - x[Strike]
		worst = max(worst, math.Abs(got-want))
		if math.Abs(got-want) > 1e-10 {
			t.Errorf("at %v: Lewis %.14f, COS %.14f", x, got, want)
		}
	}
	t.Logf("largest |Lewis − COS| over %d points: %.2g", len(pts), worst)
}

// TestParity checks put–call parity C − P = S − K with the call and the put
// of contourPrice along contours on either side of the payoff's poles,
// and Call against the call's contour.
func TestParity(t *testing.T) {
	p := DefaultParams()
	pr, err := NewPricer(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range boxPoints(DefaultBox(), 8, 2) {
		s, v0, tt, k := x[Spot], x[V0], x[Maturity], x[Strike]
		call := contourPrice(p, s, v0, tt, k, 1.5)
		put := contourPrice(p, s, v0, tt, k, -0.5)
		if d := call - put - (s - k); math.Abs(d) > 1e-10 {
			t.Errorf("at %v: C − P − (S − K) = %.3g", x, d)
		}
		if d := pr.Call(s, v0, tt, k).Price - call; math.Abs(d) > 1e-10 {
			t.Errorf("at %v: Call − contour call = %.3g", x, d)
		}
	}
}

// TestGreeksFD checks each sensitivity of Call against central differences
// of its price (and Gamma against those of Delta).
func TestGreeksFD(t *testing.T) {
	pr, err := NewPricer(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range boxPoints(DefaultBox(), 50, 3) {
		g := pr.Call(x[Spot], x[V0], x[Maturity], x[Strike])
		grad := g.Grad()
		for j := range Inputs {
			h := 1e-5 * x[j]
			xp, xm := x, x
			xp[j] += h
			xm[j] -= h
			fp := pr.Call(xp[Spot], xp[V0], xp[Maturity], xp[Strike])
			fm := pr.Call(xm[Spot], xm[V0], xm[Maturity], xm[Strike])
			fd := (fp.Price - fm.Price) / (2 * h)
			if math.Abs(fd-grad[j]) > 1e-6*(1+math.Abs(fd)) {
				t.Errorf("at %v: ∂V/∂%s = %.10g, central difference %.10g", x, InputNames()[j], grad[j], fd)
			}
			if j == Spot {
				fd := (fp.Delta - fm.Delta) / (2 * h)
				if math.Abs(fd-g.Gamma) > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("at %v: gamma = %.10g, central difference of delta %.10g", x, g.Gamma, fd)
				}
			}
		}
	}
}

func TestCallDomain(t *testing.T) {
	pr, err := NewPricer(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range [][4]float64{{0, 0.04, 1, 1}, {1, -0.01, 1, 1}, {1, 0.04, 0, 1}, {1, 0.04, 1, 0}, {math.NaN(), 0.04, 1, 1}, {1, 0.04, math.Inf(1), 1}} {
		g := pr.Call(x[0], x[1], x[2], x[3])
		if s := fmt.Sprint(g); s != "{NaN NaN NaN NaN NaN NaN}" {
			t.Errorf("Call%v = %s, want NaN everywhere", x, s)
		}
	}
	// v₀ = 0 is in the domain.
	if g := pr.Call(1, 0, 1, 1); !(g.Price > 0 && g.Price < 1) {
		t.Errorf("Call(1, 0, 1, 1) = %+v, want a price in (0, 1)", g)
	}
}
