package mlp

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// trainKernelData returns n values: normal with standard deviation sd, and, if
// special, the special cases of Activation.Eval and saturated arguments at
// the front.
func trainKernelData(rng *rand.Rand, n int, sd float64, special bool) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = sd * rng.NormFloat64()
	}
	if special {
		copy(s, []float64{0, math.Copysign(0, -1), 40, -40, 800, -800, -1.2784645428, 2.3993572805, 1e-300})
	}
	return s
}

// TestActivateKernels checks activate on AVX-512 against the plain-Go
// activateGo, for every activation, on rows whose width is or is not a
// multiple of 8: the biased z must be the same bits, and σ…σ‴ agree within
// 4·2⁻⁵³·max(|Go|, 1), i.e. 4 ulp relative for large values and absolute
// below 1 (σ″ and σ‴ cross zero). At ±Inf and NaN they must be activateGo's
// bits (the limits).
func TestActivateKernels(t *testing.T) {
	if !useSIMD() {
		t.Skip("no AVX-512 kernels in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(6, 6))
	for _, act := range activations {
		for _, w := range []int{128, 16, 13, 3} {
			const rows = 9
			z := trainKernelData(rng, rows*w, 4, true)
			bias := trainKernelData(rng, w, 0.5, false)
			// Row 5 holds ±Inf and NaN, row 6 NaN as its last element (in
			// the scalar tail of a row whose width is not a multiple of 8).
			z[5*w] = math.Inf(1)
			z[5*w+w/2] = math.Inf(-1)
			z[5*w+w-1] = math.NaN()
			z[7*w-1] = math.NaN()
			var got, want [5][]float64
			for q := range 5 {
				got[q], want[q] = make([]float64, rows*w), make([]float64, rows*w)
			}
			copy(got[4], z)
			copy(want[4], z)
			activate(true, act, got[0], got[1], got[2], got[3], got[4], bias)
			activateGo(act, want[0], want[1], want[2], want[3], want[4], bias)
			if !slices.EqualFunc(got[4], want[4], alike) {
				t.Errorf("%v, width %d: biased z differ", act, w)
			}
			for q := range 4 {
				for i := range z {
					g, wv := got[q][i], want[q][i]
					ok := math.Abs(g-wv) <= 4*0x1p-53*max(math.Abs(wv), 1)
					if zb := want[4][i]; math.IsInf(zb, 0) || math.IsNaN(zb) {
						ok = alike(g, wv)
					}
					if !ok {
						t.Errorf("%v, width %d: derivative %d at z = %v: AVX-512 %v, Go %v", act, w, q, want[4][i], g, wv)
					}
				}
			}
		}
	}
}

// TestElementwiseKernels checks that the elementwise kernels other than
// activate give the same bits on AVX-512 as in plain Go, for lengths around
// multiples of 8.
func TestElementwiseKernels(t *testing.T) {
	if !useSIMD() {
		t.Skip("no AVX-512 kernels in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 128} {
		x, y, d := trainKernelData(rng, n, 1, false), trainKernelData(rng, n, 1, false), trainKernelData(rng, n, 1, false)
		for _, add := range []bool{false, true} {
			got, want := slices.Clone(d), slices.Clone(d)
			mulTo(true, got, x, y, add)
			mulToGo(want, x, y, add)
			if !slices.Equal(got, want) {
				t.Errorf("mulTo, n = %d, add = %v: AVX-512 and Go differ", n, add)
			}
		}
		g := trainKernelData(rng, n, 1, false)
		zg, gg, zw, gw := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		upwardTo(true, zg, gg, x, y, g, d)
		upwardToGo(zw, gw, x, y, g, d)
		if !slices.Equal(zg, zw) || !slices.Equal(gg, gw) {
			t.Errorf("upwardTo, n = %d: AVX-512 and Go differ", n)
		}
		d2, d3, zd, e := trainKernelData(rng, n, 1, false), trainKernelData(rng, n, 1, false),
			trainKernelData(rng, n, 1, false), trainKernelData(rng, n, 1, false)
		for _, last := range []bool{false, true} { // last: ġ_L = 0, gd nil
			gd, gdg, gdw := trainKernelData(rng, n, 1, false), make([]float64, n), make([]float64, n)
			if last {
				gd, gdg, gdw = nil, nil, nil
			}
			dg, dw := make([]float64, n), make([]float64, n)
			backTan(true, dg, x, d2, zd, g, gd)
			backTanGo(dw, x, d2, zd, g, gd)
			if !slices.Equal(dg, dw) {
				t.Errorf("backTan, n = %d, last = %v: AVX-512 and Go differ", n, last)
			}
			// Outputs: z̄ and ḡ accumulate (start from d, e), ż̄ and ġ̄ are set.
			zg, zdg, gbg := slices.Clone(d), make([]float64, n), slices.Clone(e)
			zw, zdw, gbw := slices.Clone(d), make([]float64, n), slices.Clone(e)
			upTan(true, zg, zdg, gbg, gdg, x, d2, d3, zd, g, gd, y)
			upTanGo(zw, zdw, gbw, gdw, x, d2, d3, zd, g, gd, y)
			if !slices.Equal(zg, zw) || !slices.Equal(zdg, zdw) || !slices.Equal(gbg, gbw) || !slices.Equal(gdg, gdw) {
				t.Errorf("upTan, n = %d, last = %v: AVX-512 and Go differ", n, last)
			}
		}
		zg, zdg, zw, zdw := slices.Clone(d), slices.Clone(e), slices.Clone(d), slices.Clone(e)
		downTan(true, zg, zdg, x, d2, zd, y)
		downTanGo(zw, zdw, x, d2, zd, y)
		if !slices.Equal(zg, zw) || !slices.Equal(zdg, zdw) {
			t.Errorf("downTan, n = %d: AVX-512 and Go differ", n)
		}
		ag, aw := slices.Clone(d), slices.Clone(d)
		addTo(true, ag, x)
		addToGo(aw, x)
		if !slices.Equal(ag, aw) {
			t.Errorf("addTo, n = %d: AVX-512 and Go differ", n)
		}
		if n == 0 {
			continue
		}
		for _, rows := range []int{1, 5} {
			block := trainKernelData(rng, rows*n, 1, false)
			got, want := slices.Clone(d), slices.Clone(d)
			colSums(true, got, block)
			colSumsGo(want, block)
			if !slices.Equal(got, want) {
				t.Errorf("colSums, width %d, %d rows: AVX-512 and Go differ", n, rows)
			}
		}
	}
}

// TestSobolevLossKernels checks SobolevLoss with the AVX-512 kernels against
// the plain-Go ones, which differ only in the rounding of SiLU and its
// derivatives: the loss to 1e-14 and the gradient to 1e-13 relative.
func TestSobolevLossKernels(t *testing.T) {
	if !useSIMD() {
		t.Skip("no AVX-512 kernels in this build or on this CPU")
	}
	for _, tc := range []struct {
		sizes []int
		k     int
		w     LossWeights
	}{
		{[]int{7, 32, 13, 24, 1}, 0, LossWeights{Value: 1, Grad: 1}},
		{[]int{7, 32, 13, 24, 1}, 0, LossWeights{Value: 1}},
		{[]int{7, 32, 13, 24, 1}, 2, LossWeights{Value: 1, Grad: 1, HVP: 1}},
		{[]int{3, 8, 1}, 1, LossWeights{Value: 1, Grad: 1, HVP: 1}},
	} {
		net := testNet(tc.sizes, SiLU, 8)
		bt := testBatch(tc.sizes[0], 19, tc.k, 8)
		if tc.w.Grad == 0 {
			bt.DYDX = nil
		}
		var loss [2]Loss
		var grad [2][]float64
		for i, simd := range []bool{false, true} {
			ws := NewWorkspace(net, 19, tc.k, 2)
			for _, p := range ws.parts {
				p.simd = simd
			}
			grad[i] = make([]float64, net.NumParams())
			loss[i] = net.SobolevLoss(grad[i], ws, bt, tc.w)
		}
		if e := math.Abs(loss[1].Total-loss[0].Total) / loss[0].Total; e > 1e-14 || relErr(grad[1], grad[0]) > 1e-13 {
			t.Errorf("sizes %v, %d directions: AVX-512 loss %v, Go %v (error %.3g); gradient error %.3g",
				tc.sizes, tc.k, loss[1].Total, loss[0].Total, e, relErr(grad[1], grad[0]))
		}
	}
}

// TestAdamKernels checks that Adam.Step gives the same bits on AVX-512 as in
// plain Go, over three steps with weight decay, for a length that is not a
// multiple of 8.
func TestAdamKernels(t *testing.T) {
	if !useSIMD() {
		t.Skip("no AVX-512 kernels in this build or on this CPU")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 61
	p0 := trainKernelData(rng, n, 1, false)
	grads := [][]float64{trainKernelData(rng, n, 1, false), trainKernelData(rng, n, 1e-3, false), make([]float64, n)}
	var p [2][]float64
	for i, simd := range []bool{false, true} {
		a, err := NewAdam(n, AdamConfig{WeightDecay: 0.01})
		if err != nil {
			t.Fatal(err)
		}
		a.simd = simd
		p[i] = slices.Clone(p0)
		for s, g := range grads {
			a.Step(p[i], g, 0.1/float64(s+1))
		}
	}
	if !slices.Equal(p[0], p[1]) {
		t.Errorf("Adam.Step: AVX-512 and Go differ")
	}
}
