package mlp

import "math"

// Eval returns σ(z) and its first three derivatives σ′(z), σ″(z), σ‴(z) for
// the activation a. With s = 1/(1 + e⁻ᶻ) the logistic sigmoid and t = tanh(z):
//
//	SiLU:     σ = z·s,   σ′ = s(1 + z(1−s)),  σ″ = s(1−s)(2 + z(1−2s)),
//	          σ‴ = s(1−s)(3(1−2s) + z(1 − 6s + 6s²))
//	Softplus: σ = log(1 + eᶻ),  σ′ = s,  σ″ = s(1−s),  σ‴ = s(1−s)(1−2s)
//	Tanh:     σ = t,  σ′ = 1−t²,  σ″ = −2t(1−t²),  σ‴ = (1−t²)(6t²−2)
//	ReLU:     σ = max(z, 0),  σ′ = 1 if z > 0 else 0,  σ″ = σ‴ = 0
//
// s and 1−s are both computed from e^−|z|, so neither loses relative accuracy
// for large |z|, and no intermediate overflows.
//
// Special cases are:
//
//	SiLU(±0) = ±0
//	SiLU(+Inf) = +Inf, with σ′ = 1, σ″ = σ‴ = 0
//	SiLU(-Inf) = -0, with σ′ = σ″ = σ‴ = 0  (the limits; z·s(z) directly gives NaN)
//	Softplus(-Inf) = 0, Softplus(+Inf) = +Inf
//	ReLU(±0) = 0 with σ′(0) = 0
//	any activation of NaN = NaN, with NaN derivatives (ReLU: σ′ = 0)
//
// Eval panics if a is not one of the declared activations.
func (a Activation) Eval(z float64) (f, d1, d2, d3 float64) {
	var fs, d1s, d2s, d3s [1]float64
	a.eval(fs[:], d1s[:], d2s[:], d3s[:], []float64{z})
	return fs[0], d1s[0], d2s[0], d3s[0]
}

// eval sets f[i] = σ(z[i]), d1[i] = σ′(z[i]), d2[i] = σ″(z[i]) and, if d3 is
// not nil, d3[i] = σ‴(z[i]), with the formulas and special cases of Eval. The
// outputs are at least as long as z. It panics if a is not declared.
//
// The exponentials come first in a loop of their own (stored in f), the
// rational functions of them after: the short loops pipeline better than one
// fused loop with a data-dependent branch.
func (a Activation) eval(f, d1, d2, d3, z []float64) {
	f, d1, d2 = f[:len(z)], d1[:len(z)], d2[:len(z)]
	switch a {
	case SiLU:
		for i, zi := range z {
			f[i] = math.Exp(-math.Abs(zi))
		}
		for i, zi := range z {
			s, c := sigmoidPair(zi, f[i])
			p := s * c // s(1−s) = s′
			m := c - s // 1 − 2s
			f[i] = zi * s
			d1[i] = s + zi*p // s(1 + z(1−s))
			d2[i] = p * (2 + zi*m)
			if d3 != nil {
				d3[i] = p * (3*m + zi*(1-6*p)) // 1 − 6s + 6s² = 1 − 6s(1−s)
			}
			if zi-zi != 0 { // ±Inf or NaN: the limits
				f[i], d1[i], d2[i] = siluLimits(zi)
				if d3 != nil {
					d3[i] = d2[i]
				}
			}
		}
	case Softplus:
		// log(1 + eᶻ) = max(z, 0) + log1p(e^−|z|).
		for i, zi := range z {
			f[i] = math.Exp(-math.Abs(zi))
		}
		for i, zi := range z {
			e := f[i]
			s, c := sigmoidPair(zi, e)
			p := s * c
			f[i] = max(zi, 0) + math.Log1p(e)
			d1[i], d2[i] = s, p
			if d3 != nil {
				d3[i] = p * (c - s)
			}
		}
	case Tanh:
		// t = (1 − e)/(1 + e) and 1 − t² = 4e/(1 + e)² with e = e^−2|z|, so
		// 1 − t² keeps its relative accuracy where t rounds to ±1.
		for i, zi := range z {
			f[i] = math.Exp(-2 * math.Abs(zi))
		}
		for i, zi := range z {
			e := f[i]
			r := 1 / (1 + e)
			t := math.Copysign((1-e)*r, zi)
			g := 4 * e * r * r
			f[i], d1[i], d2[i] = t, g, -2*t*g
			if d3 != nil {
				d3[i] = g * (6*t*t - 2)
			}
		}
	case ReLU:
		for i, zi := range z {
			switch {
			case zi > 0:
				f[i], d1[i] = zi, 1
			case zi != zi:
				f[i], d1[i] = zi, 0
			default:
				f[i], d1[i] = 0, 0
			}
			d2[i] = 0
			if d3 != nil {
				d3[i] = 0
			}
		}
	default:
		panic(badActivation)
	}
}

// sigmoidPair returns s = 1/(1 + e⁻ᶻ) and c = 1 − s, each to full relative
// accuracy, given e = e^−|z|.
func sigmoidPair(z, e float64) (s, c float64) {
	r := 1 / (1 + e)
	if z < 0 {
		return e * r, r
	}
	return r, e * r
}

// siluLimits returns SiLU and its first two derivatives at z = ±Inf (the
// limits) or NaN; all higher derivatives there equal the second.
func siluLimits(z float64) (f, d1, d2 float64) {
	switch {
	case z > 0:
		return z, 1, 0
	case z < 0:
		return math.Copysign(0, -1), 0, 0
	}
	return z, z, z
}
