package interval

import (
	"math"
	"math/big"
)

// This file holds the independent references the tests compare against:
// exact rational checks for the arithmetic operations, and math/big
// evaluations (Taylor and atanh series, no float64 math library) for the
// transcendental and activation functions.
//
// A reference is computed at the precision of its argument, which refArg
// sets to 320 bits plus twice the number of leading zero bits of a tiny
// argument. Then the reference is within 2⁻³⁰⁰ relative of the true value, far
// closer than the true value is to any float64 it is not equal to: even where
// f(x) ≈ x (tanh, sinh) or f(x) ≈ 1 (exp, cosh) for tiny x, the gap is of order
// x² relative, which the extra bits resolve.

const refPrec = 320

// ln2Text is ln 2 to 115 significant digits (about 380 bits).
const ln2Text = "0.6931471805599453094172321214581765680755001343602552541206800094933936219696947156058633269964186875420014810205707"

// refArg returns x as a big.Float with the working precision for references
// at x (exact).
func refArg(x float64) *big.Float {
	p := uint(refPrec)
	if _, e := math.Frexp(x); x != 0 && e < 0 {
		p += uint(-2 * e)
	}
	return new(big.Float).SetPrec(p).SetFloat64(x)
}

// newRef returns a zero big.Float of precision refPrec.
func newRef() *big.Float { return new(big.Float).SetPrec(refPrec) }

// bf returns x as a big.Float of precision refPrec (exact).
func bf(x float64) *big.Float { return newRef().SetFloat64(x) }

// num returns a zero big.Float with the precision of like.
func num(like *big.Float) *big.Float { return new(big.Float).SetPrec(like.Prec()) }

// numOf returns x with the precision of like.
func numOf(like *big.Float, x float64) *big.Float { return num(like).SetFloat64(x) }

// refLn2 returns ln 2 to precision p: from ln2Text up to 370 bits, otherwise
// from ln 2 = 2·atanh(1/3) = 2·Σ 3^{−(2k+1)}/(2k+1).
func refLn2(p uint) *big.Float {
	if p <= 370 {
		f, _, err := big.ParseFloat(ln2Text, 10, p, big.ToNearestEven)
		if err != nil {
			panic(err)
		}
		return f
	}
	z := new(big.Float).SetPrec(p)
	sum, pow := num(z), num(z).Quo(numOf(z, 1), numOf(z, 3))
	eps := num(z).SetMantExp(numOf(z, 1), -int(p)-10)
	for k := 1; pow.Cmp(eps) >= 0; k += 2 {
		sum.Add(sum, num(z).Quo(pow, numOf(z, float64(k))))
		pow.Quo(pow, numOf(z, 9))
	}
	return sum.SetMantExp(sum, 1)
}

// refExp returns eˣ for |x| < 10⁵: x = k·ln 2 + r, then e^{r/256} by its
// Taylor series, squared 8 times.
func refExp(x *big.Float) *big.Float {
	xf, _ := x.Float64()
	k := math.Round(xf / math.Ln2)
	r := num(x).Set(x)
	if k != 0 {
		r.Sub(x, num(x).Mul(numOf(x, k), refLn2(x.Prec())))
	}
	const halvings = 8
	r.SetMantExp(r, -halvings)
	sum, term := numOf(x, 1), numOf(x, 1)
	eps := num(x).SetMantExp(numOf(x, 1), -int(x.Prec())-10)
	for n := 1; term.Sign() != 0 && num(x).Abs(term).Cmp(eps) >= 0; n++ {
		term.Mul(term, r)
		term.Quo(term, numOf(x, float64(n)))
		sum.Add(sum, term)
	}
	for range halvings {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(k))
}

// refExpm1 returns eˣ − 1, by its Taylor series for |x| < ½ (no cancellation).
func refExpm1(x *big.Float) *big.Float {
	if num(x).Abs(x).Cmp(numOf(x, 0.5)) >= 0 {
		e := refExp(x)
		return e.Sub(e, numOf(x, 1))
	}
	sum, term := num(x), numOf(x, 1)
	eps := num(x).SetMantExp(num(x).Abs(x), -int(x.Prec())-10)
	for n := 1; n == 1 || (term.Sign() != 0 && num(x).Abs(term).Cmp(eps) >= 0); n++ {
		term.Mul(term, x)
		term.Quo(term, numOf(x, float64(n)))
		sum.Add(sum, term)
	}
	return sum
}

// refLog returns ln x for x > 0: x = m·2ᵉ with m ∈ [√½, √2), then
// ln m = 2·atanh((m−1)/(m+1)) by its series.
func refLog(x *big.Float) *big.Float {
	m := num(x)
	e := x.MantExp(m)
	if m.Cmp(numOf(x, math.Sqrt2/2)) < 0 {
		m.SetMantExp(m, 1)
		e--
	}
	t := num(x).Sub(m, numOf(x, 1))
	t.Quo(t, num(x).Add(m, numOf(x, 1)))
	t2 := num(x).Mul(t, t)
	sum, pow := num(x), num(x).Set(t)
	eps := num(x).SetMantExp(num(x).Abs(t), -int(x.Prec())-10)
	for k := 1; pow.Sign() != 0 && num(x).Abs(pow).Cmp(eps) >= 0; k += 2 {
		sum.Add(sum, num(x).Quo(pow, numOf(x, float64(k))))
		pow.Mul(pow, t2)
	}
	sum.SetMantExp(sum, 1)
	if e != 0 {
		sum.Add(sum, num(x).Mul(numOf(x, float64(e)), refLn2(x.Prec())))
	}
	return sum
}

// refLog1p returns ln(1+u) for u > −1, by its series for |u| < 2⁻⁸.
func refLog1p(u *big.Float) *big.Float {
	if num(u).Abs(u).Cmp(numOf(u, 0x1p-8)) >= 0 {
		return refLog(num(u).Add(u, numOf(u, 1)))
	}
	sum, pow := num(u), num(u).Set(u)
	eps := num(u).SetMantExp(num(u).Abs(u), -int(u.Prec())-10)
	for k := 1; pow.Sign() != 0 && num(u).Abs(pow).Cmp(eps) >= 0; k++ {
		term := num(u).Quo(pow, numOf(u, float64(k)))
		if k%2 == 0 {
			term.Neg(term)
		}
		sum.Add(sum, term)
		pow.Mul(pow, u)
	}
	return sum
}

// refTanh returns tanh x = m/(m+2) with m = e^{2x} − 1, for x ≥ 0; tanh is odd.
func refTanh(x *big.Float) *big.Float {
	if x.Sign() < 0 {
		t := refTanh(num(x).Neg(x))
		return t.Neg(t)
	}
	m := refExpm1(num(x).Mul(x, numOf(x, 2)))
	return m.Quo(m, num(x).Add(m, numOf(x, 2)))
}

// roundDown and roundUp return the tightest float64 bounds of x.
func roundDown(x *big.Float) float64 {
	f, acc := x.Float64()
	if acc == big.Above {
		f = nextDown(f)
	}
	return f
}

func roundUp(x *big.Float) float64 {
	f, acc := x.Float64()
	if acc == big.Below {
		f = nextUp(f)
	}
	return f
}

// refSigmoid returns s(z) = 1/(1 + e^{−z}).
func refSigmoid(z *big.Float) *big.Float {
	e := refExp(num(z).Neg(z))
	return e.Quo(numOf(z, 1), e.Add(e, numOf(z, 1)))
}

// refSigmoidPair returns s(z) and s(−z) = 1 − s(z), each without cancellation.
func refSigmoidPair(z *big.Float) (s, sNeg *big.Float) {
	return refSigmoid(z), refSigmoid(num(z).Neg(z))
}

func refSiLU(z *big.Float) *big.Float { return num(z).Mul(z, refSigmoid(z)) }

// refSiLUPrime returns s(z)·(1 + z·s(−z)).
func refSiLUPrime(z *big.Float) *big.Float {
	s, sNeg := refSigmoidPair(z)
	t := num(z).Mul(z, sNeg)
	t.Add(t, numOf(z, 1))
	return t.Mul(t, s)
}

// refSiLUPrime2 returns s(z)s(−z)·(2 + z·(s(−z) − s(z))).
func refSiLUPrime2(z *big.Float) *big.Float {
	s, sNeg := refSigmoidPair(z)
	d := num(z).Sub(sNeg, s)
	d.Mul(d, z)
	d.Add(d, numOf(z, 2))
	return d.Mul(d, num(z).Mul(s, sNeg))
}

// refSiLUPrime3 returns SiLU‴(z) = u·[(1−2s)(3 + z(1−2s)) − 2zu], u = s(1−s).
func refSiLUPrime3(z *big.Float) *big.Float {
	s, sNeg := refSigmoidPair(z)
	u := num(z).Mul(s, sNeg)
	d := num(z).Sub(sNeg, s)
	a := num(z).Mul(z, d)
	a.Add(a, numOf(z, 3))
	a.Mul(a, d)
	b := num(z).Mul(z, u)
	a.Sub(a, b.Add(b, b))
	return a.Mul(a, u)
}

// refSoftplus returns ln(1 + eᶻ) as ln(1 + eᶻ) for z ≤ 0 and
// z + ln(1 + e^{−z}) for z > 0.
func refSoftplus(z *big.Float) *big.Float {
	if z.Sign() <= 0 {
		return refLog1p(refExp(z))
	}
	l := refLog1p(refExp(num(z).Neg(z)))
	return l.Add(l, z)
}

// refSoftplusPrime2 returns s(z)·s(−z).
func refSoftplusPrime2(z *big.Float) *big.Float {
	s, sNeg := refSigmoidPair(z)
	return s.Mul(s, sNeg)
}

// refTanhPrime returns 1 − tanh² z = 4E/(1+E)², E = e^{−2|z|}.
func refTanhPrime(z *big.Float) *big.Float {
	x := num(z).Abs(z)
	e := refExp(x.Mul(x, numOf(z, -2)))
	d := num(z).Add(e, numOf(z, 1))
	d.Mul(d, d)
	e.Mul(e, numOf(z, 4))
	return e.Quo(e, d)
}

// refTanhPrime2 returns −2·tanh z·(1 − tanh² z).
func refTanhPrime2(z *big.Float) *big.Float {
	t := refTanh(z)
	t.Mul(t, refTanhPrime(z))
	return t.Mul(t, numOf(z, -2))
}

// refSoftplusPrime3 returns the derivative of s(1−s): s(1−s)(1−2s).
func refSoftplusPrime3(z *big.Float) *big.Float {
	s, sNeg := refSigmoidPair(z)
	d := num(z).Sub(sNeg, s)
	return d.Mul(d, s.Mul(s, sNeg))
}

// refTanhPrime3 returns the derivative of −2·tanh·(1 − tanh²):
// −2(1 − tanh²)(1 − 3 tanh²).
func refTanhPrime3(z *big.Float) *big.Float {
	t := refTanh(z)
	t.Mul(t, t)
	t.Mul(t, numOf(z, -3))
	t.Add(t, numOf(z, 1))
	t.Mul(t, refTanhPrime(z))
	return t.Mul(t, numOf(z, -2))
}
