package interval

import (
	"math"
	"math/big"
)

// This file holds the independent references the tests compare against:
// exact rational checks for the arithmetic operations and 320-bit math/big
// evaluations (Taylor and atanh series, no float64 math library) for the
// transcendental and activation functions. At 320 bits the references are
// good to about 2⁻³⁰⁰ relative, far below the 2⁻⁵³ resolution being tested.

const refPrec = 320

// ln2Text is ln 2 to 115 significant digits (about 380 bits).
const ln2Text = "0.6931471805599453094172321214581765680755001343602552541206800094933936219696947156058633269964186875420014810205707"

func newRef() *big.Float { return new(big.Float).SetPrec(refPrec) }

// bf returns x as a 320-bit big.Float (exact).
func bf(x float64) *big.Float { return newRef().SetFloat64(x) }

func refLn2() *big.Float {
	f, _, err := big.ParseFloat(ln2Text, 10, refPrec, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	return f
}

// refExp returns eˣ for |x| < 10⁵: x = k·ln 2 + r, then e^{r/256} by its
// Taylor series, squared 8 times.
func refExp(x *big.Float) *big.Float {
	xf, _ := x.Float64()
	k := math.Round(xf / math.Ln2)
	r := newRef().Mul(bf(k), refLn2())
	r.Sub(x, r)
	const halvings = 8
	r.SetMantExp(r, -halvings)
	sum, term := bf(1), bf(1)
	eps := newRef().SetMantExp(bf(1), -refPrec-10)
	for n := 1; newRef().Abs(term).Cmp(eps) >= 0; n++ {
		term.Mul(term, r)
		term.Quo(term, bf(float64(n)))
		sum.Add(sum, term)
	}
	for range halvings {
		sum.Mul(sum, sum)
	}
	return sum.SetMantExp(sum, int(k))
}

// refExpm1 returns eˣ − 1, by its Taylor series for |x| < ½ (no cancellation).
func refExpm1(x *big.Float) *big.Float {
	if newRef().Abs(x).Cmp(bf(0.5)) >= 0 {
		e := refExp(x)
		return e.Sub(e, bf(1))
	}
	sum, term := newRef(), bf(1)
	eps := newRef().SetMantExp(newRef().Abs(x), -refPrec-10)
	for n := 1; n == 1 || newRef().Abs(term).Cmp(eps) >= 0; n++ {
		term.Mul(term, x)
		term.Quo(term, bf(float64(n)))
		sum.Add(sum, term)
	}
	return sum
}

// refLog returns ln x for x > 0: x = m·2ᵉ with m ∈ [√½, √2), then
// ln m = 2·atanh((m−1)/(m+1)) by its series.
func refLog(x *big.Float) *big.Float {
	m := newRef()
	e := x.MantExp(m)
	if m.Cmp(bf(math.Sqrt2/2)) < 0 {
		m.SetMantExp(m, 1)
		e--
	}
	t := newRef().Sub(m, bf(1))
	t.Quo(t, newRef().Add(m, bf(1)))
	t2 := newRef().Mul(t, t)
	sum, pow := newRef(), newRef().Set(t)
	eps := newRef().SetMantExp(bf(1), -refPrec-10)
	for k := 1; pow.Sign() != 0 && newRef().Abs(pow).Cmp(eps) >= 0; k += 2 {
		sum.Add(sum, newRef().Quo(pow, bf(float64(k))))
		pow.Mul(pow, t2)
	}
	sum.SetMantExp(sum, 1)
	return sum.Add(sum, newRef().Mul(bf(float64(e)), refLn2()))
}

// refLog1p returns ln(1+u) for u > −1, by its series for |u| < 2⁻⁸.
func refLog1p(u *big.Float) *big.Float {
	if newRef().Abs(u).Cmp(bf(0x1p-8)) >= 0 {
		return refLog(newRef().Add(u, bf(1)))
	}
	sum, pow := newRef(), newRef().Set(u)
	eps := newRef().SetMantExp(newRef().Abs(u), -refPrec-10)
	for k := 1; newRef().Abs(pow).Cmp(eps) >= 0; k++ {
		term := newRef().Quo(pow, bf(float64(k)))
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
		t := refTanh(newRef().Neg(x))
		return t.Neg(t)
	}
	m := refExpm1(newRef().Mul(x, bf(2)))
	return m.Quo(m, newRef().Add(m, bf(2)))
}

// roundDown and roundUp return the tightest float64 bounds of x (finite).
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
