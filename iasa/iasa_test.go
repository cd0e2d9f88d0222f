package iasa

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// xavierNet returns a net with Xavier-normal weights (variance 2/(fan-in +
// fan-out)), small random biases and a normalisation for inputs around 1 with
// spread 0.3, from a fixed seed.
func xavierNet(inputs int, hidden []int, act mlp.Activation, seed uint64) *mlp.Network {
	rng := rand.New(rand.NewPCG(seed, 7))
	n := mlp.New(inputs, hidden, act)
	for l := range n.Params.W {
		sd := math.Sqrt(2 / float64(n.Sizes[l]+n.Sizes[l+1]))
		for i := range n.Params.W[l] {
			n.Params.W[l][i] = sd * rng.NormFloat64()
		}
		for i := range n.Params.B[l] {
			n.Params.B[l][i] = 0.1 * rng.NormFloat64()
		}
	}
	for j := range n.Norm.XMean {
		n.Norm.XMean[j] = 1 + 0.01*rng.NormFloat64()
		n.Norm.XScale[j] = 0.3 * (1 + 0.1*rng.Float64())
	}
	n.Norm.YMean, n.Norm.YScale = 0.1, 0.2
	return n
}

// data returns N raw inputs around 1 with spread 0.3, N × n row-major.
func data(N, n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := make([]float64, N*n)
	for i := range x {
		x[i] = 1 + 0.3*rng.NormFloat64()
	}
	return x
}

// samplePoint sets x to a random point of box: a corner with probability 1/8,
// otherwise uniform.
func samplePoint(x []float64, box Box, rng *rand.Rand) {
	corner := rng.IntN(8) == 0
	for j, iv := range box {
		switch {
		case corner && rng.IntN(2) == 0:
			x[j] = iv.Lo
		case corner:
			x[j] = iv.Hi
		default:
			x[j] = min(iv.Hi, iv.Lo+(iv.Hi-iv.Lo)*rng.Float64())
		}
	}
}

var methods = []Method{Quadratic, Affine, Zonotope, Naive}

// TestEnclosuresContainSamples is the soundness test: for every method and
// activation, on small boxes and on one wide box, the enclosures contain the
// activation and the exact reverse-pass adjoint of every node at thousands of
// random points (corners included).
func TestEnclosuresContainSamples(t *testing.T) {
	const n = 3
	x := data(64, n, 1)
	small, err := AroundPoints(x, n, 0.05, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := Bounds(x, n)
	boxes := append(small, wideBox(lo, hi), wideBox([]float64{1, 1, 1}, []float64{1, 1.1, 1}))
	points := 2000
	if testing.Short() {
		points = 300
	}
	for _, act := range []mlp.Activation{mlp.SiLU, mlp.Softplus, mlp.Tanh, mlp.ReLU} {
		net := xavierNet(n, []int{12, 10, 8}, act, 4)
		for _, m := range methods {
			res, err := Analyze(net, boxes, Options{Method: m})
			if err != nil {
				t.Fatalf("%v %v: %v", act, m, err)
			}
			rng := rand.New(rand.NewPCG(5, uint64(act)))
			p := make([]float64, n)
			tr := mlp.NewTrace(net, 1)
			bad := 0
			for b, box := range boxes {
				enc := res.PerBox[b]
				for range points {
					samplePoint(p, box, rng)
					net.TraceForward(tr, p)
					net.TraceReverse(tr)
					a, g := tr.A[1:], tr.G[1:]
					for l := range a {
						for i := range a[l] {
							if !near(enc.A[l][i], a[l][i]) || !near(enc.G[l][i], g[l][i]) {
								if bad++; bad <= 5 {
									t.Errorf("%v %v box %d at %v: node %d of layer %d: a = %v ∉ %v or g = %v ∉ %v",
										act, m, b, p, i, l+1, a[l][i], enc.A[l][i], g[l][i], enc.G[l][i])
								}
							}
						}
					}
				}
			}
		}
	}
}

// near reports whether x lies in iv up to the rounding error of the
// reference: mlp.Trace evaluates the net in floating point (σ within a few
// ulp, sums in any order), so at a corner of a box, where an enclosure's
// bound can be attained, the reference may exceed the exact value, and so the
// bound, by about 1e-15 relative.
func near(iv interval.Interval, x float64) bool {
	tol := 1e-13 * (1 + math.Abs(x))
	return iv.Lo-tol <= x && x <= iv.Hi+tol
}

// wideBox returns the box [lo, hi].
func wideBox(lo, hi []float64) Box {
	b := make(Box, len(lo))
	for j := range lo {
		b[j] = interval.Interval{Lo: lo[j], Hi: hi[j]}
	}
	return b
}

// extremum returns the z near z0 where the derivative d of SiLU (1 = SiLU′,
// 2 = SiLU″) vanishes, by Newton's method on mlp's derivatives, and SiLU or
// SiLU′ there.
func extremum(z0 float64, d int) (z, f float64) {
	z = z0
	for range 50 {
		_, f1, f2, f3 := mlp.SiLU.Eval(z)
		if d == 1 {
			z -= f1 / f2
		} else {
			z -= f2 / f3
		}
	}
	f0, f1, _, _ := mlp.SiLU.Eval(z)
	if d == 1 {
		return z, f0
	}
	return z, f1
}

// TestTinyNetSignificance checks a 1 → 1 → 1 → 1 SiLU net, where the range of
// each node and of its adjoint over a box follows in closed form from SiLU's
// minimum and the maximum of SiLU′ (method.md §5):
//
//	a₁ = σ(w₁x + b₁),  a₂ = σ(w₂a₁ + b₂),  y_n = w₃a₂ + b₃
//	G₁ = w₂w₃·σ′(z₂),  G₂ = w₃
//
// The box puts z₁ across SiLU's minimum and z₂ across the maximum of SiLU′, so
// neither range is reached at a corner. Naive intervals are exact here (no
// variable occurs twice). Quadratic, whose second-order expansion is exact for
// a quadratic, must be within 2 per cent; the first-order methods pay for the
// linear relaxation of SiLU around its minimum, whose error is as large as
// the node's range there, and must be within 20 per cent.
func TestTinyNetSignificance(t *testing.T) {
	zMin, sMin := extremum(-1.3, 1)
	zMax, dMax := extremum(2.4, 2)
	// Check the reference data against method.md §5.
	for _, c := range [][2]float64{{zMin, -1.2784645428}, {sMin, -0.2784645428}, {zMax, 2.3993572805}, {dMax, 1.0998393201}} {
		if math.Abs(c[0]-c[1]) > 1e-10 {
			t.Fatalf("extremum %v, method.md says %v", c[0], c[1])
		}
	}
	silu := func(z float64) float64 { f, _, _, _ := mlp.SiLU.Eval(z); return f }

	box := Box{{Lo: zMin - 0.02, Hi: zMin + 0.02}}
	w1, b1, w2, w3 := 1.0, 0.0, 40.0, 1.5
	a1lo, a1hi := sMin, max(silu(box[0].Lo), silu(box[0].Hi))
	b2 := zMax - w2*(a1lo+a1hi)/2
	z2lo, z2hi := w2*a1lo+b2, w2*a1hi+b2
	a2lo, a2hi := silu(z2lo), silu(z2hi) // SiLU increases right of its minimum
	want := []float64{(a1hi - a1lo) * w2 * w3 * dMax, (a2hi - a2lo) * w3}

	net := mlp.New(1, []int{1, 1}, mlp.SiLU)
	net.Params.W[0][0], net.Params.B[0][0] = w1, b1
	net.Params.W[1][0], net.Params.B[1][0] = w2, b2
	net.Params.W[2][0], net.Params.B[2][0] = w3, 0.3
	for _, tc := range []struct {
		m   Method
		tol float64 // relative
	}{
		{Naive, 1e-9},     // exact up to rounding (the range is 4e-5 of values near 0.28)
		{Quadratic, 0.02}, // third-order remainders
		{Affine, 0.2},     // second-order relaxation error at the minimum
		{Zonotope, 0.2},   // the same on a 1-input, 1-node-per-layer net
	} {
		res, err := Analyze(net, []Box{box}, Options{Method: tc.m})
		if err != nil {
			t.Fatal(err)
		}
		for l, w := range want {
			got := res.Significance[l][0]
			if got < w*(1-1e-9) || got > w*(1+tc.tol) {
				t.Errorf("%v: significance of layer %d = %.8g, want %.8g (+%g relative)", tc.m, l+1, got, w, tc.tol)
			}
		}
	}
}

// TestTightBeatsNaive measures the over-estimation of a Xavier-initialised
// 7 → 6 × 128 SiLU net on small boxes (±0.05 std) with 64 samples per box. The
// full zonotope must stay near the sampling floor (about 1.7 for 64 points in
// 7 dimensions) for values, adjoints and significances at every layer, as
// method.md §5 reports; the default method must stay within a few times of
// it and far below Naive everywhere (measured: value ≤ 4.9, adjoint ≤ 20,
// significance ≤ 4.9, against 10⁵, 4.6·10⁷ and 1.2·10⁶ for Naive).
func TestTightBeatsNaive(t *testing.T) {
	if testing.Short() {
		t.Skip("6 × 128 net")
	}
	const n = 7
	net := xavierNet(n, []int{128, 128, 128, 128, 128, 128}, mlp.SiLU, 1)
	boxes, err := AroundPoints(data(1024, n, 2), n, 0.05, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	over := map[Method]*Overestimation{}
	var collapsed *Overestimation // Quadratic without error symbols
	for _, m := range []Method{Quadratic, Naive, Zonotope, -1} {
		bx, opt := boxes, Options{Method: m, Samples: 64, Seed: 1}
		if m == Zonotope {
			bx = boxes[:2]
		}
		if m == -1 {
			opt.Method, opt.Symbols, opt.AdjointSymbols = Quadratic, -1, -1
		}
		res, err := Analyze(net, bx, opt)
		if err != nil {
			t.Fatal(err)
		}
		if m == -1 {
			collapsed = res.Over
		} else {
			over[m] = res.Over
		}
		t.Logf("%-9v symbols %3d: value %5.3g, adjoint %5.3g, significance %5.3g", opt.Method, opt.Symbols,
			res.Over.Value, res.Over.Adjoint, res.Over.Significance)
		if res.Over.Outside != 0 {
			t.Errorf("%v: %d samples outside their enclosure", m, res.Over.Outside)
		}
	}
	tight, naive, zono := over[Quadratic], over[Naive], over[Zonotope]
	if !(tight.Significance[0] < collapsed.Significance[0]/2) {
		t.Errorf("layer 1 significance over-estimation with error symbols %.3g, without %.3g: want less than half",
			tight.Significance[0], collapsed.Significance[0])
	}
	for l := range 6 {
		if v := zono.Value[l]; !(v < 2.5) {
			t.Errorf("Zonotope value over-estimation at layer %d = %.3g, want < 2.5", l+1, v)
		}
		if v := zono.Significance[l]; !(v < 2.5) {
			t.Errorf("Zonotope significance over-estimation at layer %d = %.3g, want < 2.5", l+1, v)
		}
		if v := zono.Adjoint[l]; l < 5 && !(v < 3) {
			t.Errorf("Zonotope adjoint over-estimation at layer %d = %.3g, want < 3", l+1, v)
		}
		if v := tight.Value[l]; !(v < 8) {
			t.Errorf("value over-estimation at layer %d = %.3g, want < 8", l+1, v)
		}
		if v := tight.Adjoint[l]; l < 5 && !(v < 40) {
			t.Errorf("adjoint over-estimation at layer %d = %.3g, want < 40", l+1, v)
		}
		if v := tight.Significance[l]; !(v < 8) || !(v < naive.Significance[l]/1000) {
			t.Errorf("significance over-estimation at layer %d = %.3g, Naive %.3g, want < 8 and < Naive/1000",
				l+1, v, naive.Significance[l])
		}
	}
	if !(tight.Value[5] < naive.Value[5]/1000) {
		t.Errorf("layer 6 value over-estimation: %.3g, Naive %.3g, want < Naive/1000", tight.Value[5], naive.Value[5])
	}
	if !(tight.Adjoint[0] < naive.Adjoint[0]/1000) {
		t.Errorf("layer 1 adjoint over-estimation: %.3g, Naive %.3g, want < Naive/1000", tight.Adjoint[0], naive.Adjoint[0])
	}
}

// TestZonotopeNotLooser checks on a smaller net that full zonotopes, which
// keep strictly more correlations, give no wider enclosures than Affine's
// collapsed remainders in total over each layer on small boxes, and logs how
// much they gain there and on the whole data box.
func TestZonotopeNotLooser(t *testing.T) {
	const n = 7
	net := xavierNet(n, []int{32, 32, 32}, mlp.SiLU, 2)
	x := data(256, n, 4)
	small, err := AroundPoints(x, n, 0.05, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := Bounds(x, n)
	for _, tc := range []struct {
		name  string
		boxes []Box
	}{{"small", small}, {"wide", []Box{wideBox(lo, hi)}}} {
		var res [2]*Result
		for k, m := range []Method{Affine, Zonotope} {
			if res[k], err = Analyze(net, tc.boxes, Options{Method: m, Samples: 256, Seed: 2}); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s boxes: value Affine %.3g, Zonotope %.3g", tc.name, res[0].Over.Value, res[1].Over.Value)
		t.Logf("%s boxes: adjoint Affine %.3g, Zonotope %.3g", tc.name, res[0].Over.Adjoint, res[1].Over.Adjoint)
		if tc.name != "small" {
			continue
		}
		for l := range res[0].Hull.A {
			var wa, wz float64
			for b := range tc.boxes {
				for i := range res[0].PerBox[b].A[l] {
					wa += res[0].PerBox[b].A[l][i].Width()
					wz += res[1].PerBox[b].A[l][i].Width()
				}
			}
			if wz > wa*(1+1e-9) {
				t.Errorf("layer %d: total width Zonotope %v > Affine %v", l+1, wz, wa)
			}
		}
	}
}

// TestAnalyzeDeterministic checks that the result does not depend on the
// number of workers, with a box count that leaves a partial chunk.
func TestAnalyzeDeterministic(t *testing.T) {
	const n = 5
	net := xavierNet(n, []int{16, 16}, mlp.Softplus, 8)
	boxes, err := AroundPoints(data(200, n, 8), n, 0.05, 67, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range methods {
		var res [2]*Result
		for k, w := range []int{1, 3} {
			opt := Options{Method: m, Workers: w, Samples: 8, SampleBoxes: 50, CompareNaive: true, Seed: 4, Combine: Mean}
			if res[k], err = Analyze(net, boxes, opt); err != nil {
				t.Fatal(err)
			}
		}
		o0, o1 := fmt.Sprint(*res[0].Over, *res[0].NaiveOver), fmt.Sprint(*res[1].Over, *res[1].NaiveOver)
		res[0].Over, res[1].Over, res[0].NaiveOver, res[1].NaiveOver = nil, nil, nil, nil
		if !reflect.DeepEqual(res[0], res[1]) || o0 != o1 {
			t.Errorf("%v: results with 1 and 3 workers differ", m)
		}
	}
}

// TestOverestimationOfSubset checks that the over-estimation of one call on
// all boxes with SampleBoxes and CompareNaive is, bit for bit, that of the two
// separate analyses of the sampled boxes alone it replaces (the chosen method
// and Naive, each with Samples), for every method. The chunks of the form
// methods hold 9 (Quadratic) to 64 boxes here, so the sampled boxes share a
// chunk with others in the one call and not in the separate one: a box's
// enclosures do not depend on the other boxes of its chunk.
func TestOverestimationOfSubset(t *testing.T) {
	const n, k = 4, 5
	net := xavierNet(n, []int{24, 24, 24}, mlp.SiLU, 2)
	boxes, err := AroundPoints(data(100, n, 3), n, 0.05, 12, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range methods {
		opt := Options{Method: m, Samples: 16, Seed: 7}
		one := opt
		one.SampleBoxes, one.CompareNaive = k, true
		res, err := Analyze(net, boxes, one)
		if err != nil {
			t.Fatal(err)
		}
		chosen, err := Analyze(net, boxes[:k], opt)
		if err != nil {
			t.Fatal(err)
		}
		opt.Method = Naive
		naive, err := Analyze(net, boxes[:k], opt)
		if err != nil {
			t.Fatal(err)
		}
		if !sameOver(*res.Over, *chosen.Over) {
			t.Errorf("%v: over-estimation %v, of the sampled boxes alone %v", m, *res.Over, *chosen.Over)
		}
		if !sameOver(*res.NaiveOver, *naive.Over) {
			t.Errorf("%v: naive over-estimation %v, of the sampled boxes alone %v", m, *res.NaiveOver, *naive.Over)
		}
	}
}

// TestCombine checks the combination over boxes on two boxes.
func TestCombine(t *testing.T) {
	const n = 2
	net := xavierNet(n, []int{3}, mlp.SiLU, 1)
	boxes := []Box{wideBox([]float64{0.9, 0.9}, []float64{1, 1}), wideBox([]float64{1, 1}, []float64{1.3, 1.2})}
	mx, err := Analyze(net, boxes, Options{Combine: Max})
	if err != nil {
		t.Fatal(err)
	}
	mean, err := Analyze(net, boxes, Options{Combine: Mean})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		var s [2]float64
		for b := range boxes {
			s[b] = mx.PerBox[b].A[0][i].Width() * mx.PerBox[b].G[0][i].Mag()
		}
		if got, want := mx.Significance[0][i], max(s[0], s[1]); got != want {
			t.Errorf("Max significance of node %d = %v, want %v", i, got, want)
		}
		if got, want := mean.Significance[0][i], (s[0]+s[1])/2; got != want {
			t.Errorf("Mean significance of node %d = %v, want %v", i, got, want)
		}
		if s[0] == s[1] {
			t.Errorf("node %d has equal significance on both boxes; the test is vacuous", i)
		}
		if h := mx.Hull.A[0][i]; h != interval.Hull(mx.PerBox[0].A[0][i], mx.PerBox[1].A[0][i]) {
			t.Errorf("Hull.A of node %d = %v, want the hull of the boxes' enclosures", i, h)
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	net := xavierNet(2, []int{3}, mlp.SiLU, 1)
	good := []Box{wideBox([]float64{0, 0}, []float64{1, 1})}
	bad := net.Clone()
	bad.Norm.XScale[1] = -1
	for _, tc := range []struct {
		name  string
		net   *mlp.Network
		boxes []Box
		opt   Options
	}{
		{"invalid net", bad, good, Options{}},
		{"no boxes", net, nil, Options{}},
		{"box length", net, []Box{{{Lo: 0, Hi: 1}}}, Options{}},
		{"reversed bounds", net, []Box{wideBox([]float64{0, 1}, []float64{1, 0})}, Options{}},
		{"NaN bound", net, []Box{wideBox([]float64{0, math.NaN()}, []float64{1, 1})}, Options{}},
		{"infinite bound", net, []Box{wideBox([]float64{0, 0}, []float64{1, math.Inf(1)})}, Options{}},
		{"method", net, good, Options{Method: Method(9)}},
		{"combine", net, good, Options{Combine: Combine(-1)}},
		{"samples", net, good, Options{Samples: -1}},
		{"sampled boxes", net, good, Options{Samples: 4, SampleBoxes: -1}},
	} {
		if _, err := Analyze(tc.net, tc.boxes, tc.opt); err == nil {
			t.Errorf("%s: Analyze succeeded, want an error", tc.name)
		}
	}
}

func TestParseNames(t *testing.T) {
	for _, m := range methods {
		if got, err := ParseMethod(m.String()); err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %v, %v", m.String(), got, err)
		}
	}
	for _, c := range []Combine{Max, Mean} {
		if got, err := ParseCombine(c.String()); err != nil || got != c {
			t.Errorf("ParseCombine(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseMethod("crown"); err == nil {
		t.Error(`ParseMethod("crown") succeeded`)
	}
	if _, err := ParseCombine("sum"); err == nil {
		t.Error(`ParseCombine("sum") succeeded`)
	}
}

func TestAroundPoints(t *testing.T) {
	x := []float64{0, 10, 2, 10, 4, 10, 6, 10} // column 0 has std √5, column 1 std 0
	boxes, err := AroundPoints(x, 2, 0.5, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 4 {
		t.Fatalf("%d boxes, want 4", len(boxes))
	}
	r := 0.5 * math.Sqrt(5)
	if b := boxes[1]; b[0] != (interval.Interval{Lo: 2 - r, Hi: 2 + r}) || b[1] != (interval.Interval{Lo: 10, Hi: 10}) {
		t.Errorf("box 1 = %v, want [2 ± %v] × [10, 10]", b, r)
	}
	sub, err := AroundPoints(x, 2, 0.5, 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := AroundPoints(x, 2, 0.5, 2, 7)
	if len(sub) != 2 || !reflect.DeepEqual(sub, again) || sub[0][0].Mid() >= sub[1][0].Mid() {
		t.Errorf("AroundPoints(count 2) = %v, want 2 distinct rows in increasing order, the same each time", sub)
	}
	for _, tc := range []struct {
		x     []float64
		n     int
		delta float64
	}{
		{x, 3, 0.1}, {nil, 2, 0.1}, {x, 0, 0.1}, {x, 2, -1}, {x, 2, math.NaN()}, {[]float64{1, math.Inf(1)}, 2, 0.1},
	} {
		if _, err := AroundPoints(tc.x, tc.n, tc.delta, 0, 0); err == nil {
			t.Errorf("AroundPoints(%v, %d, %v) succeeded, want an error", tc.x, tc.n, tc.delta)
		}
	}
}

func TestGrid(t *testing.T) {
	boxes, err := Grid([]float64{0, -1}, []float64{1, 1}, []int{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 6 {
		t.Fatalf("%d boxes, want 6", len(boxes))
	}
	lo1, w1 := -1.0, 2.0
	want := Box{{Lo: 0.5, Hi: 1}, {Lo: lo1 + w1*2/3, Hi: 1}} // the edge as Grid computes it
	if !reflect.DeepEqual(boxes[5], want) {
		t.Errorf("last box = %v, want %v", boxes[5], want)
	}
	if boxes[1][0] != boxes[0][0] || boxes[1][1].Lo != boxes[0][1].Hi {
		t.Errorf("boxes 0 and 1 = %v, %v: want input 1 to vary fastest with shared edges", boxes[0], boxes[1])
	}
	for _, k := range [][]int{{0, 1}, {1}} {
		if _, err := Grid([]float64{0, 0}, []float64{1, 1}, k); err == nil {
			t.Errorf("Grid with counts %v succeeded", k)
		}
	}
	if _, err := Grid([]float64{0, 2}, []float64{1, 1}, []int{1, 1}); err == nil {
		t.Error("Grid with lo > hi succeeded")
	}
}

func TestBounds(t *testing.T) {
	lo, hi := Bounds([]float64{1, 5, -2, 7, 0, 6}, 2)
	if !reflect.DeepEqual(lo, []float64{-2, 5}) || !reflect.DeepEqual(hi, []float64{1, 7}) {
		t.Errorf("Bounds = %v, %v", lo, hi)
	}
}

func ExampleAnalyze() {
	// A 1 → 2 → 1 SiLU net whose second node has a tenth of the first's
	// weights: over the box x ∈ [1, 2] its output moves less, and the
	// output reacts less to it.
	net := mlp.New(1, []int{2}, mlp.SiLU)
	copy(net.Params.W[0], []float64{1, 0.1})
	copy(net.Params.W[1], []float64{1, 0.1})
	res, err := Analyze(net, []Box{{{Lo: 1, Hi: 2}}}, Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, s := range res.Significance[0] {
		fmt.Printf("node %d: A ⊆ [%.4f, %.4f], G ⊆ [%.2f, %.2f], S = %.4f\n", i,
			res.PerBox[0].A[0][i].Lo, res.PerBox[0].A[0][i].Hi,
			res.PerBox[0].G[0][i].Lo, res.PerBox[0].G[0][i].Hi, s)
	}
	// Output:
	// node 0: A ⊆ [0.7311, 1.7616], G ⊆ [1.00, 1.00], S = 1.0305
	// node 1: A ⊆ [0.0525, 0.1100], G ⊆ [0.10, 0.10], S = 0.0057
}

// TestAnalyzeContext checks progress reports and cancellation.
func TestAnalyzeContext(t *testing.T) {
	const n = 3
	net := xavierNet(n, []int{8, 8}, mlp.SiLU, 2)
	boxes, err := AroundPoints(data(100, n, 2), n, 0.05, 40, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range methods {
		var last, calls int
		_, err := AnalyzeContext(context.Background(), net, boxes, Options{Method: m, Progress: func(done, total int) {
			if total != len(boxes) || done <= last || done > total {
				t.Errorf("%v: progress %d/%d after %d", m, done, total, last)
			}
			last = done
			calls++
		}})
		if err != nil {
			t.Fatal(err)
		}
		if last != len(boxes) || calls == 0 {
			t.Errorf("%v: progress ended at %d of %d boxes after %d calls", m, last, len(boxes), calls)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := AnalyzeContext(ctx, net, boxes, Options{Method: m}); !errors.Is(err, context.Canceled) {
			t.Errorf("%v: cancelled analysis returned %v, want context.Canceled", m, err)
		}
	}
}
