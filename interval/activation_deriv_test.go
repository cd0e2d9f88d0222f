package interval

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// Accuracy of the third and fourth derivatives on point intervals, as
// documented in doc.go: each bound lies within derivSteps ulp (of the bound)
// plus derivAbs of the tightest bound. The absolute term covers the
// cancellation of the sums near the zeros of the derivatives, where the
// terms (of size up to about 4) cancel to a small value.
const (
	derivSteps = 24
	derivAbs   = 0x1p-45
)

// derivFunc is a third or fourth derivative under test, with its reference
// and the reference of the derivative one order lower (whose central
// difference checks it).
type derivFunc struct {
	name     string
	f        func(Interval) Interval
	ref, low func(*big.Float) *big.Float
}

var derivFuncs = []derivFunc{
	{"SiLUPrime3", SiLUPrime3, refSiLUPrime3, refSiLUPrime2},
	{"SiLUPrime4", SiLUPrime4, refSiLUPrime4, refSiLUPrime3},
	{"SoftplusPrime3", SoftplusPrime3, refSoftplusPrime3, refSoftplusPrime2},
	{"SoftplusPrime4", SoftplusPrime4, refSoftplusPrime4, refSoftplusPrime3},
	{"TanhPrime3", TanhPrime3, refTanhPrime3, refTanhPrime2},
	{"TanhPrime4", TanhPrime4, refTanhPrime4, refTanhPrime3},
}

// refSiLUPrime4 returns SiLU⁗(z) = z·s⁗ + 4s‴ = u·(4(1 − 6u) + z(1 − 2s)(1 − 12u)),
// u = s(1 − s), from the derivatives of the sigmoid s′ = u, s″ = u(1 − 2s),
// s‴ = u(1 − 6u), s⁗ = u(1 − 2s)(1 − 12u).
func refSiLUPrime4(z *big.Float) *big.Float {
	s, sNeg := refSigmoidPair(z)
	u := num(z).Mul(s, sNeg)
	d := num(z).Sub(sNeg, s)
	a := num(z).Mul(u, numOf(z, -12))
	a.Add(a, numOf(z, 1))
	a.Mul(a, d)
	a.Mul(a, z)
	b := num(z).Mul(u, numOf(z, -24))
	b.Add(b, numOf(z, 4))
	a.Add(a, b)
	return a.Mul(a, u)
}

// refSoftplusPrime4 returns s‴ = u(1 − 6u), u = s(1 − s).
func refSoftplusPrime4(z *big.Float) *big.Float {
	u := refSoftplusPrime2(z)
	b := num(z).Mul(u, numOf(z, -6))
	b.Add(b, numOf(z, 1))
	return b.Mul(b, u)
}

// refTanhPrime4 returns tanh⁗ = −8·t·q·(1 − 3q), t = tanh z, q = 1 − t².
func refTanhPrime4(z *big.Float) *big.Float {
	t, q := refTanh(z), refTanhPrime(z)
	b := num(z).Mul(q, numOf(z, -3))
	b.Add(b, numOf(z, 1))
	b.Mul(b, q)
	b.Mul(b, t)
	return b.Mul(b, numOf(z, -8))
}

// TestDerivativeReferences checks each reference of a third or fourth
// derivative (and with it the references of the second and third ones)
// against the central difference of the reference one order lower, at 320
// bits with step 2⁻⁸⁰: the difference is within about 2⁻¹⁵⁰ of the
// derivative.
func TestDerivativeReferences(t *testing.T) {
	t.Parallel()
	h := bf(0x1p-80)
	for _, fn := range derivFuncs {
		for i := -96; i <= 96; i++ {
			z := bf(float64(i) * 0.3125)
			hi, lo := fn.low(newRef().Add(z, h)), fn.low(newRef().Sub(z, h))
			fd := hi.Sub(hi, lo)
			fd.Quo(fd, newRef().Mul(h, bf(2)))
			want := fn.ref(z)
			diff, _ := newRef().Sub(fd, want).Float64()
			if math.Abs(diff) > 0x1p-120 {
				t.Errorf("%s(%s) = %s, central difference of the lower derivative %s",
					fn.name, z.Text('g', 10), want.Text('g', 25), fd.Text('g', 25))
			}
		}
	}
}

// derivZeros returns float64 approximations of the zeros of ref in
// [−40, 40], found by a scan in steps of 1/8 and bisection.
func derivZeros(ref func(*big.Float) *big.Float) []float64 {
	var zeros []float64
	prev := ref(bf(-40)).Sign()
	for i := -319; i <= 320; i++ {
		z := float64(i) / 8
		s := ref(bf(z)).Sign()
		if s == 0 {
			zeros = append(zeros, z)
		} else if prev != 0 && s != prev {
			c, _ := bisectRoot(ref, z-0.125, z).Float64()
			zeros = append(zeros, c)
		}
		prev = s
	}
	return zeros
}

// derivArg draws an argument: moderate, wide, tiny, large, or near a zero of
// the function (where its formula cancels).
func derivArg(r *rand.Rand, zeros []float64) float64 {
	switch r.IntN(5) {
	case 0:
		return uniform(r, -4, 4)
	case 1:
		return uniform(r, -40, 40)
	case 2:
		return signed(r, math.Ldexp(1+r.Float64(), -r.IntN(1080)))
	case 3:
		return signed(r, uniform(r, 40, 800))
	}
	return zeros[r.IntN(len(zeros))] + signed(r, math.Ldexp(r.Float64(), -r.IntN(55)))
}

// TestDerivativeAccuracy compares every third and fourth derivative on point
// intervals with its math/big reference: soundness and the documented
// accuracy. It reports the largest error found: absolute for moderate
// arguments, where the sums of the formulas cancel near the zeros, and in ulp
// for tiny and large ones, where the values are small and so are the terms.
func TestDerivativeAccuracy(t *testing.T) {
	t.Parallel()
	for i, fn := range derivFuncs {
		r := newRand(80 + uint64(i))
		zeros := derivZeros(fn.ref)
		var worstSteps, worstAbs float64
		for range 2500 {
			z := derivArg(r, zeros)
			ref := fn.ref(refArg(z))
			got := fn.f(Interval{z, z})
			want := Interval{roundDown(ref), roundUp(ref)}
			if !Subset(want, got) {
				t.Errorf("%s(%x) = %v (%x, %x) misses %s", fn.name, z, got, got.Lo, got.Hi, ref.Text('g', 20))
				continue
			}
			errLo, errHi := want.Lo-got.Lo, got.Hi-want.Hi
			if errLo > derivSteps*ulpAt(want.Lo)+derivAbs+subAbs || errHi > derivSteps*ulpAt(want.Hi)+derivAbs+subAbs {
				t.Errorf("%s(%x) = %v (%x, %x), more than %d ulp + %g outside the tightest [%x, %x]",
					fn.name, z, got, got.Lo, got.Hi, derivSteps, derivAbs, want.Lo, want.Hi)
			}
			switch az := math.Abs(z); {
			case 0x1p-20 <= az && az <= 40:
				worstAbs = max(worstAbs, errLo, errHi)
			case math.Abs(want.Lo) > 0x1p-1000 && math.Abs(want.Hi) > 0x1p-1000: // not near subnormal
				worstSteps = max(worstSteps, float64(steps(got.Lo, want.Lo)), float64(steps(want.Hi, got.Hi)))
			}
		}
		t.Logf("%-14s (zeros %v): bounds at most %.3g·2⁻⁵² outside the tightest ones for 2⁻²⁰ ≤ |z| ≤ 40, at most %.0f ulp beyond (values above 2⁻¹⁰⁰⁰)",
			fn.name, fmtZeros(zeros), worstAbs/0x1p-52, worstSteps)
	}
}

func fmtZeros(z []float64) string {
	s := make([]string, len(z))
	for i, v := range z {
		s[i] = fmt.Sprintf("%.6g", v)
	}
	return fmt.Sprint(s)
}

// derivInterval draws a nonempty interval: from randInterval (infinite and
// huge bounds included), around a zero of the function, or of a width from
// 2⁻⁴⁰ to 8 between moderate arguments.
func derivInterval(r *rand.Rand, zeros []float64) Interval {
	switch r.IntN(3) {
	case 0:
		if a := randInterval(r); !a.IsEmpty() {
			return a
		}
	case 1:
		c := zeros[r.IntN(len(zeros))]
		w := math.Ldexp(r.Float64(), -r.IntN(40))
		return Interval{c - w*r.Float64(), c + w*r.Float64()}
	}
	lo := uniform(r, -12, 12)
	return Interval{lo, lo + math.Ldexp(1+r.Float64(), -r.IntN(43)+3)}
}

// TestDerivativeIntervals checks each third and fourth derivative on random
// intervals for soundness: the enclosure contains the 320-bit reference at
// the endpoints and at 24 points inside. It reports how much wider than the
// sampled range the enclosures are (the natural interval extension is not
// tight; see activation.go), as the median and the largest ratio of widths
// over intervals of widths 2⁻²⁰ to 2⁻¹⁰, 2⁻¹⁰ to 1/4 and 1/4 to 16.
func TestDerivativeIntervals(t *testing.T) {
	t.Parallel()
	for i, fn := range derivFuncs {
		r := newRand(100 + uint64(i))
		zeros := derivZeros(fn.ref)
		ratios := make([][]float64, 3)
		for range 3000 {
			a := derivInterval(r, zeros)
			got := fn.f(a)
			if !wellFormed(got) || got.IsEmpty() {
				t.Fatalf("%s(%v) = %v", fn.name, a, got)
			}
			pts := []float64{a.Lo, a.Hi}
			for range 24 {
				pts = append(pts, randPoint(r, a))
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, x := range pts {
				if !isFinite(x) || math.Abs(x) > 1e4 {
					continue
				}
				ref := fn.ref(refArg(x))
				if !bigContains(got, ref) {
					t.Fatalf("%s(%v) = %v (%x, %x) misses %s(%x) = %s", fn.name, a, got, got.Lo, got.Hi, fn.name, x, ref.Text('g', 20))
				}
				v, _ := ref.Float64()
				lo, hi = min(lo, v), max(hi, v)
			}
			if w := a.Hi - a.Lo; isFinite(w) && hi > lo && 0x1p-20 <= w && w <= 16 {
				k := 0
				switch {
				case w > 0.25:
					k = 2
				case w > 0x1p-10:
					k = 1
				}
				ratios[k] = append(ratios[k], got.Width()/(hi-lo))
			}
		}
		report := ""
		for k, rs := range ratios {
			if len(rs) == 0 {
				continue
			}
			slices.Sort(rs)
			report += fmt.Sprintf("  [%s] median %.3g, max %.3g (%d)", []string{"2⁻²⁰, 2⁻¹⁰", "2⁻¹⁰, 1/4", "1/4, 16"}[k], rs[len(rs)/2], rs[len(rs)-1], len(rs))
		}
		t.Logf("%-14s width / sampled range:%s", fn.name, report)
	}
}

func TestDerivativeSpecialCases(t *testing.T) {
	e, all, zero := Empty(), Entire(), Interval{0, 0}
	for _, tc := range []struct {
		name      string
		got, want Interval
	}{
		{"SiLUPrime3(Empty)", SiLUPrime3(e), e},
		{"SiLUPrime3(0)", SiLUPrime3(zero), zero},
		{"SiLUPrime3(Entire)", SiLUPrime3(all), all},
		{"SiLUPrime4(Empty)", SiLUPrime4(e), e},
		{"SiLUPrime4(0)", SiLUPrime4(zero), Interval{-0.5, -0.5}},
		{"SiLUPrime4(Entire)", SiLUPrime4(all), all},
		{"SoftplusPrime3(Empty)", SoftplusPrime3(e), e},
		{"SoftplusPrime3(0)", SoftplusPrime3(zero), zero},
		{"SoftplusPrime3(Entire)", SoftplusPrime3(all), Interval{-0.25, 0.25}},
		{"SoftplusPrime4(Empty)", SoftplusPrime4(e), e},
		{"SoftplusPrime4(0)", SoftplusPrime4(zero), Interval{-0.125, -0.125}},
		{"SoftplusPrime4(Entire)", SoftplusPrime4(all), Interval{-0.125, 0.25}},
		{"TanhPrime3(Empty)", TanhPrime3(e), e},
		{"TanhPrime3(0)", TanhPrime3(zero), Interval{-2, -2}},
		{"TanhPrime3(Entire)", TanhPrime3(all), Interval{-2, 4}},
		{"TanhPrime4(Empty)", TanhPrime4(e), e},
		{"TanhPrime4(0)", TanhPrime4(zero), zero},
		{"TanhPrime4(Entire)", TanhPrime4(all), Interval{-16, 16}},
	} {
		if tc.got != tc.want || !wellFormed(tc.got) {
			t.Errorf("%s = %v (%x, %x), want %v (%x, %x)", tc.name, tc.got, tc.got.Lo, tc.got.Hi, tc.want, tc.want.Lo, tc.want.Hi)
		}
	}
}
