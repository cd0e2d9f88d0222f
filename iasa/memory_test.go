package iasa

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// TestFormPassBytes checks formPassBytes against the arrays newFormPass
// actually makes, byte for byte.
func TestFormPassBytes(t *testing.T) {
	if unsafe.Sizeof(interval.Interval{}) != intervalBytes || unsafe.Sizeof(0) != intBytes {
		t.Fatal("element sizes of MemoryEstimate are wrong")
	}
	for _, tc := range []struct {
		n           int
		hidden      []int
		order, k, a int
		nb          int
	}{
		{7, []int{128, 128, 128, 128, 128, 128}, 2, DefaultSymbols, DefaultAdjointSymbols, 1},
		{7, []int{16, 12, 9}, 2, DefaultSymbols, DefaultAdjointSymbols, 5},
		{3, []int{4}, 2, 2, 3, 2},
		{5, []int{10, 6}, 1, 0, 0, 64},
		{5, []int{10, 6}, 1, 1 << 40, 1 << 40, 3},
		{1, []int{3, 3}, 2, 1, 1, 1},
	} {
		net := mlp.New(tc.n, tc.hidden, mlp.SiLU)
		p := newFormPass(net, tc.order, tc.k, tc.a, tc.nb, nil)
		got := 0
		for _, s := range [][]float64{p.af, p.ar, p.t, p.gf, p.gr, p.df, p.dr, p.s} {
			got += floatBytes * len(s)
		}
		for _, m := range [][][]float64{p.absW, p.zf, p.zr} {
			for _, s := range m {
				got += floatBytes * len(s)
			}
		}
		got += intBytes * (len(p.rank) + 2*len(p.pairs))
		if want := formPassBytes(net.Sizes, tc.order, tc.k, tc.a, tc.nb); float64(got) != want {
			t.Errorf("n %d, hidden %v, order %d, symbols %d/%d, %d boxes: newFormPass makes %d bytes, formPassBytes says %g",
				tc.n, tc.hidden, tc.order, tc.k, tc.a, tc.nb, got, want)
		}
		if lay := newFormLayout(net.Sizes, tc.order, tc.k, tc.a); lay.madj != p.madj || lay.nm != p.nm {
			t.Errorf("n %d, hidden %v: layout %d/%d monomials, the pass has %d/%d", tc.n, tc.hidden, lay.nm, lay.madj, p.nm, p.madj)
		}
	}
	net := mlp.New(4, []int{5, 7}, mlp.Tanh)
	p := newNaivePass(net)
	got := len(p.g) + len(p.d) + len(p.wOut)
	for _, z := range p.z {
		got += len(z)
	}
	if want := naivePassBytes(net.Sizes); float64(got*intervalBytes) != want {
		t.Errorf("newNaivePass makes %d bytes, naivePassBytes says %g", got*intervalBytes, want)
	}
}

// TestMemoryEstimateMeasured checks MemoryEstimate against the bytes
// AnalyzeContext allocates (runtime.MemStats.TotalAlloc), within a factor 2.
func TestMemoryEstimateMeasured(t *testing.T) {
	for _, tc := range []struct {
		n      int
		hidden []int
		boxes  int
		opt    Options
	}{
		{20, []int{48, 48, 48}, 16, Options{Method: Quadratic, Workers: 2}},
		{12, []int{64, 64, 64, 64}, 200, Options{Method: Quadratic, Workers: 1}},
		{7, []int{32, 32, 32}, 300, Options{Method: Affine, Workers: 2}},
		{7, []int{32, 32, 32}, 300, Options{Method: Naive, Workers: 2}},
		{10, []int{40, 40}, 32, Options{Method: Quadratic, Workers: 2, Samples: 64}},
		{10, []int{40, 40}, 64, Options{Method: Quadratic, Workers: 2, Samples: 64, SampleBoxes: 16, CompareNaive: true}},
		{7, []int{32, 32, 32}, 300, Options{Method: Affine, Workers: 2, Samples: 32, SampleBoxes: 32, CompareNaive: true}},
	} {
		net := xavierNet(tc.n, tc.hidden, mlp.SiLU, 1)
		boxes, err := AroundPoints(data(tc.boxes, tc.n, 2), tc.n, 0.05, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := Analyze(net, boxes, tc.opt); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		alloc := float64(after.TotalAlloc - before.TotalAlloc)
		est := MemoryEstimate(net.Sizes, len(boxes), tc.opt)
		if r := est / alloc; r < 0.5 || r > 2 {
			t.Errorf("%v on %d boxes, n %d, hidden %v: estimate %.0f bytes, Analyze allocated %.0f (ratio %.2f), want within a factor 2",
				tc.opt.Method, len(boxes), tc.n, tc.hidden, est, alloc, r)
		}
	}
}

// TestMemoryEstimateScaling checks how the estimate grows with the inputs,
// the workers and the boxes.
func TestMemoryEstimateScaling(t *testing.T) {
	sizes := func(n int) []int { return []int{n, 128, 128, 128, 128, 128, 128, 1} }
	one := Options{Workers: 1}
	big := MemoryEstimate(sizes(1000), 256, one)
	// (1000 inputs + 768 nodes) × 501,501 columns × 8 bytes, the forms of
	// the activations and of the adjoints.
	if big < 7.5e9 || big > 9e9 {
		t.Errorf("quadratic forms of 1000 inputs: %.3g bytes, want about 8.2e9", big)
	}
	if two := MemoryEstimate(sizes(1000), 256, Options{Workers: 2}); two < 1.9*big || two > 2*big {
		t.Errorf("two workers: %.3g bytes, want about twice one worker's %.3g", two, big)
	}
	if r := MemoryEstimate(sizes(2000), 256, one) / big; r < 4 || r > 8 {
		t.Errorf("doubling the inputs multiplies the estimate by %.2f, want 4 to 8 (n² monomials of n inputs and the nodes)", r)
	}
	small := MemoryEstimate(sizes(7), 256, one)
	if small > 10e6 {
		t.Errorf("the default net: %.3g bytes, want a few MB", small)
	}
	// Beyond one chunk, every box adds its enclosures: 768 nodes × 2
	// intervals, and its input box.
	perBox := 768*2*intervalBytes + 7*(intervalBytes+2*floatBytes)
	if d := MemoryEstimate(sizes(7), 4096, one) - MemoryEstimate(sizes(7), 2048, one); d != float64(2048*perBox) {
		t.Errorf("2048 boxes more add %g bytes, want %d", d, 2048*perBox)
	}
	if MemoryEstimate(sizes(1000), 256, Options{Method: Naive, Workers: 1}) > 20e6 {
		t.Error("plain intervals of 1000 inputs: more than 20 MB, want little (no forms)")
	}
	if MemoryEstimate([]int{3, 1}, 5, one) != 0 || MemoryEstimate(sizes(3), 0, one) != 0 {
		t.Error("no hidden layer or no boxes: want 0")
	}
}
