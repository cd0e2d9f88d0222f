package heston

import "math"

// mixingLabels sets grad to the gradient of the mixing label of the
// moment-matched volatility path from x with the normals sign·z, and
// returns the label y and its ∂²y/∂S₀²; see TrainingSampler.
func (p Params) mixingLabels(grad, x *[Inputs]float64, z []float64, sign float64) (y, gamma float64) {
	s0, k := x[Spot], x[Strike]
	rho2 := p.Rho * p.Rho
	rhoBar2 := 1 - rho2
	a, b := p.volPath(x[V0], x[Maturity], z, sign)
	// log F = log S₀ + ρA − ½ρ²B, w = (1 − ρ²)B.
	f := s0 * math.Exp(p.Rho*a.val-0.5*rho2*b.val)
	c, dF, dW, dK, dFF := black(f, k, rhoBar2*b.val)
	r := f / s0 // ∂F/∂S₀
	*grad = [Inputs]float64{
		dF * r,
		dF*f*(p.Rho*a.dv0-0.5*rho2*b.dv0) + dW*rhoBar2*b.dv0,
		dF*f*(p.Rho*a.dT-0.5*rho2*b.dT) + dW*rhoBar2*b.dT,
		dK,
	}
	return c, dFF * r * r
}

// dual is a value with its tangents along v₀ and T.
type dual struct{ val, dv0, dT float64 }

// volPath runs the moment-matched volatility scheme of TrainingSampler from
// v0 over t with the normals sign·z, one per step, and returns
// A = Σ σᵢ√dt·Zᵢ and B = Σ σᵢ²·dt with their tangents along v₀ and T.
func (p Params) volPath(v0, t float64, z []float64, sign float64) (a, b dual) {
	n := len(z)
	dt := t / float64(n)
	ddt := 1 / float64(n) // ∂dt/∂T
	sdt := math.Sqrt(dt)
	dsdt := ddt / (2 * sdt) // ∂√dt/∂T
	e := math.Exp(-p.Kappa * dt)
	de := -p.Kappa * e * ddt // ∂e/∂T
	om := 1 - e
	c2 := p.Xi * p.Xi / p.Kappa
	sq0 := math.Sqrt(v0)
	sig := dual{sq0, 0.5 / sq0, 0}
	for i := range n {
		zi := sign * z[i]
		v, vA, vT := sig.val*sig.val, 2*sig.val*sig.dv0, 2*sig.val*sig.dT
		a.val += sig.val * sdt * zi
		a.dv0 += sig.dv0 * sdt * zi
		a.dT += (sig.dT*sdt + sig.val*dsdt) * zi
		b.val += v * dt
		b.dv0 += vA * dt
		b.dT += vT*dt + v*ddt
		// The mean m₁ and variance m₂ of the CIR variance over the step.
		m1 := p.Theta + (v-p.Theta)*e
		m1A, m1T := vA*e, vT*e+(v-p.Theta)*de
		m2 := c2 * (v*e*om + 0.5*p.Theta*om*om)
		m2A := c2 * vA * e * om
		m2T := c2 * (vT*e*om + v*(de*om-e*de) - p.Theta*om*de)
		// s² = m₂/(4m₁), β = √(m₁ − s²).
		d := 4 * m1 * m1
		s2 := m2 / (4 * m1)
		s2A, s2T := (m2A*m1-m2*m1A)/d, (m2T*m1-m2*m1T)/d
		var beta, bA, bT float64
		if q := m1 - s2; q > 0 {
			beta = math.Sqrt(q)
			bA, bT = (m1A-s2A)/(2*beta), (m1T-s2T)/(2*beta)
		} else {
			s2, s2A, s2T = m1, m1A, m1T
		}
		s := math.Sqrt(s2)
		sA, sT := s2A/(2*s), s2T/(2*s)
		sig = dual{beta + s*zi, bA + sA*zi, bT + sT*zi}
	}
	return a, b
}

// black returns Black's undiscounted call on a forward f with strike k and
// total variance w, C = f·N(d₁) − k·N(d₂), and its derivatives ∂C/∂f,
// ∂C/∂w, ∂C/∂k and ∂²C/∂f²; for w = 0 the payoff (f − k)⁺.
func black(f, k, w float64) (c, dF, dW, dK, dFF float64) {
	if !(w > 0) {
		if f > k {
			return f - k, 1, 0, -1, 0
		}
		return 0, 0, 0, 0, 0
	}
	sw := math.Sqrt(w)
	d1 := (math.Log(f/k) + 0.5*w) / sw
	d2 := d1 - sw
	n1 := 0.5 * math.Erfc(-d1/math.Sqrt2)
	n2 := 0.5 * math.Erfc(-d2/math.Sqrt2)
	phi := math.Exp(-0.5*d1*d1) / math.Sqrt(2*math.Pi)
	return f*n1 - k*n2, n1, f * phi / (2 * sw), -n2, phi / (f * sw)
}
