package heston_test

import (
	"fmt"
	"log"

	"github.com/sobolev-pruning/sobolev/heston"
)

// The semi-analytic price of an at-the-money call and its sensitivities.
func ExamplePricer_Call() {
	pr, err := heston.NewPricer(heston.DefaultParams())
	if err != nil {
		log.Fatal(err)
	}
	g := pr.Call(1, 0.04, 1, 1) // spot, v₀, maturity (years), strike
	fmt.Printf("price %.6f\n", g.Price)
	fmt.Printf("delta %.6f, gamma %.6f\n", g.Delta, g.Gamma)
	fmt.Printf("∂V/∂v0 %.6f, ∂V/∂T %.6f, ∂V/∂K %.6f\n", g.DV0, g.DT, g.DK)
	// Output:
	// price 0.070243
	// delta 0.639301, gamma 2.301021
	// ∂V/∂v0 0.497575, ∂V/∂T 0.033132, ∂V/∂K -0.569058
}

// Training samples with mixing labels: the averages of many labels at one
// point approach the semi-analytic price and sensitivities.
func ExampleModel_TrainingSampler() {
	m := &heston.Model{Params: heston.DefaultParams(), Box: heston.DefaultBox(), Seed: 1}
	// A box of one point, no widening: every sample is drawn at S₀ = K = 1,
	// v₀ = 0.04, T = 1.
	m.Box = heston.Box{{1, 1}, {0.04, 0.04}, {1, 1}, {1, 1}}
	opts := heston.DefaultTrainOptions()
	opts.Widening = 0
	s, err := m.TrainingSampler(opts)
	if err != nil {
		log.Fatal(err)
	}
	set := s.Fill(s.NewSet(20000))
	var y, dv0 float64
	for r := range set.N() {
		y += set.Y[r] / float64(set.N())
		dv0 += set.DYDX[r*heston.Inputs+heston.V0] / float64(set.N())
	}
	fmt.Printf("mean value label %.3f, mean ∂y/∂v0 label %.2f\n", y, dv0)
	// Output:
	// mean value label 0.070, mean ∂y/∂v0 label 0.50
}
