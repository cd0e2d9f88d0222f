package interval

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// Largest distance, in float64 steps, of a bound of Exp or Log (expLogSteps)
// and of Tanh (tanhSteps) from the tightest bound, as documented in doc.go.
const (
	expLogSteps = 2
	tanhSteps   = 3
)

// elemFunc is a transcendental function under test with its 320-bit
// reference and a generator of arguments that covers its hard ranges.
type elemFunc struct {
	name  string
	f     func(Interval) Interval
	ref   func(float64) *big.Float
	steps int64
	gen   func(*rand.Rand) float64
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

func signed(r *rand.Rand, x float64) float64 {
	if r.IntN(2) == 0 {
		return -x
	}
	return x
}

var elemFuncs = []elemFunc{
	{"Exp", Exp, func(x float64) *big.Float { return refExp(refArg(x)) }, expLogSteps, func(r *rand.Rand) float64 {
		switch r.IntN(6) {
		case 0:
			return uniform(r, -745.2, 709.8)
		case 1:
			return uniform(r, -2, 2)
		case 2:
			return signed(r, math.Ldexp(1+r.Float64(), -r.IntN(1080)))
		case 3:
			return uniform(r, 709.7, 709.8) // overflow threshold ln(MaxFloat64) ≈ 709.7827
		case 4:
			return uniform(r, -745.2, -708) // subnormal results
		}
		return float64(r.IntN(41)-20) / 4
	}},
	{"Log", Log, func(x float64) *big.Float { return refLog(bf(x)) }, expLogSteps, func(r *rand.Rand) float64 {
		switch r.IntN(5) {
		case 0:
			return math.Exp(uniform(r, -744, 709))
		case 1:
			return 1 + signed(r, math.Ldexp(r.Float64(), -r.IntN(60)))
		case 2:
			return math.Float64frombits(1 + r.Uint64N(1<<52)) // subnormal
		case 3:
			return math.Ldexp(1+r.Float64(), 1000+r.IntN(24))
		}
		return uniform(r, 0.5, 2)
	}},
	{"Tanh", Tanh, func(x float64) *big.Float { return refTanh(refArg(x)) }, tanhSteps, func(r *rand.Rand) float64 {
		switch r.IntN(4) {
		case 0:
			return uniform(r, -1, 1)
		case 1:
			return uniform(r, -25, 25)
		case 2:
			return signed(r, math.Ldexp(1+r.Float64(), -r.IntN(1080)))
		}
		return signed(r, uniform(r, 18, 22)) // saturation at 20
	}},
}

// checkPointAccuracy checks f([x, x]) ⊇ the tightest enclosure of the
// reference value, with each bound at most steps float64 steps outside it.
func checkPointAccuracy(f func(Interval) Interval, ref *big.Float, x float64, steps int64) error {
	got := f(Interval{x, x})
	want := Interval{roundDown(ref), roundUp(ref)}
	if err := checkEnclosure(got, want, steps); err != nil {
		return fmt.Errorf("at %x (%v): %v", x, x, err)
	}
	return nil
}

// TestElemAccuracy compares Exp, Log and Tanh at random points with 320-bit
// references: soundness and the documented accuracy.
func TestElemAccuracy(t *testing.T) {
	t.Parallel()
	for i, fn := range elemFuncs {
		r := newRand(10 + uint64(i))
		for range 12000 {
			x := fn.gen(r)
			if err := checkPointAccuracy(fn.f, fn.ref(x), x, fn.steps); err != nil {
				t.Errorf("%s %v", fn.name, err)
			}
		}
	}
}

// TestElemIntervals checks, on random intervals, that f(a) meets f([x, x])
// for points x ∈ a (cheap, so many draws: both must contain f(x)), and that
// f(a) contains the 320-bit reference at every 20th of them.
func TestElemIntervals(t *testing.T) {
	t.Parallel()
	for i, fn := range elemFuncs {
		r := newRand(20 + uint64(i))
		for k := range 100000 {
			a := randInterval(r)
			if r.IntN(2) == 0 {
				x, y := fn.gen(r), fn.gen(r)
				a = Interval{math.Min(x, y), math.Max(x, y)}
			}
			got := fn.f(a)
			if !wellFormed(got) {
				t.Fatalf("%s(%v) = %v is not well-formed", fn.name, a, got)
			}
			if a.IsEmpty() {
				continue
			}
			x := randPoint(r, a)
			if p := fn.f(Interval{x, x}); !p.IsEmpty() && Intersection(p, got).IsEmpty() {
				t.Fatalf("%s(%v) = %v is disjoint from %s([%x]) = %v", fn.name, a, got, fn.name, x, p)
			}
			if k%20 == 0 && math.Abs(x) < 1e5 && (fn.name != "Log" || x > 0) {
				if ref := fn.ref(x); !bigContains(got, ref) {
					t.Fatalf("%s(%v) = %v misses %s(%x) = %s", fn.name, a, got, fn.name, x, ref.Text('g', 20))
				}
			}
		}
	}
}

// TestReferenceData checks the constants the reductions rely on against the
// 320-bit ln 2, and the series references against known values.
func TestReferenceData(t *testing.T) {
	l := refLn2(refPrec)
	rest := newRef().Sub(l, bf(ln2Hi))
	if !(bf(ln2RestLo).Cmp(rest) < 0 && rest.Cmp(bf(ln2RestHi)) < 0 && nextUp(ln2RestLo) == ln2RestHi) {
		t.Errorf("ln 2 − ln2Hi = %s not strictly inside adjacent [%x, %x]", rest.Text('g', 30), ln2RestLo, ln2RestHi)
	}
	if roundDown(l) != math.Ln2 && roundUp(l) != math.Ln2 {
		t.Errorf("ln 2 reference %s disagrees with math.Ln2", l.Text('g', 30))
	}
	// The atanh series (used above 370 bits) agrees with ln2Text.
	if d := newRef().Sub(refLn2(400), l); d.Sign() != 0 && d.MantExp(nil) > -315 {
		t.Errorf("ln 2 series %s differs from ln2Text %s", refLn2(400).Text('g', 40), l.Text('g', 40))
	}
	e := refExp(refArg(1))
	if got, _ := e.Float64(); got != math.E {
		t.Errorf("refExp(1) = %v, want %v", got, math.E)
	}
	if got, _ := refLog(refArg(10)).Float64(); got != math.Ln10 {
		t.Errorf("refLog(10) = %v, want %v", got, math.Ln10)
	}
	if got, _ := refLog(e).Float64(); got != 1 {
		t.Errorf("refLog(e) = %v, want 1", got)
	}
	// expOverflow and expUnderflow bracket the over- and underflow thresholds.
	if bf(expOverflow).Cmp(refLog(refArg(math.MaxFloat64))) <= 0 {
		t.Errorf("expOverflow %v ≤ ln(MaxFloat64)", expOverflow)
	}
	if bf(expUnderflow).Cmp(refLog(refArg(eta))) >= 0 {
		t.Errorf("expUnderflow %v ≥ ln(2⁻¹⁰⁷⁴)", expUnderflow)
	}
	// 1 − tanh 20 < 2⁻⁵³ (tanhSaturate).
	if d := newRef().Sub(bf(1), refTanh(refArg(tanhSaturate))); d.Cmp(bf(0x1p-53)) >= 0 {
		t.Errorf("1 − tanh(%v) = %s ≥ 2⁻⁵³", float64(tanhSaturate), d.Text('g', 10))
	}
}

// ulpAt returns the spacing of float64 numbers in the binade of x (the
// subnormal spacing below 2⁻¹⁰²²).
func ulpAt(x float64) float64 {
	if x == 0 {
		return eta
	}
	_, e := math.Frexp(x)
	return math.Max(math.Ldexp(1, e-53), eta)
}

// TestWiden checks widenDown and widenUp on the binade edges where one step
// is not enough: they must cover every f with |y − f| < ulp, the ulp taken
// at y or at f, and stay within 2 steps of y.
func TestWiden(t *testing.T) {
	for _, y := range []float64{1, 2, 0.5, nextDown(1), nextUp(1), nextDown(2), -1, -2, nextDown(-1), nextUp(-1), 0x1p-1022, nextDown(0x1p-1022), eta, 0, 3, -3, -math.MaxFloat64, math.MaxFloat64} {
		lo, hi := widenDown(y), widenUp(y)
		dn := math.Max(ulpAt(y), ulpAt(y-ulpAt(y)))
		up := math.Max(ulpAt(y), ulpAt(y+ulpAt(y)))
		below, above := newRef().Sub(bf(y), bf(dn)), newRef().Add(bf(y), bf(up))
		if bf(lo).Cmp(below) > 0 || bf(hi).Cmp(above) < 0 {
			t.Errorf("widen(%x) = [%x, %x] does not cover (y − %x, y + %x)", y, lo, hi, dn, up)
		}
		if steps(lo, y) > 2 || steps(y, hi) > 2 {
			t.Errorf("widen(%x) = [%x, %x] is more than 2 steps wide", y, lo, hi)
		}
	}
}
