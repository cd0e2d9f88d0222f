//go:build goexperiment.simd && amd64

package mlp

import (
	"math"
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

func skipNoAVX512(t testing.TB) {
	if !useSIMD() {
		t.Skip("CPU without AVX-512")
	}
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
