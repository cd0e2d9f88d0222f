//go:build goexperiment.simd && amd64

package mlp

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// apply8 returns f applied to xs, 8 lanes at a time (xs is padded with zeros).
func apply8(f func(vec) vec, xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i := 0; i < len(xs); i += lanes {
		var in, res [lanes]float64
		copy(in[:], xs[i:])
		f(ld(&in)).Store(&res)
		copy(out[i:], res[:])
	}
	return out
}

// ulpDiff returns |got − want| in units of the last place of want (of the
// smallest normal number for subnormal want), 0 if both are the same value or
// both NaN, and +Inf if exactly one is NaN or infinite.
func ulpDiff(got, want float64) float64 {
	switch {
	case got == want || (math.IsNaN(got) && math.IsNaN(want)):
		return 0
	case math.IsNaN(got) || math.IsNaN(want) || math.IsInf(got, 0) || math.IsInf(want, 0):
		return math.Inf(1)
	}
	ulp := math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want)
	return math.Abs(got-want) / ulp
}

func skipNoAVX512(t testing.TB) {
	if !useSIMD() {
		t.Skip("CPU without AVX-512")
	}
}

// refExp returns e^x correctly rounded (barring a tie closer than 2⁻²⁵⁰),
// from the Taylor series of e^(x/2¹²) in 300-bit arithmetic, squared 12 times.
func refExp(x float64) float64 {
	switch {
	case math.IsNaN(x) || x > 710:
		return math.Exp(x)
	case x < -746:
		return 0
	}
	const prec = 300
	y := new(big.Float).SetPrec(prec).SetFloat64(x)
	y.SetMantExp(y, -12)
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := int64(1); k < 80; k++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		sum.Add(sum, term)
	}
	for range 12 {
		sum.Mul(sum, sum)
	}
	f, _ := sum.Float64()
	return f
}

// TestExp8 checks exp8 against the correctly rounded e^x: special cases
// exactly, and at most 1 ulp (of the smallest subnormal, for subnormal
// results) on a sweep of [−746, 710] and on random arguments, which covers
// overflow, gradual underflow and the rounding to 0. (math.Exp on amd64 is no
// reference near overflow: it returns +Inf from x ≈ 709.44 on.)
func TestExp8(t *testing.T) {
	skipNoAVX512(t)
	for _, tc := range []struct{ x, want float64 }{
		{0, 1},
		{math.Copysign(0, -1), 1},
		{math.Inf(1), math.Inf(1)},
		{math.Inf(-1), 0},
		{1e300, math.Inf(1)},
		{709.79, math.Inf(1)},
		{-746, 0},
		{-1e300, 0},
		{math.SmallestNonzeroFloat64, 1},
		{-math.SmallestNonzeroFloat64, 1},
	} {
		if got := apply8(exp8, []float64{tc.x})[0]; got != tc.want || math.Signbit(got) {
			t.Errorf("exp8(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if got := apply8(exp8, []float64{math.NaN()})[0]; !math.IsNaN(got) {
		t.Errorf("exp8(NaN) = %v, want NaN", got)
	}

	rng := rand.New(rand.NewPCG(1, 1))
	xs := []float64{709.78, 709.782712893384, -708.39, -708.4, -745.13, -745.14, 1, -1, math.Ln2 / 2, -math.Ln2 / 2}
	for x := -746.0; x <= 710; x += 0.377 {
		xs = append(xs, x)
	}
	for range 1000 {
		xs = append(xs, 1456*rng.Float64()-746, 2*rng.Float64()-1, 1e-6*rng.NormFloat64(), 36*rng.Float64()-746)
	}
	got := apply8(exp8, xs)
	worst, at, exact := 0.0, 0.0, 0
	for i, x := range xs {
		want := refExp(x)
		d := ulpDiff(got[i], want)
		if want < 0x1p-1022 {
			d = math.Abs(got[i]-want) / math.SmallestNonzeroFloat64
		}
		if d > worst {
			worst, at = d, x
		}
		if d == 0 {
			exact++
		}
	}
	if worst > 1 {
		t.Errorf("exp8: %.3g ulp from e^x at x = %v, want ≤ 1", worst, at)
	}
	t.Logf("exp8: max %.3g ulp from the correctly rounded e^x (at x = %v); %d of %d correctly rounded",
		worst, at, exact, len(xs))
}

// TestSigmoid8 checks s = 1/(1 + e⁻ᶻ) and c = 1 − s against the same formulas
// in scalar arithmetic with math.Exp, to 4 ulp relative across saturation,
// including z where s or c underflows, and the limits at ±Inf.
func TestSigmoid8(t *testing.T) {
	skipNoAVX512(t)
	zs := []float64{0, 1e-300, -1e-300, 0.5, -0.5, 20, -20, 36.7, -36.7, 40, -40, 700, -700,
		708, -708, 745, -745, 746, -746, 800, -800, 1e300, -1e300, math.Inf(1), math.Inf(-1)}
	rng := rand.New(rand.NewPCG(2, 2))
	for range 20000 {
		zs = append(zs, 60*rng.NormFloat64(), 3*rng.NormFloat64())
	}
	s8 := apply8(func(z vec) vec { s, _ := sigmoid8(z, exp8(negAbs(z))); return s }, zs)
	c8 := apply8(func(z vec) vec { _, c := sigmoid8(z, exp8(negAbs(z))); return c }, zs)
	for i, z := range zs {
		e := math.Exp(-math.Abs(z))
		s, c := 1/(1+e), e/(1+e)
		if z < 0 {
			s, c = c, s
		}
		if ds, dc := ulpDiff(s8[i], s), ulpDiff(c8[i], c); (ds > 4 && s > 0x1p-1022) || (dc > 4 && c > 0x1p-1022) ||
			math.Abs(s8[i]-s) > 4*math.SmallestNonzeroFloat64+4*0x1p-53*s {
			t.Errorf("sigmoid8(%v) = %v, %v; want %v, %v", z, s8[i], c8[i], s, c)
		}
	}
	for _, z := range []float64{math.Inf(1), 800} {
		if r := apply8(func(z vec) vec { s, _ := sigmoid8(z, exp8(negAbs(z))); return s }, []float64{z, -z}); r[0] != 1 || r[1] != 0 {
			t.Errorf("sigmoid8(±%v) = %v, want [1 0]", z, r[:2])
		}
	}
}

// TestLog1p8 checks log1p8 against math.Log1p on [0, 1] to 1 ulp, including
// arguments so small that 1 + t rounds to 1.
func TestLog1p8(t *testing.T) {
	skipNoAVX512(t)
	ts := []float64{0, 1, 0x1p-60, 1e-300, math.SmallestNonzeroFloat64, 0x1p-53, 0x1p-52, math.Sqrt2 - 1, 0.5}
	rng := rand.New(rand.NewPCG(3, 3))
	for range 50000 {
		ts = append(ts, rng.Float64(), math.Exp(-700*rng.Float64()))
	}
	got := apply8(log1p8, ts)
	worst, at := 0.0, 0.0
	for i, x := range ts {
		if d := ulpDiff(got[i], math.Log1p(x)); d > worst {
			worst, at = d, x
		}
	}
	if worst > 1 {
		t.Errorf("log1p8: %.3g ulp from math.Log1p at t = %v, want ≤ 1", worst, at)
	}
	t.Logf("log1p8: max %.3g ulp from math.Log1p (at t = %v)", worst, at)
	if r := apply8(log1p8, []float64{math.NaN()}); !math.IsNaN(r[0]) {
		t.Errorf("log1p8(NaN) = %v, want NaN", r[0])
	}
}

// TestActivateLayer checks σ, σ′ and σ″ of every activation against
// Activation.Eval: within 8·2⁻⁵³·max(|Eval|, 1), i.e. 8 ulp relative for large
// values and absolute below 1, where Eval's Tanh cancels (its 1 − e^−2|z|
// loses relative accuracy for small |z|).
func TestActivateLayer(t *testing.T) {
	skipNoAVX512(t)
	zs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-12, 1e-8, 0.3, -0.624, 0.625, -0.626, 1, -1.2784645428, 2.3993572805,
		-2.3993572805, 10, -10, 19, -19, 40, -40, 300, -300, 800, -800}
	rng := rand.New(rand.NewPCG(4, 4))
	for range 5000 {
		zs = append(zs, 4*rng.NormFloat64(), 40*rng.NormFloat64())
	}
	for _, act := range evalActs {
		var out [3][]float64
		for q := range out {
			out[q] = apply8(func(z vec) vec {
				a, ad := [][lanes]float64{{}}, [][lanes]float64{{1, 1, 1, 1, 1, 1, 1, 1}}
				d1, d2 := make([][lanes]float64, 1), make([][lanes]float64, 1)
				z.Store(&a[0])
				activateLayer(act, modeHVP, a, ad, d1, d2)
				return ld(&[3][][lanes]float64{a, d1, d2}[q][0])
			}, zs)
		}
		if r := apply8(func(z vec) vec {
			a, ad, d1, t := make([][lanes]float64, 1), make([][lanes]float64, 1), make([][lanes]float64, 1), make([][lanes]float64, 1)
			z.Store(&a[0])
			activateLayer(act, modeValue, a, ad, d1, t)
			return ld(&a[0])
		}, []float64{math.NaN()}); !math.IsNaN(r[0]) {
			t.Errorf("%v(NaN) = %v, want NaN", act, r[0])
		}
		for i, z := range zs {
			f, d1, d2, _ := act.Eval(z)
			for q, want := range []float64{f, d1, d2} {
				got := out[q][i]
				if d := math.Abs(got - want); !(d <= 8*0x1p-53*max(math.Abs(want), 1)) {
					t.Errorf("%v: derivative %d at z = %v: activateLayer %v, Eval %v", act, q, z, got, want)
				}
			}
		}
	}
}

// BenchmarkActivateLayer times σ, σ′, σ″ of SiLU on a layer of 64 nodes × 8
// lanes; ns/op is per layer.
func BenchmarkActivateLayer(b *testing.B) {
	skipNoAVX512(b)
	z := make([][lanes]float64, 64)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range z {
		for k := range z[i] {
			z[i][k] = 3 * rng.NormFloat64()
		}
	}
	a, ad := make([][lanes]float64, 64), make([][lanes]float64, 64)
	d1, d2 := make([][lanes]float64, 64), make([][lanes]float64, 64)
	for b.Loop() {
		copy(a, z)
		activateLayer(SiLU, modeHVP, a, ad, d1, d2)
	}
	sinkValue = a[0][0] + ad[0][0] + d1[0][0] + d2[0][0]
}
