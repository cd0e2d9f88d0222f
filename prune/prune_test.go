package prune

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// randomNet returns a net with the given widths and N(0, 1/fan-in) weights,
// small random biases and a non-trivial normalisation, from a fixed seed.
func randomNet(inputs int, hidden []int, act mlp.Activation, seed uint64) *mlp.Network {
	rng := rand.New(rand.NewPCG(seed, 1))
	n := mlp.New(inputs, hidden, act)
	for l := range n.Params.W {
		fan := float64(n.Sizes[l])
		for i := range n.Params.W[l] {
			n.Params.W[l][i] = rng.NormFloat64() / math.Sqrt(fan)
		}
		for i := range n.Params.B[l] {
			n.Params.B[l][i] = 0.1 * rng.NormFloat64()
		}
	}
	for j := range n.Norm.XMean {
		n.Norm.XMean[j] = 1 + 0.1*rng.NormFloat64()
		n.Norm.XScale[j] = 0.5 + rng.Float64()
	}
	n.Norm.YMean, n.Norm.YScale = 0.3, 2
	return n
}

func TestSelectPerLayer(t *testing.T) {
	scores := [][]float64{{0.5, 3, 1, 3}, {2, 1}, {-1, -2, -0.5}}
	got, err := Select(scores, Budget{Quota: QuotaPerLayer, PerLayer: []int{2, 1, 3}})
	if err != nil {
		t.Fatal(err)
	}
	// Layer 1: the two 3s tie and win; layer 2: node 0; layer 3: all.
	want := [][]int{{1, 3}, {0}, {0, 1, 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Select per layer = %v, want %v", got, want)
	}
}

func TestSelectTotal(t *testing.T) {
	scores := [][]float64{{5, 4, 9, 1}, {0.1, 0.2}, {7, 7, 3}}
	for _, tc := range []struct {
		total int
		want  [][]int
	}{
		{3, [][]int{{2}, {1}, {0}}},                   // best of each layer only
		{4, [][]int{{2}, {1}, {0, 1}}},                // tie 7 = 7: lower index first
		{5, [][]int{{0, 2}, {1}, {0, 1}}},             // then 5
		{9, [][]int{{0, 1, 2, 3}, {0, 1}, {0, 1, 2}}}, // everything
	} {
		got, err := Select(scores, Budget{Quota: QuotaGlobal, Total: tc.total})
		if err != nil {
			t.Fatalf("Total %d: %v", tc.total, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Select(Total %d) = %v, want %v", tc.total, got, tc.want)
		}
	}
}

// TestSelectTotalQuotaAndDeterminism checks on random scores of a 6 × 128 net
// that the global ranking keeps exactly Total nodes, at least one per layer,
// that every kept node outranks every removed node of its layer and, apart from
// the one reserved per layer, every removed node anywhere, and that repeated
// calls agree.
func TestSelectTotalQuotaAndDeterminism(t *testing.T) {
	net := randomNet(7, []int{128, 128, 128, 128, 128, 128}, mlp.SiLU, 3)
	scores := Random(net, 11)
	// Make the last layer uniformly worse so that only its reserved node survives.
	for i := range scores[5] {
		scores[5][i] -= 2
	}
	// Ties across layers.
	scores[1][7], scores[2][9] = 0.75, 0.75
	keep, err := Select(scores, Budget{Quota: QuotaGlobal, Total: 48})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Select(scores, Budget{Quota: QuotaGlobal, Total: 48})
	if !reflect.DeepEqual(keep, again) {
		t.Fatal("Select is not deterministic")
	}
	n := 0
	minKept := math.Inf(1)
	for l, k := range keep {
		if len(k) == 0 {
			t.Fatalf("layer %d keeps no node", l+1)
		}
		n += len(k)
		if !slices.IsSorted(k) {
			t.Errorf("keep[%d] = %v not sorted", l, k)
		}
		if len(k) > 1 || l != 5 {
			for _, i := range k {
				minKept = math.Min(minKept, scores[l][i])
			}
		}
	}
	if n != 48 {
		t.Errorf("kept %d nodes, want 48", n)
	}
	if len(keep[5]) != 1 {
		t.Errorf("layer 6 keeps %d nodes, want only its reserved one", len(keep[5]))
	}
	for l, k := range keep {
		for i, s := range scores[l] {
			if !slices.Contains(k, i) && s > minKept {
				t.Errorf("removed node %d of layer %d has score %v above a kept %v", i, l+1, s, minKept)
			}
		}
	}
}

func TestSelectErrors(t *testing.T) {
	scores := [][]float64{{1, 2}, {3}}
	for _, tc := range []struct {
		name   string
		scores [][]float64
		q      Budget
	}{
		{"no layers", nil, Budget{Quota: QuotaGlobal, Total: 1}},
		{"empty layer", [][]float64{{1}, {}}, Budget{Quota: QuotaGlobal, Total: 1}},
		{"NaN", [][]float64{{1, math.NaN()}}, Budget{Quota: QuotaGlobal, Total: 1}},
		{"no quota", scores, Budget{Quota: Quota(7), Total: 2}},
		{"even total above nodes", scores, Budget{Quota: QuotaEven, Total: 4}},
		{"total below layers", scores, Budget{Quota: QuotaGlobal, Total: 1}},
		{"total above nodes", scores, Budget{Quota: QuotaGlobal, Total: 4}},
		{"per-layer length", scores, Budget{Quota: QuotaPerLayer, PerLayer: []int{1}}},
		{"per-layer zero", scores, Budget{Quota: QuotaPerLayer, PerLayer: []int{0, 1}}},
		{"per-layer above width", scores, Budget{Quota: QuotaPerLayer, PerLayer: []int{1, 2}}},
	} {
		if keep, err := Select(tc.scores, tc.q); err == nil {
			t.Errorf("%s: Select = %v, want an error", tc.name, keep)
		}
	}
}

func TestApplyKeepAllIsIdentity(t *testing.T) {
	net := randomNet(3, []int{5, 4}, mlp.Softplus, 1)
	keep := [][]int{{0, 1, 2, 3, 4}, {0, 1, 2, 3}}
	fill := [][]float64{{1, 2, 3, 4, 5}, {6, 7, 8, 9}} // unused: nothing removed
	got, err := Apply(net, keep, fill)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Sizes, net.Sizes) || got.Act != net.Act ||
		!reflect.DeepEqual(got.Params.Flat, net.Params.Flat) || !reflect.DeepEqual(got.Norm, net.Norm) {
		t.Errorf("Apply keeping every node changed the net")
	}
	got.Params.Flat[0]++
	got.Norm.XMean[0]++
	if net.Params.Flat[0] == got.Params.Flat[0] || net.Norm.XMean[0] == got.Norm.XMean[0] {
		t.Error("Apply result shares memory with its input")
	}
}

// TestApplyShapes checks sizes, parameter counts and which weights survive.
func TestApplyShapes(t *testing.T) {
	net := randomNet(7, []int{6, 5, 4}, mlp.SiLU, 2)
	keep := [][]int{{1, 4}, {0, 2, 3}, {3}}
	got, err := Apply(net, keep, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	if want := []int{7, 2, 3, 1, 1}; !reflect.DeepEqual(got.Sizes, want) {
		t.Errorf("Sizes = %v, want %v", got.Sizes, want)
	}
	if want := (7*2 + 2) + (2*3 + 3) + (3*1 + 1) + (1 + 1); got.NumParams() != want {
		t.Errorf("NumParams = %d, want %d", got.NumParams(), want)
	}
	// W_2 of the pruned net is rows {0,2,3}, columns {1,4} of the original (5 × 6).
	for r, i := range keep[1] {
		for c, j := range keep[0] {
			if got.Params.W[1][r*2+c] != net.Params.W[1][i*6+j] {
				t.Errorf("W_2[%d,%d] = %v, want original W_2[%d,%d] = %v",
					r, c, got.Params.W[1][r*2+c], i, j, net.Params.W[1][i*6+j])
			}
		}
	}
	// With a zero fill the biases of kept nodes are unchanged.
	if got.Params.B[1][1] != net.Params.B[1][2] {
		t.Errorf("b_2[1] = %v, want %v", got.Params.B[1][1], net.Params.B[1][2])
	}
}

// hiddenActs returns the activations of every hidden node at raw x, written
// straight from method.md §3.
func hiddenActs(n *mlp.Network, x []float64) [][]float64 {
	a := make([]float64, len(x))
	for j := range x {
		a[j] = (x[j] - n.Norm.XMean[j]) / n.Norm.XScale[j]
	}
	var acts [][]float64
	for l := range n.Layers() {
		rows, cols := n.Sizes[l+1], n.Sizes[l]
		z := make([]float64, rows)
		for r := range rows {
			s := n.Params.B[l][r]
			for c := range cols {
				s += n.Params.W[l][r*cols+c] * a[c]
			}
			z[r], _, _, _ = n.Act.Eval(s)
		}
		acts = append(acts, z)
		a = z
	}
	return acts
}

// points returns N random raw inputs of dimension n, N × n row-major.
func points(N, n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 9))
	x := make([]float64, N*n)
	for i := range x {
		x[i] = 1 + rng.NormFloat64()
	}
	return x
}

func TestMeanActivations(t *testing.T) {
	net := randomNet(3, []int{5, 4}, mlp.Tanh, 4)
	const N = 600 // more than one batch
	x := points(N, 3, 1)
	got, err := MeanActivations(net, x)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{make([]float64, 5), make([]float64, 4)}
	for r := range N {
		for l, a := range hiddenActs(net, x[r*3:(r+1)*3]) {
			for i, v := range a {
				want[l][i] += v / N
			}
		}
	}
	for l := range want {
		for i := range want[l] {
			if d := math.Abs(got[l][i] - want[l][i]); d > 1e-13 {
				t.Errorf("mean of node %d of layer %d = %v, want %v", i, l+1, got[l][i], want[l][i])
			}
		}
	}
	if _, err := MeanActivations(net, x[:4]); err == nil {
		t.Error("MeanActivations accepted a partial row")
	}
}

// TestApplyMeanFoldOfConstantNodes builds a net in which some hidden nodes have
// zero incoming weights, so that they output the constant σ(b) on every input.
// Removing them with the data-mean fold must leave the outputs unchanged up to
// rounding, while dropping them (zero fill) must change the outputs.
func TestApplyMeanFoldOfConstantNodes(t *testing.T) {
	net := randomNet(4, []int{6, 5}, mlp.SiLU, 5)
	dead := [][]int{{0, 3}, {2}}
	for l, d := range dead {
		cols := net.Sizes[l]
		for _, i := range d {
			for j := range cols {
				net.Params.W[l][i*cols+j] = 0
			}
		}
	}
	x := points(300, 4, 2)
	fill, err := MeanActivations(net, x)
	if err != nil {
		t.Fatal(err)
	}
	keep := [][]int{{1, 2, 4, 5}, {0, 1, 3, 4}}
	folded, err := Apply(net, keep, fill)
	if err != nil {
		t.Fatal(err)
	}
	dropped, err := Apply(net, keep, nil)
	if err != nil {
		t.Fatal(err)
	}
	maxDiff, minDrop := 0.0, math.Inf(1)
	for r := range 300 {
		p := x[r*4 : (r+1)*4]
		y := net.Value(p)
		maxDiff = math.Max(maxDiff, math.Abs(folded.Value(p)-y))
		minDrop = math.Min(minDrop, math.Abs(dropped.Value(p)-y))
	}
	if maxDiff > 1e-14 {
		t.Errorf("folded net differs from the original by up to %g, want ≤ 1e-14", maxDiff)
	}
	if minDrop < 1e-6 {
		t.Errorf("dropping constant nodes without the fold changed an output by only %g; the test is vacuous", minDrop)
	}
}

// TestTaylor checks the Taylor scores against a one-point-at-a-time
// reference with adjoints from central finite differences of the output in
// the node's activation.
func TestTaylor(t *testing.T) {
	net := randomNet(3, []int{4, 3}, mlp.SiLU, 6)
	const N = 50
	x := points(N, 3, 3)
	got, err := Taylor(net, x)
	if err != nil {
		t.Fatal(err)
	}
	mean, _ := MeanActivations(net, x)
	// y_n as a function of hidden layer l's activations, from layer l+1 on.
	tail := func(l int, a []float64) float64 {
		for k := l + 1; k < len(net.Params.W); k++ {
			rows, cols := net.Sizes[k+1], net.Sizes[k]
			z := make([]float64, rows)
			for r := range rows {
				s := net.Params.B[k][r]
				for c := range cols {
					s += net.Params.W[k][r*cols+c] * a[c]
				}
				z[r] = s
				if k+1 < len(net.Params.W) {
					z[r], _, _, _ = net.Act.Eval(s)
				}
			}
			a = z
		}
		return a[0]
	}
	const h = 1e-5
	for l, w := range net.Hidden() {
		for i := range w {
			var want float64
			for r := range N {
				a := hiddenActs(net, x[r*3:(r+1)*3])[l]
				ap, am := append([]float64(nil), a...), append([]float64(nil), a...)
				ap[i] += h
				am[i] -= h
				g := (tail(l, ap) - tail(l, am)) / (2 * h)
				want += math.Abs(g*(a[i]-mean[l][i])) / N
			}
			if math.Abs(got[l][i]-want) > 1e-8*(1+want) {
				t.Errorf("Taylor score of node %d of layer %d = %v, want %v", i, l+1, got[l][i], want)
			}
		}
	}
}

func TestMidpoints(t *testing.T) {
	got := Midpoints([][]interval.Interval{{{Lo: -1, Hi: 3}}, {{Lo: 2, Hi: 2}, {Lo: 0.5, Hi: 1}}})
	if want := [][]float64{{1}, {2, 0.75}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Midpoints = %v, want %v", got, want)
	}
}

func TestApplyErrors(t *testing.T) {
	net := randomNet(2, []int{3, 2}, mlp.SiLU, 1)
	for _, tc := range []struct {
		name string
		keep [][]int
		fill [][]float64
	}{
		{"layers", [][]int{{0}}, nil},
		{"empty", [][]int{{0}, {}}, nil},
		{"unsorted", [][]int{{1, 0}, {0}}, nil},
		{"duplicate", [][]int{{1, 1}, {0}}, nil},
		{"range", [][]int{{3}, {0}}, nil},
		{"negative", [][]int{{-1}, {0}}, nil},
		{"fill layers", [][]int{{0}, {0}}, [][]float64{{0, 0, 0}}},
		{"fill width", [][]int{{0}, {0}}, [][]float64{{0, 0}, {0, 0}}},
		{"fill NaN", [][]int{{0}, {0}}, [][]float64{{0, math.NaN(), 0}, {0, 0}}},
	} {
		if _, err := Apply(net, tc.keep, tc.fill); err == nil {
			t.Errorf("%s: Apply succeeded, want an error", tc.name)
		}
	}
	bad := net.Clone()
	bad.Norm.XScale[0] = 0
	if _, err := Apply(bad, [][]int{{0}, {0}}, nil); err == nil {
		t.Error("Apply accepted an invalid net")
	}
}

func TestMagnitude(t *testing.T) {
	net := mlp.New(2, []int{2}, mlp.SiLU)
	copy(net.Params.W[0], []float64{1, -2, 0.5, 0})
	copy(net.Params.W[1], []float64{-3, 4})
	got := Magnitude(net)
	want := [][]float64{{3 * 3, 0.5 * 4}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Magnitude = %v, want %v", got, want)
	}
}

func TestRandomSeeded(t *testing.T) {
	net := randomNet(3, []int{4, 4}, mlp.SiLU, 1)
	a, b, c := Random(net, 1), Random(net, 1), Random(net, 2)
	if !reflect.DeepEqual(a, b) {
		t.Error("Random with the same seed differs")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("Random with different seeds agrees")
	}
	for l := range a {
		for _, v := range a[l] {
			if v < 0 || v >= 1 {
				t.Errorf("score %v outside [0, 1)", v)
			}
		}
	}
}
