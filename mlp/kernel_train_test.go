package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// trainKernelData returns n values: normal with standard deviation sd, and, if
// special, the special cases of Activation.Eval and saturated arguments
// spread among them (every fifth value, so that they land in every lane and
// in the last, masked registers of the assembly kernels).
func trainKernelData(rng *rand.Rand, n int, sd float64, special bool) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = sd * rng.NormFloat64()
	}
	if special {
		sp := []float64{0, math.Copysign(0, -1), 40, -40, 800, -800, -1.2784645428, 2.3993572805, 1e-300,
			math.Inf(1), math.Inf(-1), math.NaN(), 1e300, -1e300, 745.5, -745.5, 709.9, -709.9, 354.9, -354.9,
			math.MaxFloat64, -math.MaxFloat64, 5e-324, 1024, -1024, 1030, -1030, 36.7, -36.7, 19, -19}
		for i := 0; i < n; i += 5 {
			s[i] = sp[rng.IntN(len(sp))]
		}
	}
	return s
}

// asmTrain returns the assembly training kernels this build and CPU run, and
// skips the test if there are none.
func asmTrain(t *testing.T) []*trainKernels {
	ks := asmTrainKernels()
	if len(ks) == 0 {
		t.Skip("no assembly kernels in this build or on this CPU")
	}
	return ks
}

// TestExpGo checks the exponential of the training kernels against the
// correctly rounded e^x: special cases exactly, and at most 1 ulp (of the
// smallest subnormal, for subnormal results) on a sweep of [−746, 710] and on
// random arguments, which covers overflow, gradual underflow and the rounding
// to 0.
func TestExpGo(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{0, 1}, {math.Copysign(0, -1), 1}, {math.Inf(1), math.Inf(1)}, {math.Inf(-1), 0},
		{1e300, math.Inf(1)}, {709.79, math.Inf(1)}, {-746, 0}, {-1e300, 0},
		{math.SmallestNonzeroFloat64, 1}, {-math.SmallestNonzeroFloat64, 1},
	} {
		if got := expGo(tc.x); got != tc.want || math.Signbit(got) {
			t.Errorf("expGo(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if got := expGo(math.NaN()); !math.IsNaN(got) {
		t.Errorf("expGo(NaN) = %v, want NaN", got)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	xs := []float64{709.78, 709.782712893384, -708.39, -708.4, -745.13, -745.14, 1, -1, math.Ln2 / 2, -math.Ln2 / 2}
	for x := -746.0; x <= 710; x += 0.377 {
		xs = append(xs, x)
	}
	for range 500 {
		xs = append(xs, 1456*rng.Float64()-746, 2*rng.Float64()-1, 1e-6*rng.NormFloat64(), 36*rng.Float64()-746)
	}
	worst, at := 0.0, 0.0
	for _, x := range xs {
		got, want := expGo(x), refExp(x)
		d := ulpDiff(got, want)
		if want < 0x1p-1022 {
			d = math.Abs(got-want) / math.SmallestNonzeroFloat64
		}
		if d > worst {
			worst, at = d, x
		}
	}
	if worst > 1 {
		t.Errorf("expGo is %.3g ulp from e^x at x = %v, want ≤ 1", worst, at)
	}
}

// TestLog1pGo checks log1pGo against math.Log1p on [0, 1], where the
// training kernels use it: within 2 ulp, and exact at 0 and for t below
// 2⁻⁵³, where log1p(t) rounds to t.
func TestLog1pGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	ts := []float64{0, 1, 0x1p-54, 1e-300, 5e-324, math.Sqrt2 - 1, math.Nextafter(math.Sqrt2-1, 0), 0.5}
	for range 2000 {
		ts = append(ts, rng.Float64(), math.Exp(-40*rng.Float64()))
	}
	for _, x := range ts {
		got, want := log1pGo(x), math.Log1p(x)
		if d := ulpDiff(got, want); d > 2 || (x < 0x1p-53 && got != want) {
			t.Errorf("log1pGo(%v) = %v, math.Log1p %v (%.3g ulp)", x, got, want, d)
		}
	}
}

// TestActivateGo checks the plain-Go activations of training against
// Activation.Eval: within 8·2⁻⁵³·max(|Eval|, 1), i.e. 8 ulp relative for
// large values and absolute below 1 (σ″ and σ‴ cross zero), and at ±Inf, NaN
// and ±0 the same values (the signs of zeros too, except σ″ and σ‴ of SiLU at
// ±Inf, which are −0); the biased z must be z + bias exactly, and d3 nil
// must leave σ‴ out.
func TestActivateGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const rows, w = 7, 13
	for _, act := range activations {
		z := trainKernelData(rng, rows*w, 4, true)
		copy(z, []float64{math.Inf(1), math.Inf(-1), math.NaN(), 0, math.Copysign(0, -1)})
		bias := trainKernelData(rng, w, 0.5, false)
		copy(bias, []float64{0, 0, 0, 0, 0})
		zb := slices.Clone(z)
		f, d1, d2, d3 := make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z))
		activateGo(act, f, d1, d2, d3, zb, bias)
		for i := range z {
			zi := z[i] + bias[i%w]
			if !alike(zb[i], zi) {
				t.Errorf("%v: biased z[%d] = %v, want %v", act, i, zb[i], zi)
			}
			want := [4]float64{}
			want[0], want[1], want[2], want[3] = act.Eval(zi)
			got := [4]float64{f[i], d1[i], d2[i], d3[i]}
			for q := range 4 {
				ok := math.Abs(got[q]-want[q]) <= 8*0x1p-53*max(math.Abs(want[q]), 1)
				if zi-zi != 0 || zi == 0 {
					ok = alike(got[q], want[q]) || (act == SiLU && q >= 2 && got[q] == want[q])
				}
				if !ok {
					t.Errorf("%v: derivative %d at z = %v: %v, Activation.Eval %v", act, q, zi, got[q], want[q])
				}
			}
		}
		f2, d12, d22 := make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z))
		activateGo(act, f2, d12, d22, nil, slices.Clone(z), bias)
		if !slices.EqualFunc(f, f2, alike) || !slices.EqualFunc(d1, d12, alike) || !slices.EqualFunc(d2, d22, alike) {
			t.Errorf("%v: σ … σ″ differ with and without σ‴", act)
		}
	}
}

// guarded returns a copy of x with 8 sentinel values after its end, and a
// function that reports whether they are intact: the assembly kernels must not
// write past the slices they are given.
func guarded(x []float64) ([]float64, func() bool) {
	const sentinel = -12345.5
	g := make([]float64, len(x), len(x)+8)
	copy(g, x)
	tail := g[len(x) : len(x)+8]
	for i := range tail {
		tail[i] = sentinel
	}
	return g, func() bool {
		for _, v := range tail {
			if v != sentinel {
				return false
			}
		}
		return true
	}
}

// firstDiff returns the first index at which a and b, of the same length,
// are not alike, or −1.
func firstDiff(a, b []float64) int {
	for i := range a {
		if !alike(a[i], b[i]) {
			return i
		}
	}
	return -1
}

// TestTrainKernelsActivate checks that the assembly activate gives the same
// bits as the plain-Go activateGo, for every activation with and without σ‴,
// on rows of every width from 1 to 37 (whole and partial registers of 8 and
// 4 lanes), with ±Inf, NaN, ±0, huge and saturating arguments among them, and
// that it writes nothing past the rows.
func TestTrainKernelsActivate(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, k := range asmTrain(t) {
		for _, act := range activations {
			for w := 1; w <= 37; w++ {
				for _, rows := range []int{1, 3} {
					z := trainKernelData(rng, rows*w, 4, true)
					if w%2 == 0 {
						for i := range z {
							z[i] *= 10
						}
					}
					bias := trainKernelData(rng, w, 0.5, false)
					for _, third := range []bool{false, true} {
						var got, want [5][]float64
						var ok [5]func() bool
						for q := range 5 {
							got[q], ok[q] = guarded(make([]float64, rows*w))
							want[q] = make([]float64, rows*w)
						}
						copy(got[4], z)
						copy(want[4], z)
						g3, w3 := got[3], want[3]
						if !third {
							g3, w3 = nil, nil
						}
						k.activate(act, got[0], got[1], got[2], g3, got[4], bias)
						goTrain.activate(act, want[0], want[1], want[2], w3, want[4], bias)
						for q := range 5 {
							if i := firstDiff(got[q], want[q]); i >= 0 {
								t.Errorf("%s %v σ‴ %v, width %d, %d rows: output %d at z = %v: %v, Go %v",
									k.name, act, third, w, rows, q, want[4][i], got[q][i], want[q][i])
							}
							if !ok[q]() {
								t.Errorf("%s %v σ‴ %v, width %d, %d rows: output %d written past its end", k.name, act, third, w, rows, q)
							}
						}
					}
				}
			}
		}
	}
}

// TestTrainKernelsElementwise checks that the assembly kernels other than
// activate give the same bits as plain Go, for every length from 0 to 37
// (colSums: width 1 to 37 and 1, 2 or 5 rows; Adam: three steps with weight
// decay), and write nothing past the slices.
func TestTrainKernelsElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	data := func(n int) []float64 { return trainKernelData(rng, n, 1, false) }
	for _, k := range asmTrain(t) {
		for n := range 38 {
			name := fmt.Sprintf("%s, n = %d", k.name, n)
			// run calls f on guarded copies of the outputs and g on plain
			// copies, and compares.
			run := func(kernel string, outs [][]float64, f, g func(o [][]float64)) {
				got, want := make([][]float64, len(outs)), make([][]float64, len(outs))
				oks := make([]func() bool, len(outs))
				for i, o := range outs {
					if o == nil {
						continue
					}
					got[i], oks[i] = guarded(o)
					want[i] = slices.Clone(o)
				}
				f(got)
				g(want)
				for i := range outs {
					if outs[i] == nil {
						continue
					}
					if !slices.Equal(got[i], want[i]) {
						t.Errorf("%s: %s output %d differs from Go", name, kernel, i)
					}
					if !oks[i]() {
						t.Errorf("%s: %s output %d written past its end", name, kernel, i)
					}
				}
			}
			x, y, d1, d2, d3, zd, g, gd, e := data(n), data(n), data(n), data(n), data(n), data(n), data(n), data(n), data(n)
			for _, add := range []bool{false, true} {
				run(fmt.Sprintf("mulTo(add %v)", add), [][]float64{data(n)},
					func(o [][]float64) { k.mulTo(o[0], x, y, add) },
					func(o [][]float64) { goTrain.mulTo(o[0], x, y, add) })
			}
			run("upwardTo", [][]float64{data(n), data(n)},
				func(o [][]float64) { k.upwardTo(o[0], o[1], d1, d2, g, e) },
				func(o [][]float64) { goTrain.upwardTo(o[0], o[1], d1, d2, g, e) })
			for _, last := range []bool{false, true} { // last: ġ_L = 0, gd nil
				gdl, gdbar := gd, data(n)
				if last {
					gdl, gdbar = nil, nil
				}
				run(fmt.Sprintf("backTan(last %v)", last), [][]float64{data(n)},
					func(o [][]float64) { k.backTan(o[0], d1, d2, zd, g, gdl) },
					func(o [][]float64) { goTrain.backTan(o[0], d1, d2, zd, g, gdl) })
				run(fmt.Sprintf("upTan(last %v)", last), [][]float64{data(n), data(n), data(n), gdbar},
					func(o [][]float64) { k.upTan(o[0], o[1], o[2], o[3], d1, d2, d3, zd, g, gdl, e) },
					func(o [][]float64) { goTrain.upTan(o[0], o[1], o[2], o[3], d1, d2, d3, zd, g, gdl, e) })
			}
			run("downTan", [][]float64{data(n), data(n)},
				func(o [][]float64) { k.downTan(o[0], o[1], d1, d2, zd, e) },
				func(o [][]float64) { goTrain.downTan(o[0], o[1], d1, d2, zd, e) })
			run("addTo", [][]float64{data(n)},
				func(o [][]float64) { k.addTo(o[0], x) },
				func(o [][]float64) { goTrain.addTo(o[0], x) })
			if n > 0 {
				for _, rows := range []int{1, 2, 5} {
					block := data(rows * n)
					run(fmt.Sprintf("colSums(%d rows)", rows), [][]float64{data(n)},
						func(o [][]float64) { k.colSums(o[0], block) },
						func(o [][]float64) { goTrain.colSums(o[0], block) })
				}
			}
			grads := [][]float64{data(n), trainKernelData(rng, n, 1e-3, false), make([]float64, n)}
			p0 := data(n)
			adam := func(k *trainKernels) func(o [][]float64) {
				return func(o [][]float64) {
					a, err := NewAdam(n, AdamConfig{WeightDecay: 0.01})
					if err != nil {
						t.Fatal(err)
					}
					a.kern = k
					a.m, a.v = o[1], o[2]
					for s, g := range grads {
						a.Step(o[0], g, 0.1/float64(s+1))
					}
				}
			}
			run("Adam.Step", [][]float64{p0, make([]float64, n), make([]float64, n)}, adam(k), adam(goTrain))
		}
	}
}

// TestSobolevLossKernels checks SobolevLoss and an Adam step with the
// assembly kernels against the plain-Go ones: the loss, the gradient and the
// updated parameters must be the same bits, for every activation, with and
// without Hessian-vector directions (so σ‴ and the tangent kernels run), on
// widths that are not multiples of 4, on two threads.
func TestSobolevLossKernels(t *testing.T) {
	for _, k := range asmTrain(t) {
		for _, act := range activations {
			for _, tc := range []struct {
				sizes []int
				k     int
				w     LossWeights
			}{
				{[]int{7, 32, 13, 21, 1}, 0, LossWeights{Value: 1, Grad: 1}},
				{[]int{7, 32, 13, 21, 1}, 0, LossWeights{Value: 1}},
				{[]int{7, 19, 13, 24, 1}, 2, LossWeights{Value: 1, Grad: 1, HVP: 1}},
				{[]int{3, 9, 1}, 1, LossWeights{Value: 1, Grad: 1, HVP: 1}},
			} {
				net := testNet(tc.sizes, act, 8)
				bt := testBatch(tc.sizes[0], 19, tc.k, 8)
				if tc.w.Grad == 0 {
					bt.DYDX = nil
				}
				var loss [2]Loss
				var grad, params [2][]float64
				for i, kern := range []*trainKernels{goTrain, k} {
					ws := NewWorkspace(net, 19, tc.k, 2)
					for _, p := range ws.parts {
						p.kern = kern
					}
					grad[i] = make([]float64, net.NumParams())
					loss[i] = net.SobolevLoss(grad[i], ws, bt, tc.w)
					a, err := NewAdam(net.NumParams(), AdamConfig{})
					if err != nil {
						t.Fatal(err)
					}
					a.kern = kern
					params[i] = slices.Clone(net.Params.Flat)
					a.Step(params[i], grad[i], 1e-3)
				}
				if loss[0] != loss[1] || !slices.Equal(grad[0], grad[1]) || !slices.Equal(params[0], params[1]) {
					t.Errorf("%s %v, sizes %v, %d directions: loss %v, Go %v; gradient error %.3g; parameters after Adam differ: %v",
						k.name, act, tc.sizes, tc.k, loss[1], loss[0], relErr(grad[1], grad[0]), !slices.Equal(params[0], params[1]))
				}
			}
		}
	}
}

// BenchmarkTrainActivate times activate with σ‴ of SiLU on a block of 128
// rows × 128 nodes (a layer of one thread's share of BenchmarkSobolevStep)
// with every implementation this build and CPU run; ns/op is per block.
func BenchmarkTrainActivate(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	const rows, w = 128, 128
	z := trainKernelData(rng, rows*w, 3, false)
	bias := make([]float64, w)
	zb, f, d1, d2, d3 := make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z)), make([]float64, len(z))
	for _, k := range trainKernelSets() {
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				copy(zb, z)
				k.activate(SiLU, f, d1, d2, d3, zb, bias)
			}
		})
	}
}

// BenchmarkTrainAdam times Adam.Step on the parameters of the 7 → 6×128 → 1
// network of BenchmarkSobolevStep (83,713) with every implementation this
// build and CPU run.
func BenchmarkTrainAdam(b *testing.B) {
	n := New(7, []int{128, 128, 128, 128, 128, 128}, SiLU).NumParams()
	rng := rand.New(rand.NewPCG(6, 6))
	p, g := trainKernelData(rng, n, 1, false), trainKernelData(rng, n, 1e-2, false)
	for _, k := range trainKernelSets() {
		b.Run(k.name, func(b *testing.B) {
			a, err := NewAdam(n, AdamConfig{})
			if err != nil {
				b.Fatal(err)
			}
			a.kern = k
			for b.Loop() {
				a.Step(p, g, 1e-4)
			}
		})
	}
}
