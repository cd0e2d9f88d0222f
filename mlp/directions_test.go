package mlp

import (
	"math"
	"slices"
	"testing"
)

func TestPrincipalDirections(t *testing.T) {
	// A teacher whose gradient moves only along (1, 2, 0) up to scale: y =
	// softplus(x1 + 2x2) has ∇y = s·(1, 2, 0), so the leading principal
	// direction of its gradients is (1, 2, 0)/√5.
	net := New(3, []int{1}, Softplus)
	copy(net.Params.W[0], []float64{1, 2, 0})
	net.Params.W[1][0] = 1
	x := make([]float64, 300)
	for i := range x {
		x[i] = math.Sin(float64(i)) // deterministic spread
	}
	d := PrincipalDirections.Directions(net, x, 1, 0)
	if len(d) != 6 {
		t.Fatalf("got %d values, want 2 directions of 3", len(d))
	}
	for j, want := range []float64{1, 1, 1, 1, 2, 0} {
		w := want
		if j >= 3 {
			w = want * math.Sqrt(3.0/5.0)
		}
		if math.Abs(d[j]-w) > 1e-9 {
			t.Errorf("direction entry %d = %v, want %v", j, d[j], w)
		}
	}
}

// TestRandomDirections checks the all-ones vector first, the lengths √n and
// that the seed decides the directions.
func TestRandomDirections(t *testing.T) {
	net := New(4, []int{2}, SiLU)
	d := RandomDirections.Directions(net, nil, 3, 7)
	if len(d) != 16 {
		t.Fatalf("got %d values, want 4 directions of 4", len(d))
	}
	for i := range 4 {
		var ss float64
		for _, v := range d[4*i : 4*i+4] {
			ss += v * v
		}
		if math.Abs(ss-4) > 1e-12 || (i == 0 && !slices.Equal(d[:4], []float64{1, 1, 1, 1})) {
			t.Errorf("direction %d = %v, want length 2 (the first all ones)", i, d[4*i:4*i+4])
		}
	}
	if again := RandomDirections.Directions(net, nil, 3, 7); !slices.Equal(again, d) {
		t.Error("the same seed gave other directions")
	}
	if other := RandomDirections.Directions(net, nil, 3, 8); slices.Equal(other, d) {
		t.Error("another seed gave the same directions")
	}
}
