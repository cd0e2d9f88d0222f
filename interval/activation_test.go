package interval

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// Accuracy documented in doc.go for the activation functions: each bound lies
// within actSteps ulp (of the bound) of the tightest bound, plus actAbs for
// SiLUPrime and SiLUPrime2, whose formulas cancel near their zeros.
const (
	actSteps = 10
	actAbs   = 0x1p-52
	// subAbs is the absolute slack allowed for results in or near the
	// subnormal range, where an ulp is a larger part of the value.
	subAbs = 0x1p-1060
)

// actFunc is an activation function under test with its reference, its
// derivative's reference and its critical points.
type actFunc struct {
	name  string
	f     func(Interval) Interval
	ref   func(*big.Float) *big.Float
	deriv func(*big.Float) *big.Float
	abs   float64   // absolute slack of the accuracy check
	crit  []float64 // lower ends of the critical-point brackets, or exact zeros
	zeros []float64 // near zeros of f, where the formulas cancel
}

var actFuncs = []actFunc{
	{"Sigmoid", Sigmoid, refSigmoid, refSoftplusPrime2, 0, nil, nil},
	{"SiLU", SiLU, refSiLU, refSiLUPrime, 0, []float64{siluArgMinLo}, nil},
	{"SiLUPrime", SiLUPrime, refSiLUPrime, refSiLUPrime2, actAbs, []float64{-siluPrimeArgHi, siluPrimeArgLo}, []float64{siluArgMinLo}},
	{"SiLUPrime2", SiLUPrime2, refSiLUPrime2, refSiLUPrime3, actAbs, []float64{-siluPrime2ArgHi, 0, siluPrime2ArgLo}, []float64{-siluPrimeArgHi, siluPrimeArgLo}},
	{"Softplus", Softplus, refSoftplus, refSigmoid, 0, nil, nil},
	{"SoftplusPrime", SoftplusPrime, refSigmoid, refSoftplusPrime2, 0, nil, nil},
	{"SoftplusPrime2", SoftplusPrime2, refSoftplusPrime2, refSoftplusPrime3, 0, []float64{0}, nil},
	{"TanhPrime", TanhPrime, refTanhPrime, refTanhPrime2, 0, []float64{0}, nil},
	{"TanhPrime2", TanhPrime2, refTanhPrime2, refTanhPrime3, 0, []float64{-tanhPrime2ArgHi, tanhPrime2ArgLo}, nil},
}

// actArg draws an argument: moderate, wide, tiny, large, or near a critical
// point or a zero of fn.
func actArg(r *rand.Rand, fn actFunc) float64 {
	special := append(append([]float64(nil), fn.crit...), fn.zeros...)
	switch r.IntN(6) {
	case 0:
		return uniform(r, -4, 4)
	case 1:
		return uniform(r, -40, 40)
	case 2:
		return signed(r, math.Ldexp(1+r.Float64(), -r.IntN(1080)))
	case 3:
		return signed(r, uniform(r, 40, 800))
	case 4:
		if len(special) > 0 {
			c := special[r.IntN(len(special))]
			return c + signed(r, math.Ldexp(r.Float64(), -r.IntN(55)))
		}
	}
	return float64(r.IntN(161)-80) / 8
}

// checkActPoint checks fn.f([z, z]) against the reference at z.
func checkActPoint(fn actFunc, z float64) error {
	ref := fn.ref(refArg(z))
	got := fn.f(Interval{z, z})
	want := Interval{roundDown(ref), roundUp(ref)}
	if !Subset(want, got) {
		return fmt.Errorf("%s(%x) = %v (%x, %x) misses %s", fn.name, z, got, got.Lo, got.Hi, ref.Text('g', 20))
	}
	if want.Lo-got.Lo > actSteps*ulpAt(want.Lo)+fn.abs+subAbs || got.Hi-want.Hi > actSteps*ulpAt(want.Hi)+fn.abs+subAbs {
		return fmt.Errorf("%s(%x) = %v (%x, %x), more than %d ulp outside the tightest [%x, %x]",
			fn.name, z, got, got.Lo, got.Hi, actSteps, want.Lo, want.Hi)
	}
	return nil
}

// TestActivationAccuracy compares every activation function at random points
// with its math/big reference: soundness and the documented accuracy.
func TestActivationAccuracy(t *testing.T) {
	t.Parallel()
	for i, fn := range actFuncs {
		r := newRand(40 + uint64(i))
		for range 2500 {
			if err := checkActPoint(fn, actArg(r, fn)); err != nil {
				t.Error(err)
			}
		}
	}
}

// actInterval draws an interval for fn: around a critical point or a zero,
// between two arguments, or from randInterval (infinite bounds included).
func actInterval(r *rand.Rand, fn actFunc) Interval {
	switch r.IntN(3) {
	case 0:
		return randInterval(r)
	case 1:
		if len(fn.crit) > 0 {
			c := fn.crit[r.IntN(len(fn.crit))]
			w := math.Ldexp(r.Float64(), -r.IntN(50))
			return Interval{c - w*r.Float64(), c + w*r.Float64()}
		}
	}
	x, y := actArg(r, fn), actArg(r, fn)
	return Interval{math.Min(x, y), math.Max(x, y)}
}

// TestActivationIntervals checks each activation function on random intervals:
// sound (f(a) meets the enclosure at every sampled point and contains the
// reference at some) and tight (f(a) lies within 2 ulp of the hull of the
// point enclosures at the endpoints, at the critical points inside a, and at
// 16 random points, so no critical value is added that a does not reach).
func TestActivationIntervals(t *testing.T) {
	t.Parallel()
	for i, fn := range actFuncs {
		r := newRand(60 + uint64(i))
		for k := range 6000 {
			a := actInterval(r, fn)
			got := fn.f(a)
			if !wellFormed(got) || got.IsEmpty() != a.IsEmpty() {
				t.Fatalf("%s(%v) = %v", fn.name, a, got)
			}
			if a.IsEmpty() {
				continue
			}
			pts := []float64{a.Lo, a.Hi}
			for _, c := range fn.crit {
				pts = append(pts, c, nextUp(c))
			}
			for range 16 {
				pts = append(pts, randPoint(r, a))
			}
			hull := Empty()
			for _, x := range pts {
				x = math.Max(-math.MaxFloat64, math.Min(x, math.MaxFloat64))
				if !a.Contains(x) {
					continue
				}
				p := fn.f(Interval{x, x})
				if Intersection(p, got).IsEmpty() {
					t.Fatalf("%s(%v) = %v is disjoint from %s([%x]) = %v", fn.name, a, got, fn.name, x, p)
				}
				hull = Hull(hull, p)
			}
			// The limits at infinite endpoints are not sampled points.
			if math.IsInf(a.Lo, 0) || math.IsInf(a.Hi, 0) {
				continue
			}
			if steps(got.Lo, hull.Lo) > 2 || steps(hull.Hi, got.Hi) > 2 {
				t.Fatalf("%s(%v) = %v (%x, %x) is wider than the sampled %v (%x, %x)", fn.name, a, got, got.Lo, got.Hi, hull, hull.Lo, hull.Hi)
			}
			if k%40 == 0 {
				x := randPoint(r, a)
				if math.Abs(x) < 1e4 && !bigContains(got, fn.ref(refArg(x))) {
					t.Fatalf("%s(%v) = %v misses %s(%x)", fn.name, a, got, fn.name, x)
				}
			}
		}
	}
}

// bisectRoot returns a root of f in [lo, hi], where f(lo) and f(hi) have
// opposite signs, to about 2⁻²⁵⁰ (the references' precision is 320 bits).
func bisectRoot(f func(*big.Float) *big.Float, lo, hi float64) *big.Float {
	a, b := bf(lo), bf(hi)
	sa := f(a).Sign()
	for range 250 {
		m := newRef().Add(a, b)
		m.SetMantExp(m, -1)
		if f(m).Sign() == sa {
			a = m
		} else {
			b = m
		}
	}
	return a
}

// TestCriticalPoints checks every critical-point constant: the argument
// bracket holds a sign change of the derivative (so the extremum is inside),
// and the value bracket holds the function's value at the root, found by
// bisection at 320 bits. Both brackets must be adjacent float64s.
func TestCriticalPoints(t *testing.T) {
	for _, tc := range []struct {
		name           string
		f, deriv       func(*big.Float) *big.Float
		argLo, argHi   float64
		valLo, valHi   float64
		derivIncreases bool // derivative goes from − to + (a minimum)
	}{
		{"SiLU min", refSiLU, refSiLUPrime, siluArgMinLo, siluArgMinHi, siluMinLo, siluMinHi, true},
		{"SiLUPrime min", refSiLUPrime, refSiLUPrime2, -siluPrimeArgHi, -siluPrimeArgLo, siluPrimeMinLo, siluPrimeMinHi, true},
		{"SiLUPrime max", refSiLUPrime, refSiLUPrime2, siluPrimeArgLo, siluPrimeArgHi, siluPrimeMaxLo, siluPrimeMaxHi, false},
		{"SiLUPrime2 min−", refSiLUPrime2, refSiLUPrime3, -siluPrime2ArgHi, -siluPrime2ArgLo, siluPrime2MinLo, siluPrime2MinHi, true},
		{"SiLUPrime2 min+", refSiLUPrime2, refSiLUPrime3, siluPrime2ArgLo, siluPrime2ArgHi, siluPrime2MinLo, siluPrime2MinHi, true},
		{"TanhPrime2 max", refTanhPrime2, refTanhPrime3, -tanhPrime2ArgHi, -tanhPrime2ArgLo, tanhPrime2MaxLo, tanhPrime2MaxHi, false},
		{"TanhPrime2 min", refTanhPrime2, refTanhPrime3, tanhPrime2ArgLo, tanhPrime2ArgHi, -tanhPrime2MaxHi, -tanhPrime2MaxLo, true},
	} {
		if nextUp(tc.argLo) != tc.argHi || nextUp(tc.valLo) != tc.valHi {
			t.Errorf("%s: brackets [%x, %x], [%x, %x] are not adjacent float64s", tc.name, tc.argLo, tc.argHi, tc.valLo, tc.valHi)
		}
		dLo, dHi := tc.deriv(bf(tc.argLo)).Sign(), tc.deriv(bf(tc.argHi)).Sign()
		if !tc.derivIncreases {
			dLo, dHi = -dLo, -dHi
		}
		if dLo != -1 || dHi != 1 {
			t.Errorf("%s: derivative signs %d, %d at [%x, %x], want a change", tc.name, dLo, dHi, tc.argLo, tc.argHi)
			continue
		}
		c := bisectRoot(tc.deriv, tc.argLo, tc.argHi)
		if v := tc.f(c); !(bf(tc.valLo).Cmp(v) < 0 && v.Cmp(bf(tc.valHi)) < 0) {
			t.Errorf("%s: f(%s) = %s not inside [%x, %x]", tc.name, c.Text('g', 25), v.Text('g', 25), tc.valLo, tc.valHi)
		}
	}
	// The SiLU minimum equals c + 1 (since 1 + c·(1 − s(c)) = 0 there), and
	// the tanh″ extrema are ±4/(3√3) at tanh z = ±1/√3.
	c := bisectRoot(refSiLUPrime, siluArgMinLo, siluArgMinHi)
	if got, want := roundDown(newRef().Add(c, bf(1))), siluMinLo; got != want {
		t.Errorf("RD(c+1) = %x, want siluMinLo %x", got, want)
	}
	m := newRef().Quo(bf(4), newRef().Mul(bf(3), newRef().Sqrt(bf(3))))
	if got := roundDown(m); got != tanhPrime2MaxLo {
		t.Errorf("RD(4/(3√3)) = %x, want %x", got, tanhPrime2MaxLo)
	}
	// The exact extrema at 0: SiLU″(0) = 1/2, s(0)(1 − s(0)) = 1/4, 1 − tanh²0 = 1.
	for _, e := range []struct {
		name  string
		f, d  func(*big.Float) *big.Float
		value float64
	}{
		{"SiLUPrime2", refSiLUPrime2, refSiLUPrime3, 0.5},
		{"SoftplusPrime2", refSoftplusPrime2, refSoftplusPrime3, 0.25},
		{"TanhPrime", refTanhPrime, refTanhPrime2, 1},
	} {
		if v := e.f(bf(0)); v.Cmp(bf(e.value)) != 0 {
			t.Errorf("%s(0) = %s, want %v", e.name, v.Text('g', 20), e.value)
		}
		if e.d(refArg(-eta)).Sign() != 1 || e.d(refArg(eta)).Sign() != -1 {
			t.Errorf("%s: derivative does not go from + to − across 0", e.name)
		}
	}
}

// TestMonotonePieces scans each function's derivative on [−40, 40] in steps
// of 1/8 and checks that it changes sign only across the listed critical
// points. Beyond |z| = 40 each derivative is e^{−|z|} times a polynomial in z
// with a nonzero leading term, up to a relative e^{−|z|}, so its sign is fixed
// (and the scan shows it at ±40).
func TestMonotonePieces(t *testing.T) {
	t.Parallel()
	for _, fn := range actFuncs {
		var changes []float64
		prev := fn.deriv(refArg(-40)).Sign()
		for i := -319; i <= 320; i++ {
			z := float64(i) / 8
			if s := fn.deriv(refArg(z)).Sign(); s != 0 && s != prev {
				changes = append(changes, z)
				prev = s
			}
		}
		if len(changes) != len(fn.crit) {
			t.Errorf("%s: derivative changes sign near %v, want one change per critical point %v", fn.name, changes, fn.crit)
			continue
		}
		for i, z := range changes {
			if c := fn.crit[i]; !(z-0.125 <= c && c <= z) {
				t.Errorf("%s: sign change in [%v, %v] has no critical point (%v)", fn.name, z-0.125, z, c)
			}
		}
	}
}

func TestActivationSpecialCases(t *testing.T) {
	e, all := Empty(), Entire()
	for _, tc := range []struct {
		name      string
		got, want Interval
	}{
		{"Sigmoid(Entire)", Sigmoid(all), Interval{0, 1}},
		{"Sigmoid(0)", Sigmoid(Interval{0, 0}), Interval{0.5, 0.5}},
		{"Sigmoid(Empty)", Sigmoid(e), e},
		{"SiLU(Entire)", SiLU(all), Interval{siluMinLo, inf}},
		{"SiLU(0)", SiLU(Interval{0, 0}), Interval{0, 0}},
		{"SiLU([-Inf,-2])", SiLU(Interval{ninf, -2}), Interval{siluDown(-2), 0}},
		{"SiLU([0,1])", SiLU(Interval{0, 1}), Interval{0, siluUp(1)}},
		{"SiLU([-1,0])", SiLU(Interval{-1, 0}), Interval{siluDown(-1), 0}},
		{"SiLU(Empty)", SiLU(e), e},
		{"SiLUPrime(0)", SiLUPrime(Interval{0, 0}), Interval{0.5, 0.5}},
		{"SiLUPrime(Entire)", SiLUPrime(all), Interval{siluPrimeMinLo, siluPrimeMaxHi}},
		{"SiLUPrime([+Inf-ish])", SiLUPrime(Interval{1000, inf}), Interval{1, nextUp(1)}},
		{"SiLUPrime2(0)", SiLUPrime2(Interval{0, 0}), Interval{0.5, 0.5}},
		{"SiLUPrime2(Entire)", SiLUPrime2(all), Interval{siluPrime2MinLo, 0.5}},
		{"Softplus(Entire)", Softplus(all), Interval{0, inf}},
		{"SoftplusPrime(Entire)", SoftplusPrime(all), Interval{0, 1}},
		{"SoftplusPrime2(Entire)", SoftplusPrime2(all), Interval{0, 0.25}},
		{"SoftplusPrime2(0)", SoftplusPrime2(Interval{0, 0}), Interval{0.25, 0.25}},
		{"TanhPrime(Entire)", TanhPrime(all), Interval{0, 1}},
		{"TanhPrime(0)", TanhPrime(Interval{0, 0}), Interval{1, 1}},
		{"TanhPrime2(0)", TanhPrime2(Interval{0, 0}), Interval{0, 0}},
		{"TanhPrime2(Entire)", TanhPrime2(all), Interval{-tanhPrime2MaxHi, tanhPrime2MaxHi}},
	} {
		if tc.got != tc.want || !wellFormed(tc.got) {
			t.Errorf("%s = %v (%x, %x), want %v (%x, %x)", tc.name, tc.got, tc.got.Lo, tc.got.Hi, tc.want, tc.want.Lo, tc.want.Hi)
		}
	}
}
