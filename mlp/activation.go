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
	switch a {
	case SiLU:
		return silu(z)
	case Softplus:
		return softplus(z)
	case Tanh:
		return tanhDerivs(z)
	case ReLU:
		return relu(z)
	}
	panic(badActivation)
}

// sigmoidPair returns s = 1/(1 + e⁻ᶻ) and c = 1 − s, each to full relative
// accuracy, from one exponential of −|z|.
func sigmoidPair(z float64) (s, c float64) {
	e := math.Exp(-math.Abs(z))
	r := 1 / (1 + e)
	if z < 0 {
		return e * r, r
	}
	return r, e * r
}

func silu(z float64) (f, d1, d2, d3 float64) {
	if z-z != 0 { // ±Inf or NaN
		switch {
		case z > 0:
			return z, 1, 0, 0
		case z < 0:
			return math.Copysign(0, -1), 0, 0, 0
		}
		return z, z, z, z
	}
	s, c := sigmoidPair(z)
	p := s * c   // s(1−s) = s′
	m := c - s   // 1 − 2s
	f = z * s    // σ
	d1 = s + z*p // s(1 + z(1−s))
	d2 = p * (2 + z*m)
	d3 = p * (3*m + z*(1-6*p)) // 1 − 6s + 6s² = 1 − 6s(1−s)
	return f, d1, d2, d3
}

func softplus(z float64) (f, d1, d2, d3 float64) {
	// log(1 + eᶻ) = max(z, 0) + log1p(e^−|z|).
	e := math.Exp(-math.Abs(z))
	r := 1 / (1 + e)
	s, c := r, e*r
	if z < 0 {
		s, c = c, s
	}
	p := s * c
	return max(z, 0) + math.Log1p(e), s, p, p * (c - s)
}

func tanhDerivs(z float64) (f, d1, d2, d3 float64) {
	// t = (1 − e)/(1 + e) and 1 − t² = 4e/(1 + e)² with e = e^−2|z|, so 1 − t²
	// keeps its relative accuracy where t rounds to ±1.
	e := math.Exp(-2 * math.Abs(z))
	r := 1 / (1 + e)
	t := math.Copysign((1-e)*r, z)
	d1 = 4 * e * r * r
	return t, d1, -2 * t * d1, d1 * (6*t*t - 2)
}

func relu(z float64) (f, d1, d2, d3 float64) {
	if z > 0 {
		return z, 1, 0, 0
	}
	if z != z {
		return z, 0, 0, 0
	}
	return 0, 0, 0, 0
}

// activate sets f[i] = σ(z[i]), d1[i] = σ′(z[i]), d2[i] = σ″(z[i]) and
// d3[i] = σ‴(z[i]) for the activation act, as Activation.Eval does. All five
// slices have the same length.
func activate(act Activation, f, d1, d2, d3, z []float64) {
	f, d1, d2, d3 = f[:len(z)], d1[:len(z)], d2[:len(z)], d3[:len(z)]
	switch act {
	case SiLU:
		for i, zi := range z {
			f[i], d1[i], d2[i], d3[i] = silu(zi)
		}
	case Softplus:
		for i, zi := range z {
			f[i], d1[i], d2[i], d3[i] = softplus(zi)
		}
	case Tanh:
		for i, zi := range z {
			f[i], d1[i], d2[i], d3[i] = tanhDerivs(zi)
		}
	case ReLU:
		for i, zi := range z {
			f[i], d1[i], d2[i], d3[i] = relu(zi)
		}
	default:
		panic(badActivation)
	}
}
