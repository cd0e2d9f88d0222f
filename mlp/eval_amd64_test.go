//go:build amd64 && !purego

package mlp

import (
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

// asmISAs returns the assembly kernels' instruction sets this CPU runs, by
// name.
func asmISAs() map[string]*asmFuncs {
	m := map[string]*asmFuncs{}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ {
		m["avx512"] = avx512Funcs
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		m["avx2"] = avx2Funcs
	}
	return m
}

// asmExp returns e^x of the assembly exponential of the instruction set
// named isa, for xs padded to whole [8]float64 with zeros.
func asmExp(isa string, xs []float64) []float64 {
	units := (len(xs) + lanes - 1) / lanes
	in, out := make([]float64, units*lanes), make([]float64, units*lanes)
	copy(in, xs)
	exp := evExpAVX2
	if isa == "avx512" {
		exp = evExpAVX512
	}
	exp(&out[0], &in[0], units)
	return out[:len(xs)]
}

// TestAsmExp checks the exponential of the assembly kernels (the e^−|z| of
// the activations): special cases exactly; at most 1 ulp from the correctly
// rounded e^x (1 unit of 2⁻¹⁰⁷⁴ for subnormal results) and at most 2 ulp from
// math.Exp on a sweep of [−746, 710] and on random arguments, which covers
// overflow, gradual underflow and the rounding to 0; and the same bits on
// AVX2 and AVX-512 as expGo, the exponential of the plain-Go kernels.
func TestAsmExp(t *testing.T) {
	isas := asmISAs()
	if len(isas) == 0 {
		t.Skip("CPU without AVX2+FMA or AVX-512")
	}
	special := []struct{ x, want float64 }{
		{0, 1}, {math.Copysign(0, -1), 1}, {math.Inf(1), math.Inf(1)}, {math.Inf(-1), 0},
		{1e300, math.Inf(1)}, {709.79, math.Inf(1)}, {-746, 0}, {-1e300, 0},
		{math.SmallestNonzeroFloat64, 1}, {-math.SmallestNonzeroFloat64, 1},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	xs := []float64{709.78, 709.782712893384, -708.39, -708.4, -745.13, -745.14, 1, -1, math.Ln2 / 2, -math.Ln2 / 2}
	for x := -746.0; x <= 710; x += 0.377 {
		xs = append(xs, x)
	}
	for range 800 {
		xs = append(xs, 1456*rng.Float64()-746, 2*rng.Float64()-1, 1e-6*rng.NormFloat64(),
			36*rng.Float64()-746, -40*rng.Float64())
	}
	var results [][]float64
	for name := range isas {
		for _, tc := range special {
			if got := asmExp(name, []float64{tc.x})[0]; got != tc.want || math.Signbit(got) {
				t.Errorf("%s: exp(%v) = %v, want %v", name, tc.x, got, tc.want)
			}
		}
		if got := asmExp(name, []float64{math.NaN()})[0]; !math.IsNaN(got) {
			t.Errorf("%s: exp(NaN) = %v, want NaN", name, got)
		}
		got := asmExp(name, xs)
		results = append(results, got)
		for i, x := range xs {
			if want := expGo(x); math.Float64bits(got[i]) != math.Float64bits(want) {
				t.Errorf("%s: exp(%v) = %v, expGo %v", name, x, got[i], want)
				break
			}
		}
		worst, worstGo, at, exact := 0.0, 0.0, 0.0, 0
		for i, x := range xs {
			want := refExp(x)
			d, dGo := ulpDiff(got[i], want), ulpDiff(got[i], math.Exp(x))
			if want < 0x1p-1022 {
				d = math.Abs(got[i]-want) / math.SmallestNonzeroFloat64
				dGo = math.Abs(got[i]-math.Exp(x)) / math.SmallestNonzeroFloat64
			}
			if d > worst {
				worst, at = d, x
			}
			if x < 709 { // math.Exp on amd64 overflows from x ≈ 709.44 on
				worstGo = max(worstGo, dGo)
			}
			if d == 0 {
				exact++
			}
		}
		if worst > 1 {
			t.Errorf("%s: exp is %.3g ulp from e^x at x = %v, want ≤ 1", name, worst, at)
		}
		if worstGo > 2 {
			t.Errorf("%s: exp is %.3g ulp from math.Exp, want ≤ 2", name, worstGo)
		}
		t.Logf("%s: exp: max %.3g ulp from the correctly rounded e^x (at x = %v), %.3g from math.Exp; %d of %d correctly rounded",
			name, worst, at, worstGo, exact, len(xs))
	}
	if len(results) == 2 && !sameBits(results[0], results[1]) {
		t.Error("exp: AVX2 and AVX-512 differ")
	}
}

// TestAsmActivations checks σ, σ′ and σ″ of the assembly activations, and
// σ′·ż, σ″·ż of their tangent variants, against Activation.Eval to 8 ulp
// relative to max(|value|, 1), on 1 to 9 nodes (so both the unrolled loops
// and their remainders run), including |z| where e^−|z| underflows; and the
// same bits on AVX2 and AVX-512 as activateLanesGo, the activations of the
// plain-Go kernel (σ′·ż and σ″·ż one rounded product each).
func TestAsmActivations(t *testing.T) {
	isas := asmISAs()
	if len(isas) == 0 {
		t.Skip("CPU without AVX2+FMA or AVX-512")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	zs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 0.5, -0.5, 1, -1, 2.3993572805, -2.3993572805,
		0.625, -0.625, 10, -10, 19, -19, 40, -40, 300, -300, 708, -708, 745, -745, 800, -800}
	for len(zs) < 9*lanes {
		zs = append(zs, 4*rng.NormFloat64(), 40*rng.NormFloat64(), 1e-3*rng.NormFloat64())
	}
	zs = zs[:9*lanes]
	for _, act := range evalActs {
		var results [][]float64
		for name, f := range isas {
			for nodes := 1; nodes <= 9; nodes++ {
				z := zs[:nodes*lanes]
				a, d1 := append([]float64(nil), z...), make([]float64, len(z))
				f.act[act](&a[0], &d1[0], nodes)
				at, ad, dt, tt := append([]float64(nil), z...), make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z))
				for i := range ad {
					ad[i] = float64(i%5) - 1.5
				}
				zd := append([]float64(nil), ad...)
				f.actTan[act](&at[0], &ad[0], &dt[0], &tt[0], nodes)
				for i, zi := range z {
					fv, g1, g2, _ := act.Eval(zi)
					for q, c := range []struct{ got, want float64 }{
						{a[i], fv}, {d1[i], g1}, {at[i], fv}, {dt[i], g1}, {ad[i], g1 * zd[i]}, {tt[i], g2 * zd[i]},
					} {
						if d := math.Abs(c.got - c.want); !(d <= 8*0x1p-53*max(math.Abs(c.want), 1)) {
							t.Errorf("%v/%s/%d nodes: output %d at z = %v: %v, want %v", act, name, nodes, q, zi, c.got, c.want)
						}
					}
				}
				var want [6][]float64 // a, d1, at, ad, dt, tt of the Go kernel
				for node := range nodes {
					var zl, f, g1, g2 [lanes]float64
					copy(zl[:], z[node*lanes:])
					activateLanesGo(act, &f, &g1, &g2, &zl, lanes)
					for k := range lanes {
						dz := zd[node*lanes+k]
						for q, v := range []float64{f[k], g1[k], f[k], g1[k] * dz, g1[k], g2[k] * dz} {
							want[q] = append(want[q], v)
						}
					}
				}
				for q, got := range [][]float64{a, d1, at, ad, dt, tt} {
					for i := range got {
						if math.Float64bits(got[i]) != math.Float64bits(want[q][i]) {
							t.Errorf("%v/%s/%d nodes: output %d at z = %v: %v, Go kernel %v", act, name, nodes, q, z[i], got[i], want[q][i])
							break
						}
					}
				}
				if nodes == 9 {
					results = append(results, slices.Concat(a, d1, at, ad, dt, tt))
				}
			}
			nan := []float64{math.NaN(), 0, 0, 0, 0, 0, 0, 0}
			d1 := make([]float64, lanes)
			if f.act[act](&nan[0], &d1[0], 1); !math.IsNaN(nan[0]) {
				t.Errorf("%v/%s(NaN) = %v, want NaN", act, name, nan[0])
			}
		}
		if len(results) == 2 && !sameBits(results[0], results[1]) {
			t.Errorf("%v: AVX2 and AVX-512 differ", act)
		}
	}
}

// TestAsmAVX2Registers checks that the AVX2 kernels in eval_amd64.s use only
// the 16 vector registers of AVX2: the register allocator of the generator
// also hands out X16–X31/Y16–Y31, which exist only with AVX-512.
func TestAsmAVX2Registers(t *testing.T) {
	src, err := os.ReadFile("eval_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	high := regexp.MustCompile(`\b[XY](1[6-9]|2[0-9]|3[01])\b`)
	fn, avx2Funcs := "", 0
	for i, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "TEXT ") {
			fn = strings.Fields(line)[1]
			if strings.Contains(fn, "AVX2") {
				avx2Funcs++
			}
		}
		if strings.Contains(fn, "AVX2") && high.MatchString(line) {
			t.Errorf("eval_amd64.s:%d: %s uses a register of AVX-512: %s", i+1, fn, strings.TrimSpace(line))
		}
	}
	if avx2Funcs == 0 {
		t.Error("eval_amd64.s has no AVX2 functions")
	}
}

// BenchmarkAsmActivation times σ, σ′, σ′·ż and σ″·ż of SiLU in assembly on a
// layer of 64 nodes × 8 lanes; ns/op is per layer.
func BenchmarkAsmActivation(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	z := make([]float64, 64*lanes)
	for i := range z {
		z[i] = 3 * rng.NormFloat64()
	}
	a, ad, d1, t := make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z))
	for name, f := range asmISAs() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				copy(a, z)
				f.actTan[SiLU](&a[0], &ad[0], &d1[0], &t[0], 64)
			}
		})
	}
}
