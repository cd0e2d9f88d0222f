package bound_test

import (
	"context"
	"fmt"

	"github.com/sobolev-pruning/sobolev/bound"
	"github.com/sobolev-pruning/sobolev/interval"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// basketCall returns y = softplus(x₀ + x₁ − 2): a smooth call on a basket
// of two assets struck at 2, increasing and convex everywhere.
func basketCall() *mlp.Network {
	net := mlp.New(2, []int{1}, mlp.Softplus)
	for j := range 2 {
		net.Norm.XMean[j], net.Norm.XScale[j] = 0, 1
	}
	net.Norm.YMean, net.Norm.YScale = 0, 1
	copy(net.Params.W[0], []float64{1, 1})
	net.Params.B[0][0], net.Params.W[1][0] = -2, 1
	return net
}

// ExampleGreeks encloses the value, deltas and gamma of a softplus call
// on a two-asset basket over a box.
func ExampleGreeks() {
	net := basketCall()
	box := []interval.Interval{interval.New(0.9, 1.1), interval.New(0.9, 1.1)}
	res, err := bound.Greeks(context.Background(), net, box, bound.Options{Boxes: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("value in [%.4f, %.4f]\n", res.Value.Lo, res.Value.Hi)
	fmt.Printf("delta 0 in [%.4f, %.4f]\n", res.Delta[0].Lo, res.Delta[0].Hi)
	fmt.Printf("gamma 1ᵀH1 ≥ 0: %v\n", res.Gamma.Lo >= 0)
	// Output:
	// value in [0.5981, 0.7981]
	// delta 0 in [0.4502, 0.5498]
	// gamma 1ᵀH1 ≥ 0: true
}

// ExampleCheck proves a call on a basket increasing and convex over a box,
// and finds where tanh, concave for x > 0, is not convex (the pieces next
// to 0, where its gamma vanishes, are left undecided at depth 10).
func ExampleCheck() {
	shape := bound.Shape{DeltaNonneg: true, GammaNonneg: true}
	box := []interval.Interval{interval.New(0.5, 1.5), interval.New(0.5, 1.5)}
	cert, err := bound.Check(context.Background(), basketCall(), box, shape, 10, bound.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("call: proved on %.0f%% of the box\n", 100*cert.Proved)

	tanh := mlp.New(1, []int{1}, mlp.Tanh)
	tanh.Norm.XMean[0], tanh.Norm.XScale[0], tanh.Norm.YMean, tanh.Norm.YScale = 0, 1, 0, 1
	tanh.Params.W[0][0], tanh.Params.W[1][0] = 1, 1
	cert, err = bound.Check(context.Background(), tanh, []interval.Interval{interval.New(-1, 1)}, shape, 10, bound.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("tanh: proved on %.1f%%, refuted on %.1f%%, first counterexample x = %.3f\n",
		100*cert.Proved, 100*cert.Refuted, cert.Counterexamples[0][0])
	// Output:
	// call: proved on 100% of the box
	// tanh: proved on 49.9%, refuted on 50.0%, first counterexample x = 0.500
}
