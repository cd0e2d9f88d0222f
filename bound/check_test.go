package bound

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// identityNorm sets net's normalisations to the identity.
func identityNorm(net *mlp.Network) {
	for j := range net.Norm.XMean {
		net.Norm.XMean[j], net.Norm.XScale[j] = 0, 1
	}
	net.Norm.YMean, net.Norm.YScale = 0, 1
}

// TestCheckProvesConvex proves a one-layer softplus net with positive
// weights increasing and convex on a box.
func TestCheckProvesConvex(t *testing.T) {
	net := mlp.New(2, []int{3}, mlp.Softplus)
	identityNorm(net)
	copy(net.Params.W[0], []float64{0.5, 1, 2, 0.1, 1, 1})
	copy(net.Params.B[0], []float64{0, -1, 0.5})
	copy(net.Params.W[1], []float64{1, 0.3, 2})
	box := []interval.Interval{interval.New(-2, 2), interval.New(-1, 3)}
	cert, err := Check(context.Background(), net, box, Shape{DeltaNonneg: true, GammaNonneg: true}, 10, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cert.Proved != 1 || len(cert.Counterexamples) != 0 || len(cert.Undecided) != 0 {
		t.Errorf("convex increasing net: proved %v, %d counterexamples, %d undecided; want all proved",
			cert.Proved, len(cert.Counterexamples), len(cert.Undecided))
	}
}

// TestCheckFindsViolation plants y = tanh(x) on [−1, 1], concave for x > 0:
// the check proves convexity on x < 0 and finds counterexamples with x > 0.
func TestCheckFindsViolation(t *testing.T) {
	net := mlp.New(1, []int{1}, mlp.Tanh)
	identityNorm(net)
	net.Params.W[0][0], net.Params.W[1][0] = 1, 1
	box := []interval.Interval{interval.New(-1, 1)}
	cert, err := Check(context.Background(), net, box, Shape{GammaNonneg: true}, 12, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Counterexamples) == 0 {
		t.Fatal("no counterexample to the convexity of tanh on [−1, 1]")
	}
	for _, x := range cert.Counterexamples {
		if x[0] <= 0 || net.Gamma(x) >= 0 {
			t.Errorf("counterexample %v: gamma %v, want x > 0 and gamma < 0", x, net.Gamma(x))
		}
	}
	if math.Abs(cert.Proved-0.5) > 0.01 || math.Abs(cert.Proved+cert.Refuted-1) > 0.01 {
		t.Errorf("proved %v, refuted %v, %d undecided boxes; want about half proved, the rest refuted", cert.Proved, cert.Refuted, len(cert.Undecided))
	}
	if _, err := Check(context.Background(), net, box, Shape{}, 3, Options{}); err == nil {
		t.Error("an empty shape: no error")
	}
}

// TestCheckDeltaInputs checks y = softplus(x₀ − x₁), a call on x₀ struck at
// x₁: its delta in x₀ is proved ≥ 0, its delta in x₁ refuted everywhere.
func TestCheckDeltaInputs(t *testing.T) {
	net := mlp.New(2, []int{1}, mlp.Softplus)
	identityNorm(net)
	copy(net.Params.W[0], []float64{1, -1})
	net.Params.W[1][0] = 1
	box := []interval.Interval{interval.New(0.5, 1.5), interval.New(0.8, 1.2)}
	spot, err := Check(context.Background(), net, box, Shape{DeltaNonneg: true, DeltaInputs: []int{0}, GammaNonneg: true}, 6, Options{Direction: []float64{1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if spot.Proved != 1 {
		t.Errorf("delta in x₀ and gamma along e₀: proved %v, refuted %v; want all proved", spot.Proved, spot.Refuted)
	}
	all, err := Check(context.Background(), net, box, Shape{DeltaNonneg: true}, 6, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if all.Refuted != 1 || all.Boxes != 1 || len(all.Counterexamples) != 1 {
		t.Errorf("delta in both inputs: refuted %v on %d boxes, %d counterexamples; want refuted at the first midpoint", all.Refuted, all.Boxes, len(all.Counterexamples))
	}
	if _, err := Check(context.Background(), net, box, Shape{DeltaNonneg: true, DeltaInputs: []int{2}}, 6, Options{}); err == nil {
		t.Error("delta of input 2 of a 2-input model: no error")
	}
}

// TestCheckProbes checks tanh on [−1, 1] at depth 0: its midpoint 0 has
// gamma 0, no violation, so without probes the box is undecided; 16 random
// points find the concave half, at the same point for the same seed.
func TestCheckProbes(t *testing.T) {
	net := mlp.New(1, []int{1}, mlp.Tanh)
	identityNorm(net)
	net.Params.W[0][0], net.Params.W[1][0] = 1, 1
	box := []interval.Interval{interval.New(-1, 1)}
	shape := Shape{GammaNonneg: true}
	none, err := Check(context.Background(), net, box, shape, 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(none.Undecided) != 1 || none.Refutations != 0 {
		t.Errorf("no probes: %d undecided, %d refuted; want the box undecided", len(none.Undecided), none.Refutations)
	}
	var first []float64
	for range 2 {
		c, err := Check(context.Background(), net, box, shape, 0, Options{Probes: 16, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if c.Refuted != 1 || c.Refutations != 1 || len(c.Counterexamples) != 1 || c.Counterexamples[0][0] <= 0 || net.Gamma(c.Counterexamples[0]) >= 0 {
			t.Fatalf("16 probes: refuted %v, counterexamples %v; want the box refuted at a point x > 0", c.Refuted, c.Counterexamples)
		}
		if first != nil && first[0] != c.Counterexamples[0][0] {
			t.Errorf("the same seed gave counterexamples %v and %v", first, c.Counterexamples[0])
		}
		first = c.Counterexamples[0]
	}
	if _, err := Check(context.Background(), net, box, shape, 0, Options{Probes: -1}); err == nil {
		t.Error("-1 probes: no error")
	}
}

// TestCheckForms checks a random 6 × 8 SiLU net over a box of ±0.05 input
// scales, on which the deltas and gamma sampled keep their signs: plain
// intervals do not prove it (their enclosures are 10²–10³ times too wide),
// the forms do, in a few pieces, and twice the same.
func TestCheckForms(t *testing.T) {
	const n = 3
	for seed := range uint64(3) {
		net := randomNet(rand.New(rand.NewPCG(seed, n)), n, []int{8, 8, 8, 8, 8, 8}, mlp.SiLU)
		box := make([]interval.Interval, n)
		for j := range box {
			c, r := net.Norm.XMean[j], 0.05*net.Norm.XScale[j]
			box[j] = interval.New(c-r, c+r)
		}
		smp, err := Sample(net, box, Options{}, 10_000, 1)
		if err != nil {
			t.Fatal(err)
		}
		// y or 2·y_mean − y: the shape asks for the signs sampled.
		if smp.Gamma.Lo < 0 {
			L := net.Layers()
			for i := range net.Params.W[L] {
				net.Params.W[L][i] = -net.Params.W[L][i]
			}
			net.Params.B[L][0] = -net.Params.B[L][0]
			smp.Gamma = interval.Neg(smp.Gamma)
			for j := range n {
				smp.Delta[j] = interval.Neg(smp.Delta[j])
			}
		}
		shape := Shape{GammaNonneg: smp.Gamma.Lo > 0}
		for j := range n {
			if smp.Delta[j].Lo > 0 {
				shape.DeltaInputs = append(shape.DeltaInputs, j)
			}
		}
		shape.DeltaNonneg = shape.DeltaInputs != nil
		if !shape.GammaNonneg || !shape.DeltaNonneg {
			t.Fatalf("seed %d: sampled gamma %v, deltas %v: want signs to prove", seed, smp.Gamma, smp.Delta)
		}
		dir, _ := mlp.GammaDirection(nil, n)
		sc := &shapeCheck{e: newEncloser(net, directions(net, dir, true)), delta: true, inputs: shape.DeltaInputs, gamma: true}
		if sc.plain(box) {
			t.Fatalf("seed %d: plain intervals prove the shape; want a box they do not", seed)
		}
		var first *Certificate
		for range 2 {
			c, err := Check(context.Background(), net, box, shape, 6, Options{Probes: 8})
			if err != nil {
				t.Fatal(err)
			}
			if c.Proved != 1 || c.Boxes > 15 {
				t.Errorf("seed %d, deltas %v ≥ 0 and gamma ≥ 0: proved %v in %d pieces; want all in at most 15", seed, shape.DeltaInputs, c.Proved, c.Boxes)
			}
			if first != nil && (c.Proved != first.Proved || c.Boxes != first.Boxes) {
				t.Errorf("seed %d: certificates %+v and %+v of the same check", seed, *first, *c)
			}
			first = c
		}
	}
}

// BenchmarkCheckSmall times the shape check of a random 6 × 8 SiLU net of 3
// inputs over a box of ±0.05 input scales, where the sampled deltas and
// gamma keep their signs (TestCheckForms' first), to depth 8.
func BenchmarkCheckSmall(b *testing.B) {
	const n = 3
	net := randomNet(rand.New(rand.NewPCG(0, n)), n, []int{8, 8, 8, 8, 8, 8}, mlp.SiLU)
	box := make([]interval.Interval, n)
	for j := range box {
		c, r := net.Norm.XMean[j], 0.05*net.Norm.XScale[j]
		box[j] = interval.New(c-r, c+r)
	}
	smp, err := Sample(net, box, Options{}, 10_000, 1)
	if err != nil {
		b.Fatal(err)
	}
	shape := Shape{GammaNonneg: smp.Gamma.Lo > 0}
	for j := range n {
		if smp.Delta[j].Lo > 0 {
			shape.DeltaInputs = append(shape.DeltaInputs, j)
		}
	}
	shape.DeltaNonneg = shape.DeltaInputs != nil
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(context.Background(), net, box, shape, 8, Options{Probes: 8}); err != nil {
			b.Fatal(err)
		}
	}
}
